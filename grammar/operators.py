"""Lean 4 / Mathlib operator table: symbol, fixity, precedence.

Why a table (and not literals in the grammar): the Lark grammar's precedence cascade and the
printer's parenthesization are both generated from this one table, so they cannot disagree,
and a user can add an unknown infix symbol (`OperatorTable.with_extra`) without touching the
grammar.  Precedences follow Lean's conventions (`infixl:65 " + "` means `term:65 + term:66`,
`infixr:75` means `term:76 ^ term:75`, `infix:50` means `term:51 = term:51`); they were checked
against Lean core (Init/Prelude, Init/Core) and the `infixl:`/`infixr:`/`notation` lines of
Mathlib (e.g. `•` 73, `∘` 90, `∣` 50, `×ˢ` 82, `≃` 25, `→+*` 25, `⟶` 10, `≫` 80).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX = 1024  # Lean's maxPrec: atoms, `↑x`, `x⁻¹`
ARG = 1023  # argPrec: application arguments
LEAD = 1022  # leadPrec: application, `∀`, `fun`
MIN = 10


@dataclass(frozen=True, slots=True)
class Op:
    """One operator.  kind: infixl | infixr | infix | prefix | postfix.

    For a prefix operator `prec` is the precedence of the node and `arg` the precedence its
    operand is parsed at (`¬` is `notation:max "¬" p:40`, so prec=MAX, arg=40).
    """

    symbol: str
    kind: str
    prec: int
    arg: int = 0
    right: int | None = None  # explicit right-operand precedence (`M₂:0` in a notation)

    @property
    def lhs(self) -> int:
        """Minimal precedence of the left operand (infix/postfix)."""
        if self.kind == "infixr" or self.kind == "infix":
            return self.prec + 1
        return self.prec

    @property
    def rhs(self) -> int:
        """Minimal precedence of the right operand (infix) or the operand (prefix)."""
        if self.kind == "prefix":
            return self.arg
        if self.right is not None:
            return self.right
        if self.kind == "infixl" or self.kind == "infix":
            return self.prec + 1
        return self.prec


def _ops(kind: str, prec: int, symbols: str) -> list[Op]:
    return [Op(s, kind, prec) for s in symbols.split()]


_INFIX: list[Op] = [
    *_ops("infixr", 10, "<| $ ⟶ ≅ ≌ ⟶ᵐ"),
    *_ops("infixl", 10, "|>"),
    *_ops("infixr", 15, "⊣"),
    *_ops("infix", 20, "↔ <->"),
    *_ops("infixr", 25, "→ -> →+* →* →+ →*₀ →ₙ+* →ₙ* →ₙ+ →o →+o →*o →ᵇ →₀ →ₐ →ₙₐ →⋆ₐ →. ↪ →ₛ "
          "→ₜ+ →ₜ* →*₀o ≃⋆ₐ ≃+o ≃*o"),
    *_ops("infixl", 25, "≃ ≃+* ≃+ ≃* ≃o ≃r ≃ᵐ ≃ₜ ≃ₜ+ ≃ₜ* ≃ᵢ ≃ₕ ↪o ↪r →r →+*o ≼i ≺i"),
    *_ops("infixr", 26, "⥤"),
    *_ops("infixr", 30, "∨ ⊕ \\/"),
    *_ops("infixr", 35, "∧ × /\\ ×'"),
    *_ops("infixl", 35, "⧸"),
    *_ops("infix", 50, "= ≠ == ≍ < > ≤ ≥ <= >= ∈ ∉ ⊆ ⊂ ⊇ ⊃ ∣ ≈ ≡ ⊊ ⊋ ≪ ⟂ ∥ ⩿ ⋖ ≺ ≻ ≼ ≽ ⊑ ⊴ "
          "∤ ~ ~ᵤ ≃g"),
    *_ops("infixl", 55, ">>= >=>"),
    *_ops("infixl", 65, "+ - ++ ∪ -ᵥ"),
    *_ops("infixr", 65, "+ᵥ △ ∆"),
    *_ops("infixr", 67, ":: ::ₘ"),
    *_ops("infixl", 68, "⊔"),
    *_ops("infixl", 69, "⊓"),
    *_ops("infixl", 70, "* / % ∩ ⬝ ⊗ₜ ⊗ₘ"),
    *_ops("infix", 70, "\\"),
    *_ops("infixr", 70, "⊗"),
    *_ops("infixr", 73, "• *ᵥ"),
    *_ops("infixl", 73, "ᵥ*"),
    *_ops("infixl", 72, "⬝ᵥ"),
    *_ops("infixr", 75, "^ ▸"),
    *_ops("infixr", 80, "≫ ⋙ ≪≫ '' ⁻¹' ∘L ∘ₗ"),
    *_ops("infixr", 81, "◁"),
    *_ops("infixl", 81, "▷"),
    *_ops("infixr", 82, "×ˢ"),
    *_ops("infixr", 90, "∘ ∘ₗ ⁻¹ᵁ ''ᵁ"),
    *_ops("infixr", 100, "<$>"),
    # Lean core / Batteries and Mathlib notations the scan of operators_mathlib misses
    *_ops("infixl", 30, "||"),
    *_ops("infixl", 35, "&&"),
    *_ops("infixr", 30, "⊕ₗ"),
    *_ops("infix", 50, "<+: <:+ <:+: <+"),
    *_ops("infixl", 67, "::: ↓∩"),
    *_ops("infixr", 67, "::ᵥ"),
    *_ops("infixl", 73, "<•"),
    # Lean core's applicative operators (`Seq.seq`, `SeqLeft`, `SeqRight`, `HOrElse`)
    *_ops("infixl", 60, "<*> <* *>"),
    *_ops("infixl", 20, "<|>"),
    # Mathlib's `notation3` operators the scan misses: `r •> m` (Algebra/Group/Action/
    # Opposite.lean:86, `notation3:74 r:75 " •> " m:74`), `e₁ ≪≫ₗ e₂` (Algebra/Module/
    # Equiv/Defs.lean:314, `notation3:80 e₁:80 " ≪≫ₗ " e₂:81`)
    *_ops("infixr", 74, "•>"),
    *_ops("infixl", 80, "≪≫ₗ"),
    *_ops("infix", 50, "!="),
    # Lean core's bitwise operators (`HXor`, `HAnd`, `HOr`, shifts), Batteries' `Rat.divInt`
    # and Mathlib's rounded divisions (`FloorDiv`, `CeilDiv`)
    *_ops("infixl", 58, "^^^ &&&"),
    *_ops("infixl", 55, "|||"),
    *_ops("infixl", 75, "<<< >>>"),
    *_ops("infixl", 70, "/. ⌊/⌋ ⌈/⌉"),
]

_PREFIX: list[Op] = [
    Op("¬", "prefix", MAX, 40),
    Op("-", "prefix", 75, 75),
    Op("↑", "prefix", MAX, MAX),
    Op("⇑", "prefix", MAX, MAX),
    Op("↥", "prefix", MAX, MAX),
    Op("#", "prefix", MAX, MAX),
    Op("√", "prefix", MAX, MAX),
    Op("⅟", "prefix", MAX, MAX),
    Op("!", "prefix", MAX, 40),  # boolean not `!b` (`notation:max "!" b:40`)
    Op("⋃₀", "prefix", 110, 110),
    # `↗f`, the sequence `fun n : ℕ ↦ (f n : ℂ)` (Mathlib/NumberTheory/LSeries/Basic.lean:265,
    # `notation:max "↗" f:max`)
    Op("↗", "prefix", MAX, MAX),
    Op("⋂₀", "prefix", 110, 110),
]

_POSTFIX: list[Op] = [
    Op(s, "postfix", MAX)
    for s in ("⁻¹ ! ᶜ ᵀ ᴴ † ⋆ ˣ ᵒᵈ ᵐᵒᵖ ᵃᵒᵖ ᵒᵖ ᵘᵒᵖ ᗮ ⁺ ⁻ ∗ ⁺¹ [X] ⟦X⟧ ⟮X⟯ ⁰ ᵈᵐᵃ ᵈᵃᵃ ᶜˢ ˢʸᵐ ᵐᵒᵖ ᵐ⁰ "
              "[T;T⁻¹] ⸨X⸩").split()
]


def _mathlib_extra() -> tuple[list[Op], list[Op], list[Op]]:
    from lean_alchemy.grammar.operators_mathlib import OPS

    core = {o.symbol for o in _INFIX + _PREFIX + _POSTFIX}
    inf, pre, post = [], [], []
    for sym, kind, prec in OPS:
        if sym in core:
            continue
        if kind == "prefix":
            pre.append(Op(sym, kind, prec, prec))
        elif kind == "postfix":
            post.append(Op(sym, kind, MAX))
        else:
            inf.append(Op(sym, kind, prec))
    return inf, pre, post


_MI, _MP, _MQ = _mathlib_extra()
_INFIX += _MI
_PREFIX += _MP
_POSTFIX += _MQ


@dataclass(frozen=True)
class OperatorTable:
    """All operators the grammar knows, by fixity; `with_extra` adds user entries."""

    infix: tuple[Op, ...] = tuple(_INFIX)
    prefix: tuple[Op, ...] = tuple(_PREFIX)
    postfix: tuple[Op, ...] = tuple(_POSTFIX)
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        idx: dict[tuple[str, str], Op] = {}
        for o in self.infix:
            idx.setdefault(("infix", o.symbol), o)
        for o in self.prefix:
            idx.setdefault(("prefix", o.symbol), o)
        for o in self.postfix:
            idx.setdefault(("postfix", o.symbol), o)
        self._index.update(idx)

    def with_extra(self, extra: list[Op] | tuple[Op, ...]) -> "OperatorTable":
        """A table with `extra` operators added (an entry for a known symbol overrides it)."""
        keys = {(("prefix" if o.kind == "prefix" else "postfix" if o.kind == "postfix"
                  else "infix"), o.symbol) for o in extra}

        def keep(kind: str, ops: tuple[Op, ...]) -> list[Op]:
            return [o for o in ops if (kind, o.symbol) not in keys]

        return OperatorTable(
            tuple(keep("infix", self.infix) + [o for o in extra if o.kind.startswith("infix")]),
            tuple(keep("prefix", self.prefix) + [o for o in extra if o.kind == "prefix"]),
            tuple(keep("postfix", self.postfix) + [o for o in extra if o.kind == "postfix"]),
        )

    def infix_op(self, symbol: str) -> Op | None:
        return self._index.get(("infix", symbol))

    def prefix_op(self, symbol: str) -> Op | None:
        return self._index.get(("prefix", symbol))

    def postfix_op(self, symbol: str) -> Op | None:
        return self._index.get(("postfix", symbol))


DEFAULT_TABLE = OperatorTable()


# Bracketed infix families: `M →ₗ[R] N`, `f =ᶠ[l] g`, `f =O[l] g`, `M ⊗[R] N`.  The whole
# operator, bracket included, is one token; key = the text before the bracket (longest key
# wins), value = (fixity, precedence, right-operand precedence or None).  Mathlib declares
# most of these as `notation:25 M " →ₗ[" R "] " M₂:0`: a right operand at 0.
BRACKET_INFIX: dict[str, tuple[str, int, int | None]] = {
    "→": ("infixr", 25, 0), "↪": ("infixr", 25, 0), "≃ᵃ": ("infixr", 25, 0),
    "≃": ("infix", 50, 0), "[⋀^": ("infixr", 25, 0), "[×": ("infixr", 25, 0),
    "=ᶠ": ("infix", 50, None), "≤ᶠ": ("infix", 50, None), "<ᶠ": ("infix", 50, None),
    "=ᵐ": ("infix", 50, None), "≤ᵐ": ("infix", 50, None), "~": ("infix", 50, None),
    "⟂ᵢ": ("infix", 50, None),
    "=O": ("infix", 100, None), "=o": ("infix", 100, None), "=Θ": ("infix", 100, None),
    "⊗": ("infixl", 100, None), "⊗ₜ": ("infixl", 100, None),
    # `f ⋆[L, μ] g` (convolution, also `⋆ₗ[μ]`), `A ⟶[C] B` (enriched hom), `c ≼[m] d`,
    # `F ∣[k] γ` (slash action), `A ≅[L] B`, `φ ⟹[T] ψ`, `N ⋊[φ] G`, `v ≤[i] w`
    "⋆": ("infixr", 67, None), "⟶": ("infixr", 10, None), "≼": ("infix", 50, 50),
    "≺": ("infix", 50, 50), "∣": ("infix", 100, 100), "≅": ("infix", 25, 50),
    "⟹": ("infixr", 51, None), "⇔": ("infixr", 51, None), "⋊": ("infix", 35, 35),
    "≤": ("infix", 50, 50), "-": ("infixl", 65, None),  # `[x -[𝕜] y]` (segment)
}


def bracket_parts(op: str) -> tuple[str, str] | None:
    """(family, content) of a bracketed infix operator whose one bracket group closes the
    token (`=O[l]` -> (`=O[]`, `l`); `=ᶠ[𝓝[≠] x]` -> (`=ᶠ[]`, `𝓝[≠] x`)); None for any
    other operator (`[⋀^ι]→ₗ[R]`, `→ₗ⁅R⁆`, `+`).  Why: the grammar keeps the bracket's
    term in the operator's text, yet it is an argument like any other (`f =O[l] g` is
    `Asymptotics.IsBigO l f g`): the index matches operators of one family and binds
    the content (`index.match`), and substitution rewrites it (`grammar.substitute`)."""
    if not op.endswith("]") or op.startswith("[") or "[" not in op:
        return None
    start = op.index("[")
    depth = 0
    for k in range(start, len(op)):
        ch = op[k]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0 and k != len(op) - 1:
                return None  # the first group closes before the token ends
    return (op[:start] + "[]", op[start + 1:-1]) if depth == 0 else None


def with_bracket_content(op: str, content: str) -> str:
    """`op` with its bracket's content replaced (`bracket_parts`): `=O[l]`, `atTop` ->
    `=O[atTop]`."""
    return op[:op.index("[") + 1] + content + "]"


def bracket_op(op: str) -> Op | None:
    """The `Op` of a bracketed infix token such as `→ₗ[R]` (None if not one)."""
    if "[" not in op and "⁅" not in op and "⟮" not in op:
        return None
    for k in sorted(BRACKET_INFIX, key=len, reverse=True):
        if op.startswith(k):
            fix, prec, right = BRACKET_INFIX[k]
            return Op(op, fix, prec, 0, right)
    return None


# ------------------------------------------------------------------ scanning a Lean library

_PREC_WORDS = {"max": MAX, "arg": ARG, "lead": LEAD, "min": MIN, "min1": MIN + 1}
_DECL_RE = None


def _prec(word: str) -> int | None:
    word = word.strip()
    if word.isdigit():
        return int(word)
    base = word.rstrip("+-0123456789")
    if base in _PREC_WORDS:
        v = _PREC_WORDS[base]
        return v + 1 if word.endswith("+") else v
    return None


def scan_operators(root: str) -> list[Op]:
    """Infix/prefix/postfix declarations of a Lean library (`infixl:65 " + "`, and binary
    `notation:50 a " ≺ " b` lines), most common precedence per symbol.

    Why: Mathlib declares hundreds of operators; scanning the checkout in use keeps the
    table in step with it (`OperatorTable.with_extra(scan_operators(path))`).
    """
    import re
    from collections import Counter
    from pathlib import Path

    fix_re = re.compile(r'^\s*(?:@\[[^\]]*\]\s*)?(?:scoped(?:\[[^\]]*\])? |local )?'
                        r'(infixl|infixr|infix|prefix|postfix):\s*([\w+]+)\s+"([^"]+)"', re.M)
    nota_re = re.compile(r'^\s*(?:@\[[^\]]*\]\s*)?(?:scoped(?:\[[^\]]*\])? |local )?'
                         r'notation:(\d+|max)\s+(\w+)(?::\d+)?\s+"([^"]+)"\s+(\w+)(?::(\d+))?'
                         r'\s*=>', re.M)
    seen: dict[tuple[str, str], Counter] = {}
    for p in Path(root).rglob("*.lean"):
        try:
            text = p.read_text(encoding="utf-8")
        except OSError:
            continue
        if "fix" not in text and "notation" not in text:
            continue
        for m in fix_re.finditer(text):
            kind, pw, sym = m.group(1), m.group(2), m.group(3).strip()
            prec = _prec(pw)
            if prec is not None and sym:
                fx = "infix" if kind.startswith("infix") else kind
                seen.setdefault((fx, sym), Counter())[(kind, prec)] += 1
        for m in nota_re.finditer(text):
            prec = _prec(m.group(1))
            sym = m.group(3).strip()
            rhs = int(m.group(5)) if m.group(5) else None
            if prec is None or not sym:
                continue
            kind = "infix" if rhs is None or rhs > prec else "infixr"
            seen.setdefault(("infix", sym), Counter())[(kind, prec)] += 1
    out = []
    for (fx, sym), cnt in sorted(seen.items()):
        (kind, prec), _ = cnt.most_common(1)[0]
        out.append(Op(sym, kind, prec, prec if kind == "prefix" else 0))
    return out


def scan_constants(root: str) -> list[str]:
    """Nullary symbolic notations of a Lean library (`notation "ℝ≥0" => NNReal`) whose token
    is not an identifier: the lexer must read them as one atom."""
    import re
    from pathlib import Path

    from lean_alchemy.grammar.parser import NAME_FULL

    rx = re.compile(r'^\s*(?:@\[[^\]]*\]\s*)?(?:scoped(?:\[[^\]]*\])? |local )?'
                    r'notation3?(?::\w+)?\s+"([^"\s]+)"\s*=>', re.M)
    out: set[str] = set()
    for p in Path(root).rglob("*.lean"):
        try:
            text = p.read_text(encoding="utf-8")
        except OSError:
            continue
        if "notation" not in text:
            continue
        for m in rx.finditer(text):
            sym = m.group(1)
            if not NAME_FULL.match(sym) and not any(c in sym for c in "()[]{}⟨⟩,|\"'`"):
                out.add(sym)
    return sorted(out)
