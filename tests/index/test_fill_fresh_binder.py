"""A variable of the replacement that no candidate variable fits is left to a new binder of
the mutant (`index.match.fresh`), from the index's match to the printed statement and
proof; a candidate variable that fits is still preferred, and a binder that cannot be
closed still gives no invocation (`unfilled_variable`)."""

from __future__ import annotations

from lean_alchemy.grammar.printer import print_binders, print_term
from lean_alchemy.grammar.statements import decl_binders, decl_conclusion, scope_binders
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.mutate.mutator import features, relation_after
from lean_alchemy.mutate.proofs import bridge
from lean_alchemy.mutate.statements import DecodedRule, apply_invocation

from helpers.lean_text import derived_rules, extract

LIB = """\
theorem norm_eq_scaled {𝕜 A : Type*} [Field 𝕜] [NormedGroup A] [Module 𝕜 A] (a : A) :
    ‖a‖ = scaledNorm 𝕜 a := sorry

theorem norm_eq_scaled_u {𝕜 : Type u} {A : Type u} [Field 𝕜] [NormedGroup A] [Module 𝕜 A]
    (a : A) : ‖a‖ = scaledNorm 𝕜 a := sorry

theorem card_eq_card {α : Type*} [Fintype α] (n : ℕ) : Nat.succ n = Fintype.card α + n := sorry

theorem lintegral_comp {α : Type*} {μ : Measure α} (g : α → α) (hg : MeasurePreserving g μ μ)
    (f : α → ℝ) : lintegral μ f = lintegral μ (fun a => f (g a)) := sorry

theorem lintegral_witness {α : Type*} {μ : Measure α} (g : α → α) (w : Witness g)
    (f : α → ℝ) : lintegral μ f = lintegral μ (fun a => f (g a)) := sorry

theorem cand_plain {B : Type*} [NormedGroup B] (x : B) : ‖x‖ = 0 := sorry

theorem cand_field {K B : Type*} [Field K] [NormedGroup B] [Module K B] (x : B) :
    ‖x‖ = 0 := sorry

theorem cand_clash {B : Type*} [NormedGroup B] (x : B) (𝕜 : ℕ) : ‖x‖ = 𝕜 := sorry

theorem cand_card (m : ℕ) : Nat.succ m = 0 := sorry

theorem cand_lintegral {β : Type*} {ν : Measure β} (u : β → ℝ) : lintegral ν u = 0 := sorry
"""

_DECLS, _SCOPES = extract(LIB)


def _index(*lemmas: str) -> RuleIndex:
    return RuleIndex.build([r for n in lemmas for r in derived_rules(LIB, n)])


def _invocations(ix: RuleIndex, cand: str, lemma: str):
    d = _DECLS[cand]
    section = tuple(scope_binders(_SCOPES[d.scope_id]))
    return [inv for inv in ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d),
                                          extra_binders=section)
            if ix.rules[inv.rule_id].lemma == lemma and inv.kind == "rw_goal"
            and ix.rules[inv.rule_id].direction == "fwd"]


def _mutant(ix: RuleIndex, cand: str, lemma: str):
    (inv,) = _invocations(ix, cand, lemma)
    d = _DECLS[cand]
    return inv, apply_invocation(tuple(decl_binders(d)), decl_conclusion(d), inv,
                                 DecodedRule.of(ix.rules[inv.rule_id]))


def test_a_type_variable_no_candidate_variable_fits_becomes_a_binder_with_its_instances():
    ix = _index("norm_eq_scaled")
    inv, m = _mutant(ix, "cand_plain", "norm_eq_scaled")
    assert "𝕜" not in dict(inv.subst)  # the index left it to the mutant
    assert print_binders(m.binders) == \
        "{B : Type*} [NormedGroup B] (x : B) {𝕜 : Type*} [Field 𝕜] [Module 𝕜 B]"
    assert print_term(m.conclusion) == "scaledNorm 𝕜 x = 0"
    assert m.step.fresh_vars == ("𝕜",)
    assert "rewrite [norm_eq_scaled (𝕜 := 𝕜) (A := B) (a := x)] at this" in \
        bridge(m.step, ("exact h",))
    # the new statement follows from the source; the converse needs some field
    assert relation_after("equivalent", "rw_goal", False, bool(m.step.fresh_vars)) == \
        "implied_by_source"
    assert ("fresh_binders", 1.0) in features(m, "by\n  exact h", 1)


def test_a_candidate_variable_that_fits_is_preferred_to_a_new_binder():
    ix = _index("norm_eq_scaled")
    inv, m = _mutant(ix, "cand_field", "norm_eq_scaled")
    assert print_term(m.conclusion) == "scaledNorm K x = 0"
    assert m.step.fresh_vars == () and not any("𝕜" in g.names for g in m.binders)


def test_the_new_binder_captures_no_name_of_the_candidate():
    ix = _index("norm_eq_scaled")
    _, m = _mutant(ix, "cand_clash", "norm_eq_scaled")
    (new,) = m.step.fresh_vars
    assert new != "𝕜" and new not in {n for g in m.binders[:-3] for n in g.names}
    assert print_term(m.conclusion) == f"scaledNorm {new} x = 𝕜"


def test_a_binder_that_cannot_be_closed_gives_no_invocation():
    # `𝕜 : Type u` shares its universe with the matched `A`: `Type*` would not fit
    assert _invocations(_index("norm_eq_scaled_u"), "cand_plain", "norm_eq_scaled_u") == []
    # `α` is linked to nothing: it is the type of the pattern, elaborated unseen
    ix = _index("card_eq_card")
    assert _invocations(ix, "cand_card", "card_eq_card") == []
    assert ix.stats.filtered["unfilled_variable"] >= 1
    # `w : Witness g` is a binder about `g` that the mutant would not state
    assert _invocations(_index("lintegral_witness"), "cand_lintegral", "lintegral_witness") == []


def test_a_hypothesis_about_the_new_variable_becomes_one_of_the_mutant():
    _, m = _mutant(_index("lintegral_comp"), "cand_lintegral", "lintegral_comp")
    assert print_binders(m.binders[-2:]) == "(g : β → β) (hgν : MeasurePreserving g ν ν)"
    assert print_term(m.conclusion) == "lintegral ν (fun a => u (g a)) = 0"
    assert "(hg := hgν)" in bridge(m.step, ("exact h",))[1]
