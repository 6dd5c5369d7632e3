"""New binders of a mutant for rule variables nothing gives a value (`index.match.fresh`),
as the mutation engine writes them: type variables with their instance binders, never a
variable the match fixes; and the values the engine solves or names instead (an arrow
type's variables, the proof of a side condition the replacement mentions)."""

from __future__ import annotations


import pytest

from lean_alchemy.grammar.ast import BinderGroup
from lean_alchemy.grammar.printer import print_binders, print_term
from lean_alchemy.mutate.proofs import bridge
from lean_alchemy.mutate.statements import DecodedRule, Skip, apply_invocation

from helpers.lean_text import eq_rule
from helpers.lean_text import goal_rewrite as rw_goal
from helpers.lean_text import parsed as T


def groups(text: str) -> tuple[BinderGroup, ...]:
    from lean_alchemy.grammar.parser import parse_binders

    return tuple(parse_binders(text))


# `‖a‖ = scaledNorm 𝕜 a`: `𝕜` only in the replacement, linked to `A` by `[Module 𝕜 A]`
SCALED = eq_rule("norm_eq_scaled", "‖a‖", "scaledNorm 𝕜 a",
                   [("𝕜", "implicit", "Type*"), ("A", "implicit", "Type*"),
                    ("", "inst", "Field 𝕜"), ("", "inst", "NormedGroup A"),
                    ("", "inst", "Module 𝕜 A"), ("a", "explicit", "A")])


def test_a_type_variable_is_bound_with_the_instance_binders_about_it() -> None:
    binders = groups("{B : Type*} [NormedGroup B] (x : B)")
    m = apply_invocation(binders, T("‖x‖ = 0"), rw_goal(SCALED, {"a": "x"}, [["lhs", -1]]),
                         DecodedRule.of(SCALED))
    assert print_binders(m.binders) == \
        "{B : Type*} [NormedGroup B] (x : B) {𝕜 : Type*} [Field 𝕜] [Module 𝕜 B]"
    assert print_term(m.conclusion) == "scaledNorm 𝕜 x = 0"
    assert m.step.new_binders == ("𝕜",) and m.step.fresh_vars == ("𝕜",)
    assert bridge(m.step, ("exact h",))[1] == \
        "rewrite [norm_eq_scaled (𝕜 := 𝕜) (a := x)] at this"  # `A` from `x`


def test_the_new_name_avoids_binders_and_bound_variables_of_the_candidate() -> None:
    binders = groups("{B : Type*} [NormedGroup B] (x : B) (𝕜 : ℕ)")
    m = apply_invocation(binders, T("‖x‖ = 𝕜 ∧ ∀ 𝕜' : ℕ, 𝕜' = 𝕜'"),
                         rw_goal(SCALED, {"a": "x"}, [["lhs", -1], ["lhs", -1]]),
                         DecodedRule.of(SCALED))
    assert m.step.fresh_vars == ("𝕜₁",)  # not the candidate's `𝕜`, nor the bound `𝕜'`
    assert print_term(m.conclusion) == "scaledNorm 𝕜₁ x = 𝕜 ∧ ∀ 𝕜' : ℕ, 𝕜' = 𝕜'"
    assert "(𝕜 := 𝕜₁)" in bridge(m.step, ("exact h",))[1]


def test_a_variable_the_match_fixes_is_never_bound_anew() -> None:
    """`n` is fixed by `x : Fin n`; `x` matched a term whose type the engine cannot read,
    so `n` is unknown: a binder `(n : ℕ)` would state something else."""
    rule = eq_rule("fin_val_lt", "x.val", "x.val + 0 * m",
                     [("n", "implicit", "ℕ"), ("x", "explicit", "Fin n"),
                      ("m", "explicit", "Fin n")])
    with pytest.raises(Skip) as e:
        apply_invocation(groups("(k : ℕ)"), T("(foo k).val = 0"),
                         rw_goal(rule, {"x": "foo k"}, [["lhs", -1]]), DecodedRule.of(rule))
    assert e.value.reason == "untyped_fresh_var"


def test_a_type_variable_sharing_a_universe_with_a_matched_one_is_not_bound() -> None:
    rule = eq_rule("norm_eq_scaled_u", "‖a‖", "scaledNorm 𝕜 a",
                     [("𝕜", "implicit", "Type u"), ("A", "implicit", "Type u"),
                      ("", "inst", "Field 𝕜"), ("", "inst", "Module 𝕜 A"),
                      ("a", "explicit", "A")])
    with pytest.raises(Skip) as e:
        apply_invocation(groups("{B : Type*} (x : B)"), T("‖x‖ = 0"),
                         rw_goal(rule, {"a": "x"}, [["lhs", -1]]), DecodedRule.of(rule))
    assert e.value.reason == "unbound_rule_variable"


def test_an_arrow_type_solves_the_variables_it_mentions() -> None:
    """`f : X → 𝕜` against the candidate's `g : α → E` gives `𝕜 := E` (as Lean's
    unifier would), so the replacement's ascription says `E`, and nothing is bound anew."""
    rule = eq_rule("integral_re_im", "integral f", "(integral (re ∘ f) : 𝕜)",
                     [("X", "implicit", "Type*"), ("𝕜", "implicit", "Type*"),
                      ("f", "explicit", "X → 𝕜")])
    m = apply_invocation(groups("{α E : Type*} (g : α → E)"), T("integral g = 0"),
                         rw_goal(rule, {"f": "g"}, [["lhs", -1]]), DecodedRule.of(rule))
    assert print_term(m.conclusion) == "(integral (re ∘ g) : E) = 0"
    assert m.step.fresh_vars == ()


def test_the_proof_of_a_side_condition_in_the_replacement_is_the_new_hypothesis() -> None:
    rule = eq_rule("integral_eq'", "integral f", "L1.integral (hf.toL1 f)",
                     [("f", "explicit", "ℝ → ℝ"), ("hf", "explicit", "Integrable f")],
                     side=("Integrable f",))
    m = apply_invocation(groups("(g : ℝ → ℝ)"), T("integral g = 0"),
                         rw_goal(rule, {"f": "g"}, [["lhs", -1]]), DecodedRule.of(rule))
    assert print_binders(m.binders) == "(g : ℝ → ℝ) (hg : Integrable g)"
    assert print_term(m.conclusion) == "L1.integral (hg.toL1 g) = 0"
    assert "(hf := hg)" in bridge(m.step, ("exact h",))[1]
    # the candidate's own hypothesis of that type is the one named
    m = apply_invocation(groups("(g : ℝ → ℝ) (hint : Integrable g)"), T("integral g = 0"),
                         rw_goal(rule, {"f": "g"}, [["lhs", -1]]), DecodedRule.of(rule))
    assert print_term(m.conclusion) == "L1.integral (hint.toL1 g) = 0"


def test_a_type_passed_by_name_is_not_ascribed_with_the_rules_sort() -> None:
    binders = groups("[NormedGroup ℝ] (x : ℝ)")
    m = apply_invocation(binders, T("‖x‖ = 0"),
                         rw_goal(SCALED, {"a": "x", "A": "ℝ"}, [["lhs", -1]]),
                         DecodedRule.of(SCALED))
    line = bridge(m.step, ("exact h",))[1]
    assert "(A := ℝ)" in line and "Type*)" not in line


def test_a_value_left_open_by_inference_gives_no_mutant() -> None:
    """The index may carry a value solved from an inferred type with an open part (`𝕜 :=
    Set ?`, `{x | p x}` being a `Set ?`): printed, the statement would hold `?`, which is
    no Lean term (632 of 2.79 million of Mathlib's mutants had one)."""
    from dataclasses import replace

    from lean_alchemy.grammar.ast import App, Hole, Ident, dumps

    inv = rw_goal(SCALED, {"a": "x"}, [["lhs", -1]])
    open_value = replace(inv, subst=inv.subst + (
        ("𝕜", dumps(App(Ident("Set"), (Hole("?"),)))),))
    binders = groups("{B : Type*} [NormedGroup B] (x : B)")
    with pytest.raises(Skip) as e:
        apply_invocation(binders, T("‖x‖ = 0"), open_value, DecodedRule.of(SCALED))
    assert e.value.reason == "unsolved_value"
    closed = replace(inv, subst=inv.subst + (("𝕜", dumps(App(Ident("Set"), (Ident("B"),)))),))
    m = apply_invocation(binders, T("‖x‖ = 0"), closed, DecodedRule.of(SCALED))
    assert print_term(m.conclusion) == "scaledNorm (Set B) x = 0"
