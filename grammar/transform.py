"""Lark parse-tree callbacks -> `grammar.ast` nodes.

Why a Transformer run inside the LALR parser (not on a finished tree): no intermediate tree
is built, which roughly halves parsing time over all of Mathlib.  Callbacks raise
`ValueError` for shapes that the context-free grammar accepts but Lean does not (a set-builder
whose binder is not a name); the parser then falls back to an `Opaque` node.
"""

from __future__ import annotations

from lark import Token, Transformer

from lean_alchemy.grammar.ast import (
    Anon, App, BinderGroup, BinOp, By, Cdot, CdotFun, DotIdent, Enclosed, Explicit, Hole,
    Ident, IfThenElse, Let, Lit, ListLit, NamedArg, Num, Postfix, Prefix, Proj, Quant,
    SetBuilder, SetLit, Show, Sort, Subtype, Term, Tuple, Typed,
)

PRED_OPS = frozenset({"∈", "∉", "⊆", "⊂", "⊇", "⊃", "≥", ">", "≤", "<", "≠", "∣"})


def _items(children: list) -> tuple[Term, ...]:
    return tuple(c for c in children if isinstance(c, Term))


def _norm(s: str) -> str:
    return " ".join(s.split())


class ToAst(Transformer):
    """Callback names are the rule aliases of lean_term.lark."""

    # ------------------------------------------------------------------ atoms
    def ident(self, c):
        return Ident(str(c[0]))

    def num(self, c):
        return Num(str(c[0]))

    def lit(self, c):
        return Lit(str(c[0]))

    def hole(self, c):
        return Hole(str(c[0]) if c else "_")

    def sort(self, c):
        return Sort(_norm(" ".join(str(x) for x in c if x is not None)))

    def sortkw(self, c):
        return str(c[0])

    def level(self, c):
        return str(c[0]) if c else "_"

    def cdot(self, c):
        from lean_alchemy.grammar.parser import STATE
        STATE.cdots += 1
        return Cdot()

    def dotident(self, c):
        return DotIdent(str(c[0]).lstrip()[1:])

    def placeholder(self, c):
        from lean_alchemy.grammar.parser import STATE
        return STATE.ctx.terms[int(str(c[0])[1:-1])]

    def paren(self, c):
        from lean_alchemy.grammar.parser import STATE
        t = c[0]
        if STATE.cdots:
            STATE.cdots = 0
            return CdotFun(t)
        return t

    def typed(self, c):
        return Typed(c[0], c[1])

    def tuple(self, c):
        return Tuple(_items(c))

    def op_section(self, c):
        return Ident(f"({c[0]})")

    def unit(self, c):
        return Ident("()")

    def anon(self, c):
        return Anon(_items(c))

    def listlit(self, c):
        return ListLit(_items(c))

    def vec(self, c):  # c[0] is the `![` token
        return ListLit(_items(c), True)

    def setlit(self, c):
        return SetLit(_items(c))

    def _builder_binder(self, t: Term, ty: Term | None) -> BinderGroup:
        if isinstance(t, Ident) and "." not in t.name:
            return BinderGroup((t.name,), ty, "plain")
        if isinstance(t, Hole) and t.text == "_":
            return BinderGroup(("_",), ty, "plain")
        if (ty is None and isinstance(t, BinOp) and t.op in PRED_OPS
                and isinstance(t.lhs, Ident) and "." not in t.lhs.name):
            return BinderGroup((t.lhs.name,), None, "plain", t.op, t.rhs)
        raise ValueError("set-builder binder is not a name")

    def setbuilder(self, c):
        t, ty, _bar, body = c
        return SetBuilder(self._builder_binder(t, ty), body)

    def subtype(self, c):
        t, ty, _slash, body = c
        return Subtype(self._builder_binder(t, ty), body)

    @staticmethod
    def _names(t: Term) -> tuple[str, ...]:
        parts = [t.fn, *t.args] if isinstance(t, App) else [t]
        out = []
        for p in parts:
            if isinstance(p, Ident) and "." not in p.name:
                out.append(p.name)
            elif isinstance(p, Hole) and p.text == "_":
                out.append("_")
            else:
                raise ValueError("binder names expected")
        return tuple(out)

    def implicit_binder(self, c):
        # `{x : T} → P`: a binder group standing for the domain of a dependent arrow
        return BinderGroup(self._names(c[0]), c[1], "implicit")

    def strict_binder(self, c):
        return BinderGroup(self._names(c[0]), c[1], "strict")

    def abs(self, c):
        return Enclosed("|", c[1])

    def norm(self, c):
        close = str(c[2])
        return Enclosed("‖" if close == "‖" else close, c[1])

    def floor(self, c):
        return Enclosed("⌊" if str(c[1]) == "⌋" else "⌊₊", c[0])

    def ceil(self, c):
        return Enclosed("⌈" if str(c[1]) == "⌉" else "⌈₊", c[0])

    # ------------------------------------------------------------------ operators
    def binop(self, c):
        return BinOp(_norm(str(c[1])), c[0], c[2])

    def pipeproj(self, c):
        return BinOp("|>.", c[0], c[2])

    def modeq(self, c):
        a, op, b, mod, n = c
        return BinOp(str(op), a, BinOp(str(mod) + "]", b, n))

    def prefix(self, c):
        return Prefix(str(c[0]), c[1])

    def prefix_max(self, c):
        return Prefix(str(c[0]), c[1])

    def prefix_not(self, c):
        return Prefix("¬", c[1])

    def postfix(self, c):
        return Postfix(str(c[1]), c[0])

    def proj(self, c):
        return Proj(c[0], str(c[1])[1:])

    def explicit(self, c):
        return Explicit(Ident(str(c[0])))

    def app(self, c):
        fn, args = c[0], tuple(c[1:])
        return App(fn, args)

    def named_arg(self, c):
        return NamedArg(str(c[0]), c[2])

    def pred_op(self, c):
        return str(c[0])

    # ------------------------------------------------------------------ binders
    def bname(self, c):
        return str(c[0]) if c else "_"

    def bpred(self, c):
        return (c[0], c[1])

    def bpred_in(self, c):
        return ("in", c[0])

    def bpred_range(self, c):
        return ("in", BinOp("..", c[0], c[2]))

    @staticmethod
    def _groups(items: list, ty: Term | None, pred: tuple | None) -> tuple[BinderGroup, ...]:
        if all(isinstance(i, str) for i in items):
            op, p = pred if pred else (None, None)
            return (BinderGroup(tuple(items), ty, "plain", op, p),)
        if ty is not None or pred is not None:
            raise ValueError("a binder type after bracketed binders")
        out: list[BinderGroup] = []
        names: list[str] = []
        for i in items:
            if isinstance(i, str):
                names.append(i)
            else:
                if names:
                    out.append(BinderGroup(tuple(names)))
                    names = []
                out.append(i)
        if names:
            out.append(BinderGroup(tuple(names)))
        return tuple(out)

    def qbinders(self, c):
        *items, ty, pred = c
        return self._groups(items, ty, pred)

    def fbinders(self, c):
        *items, ty = c
        return self._groups(items, ty, None)

    def _bb(self, c, kind):
        *names, ty = c
        return BinderGroup(tuple(names), ty, kind)

    def bb_explicit(self, c):
        return self._bb(c, "explicit")

    def bb_default(self, c):
        *names, ty, _assign, default = c
        return BinderGroup(tuple(names), ty, "explicit", None, None, default)

    def bb_implicit(self, c):
        return self._bb(c, "implicit")

    def bb_strict(self, c):
        return self._bb(c, "strict")

    def bb_inst_named(self, c):
        return BinderGroup((str(c[0]),), c[1], "inst")

    def bb_inst(self, c):
        return BinderGroup((), c[0], "inst")

    def binders(self, c):
        return tuple(c)

    def start(self, c):
        return c[0]

    # ------------------------------------------------------------------ binding notations
    def quant(self, c):
        return Quant(str(c[0]), c[1], c[2])

    def quant_ae(self, c):
        op, bs, _d, extra, body = c
        return Quant(str(op), bs, body, ",", extra)

    def ellipsis(self, c):
        return Hole("..")

    def integral(self, c):
        op, bs, body, _d, extra = c
        return Quant(str(op), bs, body, ",", extra)

    def fun(self, c):
        return Quant(str(c[0]), c[1], c[3], str(c[2]))

    def ite(self, c):
        return IfThenElse(c[0], c[1], c[2])

    def ite_h(self, c):
        return IfThenElse(c[1], c[2], c[3], str(c[0]))

    def let(self, c):
        kw, name, ty, _assign, val, body = c
        return Let(str(kw), str(name), ty, val, body)

    def show_from(self, c):
        return Show(c[0], c[1])

    def show_bare(self, c):
        # `show T by tac`: the by-block placeholder was read as T's last argument
        t = c[0]
        if isinstance(t, App) and isinstance(t.args[-1], By):
            fn = t.fn if len(t.args) == 1 else App(t.fn, t.args[:-1])
            return Show(fn, t.args[-1])
        raise ValueError("`show T` without `from`/`by`")


__all__ = ["ToAst", "Token"]
