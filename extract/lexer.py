"""Split Lean 4 source text into commands without parsing Lean.

Why a hand lexer and not a grammar: extraction must read all of Mathlib (~100 MB) in well
under two minutes on two cores, and it must never give up on a file because of syntax it
does not know.  Lean commands in library code start at column 0 (continuation lines are
indented, Mathlib's style linter enforces it), so once comments, docstrings, string and char
literals are blanked out ("masked", same length and same line breaks), a command starts at
any column-0 line whose first token is not a known continuation (`|`, `where`, `with`, ...).

The masked text keeps every offset of the original, so spans found in it index the raw
text directly.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

# Tokens that change the lexical state.  `'` is a char literal only after a non-identifier
# character; primes inside identifiers (`h'`, `f''`) are the common case.
_SPECIAL = re.compile(r"/-|--|\"|'")
_BLOCK_EDGE = re.compile(r"/-|-/")
_STRING_BODY = re.compile(r'(?:[^"\\]|\\.)*"', re.S)
_CHAR_LIT = re.compile(r"'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^'\\\n])'")
_IDENT_CHAR = re.compile(r"[\w'!?₀-₉ₐ-ₜᵢ-ᵪⱼ.]")

#: First tokens of a column-0 line that continue the previous command instead of starting one.
CONTINUATION_WORDS = frozenset({
    "where", "with", "by", "in", "then", "else", "at", "from", "using", "fun", "do",
    "termination_by", "decreasing_by", "if", "match", "have", "show", "calc", "let", "exact",
    "refine", "intro", "rw", "simp", "all_goals", "any_goals", "case", "next", "deriving",
})
_FIRST_WORD = re.compile(r"[^\s()\[\]{}⦃⦄⟨⟩,:]+")
_SPACES = re.compile(r"\s*")
_COL0 = re.compile(r"^[^\s]", re.M)
_COMMAND_START_CHAR = re.compile(r"[\w@#«_]")
#: the previous code ends in the middle of a term: a column-0 identifier continues it
_OPEN_ENDED = re.compile(
    r"(?::=|\bby|=>|↦|<\||\$|,|\(|\[|\{|⟨|<;>"
    r"|(?<![\w.'])(?:alias|theorem|lemma|def|abbrev|instance)"
    r"|^attribute[^\n]*\])\s*\Z", re.M)
#: words that always start a command, even after an open-ended line
COMMAND_WORDS = frozenset({
    "theorem", "lemma", "def", "abbrev", "instance", "structure", "class", "inductive",
    "coinductive", "alias", "opaque", "axiom", "example", "irreducible_def", "namespace",
    "section", "end", "open", "variable", "variable?", "universe", "set_option", "omit",
    "include", "attribute", "notation", "notation3", "infix", "infixl", "infixr", "prefix",
    "postfix", "macro", "macro_rules", "syntax", "elab", "elab_rules", "import", "module",
    "mutual", "private", "protected", "noncomputable", "nonrec", "partial", "unsafe", "public",
    "meta", "local", "scoped", "deriving", "initialize", "export", "add_decl_doc",
    "assert_not_exists", "library_note", "run_cmd", "simproc", "declare_syntax_cat",
})


@dataclass(frozen=True, slots=True)
class Comment:
    """A block comment; `kind` is "doc" (`/--`), "moddoc" (`/-!`) or "plain"."""

    start: int
    end: int  # exclusive; the offset just after `-/` (or len(text) if unterminated)
    kind: str


@dataclass(frozen=True, slots=True)
class Masked:
    """The text with comments and literal contents blanked, plus what was blanked."""

    text: str
    masked: str
    comments: tuple[Comment, ...]
    unterminated_at: int | None  # offset of an unterminated block comment or string


def _blank(seg: str) -> str:
    """Spaces of the same length, keeping line breaks so lines and columns stay put."""
    if "\n" not in seg:
        return " " * len(seg)
    return "\n".join(" " * len(part) for part in seg.split("\n"))


def mask(text: str) -> Masked:
    """Blank out comments and the contents of string/char literals."""
    out: list[str] = []
    comments: list[Comment] = []
    pos = 0
    n = len(text)
    unterminated: int | None = None
    search = _SPECIAL.search
    while True:
        m = search(text, pos)
        if m is None:
            out.append(text[pos:])
            break
        tok = m.group()
        i = m.start()
        if tok == "--":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(text[pos:i])
            out.append(" " * (j - i))
            pos = j
        elif tok == "/-":
            depth = 1
            k = i + 2
            while depth:
                e = _BLOCK_EDGE.search(text, k)
                if e is None:
                    break
                depth += 1 if e.group() == "/-" else -1
                k = e.end()
            if depth:
                unterminated = i
                k = n
            nxt = text[i + 2:i + 3]
            kind = "doc" if nxt == "-" and text[i + 3:i + 4] != "/" else (
                "moddoc" if nxt == "!" else "plain")
            comments.append(Comment(i, k, kind))
            out.append(text[pos:i])
            out.append(_blank(text[i:k]))
            pos = k
            if depth:
                break
        elif tok == '"':
            s = _STRING_BODY.match(text, i + 1)
            out.append(text[pos:i + 1])
            if s is None:
                unterminated = i
                out.append(_blank(text[i + 1:]))
                pos = n
                break
            j = s.end()
            out.append(_blank(text[i + 1:j - 1]))
            out.append('"')
            pos = j
        else:  # "'"
            if i > 0 and _IDENT_CHAR.match(text, i - 1):
                out.append(text[pos:i + 1])
                pos = i + 1
                continue
            c = _CHAR_LIT.match(text, i)
            if c is None:
                out.append(text[pos:i + 1])
                pos = i + 1
                continue
            j = c.end()
            out.append(text[pos:i + 1])
            out.append(" " * (j - i - 2))
            out.append("'")
            pos = j
    return Masked(text, "".join(out), tuple(comments), unterminated)


@dataclass(frozen=True, slots=True)
class Piece:
    """A column-0 chunk of the file: from one command start to the next (exclusive)."""

    start: int
    end: int


def command_starts(mk: Masked) -> list[int]:
    """Offsets where a new command (or a docstring / module doc belonging to one) begins."""
    masked = mk.masked
    starts: list[int] = []
    for m in _COL0.finditer(masked):
        i = m.start()
        if not _COMMAND_START_CHAR.match(masked, i):
            continue
        w = _FIRST_WORD.match(masked, i)
        if w is not None:
            word = w.group()
            if word in CONTINUATION_WORDS:
                if word != "deriving" or not masked.startswith("deriving instance", i):
                    continue
            if word not in COMMAND_WORDS and starts and masked[i] not in "@#" and \
                    _OPEN_ENDED.search(masked, max(0, i - 400), i):
                continue  # e.g. a term proof written at column 0 after `:=`
        starts.append(i)
    code_starts = list(starts)
    for c in mk.comments:
        if c.kind != "plain" and (c.start == 0 or mk.text[c.start - 1] == "\n") and \
                not _inside_attribute(masked, code_starts, c.start):
            # a docstring at column 0 that documents an indented structure field is not
            # a command start: the code after it must be on its line or at column 0
            nxt = _SPACES.match(masked, c.end).end()
            if c.kind == "doc" and nxt < len(masked) and "\n" in masked[c.end:nxt] and \
                    masked[nxt - 1] != "\n":
                continue
            starts.append(c.start)
    starts.sort()
    return starts


def _inside_attribute(masked: str, starts: list[int], at: int) -> bool:
    """Is offset `at` inside an attribute list left open by the command before it?  A
    docstring given to `to_additive` (`@[to_additive ArchimedeanClass` then a column-0
    `/-- … -/]`, Mathlib/Algebra/Order/Archimedean/Class.lean) belongs to the attribute,
    not a new command: cut there, the declaration would lose its attributes."""
    k = bisect_right(starts, at) - 1
    if k < 0:
        return False
    opened = masked.rfind("@[", starts[k], at)
    if opened < 0:
        return False
    depth = 0
    for ch in masked[opened + 1:at]:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
    return depth > 0


def pieces(mk: Masked) -> list[Piece]:
    """Cut the file at every command start; the text before the first start is dropped
    (it can only hold comments and blank lines)."""
    st = command_starts(mk)
    n = len(mk.text)
    return [Piece(s, st[k + 1] if k + 1 < len(st) else n) for k, s in enumerate(st)]


class LineIndex:
    """Offset -> (1-based line, UTF-8 byte offset) for one text, in O(log n)."""

    __slots__ = ("text", "starts", "_bytes")

    def __init__(self, text: str) -> None:
        self.text = text
        starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self.starts = starts
        self._bytes: list[int] | None = None

    def line(self, offset: int) -> int:
        return bisect_right(self.starts, offset)

    def byte(self, offset: int) -> int:
        if self._bytes is None:
            acc = 0
            bl = []
            prev = 0
            text = self.text
            for s in self.starts:
                acc += len(text[prev:s].encode("utf-8"))
                bl.append(acc)
                prev = s
            self._bytes = bl
        k = bisect_right(self.starts, offset) - 1
        s = self.starts[k]
        return self._bytes[k] + len(self.text[s:offset].encode("utf-8"))
