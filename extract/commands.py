"""Group column-0 pieces into commands and read a command's header.

A command is: optional `... in` prefix commands (`open X in`, `set_option o v in`,
`variable (x) in`, ...), an optional docstring, attributes `@[...]`, modifiers
(`private`, `protected`, `noncomputable`, `local`, ...), then a keyword.  Docstrings and
attributes often sit on their own column-0 lines, so such "prefix-only" pieces are merged
into the command that follows.  Everything here works on the masked text (see `lexer`),
where bracket depth can be counted without tripping over comments or strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lean_alchemy.core.records import Binder

from .lexer import Masked, Piece

MODIFIERS = frozenset({
    "private", "protected", "noncomputable", "nonrec", "partial", "unsafe", "public", "meta",
    "local", "scoped",
})
#: commands that may prefix another one with a trailing `in`
IN_PREFIX_KEYWORDS = frozenset({
    "open", "set_option", "variable", "variable?", "include", "omit", "attribute", "local",
    "scoped", "unseal", "seal",
})
_WS = re.compile(r"\s*")
_WORD = re.compile(r"[^\s()\[\]{}⦃⦄⟨⟩,:@]+")
_ENDS_IN = re.compile(r"(?<![\w.'])in\s*\Z")
_OPEN = "([{⦃⟨"
_CLOSE = ")]}⦄⟩"
_BRACKET = re.compile(r"[(\[{⦃⟨)\]}⦄⟩]")


@dataclass(frozen=True, slots=True)
class Command:
    """One command of the file, possibly with `in` prefixes, as offsets into the text.

    `start` is the first offset of the whole command (first prefix, docstring or attribute),
    `body` the offset of the main command's first piece, `end` the end of its code
    (trailing blank lines and comments excluded), `prefixes` the spans of `... in` prefix
    commands (without the `in`).
    """

    start: int
    body: int
    end: int
    prefixes: tuple[tuple[int, int], ...] = ()


def match_close(masked: str, i: int, limit: int) -> int:
    """Offset just after the bracket matching the opener at `i` (or -1 if unbalanced)."""
    depth = 0
    for m in _BRACKET.finditer(masked, i, limit):
        if m.group() in _OPEN:
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return m.end()
    return -1


def skip_attrs_modifiers(masked: str, pos: int, limit: int) -> tuple[int, list[tuple[int, int]],
                                                                    list[str]]:
    """Skip whitespace, `@[...]` groups and modifier words from `pos`.

    Returns the offset of the next token, the spans of the attribute lists (inside the
    brackets) and the modifier words, in order.
    """
    attrs: list[tuple[int, int]] = []
    mods: list[str] = []
    while True:
        pos = _WS.match(masked, pos, limit).end()
        if masked.startswith("@[", pos):
            j = match_close(masked, pos + 1, limit)
            if j < 0:
                return pos, attrs, mods
            attrs.append((pos + 2, j - 1))
            pos = j
            continue
        w = _WORD.match(masked, pos, limit)
        if w is not None and w.group() in MODIFIERS:
            # `local`/`scoped` are modifiers only when a command follows, never alone
            mods.append(w.group())
            pos = w.end()
            if masked.startswith("[", pos):  # `scoped[NS] notation ...`
                j = match_close(masked, pos, limit)
                pos = j if j > 0 else pos
            continue
        return pos, attrs, mods


def first_word(masked: str, pos: int, limit: int) -> str:
    w = _WORD.match(masked, pos, limit)
    return w.group() if w else ""


def code_end(masked: str, start: int, end: int) -> int:
    """End of the last non-blank masked character in [start, end)."""
    seg = masked[start:end]
    return start + len(seg.rstrip())


def group_commands(mk: Masked, pcs: list[Piece]) -> list[Command]:
    """Merge docstring/attribute-only pieces and `... in` prefixes into their command."""
    masked = mk.masked
    doc_starts = {c.start: c for c in mk.comments if c.kind != "plain"}
    out: list[Command] = []
    pend_start: int | None = None  # first offset of the command being assembled
    main_start: int | None = None  # first docstring/attribute piece after the prefixes
    prefixes: list[tuple[int, int]] = []
    for p in pcs:
        c = doc_starts.get(p.start)
        if c is not None:
            if c.kind == "moddoc":
                pend_start, main_start, prefixes = None, None, []
                # text after a module doc on the same piece is still code
                e = code_end(masked, c.end, p.end)
                if e > c.end and masked[c.end:e].strip():
                    b = _WS.match(masked, c.end).end()
                    out.append(Command(b, b, e))
                continue
        e = code_end(masked, p.start, p.end)
        pos, _attrs, _mods = skip_attrs_modifiers(masked, p.start, e)
        if pos >= e:  # docstring / attributes / modifiers alone on their line(s)
            if pend_start is None:
                pend_start = p.start
            if main_start is None:
                main_start = p.start
            continue
        word = first_word(masked, pos, e)
        if word in IN_PREFIX_KEYWORDS:
            m = _ENDS_IN.search(masked, pos, e)
            if m is not None:
                if pend_start is None:
                    pend_start = p.start
                prefixes.append((pos, code_end(masked, pos, m.start())))
                main_start = None
                continue
        start = pend_start if pend_start is not None else p.start
        body = main_start if main_start is not None else p.start
        out.append(Command(start, body, e, tuple(prefixes)))
        pend_start, main_start, prefixes = None, None, []
    return out


# ---------------------------------------------------------------- declaration headers

_NAME = re.compile(r"(?:«[^»]*»|[^\s()\[\]{}⦃⦄⟨⟩,:@«»|.])(?:«[^»]*»|[^\s()\[\]{}⦃⦄⟨⟩,:@«»|])*")
_UNIV_PARAMS = re.compile(r"\.\{[^}]*\}")
_SIG_TOK = re.compile(r"[(\[{⦃⟨]|[)\]}⦄⟩]|:=|::|:|\n[ \t]*\||\||(?<![\w.'])where(?![\w'])"
                      r"|(?<![\w.'])(?:let|have|haveI|letI)(?![\w'!?])")
_LET_WORDS = frozenset({"let", "have", "haveI", "letI"})
_LINE_HAS_ARROW = re.compile(r"[^\n]*=>")
_SAME_LINE_ALT = re.compile(r"(?:(?!:=)[^\n])*=>")


@dataclass(frozen=True, slots=True)
class Signature:
    """Offsets of the parts of a declaration after its name."""

    binder_groups: tuple[tuple[int, int, str], ...]  # (start, end, opener) incl. brackets
    colon: int  # offset of the `:` before the conclusion, -1 if none
    delim: int  # offset of `:=` / `|` / `where` starting the proof, -1 if none
    delim_kind: str  # ":=" | "|" | "where" | ""


def read_name(masked: str, pos: int, limit: int) -> tuple[str, int]:
    """The declared name at `pos` (with `.{u}` universe parameters skipped)."""
    m = _NAME.match(masked, pos, limit)
    if m is None:
        return "", pos
    name = m.group()
    end = m.end()
    # `_NAME` stops before `.{`; dotted parts are matched because `.` is allowed inside
    if name.endswith("."):
        name, end = name[:-1], end - 1
    u = _UNIV_PARAMS.match(masked, end, limit)
    if u is not None:
        end = u.end()
    return name, end


def read_signature(masked: str, pos: int, limit: int) -> Signature:
    """Find binder groups, the conclusion colon and the proof delimiter at depth 0."""
    groups: list[tuple[int, int, str]] = []
    depth = 0
    colon = -1
    group_start = -1
    lets = 0
    for m in _SIG_TOK.finditer(masked, pos, limit):
        t = m.group()
        c = t[0]
        if c in _OPEN:
            if depth == 0 and colon < 0:
                group_start = m.start()
            depth += 1
        elif c in _CLOSE:
            depth -= 1
            if depth == 0 and colon < 0 and group_start >= 0:
                groups.append((group_start, m.end(), masked[group_start]))
                group_start = -1
            if depth < 0:
                depth = 0
        elif depth:
            continue
        elif t in _LET_WORDS:
            if colon >= 0:  # `: letI := i; P := proof`: the first `:=` is the let's
                lets += 1
        elif t == ":=":
            if lets:
                lets -= 1
                continue
            return Signature(tuple(groups), colon, m.start(), ":=")
        elif t == ":":
            if colon < 0:
                colon = m.start()
        elif t == "::":
            continue
        elif t == "where":
            return Signature(tuple(groups), colon, m.start(), "where")
        elif t == "|":  # `... : P | pat => rhs` on one line
            if colon >= 0 and _SAME_LINE_ALT.match(masked, m.start(), limit):
                return Signature(tuple(groups), colon, m.start(), "|")
        else:  # newline + `|`
            bar = m.end() - 1
            if colon >= 0 and _LINE_HAS_ARROW.match(masked, bar, limit):
                return Signature(tuple(groups), colon, bar, "|")
    return Signature(tuple(groups), colon, -1, "")


_GROUP_COLON = re.compile(r"[(\[{⦃⟨]|[)\]}⦄⟩]|:=|::|:")
_KIND_OF_OPENER = {"(": "explicit", "{": "implicit", "[": "inst", "⦃": "strict", "⟨": "explicit"}
_SIMPLE_NAME = re.compile(r"[^\s()\[\]{}⦃⦄⟨⟩,:]+\Z")


def _top_colon(masked: str, start: int, end: int) -> int:
    depth = 0
    for m in _GROUP_COLON.finditer(masked, start, end):
        t = m.group()
        if t[0] in _OPEN:
            depth += 1
        elif t[0] in _CLOSE:
            depth -= 1
        elif depth == 0 and t == ":":
            return m.start()
    return -1


# a block comment (`/- … -/`, a doc comment `/-- … -/` too) or a line comment, whichever
# starts first: the `--` that opens a doc comment is not a line comment
_COMMENT = re.compile(r"/-(?:(?!-/).)*-/|--[^\n]*", re.S)


def strip_comments(seg: str) -> str:
    """Drop comments from a statement fragment (rare, but a `--` comment would swallow
    the rest of the text once binder types are joined onto one line).  One left-to-right
    pass: removing line comments first read `/-- doc -/ inv : Y ⟶ X` as the line comment
    `-- doc -/ inv : Y ⟶ X` after a stray `/`."""
    if "--" in seg or "/-" in seg:
        return _COMMENT.sub(lambda m: " " if m.group().startswith("/-") else "", seg)
    return seg


def _norm(seg: str) -> str:
    return " ".join(strip_comments(seg).split())


def binders_of_group(text: str, masked: str, start: int, end: int) -> list[Binder]:
    """Binders of one bracket group `text[start:end]` (brackets included)."""
    opener = masked[start]
    lo, hi = start + 1, end - 1
    kind = _KIND_OF_OPENER.get(opener, "explicit")
    if opener == "{" and masked.startswith("{{", start) and masked[hi - 1:hi + 1] == "}}":
        kind, lo, hi = "strict", lo + 1, hi - 1
    colon = _top_colon(masked, lo, hi)
    if kind == "inst":
        if colon >= 0 and _SIMPLE_NAME.match(masked[lo:colon].strip() or " "):
            return [Binder(text[lo:colon].strip(), "inst", _norm(text[colon + 1:hi]))]
        return [Binder("", "inst", _norm(text[lo:hi]))]
    if colon < 0:
        dflt = masked.find(":=", lo, hi)
        if dflt >= 0:  # `(h := by tac)`: an auto-param with an inferred type
            names = text[lo:dflt].split()
            return [Binder(n, kind, "_ " + _norm(text[dflt:hi])) for n in names]
        names = text[lo:hi].split()
        return [Binder(n, kind, None) for n in names]
    typ = _norm(text[colon + 1:hi])
    names = text[lo:colon].split()
    return [Binder(n, kind, typ) for n in names]


def parse_binders(text: str, masked: str, start: int, end: int) -> tuple[Binder, ...]:
    """All binders written between `start` and `end` (bracket groups and bare names)."""
    out: list[Binder] = []
    pos = start
    while pos < end:
        pos = _WS.match(masked, pos, end).end()
        if pos >= end:
            break
        ch = masked[pos]
        if ch in _OPEN:
            j = match_close(masked, pos, end)
            if j < 0:
                break
            out.extend(binders_of_group(text, masked, pos, j))
            pos = j
        else:
            w = _WORD.match(masked, pos, end)
            if w is None:
                pos += 1
                continue
            out.append(Binder(w.group(), "explicit", None))
            pos = w.end()
    return tuple(out)


def split_attributes(text: str, masked: str, lo: int, hi: int) -> list[str]:
    """`simp, to_additive (attr := simp)` -> ["simp", "to_additive (attr := simp)"]."""
    out: list[str] = []
    depth = 0
    s = lo
    for i in range(lo, hi):
        ch = masked[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(" ".join(text[s:i].split()))
            s = i + 1
    last = " ".join(text[s:hi].split())
    if last:
        out.append(last)
    return [a for a in out if a]
