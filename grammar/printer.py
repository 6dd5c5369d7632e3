"""Print `grammar.ast` terms back to Lean text with minimal parentheses.

Why precedence-driven (not "parenthesize everything"): printed statements are shown to
people and to Lean and must read like Mathlib.  The rules mirror Lean's Pratt parser and
the LALR grammar (both generated from `operators.py`):

- every node has a precedence (`prec`); a child position demands a minimum (`need`), so
  `(a + b) * c` keeps its parentheses and `a + b * c` gets none;
- nodes with an open right end (`∀ x, p`, `¬p`, `fun x => e`, `-x`, `↑x`, `by tac`) extend
  over whatever follows them; `tail` is the precedence of the trailing construct that
  follows the child in the output (an infix operator's precedence, LEAD for a following
  application argument, MAX for a postfix/projection, -1 for a closing bracket or a comma),
  and an open node is wrapped when its body would swallow that tail.

Invariant (tested with hypothesis): `parse_term(print_term(t)) == t`.
"""

from __future__ import annotations

from typing import Any, Callable


from lean_alchemy.core.scan import single_group
from lean_alchemy.grammar.ast import (
    ENCLOSERS, Anon, App, BinderGroup, BinOp, By, Cdot, CdotFun, DotIdent, Enclosed,
    Explicit, Glued, Hole, Ident, IfThenElse, Let, Lit, ListLit, NamedArg, Num, Opaque, Postfix,
    Prefix, Proj, Quant, SetBuilder, SetLit, Show, Sort, Subtype, Term, Tuple, Typed,
)
from lean_alchemy.grammar.parser import NAME_FULL
from lean_alchemy.grammar.operators import (
    ARG, bracket_op, DEFAULT_TABLE, LEAD, MAX, Op, OperatorTable,
)

AE_OPS = ("∀ᵐ", "∃ᵐ")
MOD_OPS = ("[MOD]", "[ZMOD]", "[PMOD]", "[SMOD]")
CLOSED = -1.0  # followed by a closing bracket, a comma, or the end
SEP = -0.5  # followed by a separator no term absorbs (`:` `|` `then` `from` ...) but `by` does
DPART_TAIL = -0.25  # followed by an integral's `∂μ`, which an integral without one would take
INTEGRALS = ("∫", "∫⁻", "∫ᵛ", "∮", "⨍", "⨍⁻")

QUANT_BODY = {"∑": 67, "∏": 67, "𝔼": 67, "∑'": 67, "∏'": 67, "∑'[": 67, "∏'[": 67, "∑ᶠ": 67, "∏ᶠ": 67, "⋃": 60, "⋂": 60, "⨆": 60, "⨅": 60,
              "∫": 60, "∫⁻": 60, "∮": 60, "⨍": 60, "⨍⁻": 60}


def _infix(op: str, table: OperatorTable) -> Op:
    o = table.infix_op(op)
    if o is not None:
        return o
    b = bracket_op(op)
    if b is not None:
        return b
    if op == "..":
        return Op(op, "infix", MAX)
    if op == "|>.":
        return Op(op, "infixl", 10)
    return Op(op, "infix", 50)


def _prefix(op: str, table: OperatorTable) -> Op:
    return table.prefix_op(op) or Op(op, "prefix", MAX, MAX)


_MEMO_LIMIT = 100_000
_GLUE_SEP = {",": ", ", ";": "; ", "|": " | "}


def _caret_constants() -> frozenset[str]:
    """Heads that a glued `^[` would turn into a constant token (`C^`, `I^`)."""
    from lean_alchemy.grammar.builtin_tokens import token_classes

    return frozenset(c[:-1] for c in token_classes()[0] if c.endswith("^"))


_CARET_CONSTANTS = _caret_constants()
_GROUP = -1  # the `need` of a binder group's memo key (terms are printed at need >= 0)


class Printer:
    def __init__(self, table: OperatorTable = DEFAULT_TABLE) -> None:
        self.table = table
        # (id(term), need, tail) -> (term, text).  Why: mutants of one theorem share most
        # sub-terms (untouched sides, binder types) with it and with each other, and the
        # text of an immutable term in a given context never changes.  The entry keeps the
        # term alive, so its id cannot be reused while the entry exists.
        self._memo: dict[tuple[int, int, float], tuple[Term, str]] = {}

    # (precedence of the node, body level if its right end is open else None)
    def shape(self, t: Term) -> tuple[int, float | None]:
        if isinstance(t, App):
            return LEAD, None
        if isinstance(t, BinOp):
            if t.op in MOD_OPS or t.op in ("..", "⁄"):
                return MAX, None
            o = _infix(t.op, self.table)
            # the right operand is open: `a → b` before `≃ c` would swallow it
            return o.prec, (o.rhs if o.kind != "infixl" and o.rhs <= o.prec else None)
        if isinstance(t, Prefix):
            o = _prefix(t.op, self.table)
            return o.prec, o.arg
        if isinstance(t, Quant):
            if t.op in ("fun", "λ"):
                return MAX, 0
            if t.extra is not None and t.op not in AE_OPS:
                return LEAD, 70
            return LEAD, QUANT_BODY.get(t.op, 0)
        if isinstance(t, (IfThenElse, Let, Show)):
            return LEAD, 0
        if isinstance(t, By):
            return LEAD, -0.75
        if isinstance(t, Sort):
            return (LEAD if " " in t.text else MAX), None
        if isinstance(t, Opaque):
            return (MAX if NAME_FULL.match(t.text) else -1), None
        return MAX, None

    def wrap_needed(self, t: Term, need: int, tail: float) -> bool:
        if (tail == DPART_TAIL and isinstance(t, Quant) and t.op in INTEGRALS
                and t.extra is None):
            return True
        prec, body = self.shape(t)
        if prec < 0:  # a multi-token Opaque: always parenthesized below the top
            return True
        if prec < need:
            return True
        return body is not None and tail >= body

    def print_at(self, t: Term, need: int = 0, tail: float = CLOSED) -> str:
        """`t` in a position that needs precedence `need`, followed by what `tail` allows:
        parenthesized exactly when Lean would otherwise read it differently."""
        if type(t) is Ident:  # never parenthesized (precedence MAX, closed right end)
            return t.name
        key = (id(t), need, tail)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is t:
            return hit[1]
        if self.wrap_needed(t, need, tail):
            text = "(" + self.print_bare(t, CLOSED) + ")"
        else:
            text = self.print_bare(t, tail)
        return self._remember(key, t, text)

    def _remember(self, key: tuple[int, int, float], node, text: str) -> str:
        memo = self._memo
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[key] = (node, text)
        return text

    # ------------------------------------------------------------------ node printers
    def print_bare(self, t: Term, tail: float) -> str:
        """`t` without outer parentheses; `tail` is what may follow it (`print_at`)."""
        printer = _NODE_PRINTERS.get(type(t))
        if printer is None:
            raise TypeError(f"cannot print {type(t).__name__}")
        return printer(self, t, tail)

    def _text(self, t: Num | Lit | Hole | Sort | Opaque, tail: float) -> str:
        return t.text

    def _ident(self, t: Ident, tail: float) -> str:
        return t.name

    def _explicit(self, t: Explicit, tail: float) -> str:
        return "@" + self.print_at(t.term, MAX, MAX)

    def _dot_ident(self, t: DotIdent, tail: float) -> str:
        return "." + t.name

    def _cdot(self, t: Cdot, tail: float) -> str:
        return "·"

    def _cdot_fun(self, t: CdotFun, tail: float) -> str:
        if isinstance(t.body, Tuple):  # `(x, ·)`: the tuple's parentheses serve
            return self.print_bare(t.body, CLOSED)
        return "(" + self.print_at(t.body) + ")"

    def _by(self, t: By, tail: float) -> str:
        return "by " + t.tactics

    def _named_arg(self, t: NamedArg, tail: float) -> str:
        return f"({t.name} := {self.print_at(t.value)})"

    def _app(self, t: App, tail: float) -> str:
        parts = [self.print_at(t.fn, MAX, LEAD)]
        n = len(t.args)
        for i, a in enumerate(t.args):
            if isinstance(a, NamedArg):
                parts.append(self.print_bare(a, CLOSED))
            else:
                parts.append(self.print_at(a, ARG, LEAD if i < n - 1 else max(LEAD, tail)))
        return " ".join(parts)

    def _binop(self, t: BinOp, tail: float) -> str:
        if t.op in MOD_OPS:  # `b [MOD n]` (rhs of `≡`)
            return f"{self.print_at(t.lhs, 51, SEP)} {t.op[:-1]} {self.print_at(t.rhs)}]"
        if t.op == "⁄":  # `W⁄A`: max-precedence, right operand an atom
            rhs = self.print_at(t.rhs, MAX, MAX)
            if not (isinstance(t.rhs, (Ident, Num)) or (rhs.startswith("(") and single_group(rhs))):
                rhs = f"({rhs})"  # also `(0).1`: our parser reads `x⁄(0)` first
            return f"{self.print_at(t.lhs, MAX, MAX)}⁄{rhs}"
        o = _infix(t.op, self.table)
        lhs = self.print_at(t.lhs, o.lhs, o.prec)
        if isinstance(t.rhs, BinOp) and t.rhs.op in MOD_OPS and t.op == "≡":
            return f"{lhs} ≡ {self.print_bare(t.rhs, tail)}"
        rhs = self.print_at(t.rhs, o.rhs, tail)
        if t.op == "..":
            return f"{lhs}..{rhs}"
        if t.op == "|>.":
            return f"{lhs} |>.{self.print_at(t.rhs, LEAD, tail)}"
        return f"{lhs} {t.op} {rhs}"

    def _prefix(self, t: Prefix, tail: float) -> str:
        o = _prefix(t.op, self.table)
        if o.prec >= MAX and t.op not in ("¬", "!") and (
                (isinstance(t.arg, Quant) and t.arg.op in ("fun", "λ"))
                or (isinstance(t.arg, Prefix) and t.arg.op == "¬")):
            # `↑(fun x => e)`: the grammar reads `fun`/`¬` only where a term may start
            return f"{t.op}({self.print_bare(t.arg, CLOSED)})"
        arg = self.print_at(t.arg, o.arg, tail)
        if arg.startswith("."):  # `-(.id _ _)`: `-.id` does not lex as a dot-identifier
            arg = f"({self.print_bare(t.arg, CLOSED)})"
        sep = " " if (arg.startswith(t.op[-1]) or t.op[-1].isalnum()
                      or t.op in ("⋃₀", "⋂₀") or (t.op == "-" and arg.startswith("-"))) else ""
        return f"{t.op}{sep}{arg}"

    def _postfix(self, t: Postfix, tail: float) -> str:
        arg = self.print_at(t.arg, MAX, MAX)
        return f"{arg} {t.op}" if t.op == "!" else f"{arg}{t.op}"

    def _proj(self, t: Proj, tail: float) -> str:
        inner = t.term
        s = self.print_at(inner, MAX, MAX)
        if not s.startswith("(") and (
                isinstance(inner, (Num, Explicit, DotIdent, Hole, Sort, Opaque, BinOp))
                or (isinstance(inner, Ident) and not t.field.isdigit())):
            s = f"({s})"
        return f"{s}.{t.field}"

    def _typed(self, t: Typed, tail: float) -> str:
        return f"({self.print_at(t.term, 0, SEP)} : {self.print_at(t.type)})"

    def _items(self, t: Tuple | Anon | ListLit | SetLit, tail: float) -> str:
        inner = ", ".join(self.print_at(x) for x in t.items)
        if isinstance(t, Tuple):
            return f"({inner})"
        if isinstance(t, Anon):
            return f"⟨{inner}⟩"
        if isinstance(t, ListLit):
            return ("![" if t.bang else "[") + inner + "]"
        return "{" + inner + "}"

    def _enclosed(self, t: Enclosed, tail: float) -> str:
        if t.open.startswith("⟪") and isinstance(t.term, Tuple) and len(t.term.items) == 2:
            x, y = t.term.items
            return f"⟪{self.print_at(x)}, {self.print_at(y)}⟫{t.open[1:]}"
        if t.open == "⁅" and isinstance(t.term, Tuple) and len(t.term.items) == 2:
            x, y = t.term.items
            return f"⁅{self.print_at(x)}, {self.print_at(y)}⁆"
        if t.open in ("[;", "∂[;") and isinstance(t.term, Tuple) and len(t.term.items) == 2:
            x, y = t.term.items  # `∂[B; μ]` of `∫ᵛ` (its measure, or an unattached one)
            return f"{t.open[:-1]}{self.print_at(x)}; {self.print_at(y)}]"
        if "⦋" in t.open:
            before, _, after = t.open.partition("⦋")
            return f"{before}⦋{self.print_at(t.term)}⦌{after}"
        close = ENCLOSERS.get(t.open, t.open)
        opener = t.open.rstrip("₊ₑ") if t.open not in ("⌊₊", "⌈₊", "|ₘ") else t.open[0]
        shown = self.print_at(t.term)
        if opener == "|" and shown.startswith("|"):
            shown = f"({shown})"  # `||x| + 1|` would lex as the `||` operator
        return f"{opener}{shown}{close}"

    def _glued(self, t: Glued, tail: float) -> str:
        return self.glued(t)

    def _builder(self, t: SetBuilder | Subtype, tail: float) -> str:
        bar = "|" if isinstance(t, SetBuilder) else "//"
        return "{" + self.builder_binder(t.binder) + f" {bar} " + self.print_at(t.body) + "}"

    def _quant(self, t: Quant, tail: float) -> str:
        return self.quant(t, tail)

    def _if(self, t: IfThenElse, tail: float) -> str:
        h = f"{t.hyp} : " if t.hyp else ""
        return (f"if {h}{self.print_at(t.cond, 0, SEP)} then {self.print_at(t.then, 0, SEP)} "
                f"else {self.print_at(t.else_, 0, tail)}")

    def _let(self, t: Let, tail: float) -> str:
        ty = f" : {self.print_at(t.type, 0, SEP)}" if t.type is not None else ""
        head = f"{t.kind} {t.name}" if t.name else t.kind
        return f"{head}{ty} := {self.print_at(t.value, 0, SEP)}; {self.print_at(t.body, 0, tail)}"

    def _show(self, t: Show, tail: float) -> str:
        if isinstance(t.proof, By):
            return f"show {self.print_at(t.type, 0, LEAD)} {self.print_bare(t.proof, tail)}"
        return f"show {self.print_at(t.type, 0, SEP)} from {self.print_at(t.proof, 0, tail)}"

    def _group_node(self, t: BinderGroup, tail: float) -> str:
        return self.group(t)

    def glued(self, t: Glued) -> str:
        """`f^[n]`, `l[i]?`, `MeasurableSet[m]`, `C(X, Y)`: the bracket touches the head
        (a space would make Lean read other tokens, or an application to a list)."""
        head = self.print_at(t.head, MAX, MAX)
        if t.open == "^[" and head in _CARET_CONSTANTS:
            head += " "  # `C ^[n]`: glued, `C^` would be the token of `C^n⟮I, M⟯`
        parts = []
        n = len(t.items)
        for i, x in enumerate(t.items):
            sep = t.seps[i] if i < len(t.seps) else ","
            parts.append(self.print_at(x, 0, CLOSED if i == n - 1 or sep == "," else SEP))
            if i < n - 1:
                parts.append(_GLUE_SEP.get(sep, sep + " "))
        return f"{head}{t.open}{''.join(parts)}{t.close}"

    def builder_binder(self, g: BinderGroup) -> str:
        name = " ".join(g.names)
        if g.pred_op is not None and g.pred is not None:
            o = _infix(g.pred_op, self.table)
            return f"{name} {g.pred_op} {self.print_at(g.pred, o.rhs, SEP)}"
        if g.type is not None:
            return f"{name} : {self.print_at(g.type, 0, SEP)}"
        return name

    def group(self, g: BinderGroup) -> str:
        """A binder group's text, memoized like `print_at` (the mutants of one theorem print its
        binder groups again and again)."""
        key = (id(g), _GROUP, CLOSED)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is g:
            return hit[1]
        return self._remember(key, g, self._group_text(g))

    def _group_text(self, g: BinderGroup) -> str:
        names = " ".join(g.names)
        ty = self.print_at(g.type) if g.type is not None else None
        if g.kind == "plain":
            s = names
            if g.type is not None:
                s += f" : {self.print_at(g.type, 0, SEP)}"
            if g.pred_op is not None and g.pred is not None:
                if g.pred_op == "in" and isinstance(g.pred, BinOp) and g.pred.op == "..":
                    s += (f" in {self.print_at(g.pred.lhs, 0, SEP)}..{self.print_at(g.pred.rhs, 0, SEP)}")
                else:
                    s += f" {g.pred_op} {self.print_at(g.pred, 0, SEP)}"
            return s
        lo, hi = {"explicit": ("(", ")"), "implicit": ("{", "}"), "strict": ("⦃", "⦄"),
                  "inst": ("[", "]")}[g.kind]
        if g.kind == "inst":
            return f"[{names} : {ty}]" if names else f"[{ty}]"
        if g.default is not None:
            return f"{lo}{names} : {self.print_at(g.type, 0, SEP) if g.type else '_'} := {self.print_at(g.default)}{hi}"
        if ty is None and g.pred_op is not None and g.pred is not None:  # `(a ∈ s)`
            return f"{lo}{names} {g.pred_op} {self.print_at(g.pred, 0, SEP)}{hi}"
        text = f"{lo}{names} : {ty}{hi}" if ty is not None else f"{lo}{names}{hi}"
        if g.pred_op is not None and g.pred is not None:  # `∀ᶠ (n : ℕ) in atTop, …`
            text += f" {g.pred_op} {self.print_at(g.pred, 0, SEP)}"
        return text

    def quant(self, t: Quant, tail: float) -> str:
        bs = " ".join(self.group(g) for g in t.binders)
        if t.op in ("fun", "λ"):
            return f"{t.op} {bs} {t.arrow} {self.print_at(t.body, 0, tail)}"
        level = QUANT_BODY.get(t.op, 0)
        if t.op.endswith("[") and t.extra is not None:  # `∏'[L] b, f b`
            return (f"{t.op}{self.print_at(t.extra, 0, CLOSED)}] {bs}, "
                    f"{self.print_at(t.body, level, tail)}")
        if t.extra is not None and t.op in AE_OPS:
            m = self.print_at(t.extra, LEAD, SEP)  # `∂μ.restrict s,`: up to the comma
            return f"{t.op} {bs} ∂{m}, {self.print_at(t.body, 0, tail)}"
        if t.extra is not None:
            m = self.print_at(t.extra, 70, tail)
            return f"{t.op} {bs}, {self.print_at(t.body, level, DPART_TAIL)} ∂{m}"
        return f"{t.op} {bs}, {self.print_at(t.body, level, tail)}"


_DEFAULT = Printer()



# node class -> its printer (exact classes: the AST's node types are final)
_NODE_PRINTERS: dict[type, Callable[[Printer, Any, float], str]] = {
    Ident: Printer._ident, Num: Printer._text, Lit: Printer._text, Hole: Printer._text,
    Sort: Printer._text, Opaque: Printer._text, Explicit: Printer._explicit,
    DotIdent: Printer._dot_ident, Cdot: Printer._cdot, CdotFun: Printer._cdot_fun,
    By: Printer._by, NamedArg: Printer._named_arg, App: Printer._app, BinOp: Printer._binop,
    Prefix: Printer._prefix, Postfix: Printer._postfix, Proj: Printer._proj,
    Typed: Printer._typed, Tuple: Printer._items, Anon: Printer._items,
    ListLit: Printer._items, SetLit: Printer._items, Enclosed: Printer._enclosed,
    Glued: Printer._glued, SetBuilder: Printer._builder, Subtype: Printer._builder,
    Quant: Printer._quant, IfThenElse: Printer._if, Let: Printer._let, Show: Printer._show,
    BinderGroup: Printer._group_node,
}

def print_term(t: Term, table: OperatorTable | None = None) -> str:
    """Lean text of `t` with parentheses only where precedence requires them."""
    pr = _DEFAULT if table is None else Printer(table)
    if isinstance(t, Opaque):
        return t.text
    return pr.print_at(t)


def print_binders(groups) -> str:
    """Declaration binder text: `{α : Type*} [Ring α] (a b : α)`.  Plain groups (from a
    quantifier) are printed as explicit binders, the only declaration form they can take."""
    out = []
    for g in groups:
        if g.kind == "plain":
            g = BinderGroup(g.names, g.type, "explicit")
        out.append(_DEFAULT.group(g))
    return " ".join(out)
