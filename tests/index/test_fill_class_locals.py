"""A rule's named instance binder (`[mγ : MeasurableSpace γ]`) that only its replacement
mentions is filled from a local of the candidate of that class, whatever the local's
brackets: Lean 4 takes every local of a class type as an instance, and Mathlib declares
measurable spaces `{m : MeasurableSpace α}`."""

from __future__ import annotations

from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.mutate.statements import DecodedRule, apply_invocation

from helpers.lean_text import derived_rules, extract

LIB = """\
theorem indep_iff {Ω β γ : Type*} [mβ : MeasurableSpace β] [mγ : MeasurableSpace γ]
    (f : Ω → β) (g : Ω → γ) : Indep f g ↔ IndepSets (comap f mβ) (comap g mγ) := sorry

theorem cand_implicit {Ω β β' : Type*} {mβ : MeasurableSpace β} {m' : MeasurableSpace β'}
    (X : Ω → β) (Y : Ω → β') : Indep X Y := sorry

theorem cand_bracketed {Ω β β' : Type*} [mβ : MeasurableSpace β] [m' : MeasurableSpace β']
    (X : Ω → β) (Y : Ω → β') : Indep X Y := sorry

theorem cand_no_class {Ω β β' : Type*} {mβ : MeasurableSpace β} {s : Finset β'}
    (X : Ω → β) (Y : Ω → β') : Indep X Y := sorry
"""

_DECLS, _SCOPES = extract(LIB)


def _mutants(cand: str) -> list[str]:
    ix = RuleIndex.build(derived_rules(LIB, "indep_iff"))
    d = _DECLS[cand]
    out = []
    for inv in ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d)):
        rule = ix.rules[inv.rule_id]
        if rule.lemma == "indep_iff" and rule.direction == "fwd" and inv.kind == "rw_goal":
            m = apply_invocation(tuple(decl_binders(d)), decl_conclusion(d), inv,
                                 DecodedRule.of(rule))
            out.append(print_term(m.conclusion))
    return out


def test_an_implicit_local_of_the_class_fills_the_instance_binder() -> None:
    want = ["IndepSets (comap X mβ) (comap Y m')"]
    assert _mutants("cand_implicit") == want
    assert _mutants("cand_bracketed") == want


def test_a_local_of_another_type_fills_nothing() -> None:
    assert _mutants("cand_no_class") == []
