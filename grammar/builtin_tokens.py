"""Which of the library's declared tokens the grammar reads, and how.

Why a module of its own: Lean reads every declared token as one unit, but the parser runs
before a run's own token table exists (inside the extraction workers), so the grammar's
terminals are generated from the token lists of `tokens_mathlib.py`; this sorts them into
atoms, glued notations, known operators and tokens the grammar rejects (`token_classes`).
"""

from __future__ import annotations

import re
from pathlib import Path

from lean_alchemy.core.scan import OPENERS as _OPENERS
from lean_alchemy.grammar.operators import BRACKET_INFIX, DEFAULT_TABLE, OperatorTable
from lean_alchemy.grammar.parser import NAME_FULL, NAME_RE

_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
_MOD_TOKENS = ("[MOD", "[ZMOD", "[PMOD", "[SMOD")


def token_classes(table: OperatorTable = DEFAULT_TABLE, base: str | None = None
                  ) -> tuple[list[str], list[str]]:
    """(symbolic constants, unknown tokens) among the library tokens of `tokens_mathlib`.

    Why: Lean reads each declared token as one unit.  An identifier-like token with other
    characters (`T%`, `dsimp%`, `ℕ∞ω`) is read here as one atom, like the symbolic
    constants; an identifier glued to `(`/`[` (`C(`, `MeasurableSet[`) is a `Glued` node
    of the grammar; operators, bracketed infix operators and the grammar's own literals are
    known.  Every other token (`⋆[`, `ℓ²(`) is unknown: the grammar rejects it, so the
    group holding it becomes an Opaque span printed verbatim, never split.

    The grammar has one token set for every statement, while scoped tokens are in force
    only where their namespace is open: a scoped token that would shadow ordinary text
    elsewhere (`α⁻¹`, `D.`, `≤m` after a variable `m`, `∂L` for a measure `L`) is left out;
    scoped ones kept are `%`-elaborators and glued bracket operators (`⋆[L, μ]`)."""
    from lean_alchemy.grammar.operators_mathlib import CONSTANTS
    from lean_alchemy.grammar.tokens import CORE_TOKENS
    from lean_alchemy.grammar.tokens_mathlib import LOCAL_TOKENS, SCOPED_TOKENS, TOKENS

    if base is None:
        base = (Path(__file__).with_name("lean_term.lark")).read_text(encoding="utf-8")
    known = set(CORE_TOKENS) | set(CONSTANTS) | set(_MOD_TOKENS) | {"∅", "ℝ*"}
    known.update(m.group(1).replace('\\"', '"') for m in _LITERAL.finditer(base))
    known.update(o.symbol for o in (*table.infix, *table.prefix, *table.postfix))
    consts: list[str] = []
    unknown: list[str] = []
    postfix_starts = {o.symbol for o in table.postfix}
    for tok in sorted(set(TOKENS) | set(SCOPED_TOKENS) | set(LOCAL_TOKENS)):
        if (len(tok) < 2 or tok in known or tok in BRACKET_INFIX or NAME_FULL.match(tok)
                or _delimiter_token(tok)):
            continue
        opener = tok[-1] in "([⟮⁅{"
        if opener and any(tok.startswith(k) for k in BRACKET_INFIX):
            continue
        name = re.match(NAME_RE, tok)
        if name is not None and opener and name.end() == len(tok) - 1 and tok[-1] in "([":
            continue  # `C(`, `MeasurableSet[`: glued notations
        if "⁄" in tok:
            continue  # `d⁄dX`: the grammar's max-precedence `⁄`, printed glued
        if tok not in TOKENS and not opener and not tok.endswith("%") and (
                _shadows_text(tok, postfix_starts)
                or (tok not in SCOPED_TOKENS and tok[:2].isascii() and tok[0].isalpha())):
            continue  # a local ASCII letter glued to an ASCII symbol: `D+`, `I^` of one file
        atom = name is not None or _CONSTANT_START.match(tok) is not None
        (consts if atom and not opener else unknown).append(tok)
    return consts, unknown


_PLAIN_LETTER = re.compile("[A-Za-zα-ωΑ-Ω]")
# symbols that start constants (`𝟙_ C`, `⊤_ C`): such a token is an atom, not an operator
_CONSTANT_START = re.compile("[\U0001D400-\U0001D7FF⊤⊥]")


def _shadows_text(tok: str, postfix_starts: set[str]) -> bool:
    """Whether a scoped or local token would misread ordinary text where it is not in
    force: one Latin/Greek letter, a variable's name, followed by a postfix operator or by
    what continues a name (`α⁻¹`, `K⁺`, `D.`, `x'`), or `∂` glued to a letter, a measure
    (`∂L`).  Binary operators are spaced in Mathlib's style, so a letter glued to an
    operator (`α>0`, `R≥0`) or an operator glued to letters (`≤m`) is the token it is."""
    if _PLAIN_LETTER.match(tok) and (len(tok) == 1 or tok[1:] in postfix_starts
                                     or tok[1] in ".'_₀₁₂₃₄₅₆₇₈₉"):
        return True
    return tok[0] == "∂" and _PLAIN_LETTER.match(tok[1:2] or " ") is not None


_CLOSERS_AND_BARS = frozenset(")]}⟩⦄‖|⌋⌉⟫⦌⟧")


def _delimiter_token(tok: str) -> bool:
    """Tokens that are the grammar's own business: closing delimiters with decorations
    (`‖x‖₊`, `⟪x, y⟫_ℝ`), runs of brackets (`[[a]]`), an opener before a bar (`[|x|]`)."""
    if tok[0] in _CLOSERS_AND_BARS:
        # a closer glued to another bracket is a token of its own (`⟪f, g⟫_[𝕜, w]`,
        # `N[𝕜]_{K, n}`); a decorated closer alone is the grammar's (`‖x‖₊`, `⟫_ℝ`)
        return not (tok[-1] in _OPENERS and any(c not in _OPENERS and c not in
                                                _CLOSERS_AND_BARS for c in tok[1:-1]))
    if tok[0] in "\\#":
        return True
    return tok[0] in _OPENERS and (tok[1] in _OPENERS or tok[1] in _CLOSERS_AND_BARS)
