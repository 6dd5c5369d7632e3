"""Property tests with the real grammar: every mutant statement re-parses to the AST built,
and fingerprints do not depend on the names of bound variables."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from lean_alchemy.core.records import Invocation, Rule
from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Ident, Num, Quant, Term, dumps, subterms,
)
from lean_alchemy.mutate.fingerprint import fingerprint_statement
from lean_alchemy.mutate.statements import DecodedRule, Skip, apply_invocation
from lean_alchemy.grammar.substitute import substitute

parser = pytest.importorskip("lean_alchemy.grammar.parser")
printer = pytest.importorskip("lean_alchemy.grammar.printer")

VARS = ("a", "b", "c")


@st.composite
def terms(draw, depth=3, bound=VARS):
    if depth == 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.one_of(st.sampled_from([Ident(v) for v in bound]),
                              st.sampled_from([Num("0"), Num("1"), Num("2")])))
    k = draw(st.integers(0, 3))
    if k == 0:
        return BinOp(draw(st.sampled_from(["+", "*", "-", "/"])), draw(terms(depth - 1, bound)),
                     draw(terms(depth - 1, bound)))
    if k == 1:
        return BinOp("^", draw(terms(depth - 1, bound)), Num(draw(st.sampled_from("23"))))
    if k == 2:
        return App(Ident(draw(st.sampled_from(["f", "Nat.succ", "g"]))),
                   (draw(terms(depth - 1, bound)),))
    v = draw(st.sampled_from(["i", "j", "a"]))
    return Quant("∑", (BinderGroup((v,), None, "plain", "∈", App(Ident("Finset.range"),
                                                                 (Ident("n"),))),),
                 draw(terms(depth - 1, bound + (v,))))


def statements():
    return st.tuples(terms(), terms(), st.sampled_from(["=", "≤", "<"]))


BINDERS = (BinderGroup(("a", "b", "c", "n"), Ident("ℕ"), "explicit"),
           BinderGroup(("h",), BinOp("≤", Ident("a"), Ident("b")), "explicit"))


def closed_rule(pattern: Term, replacement: Term) -> Rule:
    return Rule(id="r", lemma="foo", kind="eq", direction="fwd", pattern=dumps(pattern),
                replacement=dumps(replacement), pattern_vars=(), binder_names=(),
                binder_kinds=(), binder_types=())


def flat(groups):
    return [(n, g.type, g.kind, g.pred_op, g.pred) for g in groups for n in g.names]


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(statements(), terms(depth=2), st.integers(0, 1000))
def test_every_mutant_reparses_to_the_ast_built(stmt, replacement, pick):
    lhs, rhs, op = stmt
    concl = BinOp(op, lhs, rhs)
    # a sub-term not under a binder, as the index would propose
    cands = [(p, t) for p, t, bound in subterms(concl) if p and not bound
             and not isinstance(t, BinderGroup)]
    path, inst = cands[pick % len(cands)]
    inv = Invocation(candidate="T", rule_id="r", kind="rw_goal", location="goal",
                     path=json.dumps([list(x) for x in path]), subst=(), instance="")
    try:
        m = apply_invocation(BINDERS, concl, inv, DecodedRule.of(closed_rule(inst, replacement)))
    except Skip:
        assume(False)
        return
    text = printer.print_term(m.conclusion)
    assert parser.parse_term(text) == m.conclusion, text
    btext = printer.print_binders(m.binders)
    assert flat(parser.parse_binders(btext)) == flat(m.binders), btext


@settings(max_examples=80, deadline=None, derandomize=True)
@given(statements(), st.permutations(["x", "y", "z"]))
def test_fingerprint_of_reparsed_statement_is_invariant_under_renaming(stmt, names):
    lhs, rhs, op = stmt
    concl = BinOp(op, lhs, rhs)
    ren = dict(zip(VARS, (Ident(n) for n in names)))
    renamed = substitute(concl, ren)
    b1 = (BinderGroup(VARS, Ident("ℕ"), "explicit"),)
    b2 = (BinderGroup(tuple(names), Ident("ℕ"), "explicit"),)
    again = parser.parse_term(printer.print_term(renamed))
    assert fingerprint_statement(b1, concl) == fingerprint_statement(b2, again)
