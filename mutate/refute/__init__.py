"""Refutation by evaluation: a counterexample search on the decidable fragment of Lean
(ℕ ℤ ℚ, ℝ restricted to rationals, Bool, Prop, finite ranges).  See `api` for statuses."""

from __future__ import annotations

from lean_alchemy.mutate.refute.api import (
    NEVER_SATISFIED, STATUSES, TOO_BIG, Refutation, refute_statement, used_section_variables,
)
from lean_alchemy.mutate.refute.evaluate import NotEvaluable
from lean_alchemy.mutate.refute.options import RefuteOptions

__all__ = ["NEVER_SATISFIED", "NotEvaluable", "RefuteOptions", "Refutation", "STATUSES", "TOO_BIG",
           "refute_statement", "used_section_variables"]
