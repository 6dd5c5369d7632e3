"""A drop-in replacement for Lark's contextual-lexer scanner that dispatches on the first
character.

Why: Lark matches a token by one big regex alternation of every terminal the parser state
accepts.  After an operand that is several hundred alternatives (the whole Mathlib operator
table), and Python's `re` tries them one by one, so lexing cost ~0.3 ms per token and
dominated parsing time over Mathlib.  This scanner keeps Lark's exact semantics (the first
terminal in Lark's priority order whose pattern matches at the position wins) but only tries
the terminals that can start with the character at hand: literal terminals by their first
character, regex terminals by a conservative first-character analysis of their pattern
(anything the analysis does not understand is always tried).  Candidate lists are memoized
per (state, character).
"""

from __future__ import annotations

import re
from typing import Callable

try:  # Python >= 3.11
    import re._constants as _C  # type: ignore[import-not-found]
    import re._parser as _P  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _C  # type: ignore[no-redef]
    import sre_parse as _P  # type: ignore[no-redef]

from lark.lexer import BasicLexer, ContextualLexer, PatternStr, Scanner, _create_unless

_CATEGORY = {
    _C.CATEGORY_DIGIT: r"\d", _C.CATEGORY_NOT_DIGIT: r"\D",
    _C.CATEGORY_SPACE: r"\s", _C.CATEGORY_NOT_SPACE: r"\S",
    _C.CATEGORY_WORD: r"\w", _C.CATEGORY_NOT_WORD: r"\W",
}


def _in_set(items, c: str) -> bool | None:
    """Whether `c` is in a parsed character class (None: not understood)."""
    o = ord(c)
    negate = False
    hit = False
    for op, av in items:
        if op is _C.NEGATE:
            negate = True
        elif op is _C.LITERAL:
            hit = hit or av == o
        elif op is _C.RANGE:
            hit = hit or av[0] <= o <= av[1]
        elif op is _C.CATEGORY and av in _CATEGORY:
            hit = hit or re.fullmatch(_CATEGORY[av], c) is not None
        else:
            return None
    return hit != negate


def _first(seq, c: str) -> tuple[bool, bool]:
    """(can a match of `seq` start with `c`, can `seq` match the empty string) -
    conservative: (True, True) for anything not understood."""
    for op, av in seq:
        possible, nullable = _first_item(op, av, c)
        if possible:
            return True, True
        if not nullable:
            return False, False
    return False, True


def _first_item(op, av, c: str) -> tuple[bool, bool]:
    if op is _C.LITERAL:
        return av == ord(c), False
    if op is _C.NOT_LITERAL:
        return av != ord(c), False
    if op is _C.ANY:
        return True, False
    if op is _C.IN:
        r = _in_set(av, c)
        return (True, True) if r is None else (r, False)
    if op is _C.BRANCH:
        res = [_first(b, c) for b in av[1]]
        return any(p for p, _ in res), any(n for _, n in res)
    if op is _C.SUBPATTERN:
        _group, add_flags, _del, p = av
        if add_flags & (re.IGNORECASE | re.VERBOSE):
            return True, True
        return _first(p, c)
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)):
        lo, _hi, p = av
        possible, nullable = _first(p, c)
        return possible, nullable or lo == 0
    if op in (_C.ASSERT, _C.ASSERT_NOT, _C.AT):
        return False, True  # zero-width: ignoring it only widens the candidate set
    return True, True


_PARSED: dict[tuple[str, int], object] = {}


def can_start(pattern: str, flags: int, c: str) -> bool:
    """Whether a match of regex `pattern` can begin with character `c` (may say True
    wrongly, never False wrongly)."""
    if flags & re.IGNORECASE:
        return True
    key = (pattern, flags)
    parsed = _PARSED.get(key)
    if parsed is None:
        try:
            parsed = _P.parse(pattern, flags)
        except Exception:  # noqa: BLE001 - unknown construct: always try this terminal
            parsed = False
        _PARSED[key] = parsed
    if parsed is False:
        return True
    try:
        return _first(parsed, c)[0]
    except Exception:  # noqa: BLE001
        return True


class FirstCharScanner:
    """Same interface and results as `lark.lexer.Scanner`, first-character dispatch."""

    def __init__(self, terminals, g_regex_flags, re_, use_bytes):
        self.terminals = terminals
        self.allowed_types = {t.name for t in terminals}
        self._flags = g_regex_flags
        self._items: list[tuple[str, str | None, object, str]] = []
        for t in terminals:
            if isinstance(t.pattern, PatternStr) and not t.pattern.flags:
                self._items.append((t.name, t.pattern.value, None, ""))
            else:
                rx = t.pattern.to_regexp()
                self._items.append((t.name, None, re_.compile(rx, g_regex_flags), rx))
        self._by_char: dict[str, list] = {}
        # Lark's `UnlessCallback` uses `fullmatch` on a scanner of keyword strings
        self._fallback: Scanner | None = None
        self._args = (terminals, g_regex_flags, re_, use_bytes)

    def _candidates(self, c: str) -> list:
        out = []
        for name, lit, rx, src in self._items:
            if lit is not None:
                if lit.startswith(c):
                    out.append((name, lit, None))
            elif can_start(src, self._flags, c):
                out.append((name, None, rx))
        self._by_char[c] = out
        return out

    def match(self, text, pos):
        s = text.text
        if pos >= text.end:
            return None
        c = s[pos]
        cands = self._by_char.get(c)
        if cands is None:
            cands = self._candidates(c)
        end = text.end
        for name, lit, rx in cands:
            if lit is not None:
                if s.startswith(lit, pos) and pos + len(lit) <= end:
                    return lit, name
            else:
                m = rx.match(s, pos, end)
                if m:
                    return m.group(0), name
        return None

    def fullmatch(self, text: str):
        if self._fallback is None:
            self._fallback = Scanner(*self._args)
        return self._fallback.fullmatch(text)


class FastBasicLexer(BasicLexer):
    def _build_scanner(self):
        terminals, self.callback = _create_unless(self.terminals, self.g_regex_flags, self.re,
                                                  self.use_bytes)
        for type_, f in self.user_callbacks.items():
            if type_ not in self.callback:
                self.callback[type_] = f
            else:  # pragma: no cover - this grammar sets no lexer callbacks
                raise NotImplementedError("chained lexer callbacks")
        return FirstCharScanner(terminals, self.g_regex_flags, self.re, self.use_bytes)


class FastContextualLexer(ContextualLexer):
    BasicLexer = FastBasicLexer


PLUGINS: dict[str, Callable] = {"ContextualLexer": FastContextualLexer}
