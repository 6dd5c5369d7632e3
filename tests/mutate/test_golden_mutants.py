"""Golden tests: a Lean snippet in Mathlib's style (tests/helpers/golden_library.py) -> the
exact Lean rendered for every mutation kind and proof style, through the real extractor,
grammar and printer.

Each expected unit was reviewed by eye as Lean: binder names, indentation, `at h`, `←`,
named arguments.  Property: every mutant's statement re-parses to the AST that was built.
"""

from __future__ import annotations

import pytest

from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.mutator import Mutator

from helpers.golden_library import CASES, RULES, SNIPPET
from helpers.lean_text import extract, invocation


@pytest.fixture(scope="module")
def parsed():
    pytest.importorskip("lean_alchemy.grammar.printer")
    decls, scopes = extract(SNIPPET)
    rules = {k: f() for k, f in RULES.items()}
    return decls, scopes, rules


def build(parsed, case: str, style: str):
    decls, scopes, rules = parsed
    thm, rule_key, kind, loc, instance, subst = CASES[case]
    decl = decls[thm]
    assert decl.parse_status == "full", (decl.parse_status, decl.parse_error)
    rule = rules[rule_key]
    m = Mutator(list(rules.values()), scopes, MutateOptions(proof_style=style, refute=False))
    rows = list(m.mutate_theorem(decl, [invocation(decl, rule, kind, loc, instance, subst)]))
    assert len(rows) == 1, dict(m.dropped)
    return rows[0][0]


def flat(groups):
    return [(n, g.type, g.kind, g.pred_op, g.pred) for g in groups for n in g.names]


def body(lean: str) -> str:
    """The declaration part of a unit (between the preamble and the closing `end`s)."""
    start = lean.index("set_option maxHeartbeats")
    return lean[start:].split("\n\n")[0]


EXPECTED = {
    ("rw_goal", "merged"): """\
set_option maxHeartbeats 400000 in
theorem double_le_double_rw_goal_{id} {{a b : ℕ}} (h : a ≤ b) : 2 * a ≤ b + b := by
  have : a + a ≤ b + b := by
    omega
  rewrite [← two_mul (a := a)] at this
  exact this""",
    ("rw_goal", "invoke"): """\
set_option maxHeartbeats 400000 in
theorem double_le_double_rw_goal_{id} {{a b : ℕ}} (h : a ≤ b) : 2 * a ≤ b + b := by
  have : a + a ≤ b + b := Demo.double_le_double h
  rewrite [← two_mul (a := a)] at this
  exact this""",
    ("rw_hyp_fwd", "merged"): """\
set_option maxHeartbeats 400000 in
theorem lt_succ_of_add_zero_rw_hyp_{id} {{x y : ℤ}} (h : x < y) : x < y + 1 := by
  replace h : x + 0 < y := by
    rewrite [add_zero (a := x)]
    exact h
  omega""",
    ("rw_hyp_fwd", "invoke"): """\
set_option maxHeartbeats 400000 in
theorem lt_succ_of_add_zero_rw_hyp_{id} {{x y : ℤ}} (h : x < y) : x < y + 1 := by
  replace h : x + 0 < y := by
    rewrite [add_zero (a := x)]
    exact h
  exact Demo.lt_succ_of_add_zero h""",
    ("rw_hyp_bwd", "merged"): """\
set_option maxHeartbeats 400000 in
theorem pos_of_double_pos_rw_hyp_{id} {{n : ℕ}} (h : 0 < 2 * n) : 0 < n := by
  replace h : 0 < n + n := by
    rewrite [← two_mul (a := n)]
    exact h
  omega""",
    ("rw_hyp_bwd", "invoke"): """\
set_option maxHeartbeats 400000 in
theorem pos_of_double_pos_rw_hyp_{id} {{n : ℕ}} (h : 0 < 2 * n) : 0 < n := by
  replace h : 0 < n + n := by
    rewrite [← two_mul (a := n)]
    exact h
  exact Demo.pos_of_double_pos h""",
    ("apply_hyp", "merged"): """\
set_option maxHeartbeats 400000 in
theorem le_of_lt'_apply_hyp_{id} {{x z : ℝ}} {{b : ℝ}} (hxb : x < b) (hbz : b ≤ z) : x ≤ z := by
  have h : x < z := lt_of_lt_of_le (a := x) (b := b) (c := z) (hab := hxb) (hbc := hbz)
  exact le_of_lt h""",
    ("apply_hyp", "invoke"): """\
set_option maxHeartbeats 400000 in
theorem le_of_lt'_apply_hyp_{id} {{x z : ℝ}} {{b : ℝ}} (hxb : x < b) (hbz : b ≤ z) : x ≤ z := by
  have h : x < z := lt_of_lt_of_le (a := x) (b := b) (c := z) (hab := hxb) (hbc := hbz)
  exact Demo.le_of_lt' h""",
    ("side_condition", "merged"): """\
set_option maxHeartbeats 400000 in
theorem sub_add_succ_rw_goal_{id} (n m : ℕ) (hmn : m ≤ n) : n ≤ n + 1 := by
  have : n ≤ n - m + m + 1 := by
    omega
  rewrite [Nat.sub_add_cancel (n := n) (m := m) (h := hmn)] at this
  exact this""",
    ("section", "merged"): """\
set_option maxHeartbeats 400000 in
theorem mul_self_sub_mul_self'_rw_goal_{id} (a b : R) : a ^ 2 - b * b = (a + b) * (a - b) := by
  have : a * a - b * b = (a + b) * (a - b) := by
    ring
  rewrite [← sq (a := a)] at this
  exact this""",
}


@pytest.mark.parametrize("case,style", sorted(EXPECTED))
def test_golden(parsed, case, style):
    m = build(parsed, case, style)
    assert body(m.lean) == EXPECTED[(case, style)].format(id=m.id[:8])


def test_golden_full_unit_with_section_preamble(parsed):
    m = build(parsed, "section", "merged")
    assert m.lean == f"""\
section
open Finset
namespace Demo
section Ring
variable {{R : Type*}} [CommRing R]
set_option autoImplicit false

set_option maxHeartbeats 400000 in
theorem mul_self_sub_mul_self'_rw_goal_{m.id[:8]} (a b : R) : a ^ 2 - b * b = (a + b) * (a - b) := by
  have : a * a - b * b = (a + b) * (a - b) := by
    ring
  rewrite [← sq (a := a)] at this
  exact this

end Ring
end Demo
end
"""
    assert m.imports == ("Demo.Basic", "Mathlib.Demo")


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("style", ["merged", "invoke"])
def test_every_mutant_reparses_to_the_ast_built(parsed, case, style):
    """Re-extract the rendered unit: its parsed statement is exactly the AST we built."""
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.mutate.statements import DecodedRule, apply_invocation

    decls, scopes, rules = parsed
    thm, rule_key, kind, loc, instance, subst = CASES[case]
    decl = decls[thm]
    built = apply_invocation(decl_binders(decl), decl_conclusion(decl),
                             invocation(decl, rules[rule_key], kind, loc, instance, subst),
                             DecodedRule.of(rules[rule_key]))
    m = build(parsed, case, style)
    again, _ = extract(m.lean, module="Check")
    (d,) = [x for x in again.values() if x.is_candidate]
    assert d.parse_status == "full"
    assert flat(decl_binders(d)) == flat(built.binders)  # grouping `{x z : ℝ} {b : ℝ}` aside
    assert decl_conclusion(d) == built.conclusion
    assert d.proof is not None and "sorry" not in d.proof
