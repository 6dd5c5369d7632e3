"""A variable the types of the matched values fix, when the candidate does not say the
value's type, is written `_` (`index.match.fill`, *Hole*): Lean's unifier finds it from
the value, as it does in the library's own `rw`.  Never where Lean needs it first (a
receiver of field notation, an applied function, a coercion's target) nor in a side
condition, and never for a variable no written value fixes."""

from __future__ import annotations

from lean_alchemy.grammar.ast import Hole, loads
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.statements import decl_binders, decl_conclusion, scope_binders
from lean_alchemy.index.match.fill import fill_spec
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.mutate.proofs import bridge
from lean_alchemy.mutate.statements import DecodedRule, apply_invocation

from helpers.lean_text import derived_rules, extract

LIB = """\
variable {C : Type*} [Category C] [Preadditive C]

theorem mono_iff_cancel_zero {Q R : C} (f : Q ⟶ R) :
    Mono f ↔ ∀ (P : C) (g : P ⟶ Q), g ≫ f = 0 → g = 0 := sorry

theorem mono_iff_str {Q R : C} (f : Q ⟶ R) : Mono f ↔ ∀ (P : C), P.str = f := sorry

theorem mono_iff_coe {Q R : C} (f : Q ⟶ R) : Mono f ↔ (f : Set Q) = ∅ := sorry

theorem mono_iff_assumed {Q R : C} (f : Q ⟶ R) : Mono f ↔ IsZero f ‹Zeros Q› := sorry

theorem mono_iff_side {Q R : C} (f : Q ⟶ R) (P : C) (hP : IsZero (P : C)) :
    Mono f ↔ ∀ (g : P ⟶ Q), g ≫ f = 0 := sorry

theorem good_iff {p : ℝ} (x : Circ p) : Good x ↔ Fine x (Ioc 0 (0 + p)) := sorry

theorem good_iff' {p : ℝ} (x : Circ p) : Good x ↔ Fine x (Ioc 0 p) := sorry

theorem good_foo (y : ℝ) : Good (foo y) := sorry

theorem mono_of_pullback (h : IsPullback a b c d) : Mono h.cone.fst := sorry

theorem mono_of_map {X Y : C} (u : X ⟶ Y) : Mono u := sorry
"""

_DECLS, _SCOPES = extract(LIB)


def _invocations(lemma: str, cand: str, direction: str = "fwd"):
    rules = [r for r in derived_rules(LIB, lemma)
             if r.direction == direction and r.kind == "iff"]
    ix = RuleIndex.build(rules)
    d = _DECLS[cand]
    section = tuple(scope_binders(_SCOPES[d.scope_id]))
    invs = [i for i in ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d),
                                      extra_binders=section) if i.kind == "rw_goal"]
    return ix, invs


def _subst(inv) -> dict[str, str]:
    return {k: print_term(loads(v)) for k, v in inv.subst}


def test_a_variable_fixed_by_an_untyped_value_is_written_as_a_hole():
    ix, invs = _invocations("mono_iff_cancel_zero", "mono_of_pullback")
    assert [_subst(i) for i in invs] == [{"C": "_", "Q": "_", "f": "h.cone.fst"}]
    d = _DECLS["mono_of_pullback"]
    m = apply_invocation(tuple(decl_binders(d)), decl_conclusion(d), invs[0],
                         DecodedRule.of(ix.rules[invs[0].rule_id]))
    assert print_term(m.conclusion) == "∀ (P : _) (g : P ⟶ _), g ≫ h.cone.fst = 0 → g = 0"
    assert "(Q := _)" in bridge(m.step, ("exact h",))[1]


def test_a_declared_value_type_gives_the_candidates_variables_not_holes():
    _, invs = _invocations("mono_iff_cancel_zero", "mono_of_map")
    assert [_subst(i) for i in invs] == [{"C": "C", "Q": "X", "f": "u"}]


def test_no_hole_where_lean_needs_the_type_first():
    # `P.str` with `P : C`: field notation needs `C`; `‹Zeros Q›`: `assumption` runs on
    # the type as it is
    for lemma in ("mono_iff_str", "mono_iff_assumed"):
        _, invs = _invocations(lemma, "mono_of_pullback")
        assert invs == [], lemma
        (r,) = [r for r in derived_rules(LIB, lemma) if r.direction == "fwd" and r.kind == "iff"]
        spec = fill_spec(r)
        assert spec is not None and not spec.holes, lemma
    # a coercion's target may hold one, as Mathlib writes `(L.fixingSubgroup : Set _)`
    (r,) = [r for r in derived_rules(LIB, "mono_iff_coe") if r.direction == "fwd" and r.kind == "iff"]
    assert fill_spec(r).holes == {"Q"}


def test_no_hole_for_an_operand_of_arithmetic():
    # `0 + _`: nothing unifies the hole; `x`'s type fixes `p` only in the rule's binder
    (r,) = [r for r in derived_rules(LIB, "good_iff") if r.direction == "fwd" and r.kind == "iff"]
    spec = fill_spec(r)
    assert spec is not None and "p" in spec.solve and not spec.holes
    assert _invocations("good_iff", "good_foo")[1] == []
    # as an argument of a constant the hole stays (its result type usually fixes it:
    # `mkLinearMap _ N`); here it would not (`Ioc 0 _`), a limit docs/index.md states
    (r,) = [r for r in derived_rules(LIB, "good_iff'") if r.direction == "fwd" and r.kind == "iff"]
    assert fill_spec(r).holes == {"p"}


def test_no_hole_in_a_side_condition_or_for_a_variable_no_value_fixes():
    (r,) = [r for r in derived_rules(LIB, "mono_iff_side")
            if r.direction == "fwd" and r.kind == "iff"]
    spec = fill_spec(r)
    assert spec is not None
    # `Q` is fixed by `f` and only written in the replacement; `P` is fixed by nothing
    # and `C` is spelled by the side condition `IsZero (P : C)`
    assert "Q" in spec.holes and "P" not in spec.holes and "C" not in spec.holes
    assert Hole("_") not in {v for i in _invocations("mono_iff_side", "mono_of_pullback")[1]
                             for v in (loads(x) for _, x in i.subst)}


ASCRIBED = """\
theorem Set.compl_empty {α : Type*} : (∅ : Set α)ᶜ = Set.univ := sorry

theorem Filter.principal_univ {α : Type*} : Filter.principal (Set.univ : Set α) = ⊤ := sorry

theorem Demo.mrange_eq_map {M N F : Type*} [MonoidHomClass F M N] (f : F) :
    Demo.mrange f = (⊤ : Submonoid M).map f := sorry

theorem Demo.mrange_eq_comap {M N F : Type*} [MonoidHomClass F M N] (f : F) :
    Demo.mrange f = Submonoid.comap f (Demo.top M) := sorry

theorem Demo.univ_mem {ι : Type*} (α : ι → Type*) : Set.univ ∈ Demo.cyl α := sorry

theorem Demo.top_le (f : ℕ → ℕ) : Filter.map f ⊤ ≤ ⊤ := sorry

theorem Demo.mrange_lift {α M : Type*} (f : α → M) : Demo.mrange (Demo.lift f) = Demo.cl f :=
  sorry

theorem Demo.T_add {R : Type*} (m n : ℤ) : (Demo.T (m + n) : Demo.Laurent R) = Demo.T m * Demo.T n :=
  sorry

theorem Demo.comap_cast {R : Type*} : Filter.comap ((↑) : ℤ → R) Filter.atTop = Filter.atTop :=
  sorry

theorem Demo.T_sub (m n : ℤ) : Demo.T (m - n) = Demo.T m * Demo.T (-n) := sorry

theorem Demo.tendsto_cast {f : ℕ → ℤ} : Filter.Tendsto f Filter.atTop Filter.atTop := sorry

theorem Demo.coe_X {σ R : Type*} (s : σ) :
    ((Demo.X s : Demo.Poly σ R) : Demo.Series σ R) = Demo.SX s := sorry

theorem Demo.eval_X (s : ℕ) : Demo.eval (Demo.SX s) = 0 := sorry
"""


def test_a_type_variable_written_only_in_an_ascription_is_a_hole():
    """`α` of `(∅ : Set α)ᶜ` is the type of the `Set.univ` it replaces: `(∅ : Set _)ᶜ`.
    Not for a pattern every type has (`⊤` of `principal_univ` backwards), nor for a
    variable written as an argument (`Demo.top M`), nor for one the new text's own type
    does not show (`M` of `(⊤ : Submonoid M).map f`, `R` of `((↑) : ℤ → R)`)."""
    decls, scopes = extract(ASCRIBED)

    def made(lemma: str, cand: str, direction: str) -> list[str]:
        rules = [r for r in derived_rules(ASCRIBED, lemma)
                 if r.direction == direction and r.kind == "eq"]
        ix = RuleIndex.build(rules)
        d = decls[cand]
        out = []
        for inv in ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d)):
            m = apply_invocation(tuple(decl_binders(d)), decl_conclusion(d), inv,
                                 DecodedRule.of(ix.rules[inv.rule_id]))
            out.append(print_term(m.conclusion))
        return out

    assert made("Set.compl_empty", "Demo.univ_mem", "bwd") == ["(∅ : Set _)ᶜ ∈ Demo.cyl α"]
    assert made("Demo.T_add", "Demo.T_sub", "bwd") == [
        "Demo.T (m - n) = (Demo.T (m + -n) : Demo.Laurent _)"]
    assert made("Filter.principal_univ", "Demo.top_le", "bwd") == []
    assert made("Demo.mrange_eq_comap", "Demo.mrange_lift", "fwd") == []
    # the new text's type does not show the variable: nothing would fix the `_`
    assert made("Demo.mrange_eq_map", "Demo.mrange_lift", "fwd") == []
    assert made("Demo.comap_cast", "Demo.tendsto_cast", "bwd") == []
    # `R` of the inner ascription would be fixed only through the coercion
    assert made("Demo.coe_X", "Demo.eval_X", "bwd") == []
    spec = fill_spec([r for r in derived_rules(ASCRIBED, "Set.compl_empty")
                      if r.direction == "bwd"][0])
    assert spec is not None and spec.holes == frozenset({"α"}) and not spec.asks
