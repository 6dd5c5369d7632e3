"""Bracket-aware scanning of Lean text, for the places that cut text without a full parse.

Why a module of its own: goal states (LeanDojo), theorem headers (decontamination inputs)
and similar texts are split at the first separator outside brackets, and every reader must
agree on what "outside brackets" means.
"""

from __future__ import annotations

OPENERS = "([{⦃⟨"
CLOSERS = ")]}⦄⟩"


def top_level_find(text: str, *needles: str) -> int:
    """Index of the first occurrence of any of `needles` at bracket depth 0, or -1."""
    depth = 0
    for i, c in enumerate(text):
        if c in OPENERS:
            depth += 1
        elif c in CLOSERS:
            depth -= 1
        elif depth == 0 and text.startswith(needles, i):
            return i
    return -1


def single_group(text: str) -> bool:
    """`text` is one bracketed group: the bracket it opens with closes at its last character
    (`(a) + (b)` is two groups, `((a) + b)` one)."""
    depth = 0
    for i, c in enumerate(text):
        if c in OPENERS:
            depth += 1
        elif c in CLOSERS:
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False
