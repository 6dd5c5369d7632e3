"""Well-scoped mutants: a new statement never mentions a rule variable that the match left
unbound (Mathlib has `autoImplicit false`, so a free `α` or `f` makes the mutant ill-typed,
and a candidate binder of the same name would capture it with another meaning)."""

from __future__ import annotations


import pytest

from lean_alchemy.core.records import Rule
from lean_alchemy.grammar.ast import BinderGroup, free_idents
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.mutate.statements import DecodedRule, Skip, apply_invocation

from helpers.lean_text import eq_rule
from helpers.lean_text import goal_rewrite as rw_goal
from helpers.lean_text import parsed as T


# `card_univ = Fintype.card α`: the type `α` appears in the replacement only.
CARD = eq_rule("card_eq", "card_univ", "Fintype.card α",
                 [("α", "implicit", "Type u"), ("inst", "inst", "Fintype α")])
# `f x = (0 : M)`: `M` is the type of the matched `x`, so the match resolves it.
F_ZERO = eq_rule("f_zero", "f x", "(0 : M)",
                   [("M", "implicit", "Type u"), ("x", "explicit", "M")])


def test_a_type_variable_the_match_cannot_resolve_drops_the_mutant() -> None:
    binders = (BinderGroup(("n",), T("ℕ"), "explicit"),)
    with pytest.raises(Skip) as e:
        apply_invocation(binders, T("card_univ = n"), rw_goal(CARD, {}, [["lhs", -1]]),
                         DecodedRule.of(CARD))
    assert e.value.reason == "unbound_rule_variable" and "α" in e.value.detail


def test_a_same_named_candidate_binder_does_not_capture_it() -> None:
    """The candidate's own `α` is not the rule's: still dropped."""
    binders = (BinderGroup(("α",), T("Type"), "implicit"), BinderGroup(("n",), T("ℕ"), "explicit"))
    with pytest.raises(Skip) as e:
        apply_invocation(binders, T("card_univ = n"), rw_goal(CARD, {}, [["lhs", -1]]),
                         DecodedRule.of(CARD))
    assert e.value.reason == "unbound_rule_variable"


def test_a_type_variable_resolved_by_the_match_is_written_as_the_candidate_type() -> None:
    binders = (BinderGroup(("β",), T("Type"), "implicit"), BinderGroup(("y",), T("β"), "explicit"))
    m = apply_invocation(binders, T("f y = g y"),
                         rw_goal(F_ZERO, {"x": "y"}, [["lhs", -1]]), DecodedRule.of(F_ZERO))
    assert print_term(m.conclusion) == "(0 : β) = g y"
    assert "M" not in free_idents(m.conclusion)


def test_matched_variables_keep_the_mutant() -> None:
    rule = eq_rule("add_comm'", "a + b", "b + a",
                     [("a", "explicit", "ℕ"), ("b", "explicit", "ℕ")])
    binders = (BinderGroup(("x", "y"), T("ℕ"), "explicit"),)
    m = apply_invocation(binders, T("x + y = 0"),
                         rw_goal(rule, {"a": "x", "b": "y"}, [["lhs", -1]]), DecodedRule.of(rule))
    assert print_term(m.conclusion) == "y + x = 0"


# ---------------------------------------------------------------- scoped notation of a rule

from lean_alchemy.core.records import NotationDecl, Scope  # noqa: E402
from lean_alchemy.grammar.tokens import build_token_table, declared_tokens  # noqa: E402
from lean_alchemy.mutate.notation_scope import ScopedNotations  # noqa: E402
from lean_alchemy.mutate.render import render  # noqa: E402


def notation(namespace: str, text: str, visibility: str = "scoped") -> NotationDecl:
    return NotationDecl("Mathlib.N", "N.lean", 1, "notation", visibility, namespace,
                        declared_tokens(text), text)


# Mathlib's: `n !` (Data/Nat/Factorial/Basic.lean), `π` in two namespaces
# (Analysis/SpecialFunctions/Trigonometric/Basic.lean, NumberTheory/PrimeCounting.lean).
TABLE = build_token_table([notation("Nat", 'scoped notation:10000 n "!" => Nat.factorial n'),
                           notation("Real", 'scoped notation "π" => Real.pi'),
                           notation("Nat.Prime", 'scoped[Nat.Prime] notation "π" => '
                                                 'Nat.primeCounting')])
FACT = eq_rule("Nat.factorial_succ'", "Nat.factorial (n + 1)", "(n + 1) * n !",
                 [("n", "explicit", "ℕ")])
PI = eq_rule("Real.two_pi'", "Real.pi * 2", "2 * π", [])
PLAIN = eq_rule("add_comm''", "a + b", "b + a", [("a", "explicit", "ℕ"), ("b", "explicit", "ℕ")])
AT_REAL = Scope("Mathlib.R", (), ("Real",), (("namespace", "namespace Real"),))
NOWHERE = Scope("Mathlib.C", (), (), ())
IN_NAT = Scope("Mathlib.C", (), (), (("open", "open Nat"),))


def opens(scope: Scope, rule: Rule, statement: str) -> tuple[str, ...]:
    d = DecodedRule.of(rule)
    notations = ScopedNotations(TABLE, print_term,
                                lambda r: AT_REAL if r.lemma.startswith("Real.") else None)
    return notations.opens(scope, rule, (d.replacement,) + d.hypotheses, statement)


def test_a_rule_notation_scoped_elsewhere_opens_its_namespace() -> None:
    assert opens(NOWHERE, FACT, "(m : ℕ) : (m + 1) * m ! = 0") == ("Nat",)
    # `π` is scoped in Real and in Nat.Prime: the rule was written where Real is open
    assert opens(NOWHERE, PI, "(x : ℝ) : x = 2 * π") == ("Real",)


def test_no_open_when_the_scope_has_it_or_the_rule_brings_no_scoped_notation() -> None:
    assert opens(IN_NAT, FACT, "(m : ℕ) : (m + 1) * m ! = 0") == ()
    assert opens(NOWHERE, PLAIN, "(x y : ℕ) : y + x = 0") == ()
    # core's prefix `!` is not the factorial's postfix `!`
    bnot = eq_rule("Bool.not_not'", "b", "!(!b)", [("b", "explicit", "Bool")])
    assert opens(NOWHERE, bnot, "(c : Bool) : !(!c) = true") == ()


def test_the_open_is_written_after_the_scope_preamble() -> None:
    unit = render("foo", (), "0 = 0", "by\n  rfl", IN_NAT, 0, opens=("Real",)).lean
    assert unit.index("open Nat") < unit.index("open scoped Real") < \
        unit.index("set_option autoImplicit false")
    assert "open scoped" not in render("foo", (), "0 = 0", "by\n  rfl", IN_NAT, 0).lean


def test_mathlib_scoped_notations_are_known_to_a_library_that_only_imports_them() -> None:
    """A run whose own token table has no scoped notation (a library using Mathlib)."""
    notations = ScopedNotations(build_token_table([]), print_term, lambda r: None)

    def need(scope: Scope, rule: Rule, statement: str) -> tuple[str, ...]:
        d = DecodedRule.of(rule)
        return notations.opens(scope, rule, (d.replacement,) + d.hypotheses, statement)

    assert need(NOWHERE, FACT, "(m : ℕ) : (m + 1) * m ! = 0") == ("Nat",)
    assert need(IN_NAT, FACT, "(m : ℕ) : (m + 1) * m ! = 0") == ()
    # `φ` bound by the rule is a variable, not Nat.totient's notation
    phi = eq_rule("comp_id'", "φ ∘ id", "φ", [("φ", "explicit", "ℕ → ℕ")])
    assert need(NOWHERE, phi, "(g : ℕ → ℕ) : g = g") == ()
    totient = eq_rule("Nat.totient_one'", "Nat.totient 1", "φ 1", [])
    assert need(NOWHERE, totient, ": φ 1 = 1") == ("Nat",)


def test_a_rule_variable_in_text_the_grammar_does_not_read_drops_the_mutant() -> None:
    """`IsTightMeasureSet {(μ n : Measure E) | n}` (the hypothesis of
    `ProbabilityMeasure.tendsto_of_tight_of_separatesPoints`, Mathlib/MeasureTheory/
    Measure/LevyConvergence.lean:149) is an image set-builder the grammar leaves unread:
    substitution never enters it, so a mutant printed it with the rule's own `μ` and `E`.
    Matched to another term, the variable is dropped as unbound; matched to a candidate
    variable of the same name, the text is right and the mutant stays."""
    rule = eq_rule("tight_of", "g s", "h {(s n : M) | n}",
                   [("M", "implicit", "Type u"), ("s", "explicit", "ℕ → M")])
    binders = (BinderGroup(("t", "s"), T("ℕ → ℕ"), "explicit"),)
    with pytest.raises(Skip) as e:
        apply_invocation(binders, T("g t = 0"), rw_goal(rule, {"s": "t"}, [["lhs", -1]]),
                         DecodedRule.of(rule))
    assert e.value.reason == "unbound_rule_variable" and "s" in e.value.detail
    same = eq_rule("tight_of", "g s", "h {(s n : ℕ) | n}", [("s", "explicit", "ℕ → ℕ")])
    m = apply_invocation(binders, T("g s = 0"), rw_goal(same, {"s": "s"}, [["lhs", -1]]),
                         DecodedRule.of(same))
    assert print_term(m.conclusion) == "h ({(s n : ℕ) | n}) = 0"
