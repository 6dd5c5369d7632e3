"""A tight LALR driver over a compiled Lark parser: same tables, same lexers, same
callbacks, less Python per token.

Why: after the first-character scanner (`fastlex.py`), ~60% of the time of parsing all of
Mathlib was Lark's generic machinery around each token, not grammar work: a generator per
parse, a `Token` with eight position fields, line/column counting, a `Rule` object hashed
(deep `__eq__`) to find each reduction's callback, and a keyword `fullmatch` on every
identifier.  This driver runs the very same parse table and callbacks, precomputed into
plain dicts (reduce -> (size, callback, goto symbol)), memoizes the keyword check per
identifier text, and builds tokens with only `type` and `value` (the transformer reads
nothing else; `propagate_positions` is off).  It reads Lark internals (`ParsingFrontend`,
`_Parser.parse_table`, `ContextualLexer.lexers`), so `FastLalr.check` states what it needs
and `parser.get_fast` falls back to `Lark.parse` when a Lark upgrade breaks that.
"""

from __future__ import annotations

from lark import Token
from lark.exceptions import LarkError
from lark.parsers.lalr_analysis import Shift

from lean_alchemy.grammar.fastlex import FastBasicLexer, FirstCharScanner


class FastParseError(LarkError):
    """The text is not in the grammar (unexpected character or token, or early end)."""


_new_str = str.__new__


class _LexState:
    """One contextual-lexer state's scanner plus a keyword memo (`fun` is FUN, not NAME)."""

    __slots__ = ("by_char", "scanner", "ignore", "unless", "kw")

    def __init__(self, lexer: FastBasicLexer) -> None:
        scanner = lexer.scanner
        if not isinstance(scanner, FirstCharScanner):
            raise TypeError("FastLalr needs the first-character scanner")
        self.scanner = scanner
        self.by_char = scanner._by_char
        self.ignore = frozenset(lexer.ignore_types)
        self.unless = dict(lexer.callback)  # terminal -> UnlessCallback (keywords)
        self.kw: dict[tuple[str, str], str] = {}


class FastLalr:
    """`parse(text, start)` == `lark.parse(text, start=start)` for a LALR + contextual-lexer
    Lark built with `fastlex.PLUGINS` and an inline transformer."""

    def __init__(self, lark) -> None:
        front = lark.parser
        inner = front.parser.parser
        table = inner.parse_table
        callbacks = inner.callbacks
        self.start_states = dict(table.start_states)
        self.end_states = dict(table.end_states)
        # state -> {symbol: next state (shift/goto) | (size, callback, origin) (reduce)}
        self.states: dict[int, dict[str, object]] = {}
        for st, acts in table.states.items():
            d: dict[str, object] = {}
            for sym, (action, arg) in acts.items():
                if action is Shift:
                    d[sym] = arg
                else:
                    d[sym] = (len(arg.expansion), callbacks[arg], arg.origin.name)
            self.states[st] = d
        by_lexer: dict[int, _LexState] = {}
        self.lexers: dict[int, _LexState] = {}
        for st, lx in front.lexer.lexers.items():
            ls = by_lexer.get(id(lx))
            if ls is None:
                ls = by_lexer[id(lx)] = _LexState(lx)
            self.lexers[st] = ls
        self.check()

    def check(self) -> None:
        """The assumptions the driver makes about Lark's objects (raise if not met)."""
        for d in self.states.values():
            for v in d.values():
                if not (type(v) is int or (type(v) is tuple and len(v) == 3)):
                    raise TypeError("unexpected LALR table entry")
        if set(self.lexers) != set(self.states):
            raise TypeError("contextual lexers do not cover the parser states")

    def parse(self, s: str, start: str = "start"):
        states, lexers = self.states, self.lexers
        stack = [self.start_states[start]]
        values: list = []
        end_state = self.end_states[start]
        pos, n = 0, len(s)
        while True:
            # ---- next token, lexed in the context of the current parser state
            ls = lexers[stack[-1]]
            tok = None
            type_ = "$END"
            while pos < n:
                c = s[pos]
                cands = ls.by_char.get(c)
                if cands is None:
                    cands = ls.scanner._candidates(c)
                for name, lit, rx in cands:
                    if lit is not None:
                        if s.startswith(lit, pos):
                            value = lit
                            break
                    else:
                        m = rx.match(s, pos, n)
                        if m:
                            value = m.group(0)
                            break
                else:
                    raise FastParseError(f"unexpected character {c!r} at {pos}")
                pos += len(value)
                if name in ls.ignore:
                    continue
                if name in ls.unless:
                    key = (name, value)
                    kw = ls.kw.get(key)
                    if kw is None:
                        t = Token(name, value)
                        kw = ls.kw[key] = ls.unless[name](t).type
                    name = kw
                tok = _new_str(Token, value)
                tok.type = name
                tok.value = value
                type_ = name
                break
            # ---- feed it: reduce as long as the table says so, then shift
            while True:
                act = states[stack[-1]].get(type_)
                if act is None:
                    raise FastParseError(f"unexpected {type_} {tok!r} at {pos}")
                if type(act) is int:
                    if tok is None:
                        raise FastParseError("unexpected end of input")
                    stack.append(act)
                    values.append(tok)
                    break
                size, cb, origin = act  # type: ignore[misc]
                if size:
                    args = values[-size:]
                    del stack[-size:]
                    del values[-size:]
                else:
                    args = []
                values.append(cb(args))
                stack.append(states[stack[-1]][origin])
                if tok is None and stack[-1] == end_state:
                    return values[-1]
