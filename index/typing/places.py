"""Values typed by the place they stand in, as Lean elaborates them against an expected
type: literals (`⊤ ⊥ ∅`, a hole, `.univ`, a numeral, `-1`), which name no type of their
own, and functions `fun x ↦ b` whose binders write none, whose binders take the domains
of the place's arrow type.

Why apart from the filter: the filter reads a value's own type first (`Inference`); only
what has none is typed here, after the match's other values have solved the rule's
variables, so that the place's type is known."""

from __future__ import annotations

from lean_alchemy.grammar.ast import BinOp, DotIdent, Hole, Ident, Num, Prefix, Quant, Term
from lean_alchemy.grammar.walk import heads
from lean_alchemy.index.typing.infer import Inference

# literals typed by their place: `⊤ ⊥ ∅`, a hole, `.univ`, a numeral, `-1`
_PLACE_TYPED_IDENTS = frozenset({"⊤", "⊥", "∅"})


def typed_by_place(w: Term) -> bool:
    """Is `w` a literal, whose type is the one its place expects?"""
    if isinstance(w, Prefix) and w.op == "-":
        w = w.arg
    return isinstance(w, (Num, Hole, DotIdent)) or (
        isinstance(w, Ident) and w.name in _PLACE_TYPED_IDENTS)


def untyped_function(w: Term) -> bool:
    """Is `w` a `fun` some of whose binders write no type?"""
    return isinstance(w, Quant) and w.op in ("fun", "λ") and any(
        g.type is None for g in w.binders)


def function_at(infer: Inference, w: Term, want: Term) -> Term | None:
    """The type of `fun x y ↦ b` elaborated at the type `want` = `A → B → C`: `x : A`,
    `y : B` (a binder's written type kept), `b` typed in the candidate's context (the
    result `A → B → T` with `T` the body's type, which Lean coerces to `C` when it can);
    None when `want` has too few arrows, a binder is a pattern, or the body's type is
    not inferred or mentions a binder."""
    if not isinstance(w, Quant):
        return None
    local = dict(infer.local)
    doms: list[Term] = []
    names: list[str] = []
    cur = want  # the type still to take domains from
    for g in w.binders:
        if g.pred_op is not None or not g.names:
            return None
        for n in g.names:
            if not (isinstance(cur, BinOp) and cur.op == "→"):
                return None
            dom = g.type if g.type is not None else cur.lhs
            names.append(n)
            local[n] = dom
            doms.append(dom)
            cur = cur.rhs
    bound = frozenset(names)
    inner = Inference(infer.consts, local, infer.tvars, infer.unify, infer.hidden - bound,
                      infer.namespaces)
    body = inner.type_of(w.body)
    if body is None or heads(body) & bound or typed_by_place(w.body):
        return None  # `fun _ ↦ 0`: the numeral is of the codomain's type
    out = body
    for dom in reversed(doms):
        out = BinOp("→", dom, out)
    return out


__all__ = ["function_at", "typed_by_place", "untyped_function"]
