"""The small Lean library of the golden mutation tests: a snippet in Mathlib's style, the rules
to apply to it (written as the index would derive them), and one case per mutation kind.

Used by tests/mutate/test_golden_mutants.py (the exact Lean of each mutant) and by
tests/mutate/test_run_mutate_and_cli.py (the stage driver on the same inputs).
"""

from __future__ import annotations

from helpers.lean_text import make_rule

SNIPPET = """\
import Mathlib.Algebra.Order.Ring.Lemmas

open Finset

namespace Demo

theorem double_le_double {a b : ℕ} (h : a ≤ b) : a + a ≤ b + b := by
  omega

theorem lt_succ_of_add_zero {x y : ℤ} (h : x + 0 < y) : x < y + 1 := by
  omega

theorem pos_of_double_pos {n : ℕ} (h : 0 < n + n) : 0 < n := by omega

theorem le_of_lt' {x z : ℝ} (h : x < z) : x ≤ z :=
  le_of_lt h

theorem sub_add_succ (n m : ℕ) : n ≤ n - m + m + 1 := by
  omega

section Ring

variable {R : Type*} [CommRing R]

theorem mul_self_sub_mul_self' (a b : R) :
    a * a - b * b = (a + b) * (a - b) := by
  ring

end Ring

end Demo
"""

RULES = {
    "two_mul_bwd": lambda: make_rule("two_mul", "eq", "{α : Type*} [NonAssocSemiring α] (a : α)",
                                     "2 * a", "a + a", direction="bwd"),
    "add_zero": lambda: make_rule("add_zero", "eq", "{M : Type*} [AddZeroClass M] (a : M)",
                                  "a + 0", "a"),
    "lt_of_lt_of_le": lambda: make_rule(
        "lt_of_lt_of_le", "imp", "{α : Type*} [Preorder α] {a b c : α} (hab : a < b) (hbc : b ≤ c)",
        "a < c", hyps=("a < b", "b ≤ c")),
    "sub_add_cancel": lambda: make_rule("Nat.sub_add_cancel", "eq", "{n m : ℕ} (h : m ≤ n)",
                                        "n - m + m", "n", hyps=("m ≤ n",)),
    "sq_bwd": lambda: make_rule("sq", "eq", "{M : Type*} [Monoid M] (a : M)", "a ^ 2", "a * a",
                                direction="bwd"),
}

CASES = {
    # name: (theorem, rule, kind, location, instance, subst)
    "rw_goal": ("double_le_double", "two_mul_bwd", "rw_goal", "goal", "a + a", {"a": "a"}),
    "rw_hyp_fwd": ("lt_succ_of_add_zero", "add_zero", "rw_hyp", "h", "x + 0", {"a": "x"}),
    "rw_hyp_bwd": ("pos_of_double_pos", "two_mul_bwd", "rw_hyp", "h", "n + n", {"a": "n"}),
    "apply_hyp": ("le_of_lt'", "lt_of_lt_of_le", "apply_hyp", "h", "", {"a": "x", "c": "z"}),
    "side_condition": ("sub_add_succ", "sub_add_cancel", "rw_goal", "goal", "n - m + m",
                       {"n": "n", "m": "m"}),
    "section": ("mul_self_sub_mul_self'", "sq_bwd", "rw_goal", "goal", "a * a", {"a": "a"}),
}
