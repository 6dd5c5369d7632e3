"""First-order matching of a rule's binder types against a candidate's declared types.

Why its own module: the filling of open rule variables (`match.fill`) asks it for every
candidate variable it considers, and the rule side is written with resolved full names
while the candidate side is written as the source spells it, so constants compare by
dotted suffix and number-type aliases, and bracketed operators (`→ₐ[R]`) by their content.
"""

from __future__ import annotations

from lean_alchemy.grammar.ast import App, BinOp, Glued, Ident, Postfix, Prefix, Sort, Term, Typed
from lean_alchemy.index.match.patterns import NUMBER_TYPES


def head_without_brackets(t: Term | None) -> str | None:
    """The head of a type: the constant or variable it applies, or an operator without its
    brackets (`→ₐ` of `A →ₐ[R] B`); None for anything else."""
    while isinstance(t, App):
        t = t.fn
    if isinstance(t, Ident):
        return t.name
    if isinstance(t, BinOp):
        return _split_op(t.op)[0]
    return None


def heads_agree(rule_head: str, cand_head: str | None) -> bool:
    return cand_head is not None and _same_const(rule_head, cand_head)


# --------------------------------------------------------------------------- unification

def _same_const(rule_name: str, written: str) -> bool:
    """A rule constant (resolved, full name) against a candidate's written name."""
    if rule_name == written:
        return True
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


_PARSED: dict[str, Term | None] = {}


def _bracket_term(text: str) -> Term | None:
    t = _PARSED.get(text, Ident(""))
    if t == Ident(""):
        from lean_alchemy.grammar.parser import parse_term

        try:
            t = parse_term(text)
        except Exception:  # noqa: BLE001 - an unreadable bracket is just not matched
            t = None
        if len(_PARSED) > 10_000:
            _PARSED.clear()
        _PARSED[text] = t
    return t


def unify(p: Term, a: Term, unknown: frozenset[str], out: dict[str, Term]) -> bool:
    """First-order matching of a rule-side type `p` against a candidate-side type `a`:
    rule variables already in `out` must equal their value, those in `unknown` are bound,
    constants compare by name (`_same_const`), any sort matches any sort, and a bracketed
    operator's content, a prefix or postfix notation's operand (`T[X]`) and a glued
    notation's items are matched like arguments.
    Anything else must be equal."""
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
        if bp != ba or (xp is None) != (xa is None):
            return False
        if xp is not None and xa is not None and xp != xa:
            rp, ra = _bracket_term(xp), _bracket_term(xa)
            if rp is None or ra is None or not unify(rp, ra, unknown, out):
                return False
        return unify(p.lhs, a.lhs, unknown, out) and unify(p.rhs, a.rhs, unknown, out)
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
