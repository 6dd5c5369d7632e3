"""Knobs of the mutation stage (`alchemy mutate`, the `[mutate]` table of a run config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lean_alchemy.core.errors import AlchemyError

ProofStyle = Literal["merged", "invoke"]


@dataclass(frozen=True, slots=True)
class MutateOptions:
    """How many mutants to build and how to prove them.

    depth: mutation steps applied in a chain (1 = mutate library theorems only; k > 1 also
      mutates the kept mutants of depth k-1, re-matched with the rule index).
    proof_style: "merged" replays the original proof after a bridge (the Alchemy way; the
      corpus then shows a real proof), "invoke" calls the original theorem by name after the
      bridge (much cheaper for Lean to check, a shorter proof).
    max_per_theorem: kept mutants per library theorem (all depths together); None = no cap.
      Invocations of one theorem are tried in a seeded random order, so the cap is a seeded
      sample and one prolific theorem cannot dominate the corpus.  16 keeps `alchemy index`
      + `alchemy mutate` of all of Mathlib within 15 minutes on 2 cores (docs/benchmarks.md).
    max_per_rule: kept mutants per rule lemma over the whole run (`mul_comm` fires
      everywhere); None = no cap.
    seed: seed of the per-theorem sampling order (results are a pure function of the inputs
      and the options).
    max_heartbeats: `set_option maxHeartbeats N in` written before each mutant: a
      deterministic elaboration bound for the checker (Mathlib's default is 200000).
    refute: evaluate every mutant on the decidable fragment first (`mutate.refute`); refuted
      and vacuous mutants are stored with that status and never reach checking.
    samples: assignments tried per statement by the refuter (RefuteOptions.samples).
    jobs: worker processes (0 = one per core); theorems are mutated in parallel and the
      global filters (duplicates, rule caps) are applied again in the parent.
    progress: show a progress bar on stderr.
    open_statements: also mutate theorems whose proof cannot be reused (proved by `sorry`,
      or written with equations, `where` or termination hints): the mutant's statement is
      exact and its proof is `sorry` (`Mutant.proof_status` "open"); Lean checks only that
      the statement elaborates (`statement_ok`), and the corpus exports them apart
      (`RUN/statements/`).
    """

    depth: int = 1
    proof_style: ProofStyle = "merged"
    max_per_theorem: int | None = 16
    max_per_rule: int | None = None
    seed: int = 0
    max_heartbeats: int = 400000
    refute: bool = True
    samples: int = 96
    jobs: int = 0
    progress: bool = False
    open_statements: bool = False

    def __post_init__(self) -> None:
        # Validate here, not in the CLI: the TOML config builds this class directly.
        if self.depth < 1:
            raise AlchemyError(f"[mutate] depth must be >= 1, got {self.depth}")
        if self.proof_style not in ("merged", "invoke"):
            raise AlchemyError(
                f"[mutate] proof_style must be 'merged' or 'invoke', got {self.proof_style!r}")
        for name in ("max_per_theorem", "max_per_rule"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise AlchemyError(f"[mutate] {name} must be >= 1 (or unset for no cap), got {v}")
        if self.jobs < 0:
            raise AlchemyError(f"[mutate] jobs must be >= 0 (0 = one per core), got {self.jobs}")
        if self.max_heartbeats < 0:
            raise AlchemyError(f"[mutate] max_heartbeats must be >= 0, got {self.max_heartbeats}")
