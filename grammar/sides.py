"""Bracket groups of a term's text, and a top-level relation read side by side when
the whole will not read.

Why: a file's local notation on one side of a statement (`μ⟦t | m'⟧`, `y𝖣x`) made the
whole statement one opaque span, which hid the other side's rewrites from the index:
`ProbabilityTheory.iCondIndep_iff` is stated `iCondIndep m' hm' m μ ↔ ∀ …, μ⟦… | m'⟧ = …`,
and Lean rewrites its left side.  `relation_sides` splits at a lone `↔` or `=` only where
the split is certain (the module's checks below); the parser (`parser._partial`) asks it
after every other fallback failed.
"""

from __future__ import annotations

import re
from typing import Callable

from lean_alchemy.core.scan import CLOSERS, OPENERS, single_group
from lean_alchemy.grammar.ast import BinOp, Opaque, Term

# `=` / `↔` standing alone between whitespace (a line break included): not `:=`, `=ᶠ[`
SPACED = {op: re.compile(rf"\s{op}\s") for op in ("↔", "=")}
# tokens that may bind looser than `=` and `↔` (arrows between types, `≅`, `⊣`, pipes,
# `↦`): an opaque side holding one outside brackets may be, for Lean, the relation's
# operand rather than its side, and the printer parenthesizes an opaque side
LOOSE_TOKENS = ("→", "⟶", "≅", "≃", "⥤", "⇒", "⟹", "↦", "<|", "|>", "$", ":=", "⊣", "≌")
# what may start a binder whose body runs to the end (`∀ x, a = b` is no equation)
BINDER_STARTS = ("∀", "∃", "fun", "λ")
# the assumption brackets, which `core.scan` does not count as a group
EXTRA_PAIRS = (("‹", "›"),)


def top_groups(s: str, interior: bool = True) -> list[tuple[int, int]]:
    """Spans (with brackets) of the outermost bracket groups of `s`; if `s` is one group
    and `interior`, those of its interior."""
    spans: list[tuple[int, int]] = []
    depth, start = 0, -1
    n = len(s)
    i = 0
    while i < n:
        c = s[i]
        if c in OPENERS:
            if depth == 0:
                start = i
            depth += 1
        elif c in CLOSERS:
            depth -= 1
            if depth == 0 and start >= 0:
                spans.append((start, i + 1))
            if depth < 0:
                return []
        elif c == '"':
            i += 1
            while i < n and s[i] != '"':
                i += 2 if s[i] == "\\" else 1
        i += 1
    st = s.strip()
    if interior and len(spans) == 1 and s[spans[0][0]:spans[0][1]] == st:
        a, b = spans[0]
        inner = top_groups(s[a + 1:b - 1])
        return [(x + a + 1, y + a + 1) for x, y in inner]
    return spans


def outside_brackets(s: str) -> list[bool]:
    """For each character of `s`, whether it lies outside every bracket group and
    string literal."""
    out: list[bool] = []
    depth, in_string = 0, False
    for k, c in enumerate(s):
        if in_string:
            out.append(False)
            in_string = not (c == '"' and s[k - 1] != "\\")
            continue
        if c == '"':
            in_string = True
            out.append(False)
            continue
        if c in OPENERS:
            depth += 1
        out.append(depth == 0 and c not in CLOSERS)
        if c in CLOSERS:
            depth -= 1
    return out


def _has_outside(s: str, tokens: tuple[str, ...]) -> bool:
    """Whether one of `tokens` starts in `s` outside every bracket group."""
    top = outside_brackets(s)
    return any(s.startswith(t, k) for k in range(len(s)) if top[k] for t in tokens)


def relation_sides(s: str, read_side: Callable[[str], Term]) -> Term | None:
    """`A ↔ B` or `A = B`, one side read by `read_side` and the other opaque, or None.

    Only where the split is certain: the brackets balance, one such operator stands
    outside every bracket, no binder (a `,`) or looser operator (`∧ ∨ → ↔`, a leading
    `¬`) outside brackets could own it, and the opaque side holds no `LOOSE_TOKENS`
    outside brackets; None also when neither side reads."""
    if sum(c in OPENERS for c in s) != sum(c in CLOSERS for c in s) or any(
            s.count(a) != s.count(b) for a, b in EXTRA_PAIRS):
        return None  # an unclosed bracket: where its group ends is unknown
    top = outside_brackets(s)
    for op in ("↔", "="):
        at = [m for m in SPACED[op].finditer(s) if top[m.start()]]
        if len(at) != 1:
            continue
        lhs, rhs = s[:at[0].start()], s[at[0].end():]
        if op == "=" and (s.lstrip().startswith(BINDER_STARTS + ("¬",)) or
                          _has_outside(s, (",", " ∧ ", " ∨ ", " → ", " ↔ "))):
            return None
        if op == "↔" and (lhs.lstrip().startswith(BINDER_STARTS) or _has_outside(lhs, (",",))):
            return None
        left, right = read_side(lhs), read_side(rhs)
        if isinstance(left, Opaque) and isinstance(right, Opaque):
            return None
        if any(isinstance(side, Opaque) and _has_outside(text, LOOSE_TOKENS)
               for side, text in ((left, lhs), (right, rhs))):
            return None
        return BinOp(op, left, right)
    return None
