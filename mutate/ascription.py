"""When a value moved into a new hypothesis needs its type written out.

Why: a value matched inside a statement elaborates at the type its surroundings give it
(`binop%` units, coercion targets); alone in a new hypothesis or as a named argument it may
elaborate at another (a numeral defaults to ℕ).  These predicates decide where the mutation
engine ascribes `(v : T)`.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from lean_alchemy.grammar.ast import Anon, CdotFun, Hole, Ident, ListLit, Lit, Num, Prefix, SetLit, Term, Typed
from lean_alchemy.grammar.walk import arith_leaves, nodes

_UNTYPED = (Num, Anon, Hole, SetLit, ListLit, CdotFun, Lit)
_COERCIONS = ("↑", "⇑", "↥")
_NAT = Ident("ℕ")


def needs_ascription(value: Term, ty: Term, types: Mapping[str, Term]) -> bool:
    """Whether `value`, put into a new hypothesis, could elaborate at another type than
    `ty`, the one it had in the candidate.  A numeral alone defaults to ℕ; an arithmetic
    term takes the type of its leaves (`binop%`), so `Nat.sqrt a + 1`, matched inside
    `√(a : ℝ) ≤ Nat.sqrt a + 1`, is a real number there but a natural number in
    `0 ≤ Nat.sqrt a + 1`.  Other values (`f x`, `s ∩ t`) carry their own type."""
    leaves = arith_leaves(value, [])
    if leaves[0] is value and not isinstance(value, (Num, Lit)):
        return False  # not arithmetic: its own leaf
    if ty == _NAT:
        return False  # numerals default to ℕ, and nothing is coerced into it
    return not anchored(leaves, ty, types)


def anchored(leaves: Sequence[Term], ty: Term, types: Mapping[str, Term]) -> bool:
    """Whether one of the leaves of a `binop%`/`binrel%` unit fixes its type to `ty`: a
    local variable declared with that type, or a term ascribed it."""
    for leaf in leaves:
        if isinstance(leaf, Typed) and leaf.type == ty:
            return True
        if isinstance(leaf, Ident) and types.get(leaf.name) == ty:
            return True
    return False


def self_typed(value: Term) -> bool:
    """Whether `value` elaborates to the right type on its own, outside the statement: not
    when it contains a coercion arrow (`↑x` needs its target type) or is built from
    numerals/anonymous constructors alone."""
    if isinstance(value, _UNTYPED):
        return False
    for s in nodes(value):
        if isinstance(s, Prefix) and s.op in _COERCIONS:
            return False
    return True
