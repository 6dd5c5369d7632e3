"""ASTs, rules and invocations built by hand (no parser, no printer): shorthands for terms and
binder groups, rules in Mathlib's shape, and a candidate statement to mutate.

Used by the mutation tests that run without the grammar's parser and printer
(tests/mutate/test_mutation_steps_on_hand_built_asts.py,
tests/mutate/test_mutator_on_hand_built_rules.py).
"""

from __future__ import annotations

import json

from lean_alchemy.core.records import Invocation, Rule
from lean_alchemy.grammar.ast import App, BinderGroup, BinOp, Ident, Num, Sort, Term, dumps


def I(n: str) -> Ident:
    return Ident(n)


def add(a: Term, b: Term) -> BinOp:
    return BinOp("+", a, b)


def eq(a: Term, b: Term) -> BinOp:
    return BinOp("=", a, b)


def show(t: Term) -> str:
    """A fully parenthesized printer, enough to read proofs in these tests."""
    if isinstance(t, (Ident,)):
        return t.name
    if isinstance(t, Num):
        return t.text
    if isinstance(t, BinOp):
        return f"({show(t.lhs)} {t.op} {show(t.rhs)})"
    if isinstance(t, App):
        return "(" + " ".join([show(t.fn)] + [show(a) for a in t.args]) + ")"
    if isinstance(t, Sort):
        return t.text
    return dumps(t)


def grp(names: str, ty: Term | None, kind: str = "explicit") -> BinderGroup:
    return BinderGroup(tuple(names.split()), ty, kind)


NAT = I("ℕ")
REAL = I("ℝ")
TYPE = Sort("Type*")


def rule(lemma: str, kind: str, pattern: Term, replacement: Term | None, binders,
         direction: str = "fwd", side=(), antecedents=(), module: str = "Mathlib.Rules") -> Rule:
    names = tuple(n for n, _, _ in binders)
    return Rule(
        id=f"{lemma}/{direction}", lemma=lemma, kind=kind, direction=direction,
        pattern=dumps(pattern), replacement=dumps(replacement) if replacement else "",
        pattern_vars=tuple(n for n, _, _ in binders if n in _free(pattern)),
        binder_names=names, binder_kinds=tuple(k for _, k, _ in binders),
        binder_types=tuple(dumps(t) for _, _, t in binders),
        side_conditions=tuple(dumps(s) for s in side),
        antecedents=tuple(dumps(a) for a in antecedents), module=module)


def _free(t: Term) -> set[str]:
    from lean_alchemy.grammar.ast import free_idents
    return set(free_idents(t))


def inv(kind: str, r: Rule, location: str, path, subst: dict[str, Term],
        candidate: str = "Foo.bar") -> Invocation:
    return Invocation(candidate=candidate, rule_id=r.id, kind=kind, location=location,
                      path=json.dumps([list(p) for p in path]),
                      subst=tuple((k, dumps(v)) for k, v in subst.items()), instance="")


# rules in Mathlib's shape (written here, not copied)
ADD_ZERO = rule("add_zero", "eq", add(I("a"), Num("0")), I("a"),
                [("M", "implicit", TYPE), ("", "inst", App(I("AddZeroClass"), (I("M"),))),
                 ("a", "explicit", I("M"))])
TWO_MUL_BWD = rule("two_mul", "eq", add(I("a"), I("a")), BinOp("*", Num("2"), I("a")),
                   [("α", "implicit", TYPE), ("", "inst", App(I("NonAssocSemiring"), (I("α"),))),
                    ("a", "explicit", I("α"))], direction="bwd")
B_NE = BinOp("≠", I("b"), Num("0"))
DIV_MUL_CANCEL = rule("div_mul_cancel₀", "eq", BinOp("*", BinOp("/", I("a"), I("b")), I("b")),
                      I("a"),
                      [("G", "implicit", TYPE), ("", "inst", App(I("GroupWithZero"), (I("G"),))),
                       ("a", "explicit", I("G")), ("b", "implicit", I("G")),
                       ("h", "explicit", B_NE)], side=[B_NE])
LT_LE = rule("lt_of_lt_of_le", "imp", BinOp("<", I("a"), I("c")), None,
             [("α", "implicit", TYPE), ("", "inst", App(I("Preorder"), (I("α"),))),
              ("a", "implicit", I("α")), ("b", "implicit", I("α")), ("c", "implicit", I("α")),
              ("h₁", "explicit", BinOp("<", I("a"), I("b"))),
              ("h₂", "explicit", BinOp("≤", I("b"), I("c")))],
             antecedents=[BinOp("<", I("a"), I("b")), BinOp("≤", I("b"), I("c"))])


# a candidate theorem: (x y : ℕ) : x + 0 + y = y + (x + 0)
CAND_BINDERS = (grp("x y", NAT),)
CAND_CONCL = eq(add(add(I("x"), Num("0")), I("y")), add(I("y"), add(I("x"), Num("0"))))
