"""Lark parse-tree callbacks -> `grammar.ast` nodes.

Why a Transformer run inside the LALR parser (not on a finished tree): no intermediate tree
is built, which roughly halves parsing time over all of Mathlib.  Callbacks raise
`ValueError` for shapes that the context-free grammar accepts but Lean does not (a set-builder
whose binder is not a name); the parser then falls back to an `Opaque` node.
"""

from __future__ import annotations

from lark import Token, Transformer

from lean_alchemy.grammar.ast import (
    Anon, App, BinderGroup, BinOp, By, Cdot, CdotFun, DotIdent, Enclosed, Explicit, Glued,
    Hole, Ident, IfThenElse, Let, Lit, ListLit, NamedArg, Num, Postfix, Prefix, Proj, Quant,
    SetBuilder, SetLit, Show, Sort, Subtype, Term, Tuple, Typed,
)

PRED_OPS = frozenset({"∈", "∉", "⊆", "⊂", "⊇", "⊃", "≥", ">", "≤", "<", "≠", "∣"})


def _items(children: list) -> tuple[Term, ...]:
    return tuple(c for c in children if isinstance(c, Term))


def _norm(s: str) -> str:
    return " ".join(s.split())


class ToAst(Transformer):
    """Callback names are the rule aliases of lean_term.lark; `ops` maps operator terminal
    names to operators (built with the grammar, see parser.OpTerminals)."""

    def __init__(self, ops=None) -> None:
        super().__init__()
        self.ops = ops

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
        # `(x, ·)` is itself a `·` function (Lean binds `·` at the nearest parentheses)
        from lean_alchemy.grammar.parser import STATE
        t = Tuple(_items(c))
        if STATE.cdots:
            STATE.cdots = 0
            return CdotFun(t)
        return t

    def op_section(self, c):
        return Ident(f"({c[0]})")

    def unit(self, c):
        return Ident("()")

    def anon(self, c):
        return Anon(_items(c))

    def listlit(self, c):
        return ListLit(_items(c))

    def dpart_pair(self, c):
        # `∂[B; μ]` after an integral's body: read as the body's last argument, which the
        # integral takes back as its measure (`_Climb.unary`, `measure_pair`)
        return Enclosed(DPART_PAIR, Tuple((c[1], c[2])))

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
        return Enclosed("|ₘ" if str(c[2]) == "|ₘ" else "|", c[1])  # `|a|ₘ`: `mabs a`

    def norm(self, c):
        close = str(c[2])
        return Enclosed("‖" if close == "‖" else close, c[1])

    def floor(self, c):
        return Enclosed("⌊" + str(c[1])[1:], c[0])  # `⌊x⌋`, `⌊x⌋₊`, `⌊x⌋ₑ` (ENat)

    def simplex(self, c):
        # `⦋n⦌`, `⦋n⦌₂`, `X _⦋n⦌` (the `_⦋` token of `X.obj (op ⦋n⦌)`): open = prefix + "⦋" + suffix
        return Enclosed(str(c[0]) + str(c[2])[1:], c[1])

    def quotient(self, c):
        return Enclosed("⟦", c[0])

    def inner(self, c):
        close = str(c[2])
        return Enclosed("⟪" + close[1:], Tuple((c[0], c[1])))

    def assumption(self, c):
        # `‹T›`: the term found by `assumption` (an instance or hypothesis of type T)
        return Enclosed("‹", c[0])

    def bracket(self, c):
        # `⁅x, y⁆`: the Lie bracket / commutator notation (`Bracket.bracket x y`)
        return Enclosed("⁅", Tuple((c[0], c[1])))

    def ceil(self, c):
        return Enclosed("⌈" + str(c[1])[1:], c[0])

    # ------------------------------------------------------------------ glued notations
    def glue_items(self, c):
        return _Items(tuple(c[0::2]), tuple(str(x) for x in c[1::2]))

    def glue_sep(self, c):
        return str(c[0])

    def idx_close(self, c):
        return str(c[0])

    def glued(self, c):
        head, _open, items, close = c
        return Glued(head, "[", items.items, items.seps, close)

    def glued_paren(self, c):
        head, _open, items = c
        return Glued(head, "(", items.items, items.seps, ")")

    def glued_adjoin(self, c):
        head, _open, items = c
        return Glued(head, "⟮", items.items, items.seps, "⟯")

    def glued_quot(self, c):
        head, _open, items, close = c
        return Glued(head, "⟦", items.items, items.seps, str(close))

    def quot_close(self, c):
        return str(c[0])

    def iterate(self, c):
        return Glued(c[0], "^[", (c[2],))

    def unknown(self, c):
        raise ValueError(f"unmodelled notation token {str(c[0])!r}")

    # ------------------------------------------------------------------ operators
    def prefix_max(self, c):
        return Prefix(str(c[0]), c[1])

    def maxinfix(self, c):
        return BinOp(str(c[1]), c[0], c[2])

    def postfix(self, c):
        return Postfix(str(c[1]), c[0])

    def proj(self, c):
        return Proj(c[0], str(c[1])[1:])

    def explicit(self, c):
        return Explicit(Ident(str(c[0])))

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
        if pred is not None and ty is None and len(items) == 1 \
                and items[0].kind == "explicit" and items[0].default is None:
            # `∀ᶠ (n : ℕ) in atTop, …`: one typed binder with a predicate
            g = items[0]
            return (BinderGroup(g.names, g.type, "explicit", pred[0], pred[1]),)
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

    def bb_pred(self, c):
        # `⨆ (a ∈ s) (b ∈ t), f a b`, `∃ᵉ (x ∈ A) (y ∈ A), …`: an extended binder per group
        *names, op, pred = c
        return BinderGroup(tuple(names), None, "explicit", op, pred)

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
    # Heads (`∀ x,`, `fun x =>`, `if c then a else`) become `_Head`s whose body `seq`
    # attaches by precedence climbing.
    def fun_head(self, c):
        op, bs, arrow = c
        h = _Head(lambda b: Quant(str(op), bs, b, str(arrow)), 0)
        h.fun = True
        return h

    def quant_head(self, c):
        return _Head(lambda b: Quant(str(c[0]), c[1], b), 0)

    def quant67_head(self, c):
        return _Head(lambda b: Quant(str(c[0]), c[1], b), 67)

    def quant67_filter_head(self, c):
        # `∏'[L] b, f b`: op "∏'[", the filter `L` in `extra`
        return _Head(lambda b: Quant(str(c[0]), c[2], b, ",", c[1]), 67)

    def quant60_head(self, c):
        return _Head(lambda b: Quant(str(c[0]), c[1], b), 60)

    def integral_head(self, c):
        op, bs = c
        return _Head(lambda b, extra=None: Quant(str(op), bs, b, ",", extra), 60, True)

    def ae_head(self, c):
        op, bs, _d, extra = c
        if type(extra) is list:  # `∀ᵐ x ∂μ.restrict s, p x`: the measure is an application
            extra = extra[0] if len(extra) == 1 else App(extra[0], tuple(extra[1:]))
        return _Head(lambda b: Quant(str(op), bs, b, ",", extra), 0)

    def ite_h_head(self, c):
        h, cond, then = c
        return _Head(lambda b: IfThenElse(cond, then, b, str(h)), 0)

    def ite_head(self, c):
        cond, then = c
        return _Head(lambda b: IfThenElse(cond, then, b), 0)

    def let_head(self, c):
        kw, name, ty, _assign, val = c
        nm = str(name) if name is not None else ""
        return _Head(lambda b: Let(str(kw), nm, ty, val, b), 0)

    def show_head(self, c):
        return _Head(lambda b: Show(c[0], b), 0)

    def ellipsis(self, c):
        return Hole("..")

    def show_bare(self, c):
        # `show T by tac`: the by-block placeholder was read as T's last argument
        t = c[0]
        if isinstance(t, App) and isinstance(t.args[-1], By):
            fn = t.fn if len(t.args) == 1 else App(t.fn, t.args[:-1])
            return Show(fn, t.args[-1])
        raise ValueError("`show T` without `from`/`by`")

    def mod_tail(self, c):
        return _ModTail(str(c[0]) + "]", c[1])

    def operand(self, c):
        return c  # [head, *args]: `seq` builds the App (trailing `fun`/`¬` may add an arg)

    def seq(self, c):
        if len(c) == 1:
            x = c[0]
            if type(x) is list:
                return x[0] if len(x) == 1 else App(x[0], tuple(x[1:]))
            return x
        p = _Climb(c, self.ops)
        node, _ = p.parse(0)
        if p.i != len(c):
            raise ValueError("operators do not fit their precedences")
        return node


INF = 1 << 30  # the level of operands and binding notations (application level and above)


DPART_PAIR = "∂[;"  # `Enclosed.open` of `∂[B; μ]` read as an argument (`dpart_pair`)


def ends_in_pair(t: Term) -> bool:
    """Whether the application `t` ends with the argument `∂[B; μ]` (`dpart_pair`)."""
    if isinstance(t, App) and t.args:
        last = t.args[-1]
        return isinstance(last, Enclosed) and last.open == DPART_PAIR
    return False


def measure_pair(body: Term) -> tuple[Term, Term] | None:
    """(body, `[B; μ]`) when an integral's body ends with the argument `∂[B; μ]`, on the
    body's right spine (`∫ᵛ x, f x ∂[B; μ]`, `∫ᵛ x, g x + f x ∂[B; μ]`), else None."""
    if ends_in_pair(body):
        assert isinstance(body, App)
        last = body.args[-1]
        assert isinstance(last, Enclosed)
        rest = body.args[:-1]
        return (App(body.fn, rest) if rest else body.fn), Enclosed("[;", last.term)
    if isinstance(body, BinOp):
        got = measure_pair(body.rhs)
        if got is not None:
            return BinOp(body.op, body.lhs, got[0]), got[1]
    return None


class _Head:
    """The head of a notation whose body follows: `build(body)` makes the node; `arg` is
    the precedence the body is parsed at."""

    __slots__ = ("build", "arg", "integral", "fun")

    def __init__(self, build, arg: int, integral: bool = False) -> None:
        self.fun = False
        self.build = build
        self.arg = arg
        self.integral = integral


class _Items:
    """The items of a glued notation's bracket and the separators between them."""

    __slots__ = ("items", "seps")

    def __init__(self, items: tuple[Term, ...], seps: tuple[str, ...]) -> None:
        self.items = items
        self.seps = seps


class _ModTail:
    """`[MOD n]` after the right operand of `≡`."""

    __slots__ = ("op", "n")

    def __init__(self, op: str, n: Term) -> None:
        self.op = op
        self.n = n


class _Climb:
    """Precedence climbing over one `seq`'s flat items, mirroring Lean's Pratt parser:
    `parse(m)` returns the longest prefix that forms a term of precedence >= m, with its
    precedence level.  An operator whose left operand is too weak (`a = b = c`, mixing
    `+` with the right-associative `+ᵥ`) ends the climb, and `seq` then raises, exactly
    where Lean reports a parse error."""

    __slots__ = ("c", "n", "i", "infix", "prefix")

    def __init__(self, c: list, ops) -> None:
        self.c = c
        self.n = len(c)
        self.i = 0
        self.infix = ops.infix
        self.prefix = ops.prefix

    def operand(self) -> Term:
        """An operand item plus trailing `fun x => e` / `¬p` arguments."""
        x = self.c[self.i]
        self.i += 1
        if type(x) is not list:
            return x  # `show T by tac`
        head, args = x[0], list(x[1:])
        c, n = self.c, self.n
        while self.i < n:
            y = c[self.i]
            if type(y) is _Head and y.fun:
                self.i += 1
                args.append(y.build(self.parse(0)[0]))
            elif isinstance(y, Token) and y.type == "NOT":
                self.i += 1
                args.append(Prefix(str(y), self.parse(40)[0]))
            else:
                break
        return App(head, tuple(args)) if args else head

    def unary(self) -> tuple[Term, int]:
        if self.i >= self.n:
            raise ValueError("missing operand")
        x = self.c[self.i]
        if type(x) is list or isinstance(x, Term):
            return self.operand(), INF
        if type(x) is _Head:
            self.i += 1
            body = self.parse(x.arg)[0]
            if x.integral:
                pair = measure_pair(body)
                if pair is not None:  # `∫ᵛ x, f x ∂[B; μ]`
                    return x.build(pair[0], pair[1]), INF
                if self.i < self.n and isinstance(self.c[self.i], Token) \
                        and self.c[self.i].type == "DPART":
                    self.i += 1
                    return x.build(body, self.parse(70)[0]), INF
            return x.build(body), INF
        if isinstance(x, Token):
            if x.type == "NOT":
                self.i += 1
                return Prefix(str(x), self.parse(40)[0]), INF
            o = self.prefix.get(x.type)
            if o is not None:
                self.i += 1
                return Prefix(str(x), self.parse(o.arg)[0]), o.prec
        raise ValueError(f"unexpected {x!r}")

    def parse(self, m: int) -> tuple[Term, int]:
        node, lvl = self.unary()
        if lvl < m:
            raise ValueError("operand below the required precedence")
        if ends_in_pair(node):
            return node, lvl  # `∂[B; μ]` ends an integral's body, as `∂μ` does
        c, n, infix = self.c, self.n, self.infix
        while self.i < n:
            x = c[self.i]
            if not isinstance(x, Token):
                break
            if x.type == "PIPEPROJ":  # `e |>.f a` (syntax:min term " |>." ident args)
                if 10 < m or lvl < 10:
                    break
                self.i += 1
                node, lvl = BinOp("|>.", node, self.operand()), 10
                continue
            o = infix.get(x.type)
            if o is None or o.prec < m or lvl < o.lhs:
                break
            self.i += 1
            rhs = self.parse(o.rhs)[0]
            sym = _norm(str(x))
            if self.i < n and type(c[self.i]) is _ModTail and sym == "≡":
                t = c[self.i]
                self.i += 1
                rhs = BinOp(t.op, rhs, t.n)
            node, lvl = BinOp(sym, node, rhs), o.prec
        return node, lvl


__all__ = ["ToAst", "Token"]
