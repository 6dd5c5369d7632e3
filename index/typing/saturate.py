"""Small term helpers of the class/instance model: substitution of instance pattern
variables, and what a pattern variable's name looks like.

Why a module of its own: `classes`, `horn`, `coerce` and `infer` all need them, and they
import one another only in one direction.
"""

from __future__ import annotations

import re
from typing import Mapping

from lean_alchemy.grammar.ast import App, BinOp, Hole, Ident, Num, Postfix, Sort, Term


# an argument of an inferred type that no argument solved (`atTop : Filter ?α`): the
# head still tells a clash; unification and instance queries treat it as unknown
UNSOLVED = Hole("?")


def mentions_unsolved(t: Term) -> bool:
    if t == UNSOLVED:
        return True
    if isinstance(t, App):
        return mentions_unsolved(t.fn) or any(mentions_unsolved(a) for a in t.args)
    if isinstance(t, BinOp):
        return mentions_unsolved(t.lhs) or mentions_unsolved(t.rhs)
    return False


def mentions(t: Term, names: frozenset[str], *, opaque_may: bool = False) -> bool:
    """Does the type `t` name one of `names`?  Through applications and operators;
    another shape (a binder, an unread text) names none, or with `opaque_may` may name
    any (a sort or a numeral never does: `Fin 2`)."""
    if isinstance(t, Ident):
        return t.name in names
    if isinstance(t, App):
        return mentions(t.fn, names, opaque_may=opaque_may) or any(
            mentions(a, names, opaque_may=opaque_may) for a in t.args)
    if isinstance(t, BinOp):
        return mentions(t.lhs, names, opaque_may=opaque_may) or \
            mentions(t.rhs, names, opaque_may=opaque_may)
    return opaque_may and not isinstance(t, (Sort, Num))


def may_name(t: Term, names: frozenset[str]) -> bool:
    """May the type `t` name one of `names` (the rule's unsolved variables)?"""
    return mentions(t, names, opaque_may=True)


_VARIABLE = re.compile(r"^[^\W\d_][₀-₉'\d]*$")


def variable_name(n: str) -> bool:
    """A pattern variable (one letter, subscripts, primes: `α`, `M₁`), not a name the
    header reader could not resolve (`WeakBilin B`, `{w}`, `ℚ≥0`, `𝕔𝔻`): only a
    variable can stand for any type."""
    return bool(_VARIABLE.match(n))


def subst(t: Term, s: Mapping[str, Term]) -> Term:
    """`t` with the variables of `s` replaced (through applications and operators, the
    shapes instance patterns have)."""
    if isinstance(t, Ident):
        return s.get(t.name, t)
    if isinstance(t, App):
        return App(subst(t.fn, s), tuple(subst(a, s) for a in t.args))
    if isinstance(t, BinOp):
        return BinOp(t.op, subst(t.lhs, s), subst(t.rhs, s))
    if isinstance(t, Postfix):  # `R[X]`, `αᵒᵈ`
        return Postfix(t.op, subst(t.arg, s))
    return t


def _subst(t: Term, s: Mapping[str, Term]) -> Term:
    return subst(t, s) if s else t
