"""Knobs of the refutation stage."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RefuteOptions:
    """How hard to look for a counterexample.

    samples: assignments tried per statement (edge values first, then seeded random ones).
    seed: the random generator's seed; a statement's result is a pure function of
      (statement, options), so runs are reproducible.
    time_limit_s: wall-clock budget per statement (compilation + evaluation); when it runs
      out the statement is reported with what was found so far ('holds' if nothing).
    max_random_nat: upper end of the wide random range for ℕ/ℤ values (small values are
      drawn more often: most Mathlib counterexamples are tiny).
    """

    samples: int = 96
    seed: int = 0
    time_limit_s: float = 0.2
    max_random_nat: int = 100
