"""Well-scoped mutants: a new statement never mentions a rule variable that the match left
unbound (Mathlib has `autoImplicit false`, so a free `α` or `f` makes the mutant ill-typed,
and a candidate binder of the same name would capture it with another meaning)."""

from __future__ import annotations

import json

import pytest

from lean_alchemy.core.records import Invocation, Rule
from lean_alchemy.grammar.ast import BinderGroup, Term, dumps, free_idents
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.mutate.statements import DecodedRule, Skip, apply_invocation


def T(text: str) -> Term:
    t = parse_term(text)
    assert t is not None, text
    return t


def make_rule(lemma: str, lhs: str, rhs: str, binders: list[tuple[str, str, str]]) -> Rule:
    """An `eq` rule `lhs = rhs` with binders (name, kind, type)."""
    pattern = T(lhs)
    return Rule(id=f"{lemma}/fwd", lemma=lemma, kind="eq", direction="fwd",
                pattern=dumps(pattern), replacement=dumps(T(rhs)),
                pattern_vars=tuple(n for n, _, _ in binders if n in free_idents(pattern)),
                binder_names=tuple(n for n, _, _ in binders),
                binder_kinds=tuple(k for _, k, _ in binders),
                binder_types=tuple(dumps(T(t)) for _, _, t in binders),
                side_conditions=(), antecedents=(), module="Mathlib.Rules")


def rw_goal(rule: Rule, subst: dict[str, str], path: list) -> Invocation:
    return Invocation(candidate="Foo.bar", rule_id=rule.id, kind="rw_goal", location="goal",
                      path=json.dumps(path),
                      subst=tuple((k, dumps(T(v))) for k, v in subst.items()), instance="")


# `card_univ = Fintype.card α`: the type `α` appears in the replacement only.
CARD = make_rule("card_eq", "card_univ", "Fintype.card α",
                 [("α", "implicit", "Type u"), ("inst", "inst", "Fintype α")])
# `f x = (0 : M)`: `M` is the type of the matched `x`, so the match resolves it.
F_ZERO = make_rule("f_zero", "f x", "(0 : M)",
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
    rule = make_rule("add_comm'", "a + b", "b + a",
                     [("a", "explicit", "ℕ"), ("b", "explicit", "ℕ")])
    binders = (BinderGroup(("x", "y"), T("ℕ"), "explicit"),)
    m = apply_invocation(binders, T("x + y = 0"),
                         rw_goal(rule, {"a": "x", "b": "y"}, [["lhs", -1]]), DecodedRule.of(rule))
    assert print_term(m.conclusion) == "y + x = 0"
