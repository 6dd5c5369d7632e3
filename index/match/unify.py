"""First-order matching of a rule's binder types against a candidate's declared types.

Why its own module: the filling of open rule variables (`match.fill`) asks it for every
candidate variable it considers, and the rule side is written with resolved full names
while the candidate side is written as the source spells it, so constants compare by
dotted suffix and number-type aliases, and bracketed operators (`→ₐ[R]`) by their content.
"""

from __future__ import annotations

from lean_alchemy.grammar.ast import (PIPE, App, BinOp, Enclosed, Glued, Ident, ListLit,
                                      Postfix, Prefix, Proj, Quant, Sort, Term, Tuple, Typed,
                                      view_at)
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.walk import heads, without_levels
from lean_alchemy.index.match.patterns import NUMBER_TYPES


# decorated arrows whose values are no bundled maps coerced to `A → B` (`α →. β` is
# `α → Part β`)
NOT_COERCED = frozenset({"→."})


def head_without_brackets(t: Term | None) -> str | None:
    """The head of a type: the constant or variable it applies, or an operator without its
    brackets (`→ₐ` of `A →ₐ[R] B`); None for anything else."""
    while isinstance(t, App):
        t = t.fn
    if isinstance(t, Ident):
        return without_levels(t.name)  # `SSet.{u}`
    if isinstance(t, BinOp):
        return _split_op(t.op)[0]
    return None


def heads_agree(rule_head: str, cand_head: str | None) -> bool:
    return cand_head is not None and _same_const(rule_head, cand_head)


# --------------------------------------------------------------------------- unification

def _same_const(rule_name: str, written: str) -> bool:
    """A rule constant (resolved, full name) against a candidate's written name,
    universe levels aside (`SSet` against `SSet.{u}`: `Resolver.resolve_term` drops them,
    the written name keeps them)."""
    if rule_name == written:
        return True
    if ".{" in written or ".{" in rule_name:
        return _same_const(without_levels(rule_name), without_levels(written))
    a, b = NUMBER_TYPES.get(rule_name), NUMBER_TYPES.get(written)
    if a is not None or b is not None:
        return a == b
    return rule_name.endswith("." + written) or written.endswith("." + rule_name)


def _split_op(op: str) -> tuple[str, str | None]:
    """`→ₐ[R]` -> (`→ₐ`, `R`); an operator without brackets -> (op, None)."""
    if "[" in op and op.endswith("]"):
        k = op.index("[")
        return op[:k], op[k + 1:-1].strip()
    return op, None


def unify(p: Term, a: Term, unknown: frozenset[str], out: dict[str, Term]) -> bool:
    """First-order matching of a rule-side type `p` against a candidate-side type `a`:
    rule variables already in `out` must equal their value, those in `unknown` are bound,
    constants compare by name (`_same_const`), any sort matches any sort, and a bracketed
    operator's content, a prefix or postfix notation's operand (`T[X]`), a glued
    notation's items, a projection's receiver and the items of tuples and list literals
    are matched like arguments; binding notations correspond up to their bound names
    (`_unify_binding`), and a bundled map's type stands for a function type (`⇑f`).
    Anything else must be equal; `f a <| b` is the application `f a b` on either side."""
    if isinstance(a, BinOp) and a.op == "<|":
        a = view_at(a, PIPE, -1)
    if isinstance(p, BinOp) and p.op == "<|":
        p = view_at(p, PIPE, -1)
    if isinstance(p, Ident):
        v = out.get(p.name)
        if v is not None:
            return v == a or unify(v, a, frozenset(), {})
        if p.name in unknown:
            out[p.name] = a
            return True
        head, dot, rest = p.name.partition(".")
        known = out.get(head)
        if dot and isinstance(known, Ident):  # `s.Nonempty` with `s` known
            return a == Ident(f"{known.name}.{rest}")
        if dot and head in unknown and isinstance(a, Ident):  # `F.obj` against `G.obj`
            ahead, adot, arest = a.name.rpartition(".")
            if adot and arest == rest and ahead and "." not in rest:
                out[head] = Ident(ahead)
                return True
        return isinstance(a, Ident) and _same_const(p.name, a.name)
    if isinstance(p, Sort):
        return isinstance(a, Sort)
    if isinstance(p, App):
        return (isinstance(a, App) and len(p.args) == len(a.args)
                and unify(p.fn, a.fn, unknown, out)
                and all(unify(x, y, unknown, out) for x, y in zip(p.args, a.args)))
    if isinstance(p, BinOp):
        if not isinstance(a, BinOp):
            return False
        (bp, xp), (ba, xa) = _split_op(p.op), _split_op(a.op)
        if p.op == "→" and ba != "→" and ba[:1] in "→≃↪" and ba not in NOT_COERCED:
            # a bundled map where a function is wanted is `⇑f : A → B` (`f : A →+* B`)
            return _unify_pair(p.lhs, a.lhs, p.rhs, a.rhs, unknown, out)
        if bp != ba or (xp is None) != (xa is None):
            return False
        if xp is not None and xa is not None:  # same text too: `μ` of `→ₘ[μ]` is bound
            # the parser caches these texts, and an unreadable one is an `Opaque` node
            if not unify(parse_term(xp), parse_term(xa), unknown, out):
                return False
        if (bp == "→" and isinstance(p.lhs, Typed) and isinstance(a.lhs, Typed)
                and isinstance(p.lhs.term, Ident) and isinstance(a.lhs.term, Ident)):
            # `(i : ι) → β i`: the bound names correspond
            return (unify(p.lhs.type, a.lhs.type, unknown, out)
                    and _under(((p.lhs.term.name, a.lhs.term.name),), p.rhs, a.rhs, unknown, out))
        return _unify_pair(p.lhs, a.lhs, p.rhs, a.rhs, unknown, out)
    if isinstance(p, Quant):  # `Π i, α i`, `∀ i, X i → S`
        return isinstance(a, Quant) and _unify_binding(p, a, unknown, out)
    if isinstance(p, Proj):  # `(Spec R).Modules`
        return (isinstance(a, Proj) and p.field == a.field
                and unify(p.term, a.term, unknown, out))
    if isinstance(p, Enclosed):  # `‖E‖`-like notations: the operand like an argument
        return isinstance(a, Enclosed) and p.open == a.open and unify(p.term, a.term, unknown,
                                                                      out)
    if isinstance(p, (Tuple, ListLit)):  # `α × β` written `(α, β)`, `L[[α]]`'s `[α]`
        return (type(a) is type(p) and len(p.items) == len(a.items)
                and (not isinstance(p, ListLit) or p.bang == getattr(a, "bang", None))
                and all(unify(x, y, unknown, out) for x, y in zip(p.items, a.items)))
    if isinstance(p, Typed):
        return (isinstance(a, Typed) and unify(p.term, a.term, unknown, out)
                and unify(p.type, a.type, unknown, out))
    if isinstance(p, (Prefix, Postfix)):  # `T[X]`, `Tᵐᵒᵖ`, `↥S`: the operand like an argument
        return type(a) is type(p) and a.op == p.op and unify(p.arg, a.arg, unknown, out)
    if isinstance(p, Glued):  # `C(α, β)`, `ℤ_[p]`: one notation, its items like arguments
        return (isinstance(a, Glued) and (p.open, p.close, p.seps) == (a.open, a.close, a.seps)
                and len(p.items) == len(a.items) and unify(p.head, a.head, unknown, out)
                and all(unify(x, y, unknown, out) for x, y in zip(p.items, a.items)))
    return p == a


def _unify_pair(p1: Term, a1: Term, p2: Term, a2: Term, unknown: frozenset[str],
                out: dict[str, Term]) -> bool:
    return unify(p1, a1, unknown, out) and unify(p2, a2, unknown, out)


def _unify_binding(p: Quant, a: Quant, unknown: frozenset[str], out: dict[str, Term]) -> bool:
    """A binding notation against one of the same notation and as many bound names: each
    binder's type (when both write one: an untyped binder takes the other's) and the body
    with the bound names corresponding."""
    if p.op != a.op or p.arrow != a.arrow or (p.extra is None) != (a.extra is None):
        return False
    pb = [(n, g) for g in p.binders for n in g.names]
    ab = [(n, g) for g in a.binders for n in g.names]
    if len(pb) != len(ab) or any((g.pred is None) != (h.pred is None) or g.pred_op != h.pred_op
                                 for (_, g), (_, h) in zip(pb, ab)):
        return False
    pairs: list[tuple[str, str]] = []
    for (pn, g), (an, h) in zip(pb, ab):
        for x, y in ((g.type, h.type), (g.pred, h.pred)):
            if x is not None and y is not None and not _under(tuple(pairs), x, y, unknown, out):
                return False
        pairs.append((pn, an))
    body = _under(tuple(pairs), p.body, a.body, unknown, out)
    return body and (p.extra is None or a.extra is None
                     or _under(tuple(pairs), p.extra, a.extra, unknown, out))


def _under(pairs: tuple[tuple[str, str], ...], p: Term, a: Term, unknown: frozenset[str],
           out: dict[str, Term]) -> bool:
    """`unify(p, a)` with each rule bound name of `pairs` standing for its candidate bound
    name; a value bound here that mentions a candidate bound name is refused (it would
    escape its binder)."""
    if not pairs:
        return unify(p, a, unknown, out)
    names = frozenset(pn for pn, _ in pairs)
    saved = {pn: out[pn] for pn in names if pn in out}
    before = frozenset(out)
    for pn, an in pairs:
        out[pn] = Ident(an)
    ok = unify(p, a, unknown - names, out)
    for pn in names:
        out.pop(pn, None)
    out.update(saved)
    bound = frozenset(an for _, an in pairs)
    return ok and not any(heads(v) & bound for k, v in out.items() if k not in before)
