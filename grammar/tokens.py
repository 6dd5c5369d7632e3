"""Lean's token table and a lexer that reads text the way Lean's does (maximal munch).

Why: the grammar's round trip compares parse(print(t)) with t, which cannot see a misparse
that the printer reproduces (`f^[n]` read as `f ^ [n]` prints `f ^ [n]` and re-parses the
same).  Lean itself reads the longest token of the table in force, so `f^[n]`, `C(X, Y)`,
`MeasurableSet[m]` are single tokens followed by their arguments; lexing the source text
and the printed text with the same table and comparing the sequences tells whether what we
print is what Lean reads (`same_tokens`, `first_difference`).

The table is Lean core's tokens plus the tokens that the library's own `notation`, `infix`,
`prefix`, `postfix`, `macro`, `syntax` and `elab` commands declare (`declared_tokens` reads
them off a command; the extract stage records them as `NotationDecl`s).  Scoped tokens
(`scoped notation`, `scoped[NS] ...`) are active only where their namespace is open or
entered (`TokenTable.active`, `TokenTable.for_scope`); `local` ones only in the scope whose
commands hold them.

Lexing rules (Lean's `tokenFn`/`identFn`): whitespace and comments separate tokens; at an
identifier start, the identifier is taken unless a token at least as long matches there
(`C(` beats `C`, `MeasurableSet[` beats `MeasurableSet`, `Set.univ` beats `Set`); elsewhere
the longest token.  Lean also reads some tokens differently with and without preceding
whitespace (`l[i]` is indexing, `l [i]` an application to a list; `l[i]?`): those tokens
carry a glue mark (`GLUE`) when they follow a term without space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from lean_alchemy.grammar.parser import LETTER, NAME_RE, comment_end

GLUE = "⁀"  # prefix of a token written without space after the end of a term

# Lean 4 core term-level tokens (Init/Prelude, Init/Notation, Init/Core, term syntax of
# Lean.Parser.Term): punctuation, operators, keywords.  Mathlib's own come from records.
CORE_TOKENS: frozenset[str] = frozenset("""
( ) [ ] { } ⟨ ⟩ ⦃ ⦄ ‹ › , ; : := :: . .. ... @ @[ # _ ` · ⋯ ? ! | ]'
=> ↦ ← → ↔ <- -> <-> ∀ ∃ ∃! Π Σ Σ' λ ¬ ∧ ∨ /\\ \\/ && || ∘ × ×' ⊕ ⊕' ▸ ≍
= == != ≠ < > ≤ ≥ <= >= ∣ ∈ ∉ ⊆ ⊂ ⊇ ⊃ ∪ ∩ \\ ∅ + - * / % ^ ++ <| |> <|> >>= >> >=> <$> <*> *> <*
$ |>. ⁻¹ ::: %[ ⟦ ⟧ ⟪ ⟫
fun if then else let have show from by do match with at in calc Type Sort Prop haveI letI
suffices nofun nomatch where termination_by decreasing_by open set_option
""".split())

_IDENT = re.compile(NAME_RE)
_NUM = re.compile(r"0x[0-9a-fA-F_]+|0b[01_]+|0o[0-7_]+|[0-9][0-9_]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STR = re.compile(r'"(?:[^"\\]|\\.)*"')
_CHAR = re.compile(r"'(?:[^'\\]|\\.[^']*)'")
_WS = re.compile(r"\s+")
_IDENT_START = re.compile(f"[{LETTER}«]")
_TERM_END = frozenset(")]}⟩⦄⟧")
# (glue-sensitive token, tokens it is glued to): Lean's `noWs` uses in core's term syntax
# (`xs[i]` GetElem, `xs[i]?`, `xs[i]!`), Mathlib's explicit-instance brackets and its
# `R⟦Γ⟧` (HahnSeries), `X⟦n⟧` (a shift): `R ⟦Γ⟧` is `R` applied to a quotient
_GLUE_AFTER_TERM = frozenset({"[", "⟦"})
_GLUE_AFTER_CLOSE = frozenset({"?", "!"})


@dataclass(frozen=True)
class Lexicon:
    """One active token set, indexed for maximal munch (tokens by first character,
    longest first).  Built by `TokenTable.active`; lexing is `lex(text, lexicon)`."""

    tokens: frozenset[str]
    _by_char: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        idx: dict[str, list[str]] = {}
        for t in self.tokens:
            idx.setdefault(t[0], []).append(t)
        for lst in idx.values():
            lst.sort(key=len, reverse=True)
        self._by_char.update({c: tuple(v) for c, v in idx.items()})

    def longest(self, s: str, i: int) -> str:
        """The longest token of the set that `s` has at `i` ("" if none)."""
        for t in self._by_char.get(s[i], ()):
            if s.startswith(t, i):
                return t
        return ""


@dataclass(frozen=True)
class TokenTable:
    """Global tokens plus scoped ones by namespace.  `active(namespaces)` is the set Lean
    has in force where those namespaces are open (memoized: statements share scopes)."""

    tokens: frozenset[str] = CORE_TOKENS
    scoped: tuple[tuple[str, frozenset[str]], ...] = ()
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def active(self, namespaces: Iterable[str] = (), extra: Iterable[str] = ()) -> Lexicon:
        """The lexicon in force with `namespaces` open (and `extra` local tokens)."""
        key = (frozenset(namespaces), frozenset(extra))
        hit = self._memo.get(key)
        if hit is None:
            toks = set(self.tokens) | set(key[1])
            for ns, ts in self.scoped:
                if ns in key[0]:
                    toks |= ts
            hit = self._memo[key] = Lexicon(frozenset(toks))
        return hit

    def for_scope(self, scope) -> Lexicon:
        """The lexicon in force at a `core.records.Scope` (its namespaces, its `open`s,
        its `local notation` commands)."""
        local: list[str] = []
        for kind, text in scope.commands:
            if kind == "notation":
                local.extend(declared_tokens(text))
        return self.active(open_namespaces(scope), local)

    @property
    def lexicon(self) -> Lexicon:
        """The global tokens only (no namespace open)."""
        return self.active()


def build_token_table(decls: Iterable, base: Iterable[str] = CORE_TOKENS) -> TokenTable:
    """The token table of a library from its `NotationDecl` records: Lean core's tokens
    (`base`) plus every global declaration's tokens; scoped ones are kept by namespace;
    local ones are left to the scopes that hold them (`TokenTable.for_scope`).  Pure: the
    index stage calls it once per run on `RUN/notations.parquet`."""
    glob = set(base)
    scoped: dict[str, set[str]] = {}
    for d in decls:
        if d.visibility == "global":
            glob.update(d.tokens)
        elif d.visibility == "scoped":
            scoped.setdefault(d.namespace, set()).update(d.tokens)
    return TokenTable(frozenset(glob),
                      tuple(sorted((ns, frozenset(ts)) for ns, ts in scoped.items())))


# ------------------------------------------------------------------ scopes

_OPEN_STOP = frozenset({"hiding", "renaming", "in"})


def open_namespaces(scope) -> tuple[str, ...]:
    """Namespaces whose scoped syntax is active at `scope`: every prefix of the namespace
    stack (`namespace A.B` enters `A` and `A.B`) and every namespace an `open` names, also
    relative to the enclosing namespaces (`open Real` inside `namespace X` may mean
    `X.Real`)."""
    ns = tuple(scope.namespaces)
    out: set[str] = {".".join(ns[:k]) for k in range(1, len(ns) + 1)}
    for kind, text in scope.commands:
        if kind != "open":
            continue
        for name in _opened(text):
            out.add(name)
            for k in range(1, len(ns) + 1):
                out.add(".".join(ns[:k]) + "." + name)
    return tuple(sorted(out))


def _opened(text: str) -> list[str]:
    """Names after `open` (`open scoped A B`, `open A (x y)`, `open A hiding x`)."""
    words = re.sub(r"\([^()]*\)", " ", text).split()
    out = []
    for w in words[1:]:
        if w in _OPEN_STOP:
            break
        if w == "scoped":
            continue
        out.append(w)
    return out


# ------------------------------------------------------------------ lexing

def lex(text: str, lexicon: Lexicon) -> list[str]:
    """Lean's token sequence of `text` (identifiers, literals and tokens as text; a glued
    glue-sensitive token prefixed with `GLUE`).  Never raises: a character no rule reads
    is a token of its own."""
    return _lex(text, lexicon, None)


def _lex(text: str, lexicon: Lexicon, breaks: list[bool] | None) -> list[str]:
    """`lex`; with `breaks`, also whether a line break precedes each token."""
    s, n = text, len(text)
    out: list[str] = []
    i = 0
    spaced = True  # whitespace (or the start) before the current position
    newline = False
    prev_end = False  # the previous token ends a term (identifier, literal, closer)
    while i < n:
        c = s[i]
        if c.isspace():
            j = _WS.match(s, i).end()
            newline = newline or "\n" in s[i:j]
            i = j
            spaced = True
            continue
        if c in "-/" and (s.startswith("--", i) or s.startswith("/-", i)):
            i = comment_end(s, i)
            spaced = True
            continue
        tok, kind, i = _next(s, i, lexicon)
        if not spaced and prev_end and (
                tok in _GLUE_AFTER_TERM
                or (tok in _GLUE_AFTER_CLOSE and out and out[-1].endswith("]"))):
            out.append(GLUE + tok)
        else:
            out.append(tok)
        if breaks is not None:
            breaks.append(newline)
        prev_end = kind or tok in _TERM_END
        spaced = newline = False
    return out


def _next(s: str, i: int, lexicon: Lexicon) -> tuple[str, bool, int]:
    """(token text, does it end a term, end offset) of the token at `i`."""
    c = s[i]
    if c == '"':
        m = _STR.match(s, i)
        if m:
            return m.group(), True, m.end()
    if c == "'":
        m = _CHAR.match(s, i)
        if m:
            return m.group(), True, m.end()
    tok = lexicon.longest(s, i)
    if _IDENT_START.match(c):
        m = _IDENT.match(s, i)
        if m and len(m.group()) > len(tok):
            return m.group(), True, m.end()
    elif c.isdigit():
        m = _NUM.match(s, i)
        if m and len(m.group()) > len(tok):
            return m.group(), True, m.end()
    if tok:
        return tok, False, i + len(tok)
    return c, False, i + 1


# ------------------------------------------------------------------ fidelity

_PARENS = frozenset({"(", ")"})


def _compared(text: str, lexicon: Lexicon) -> tuple[list[str], list[bool]]:
    """Tokens as compared, with their line-break marks: parentheses dropped, dotted
    identifiers split at their dots (`(x.f).g` prints as `x.f.g`, which Lean reads as
    the same projections)."""
    breaks: list[bool] = []
    toks = _lex(text, lexicon, breaks)
    out: list[str] = []
    brk: list[bool] = []
    carry = False  # a line break before a dropped parenthesis belongs to the next token
    for t, b in zip(toks, breaks):
        b = b or carry
        if t in _PARENS:
            carry = b
            continue
        carry = False
        if "." in t and "«" not in t and t[0] not in "\"'" and _IDENT_START.match(t):
            for k, part in enumerate(t.split(".")):
                if k:
                    out.append(".")
                    brk.append(False)
                out.append(part)
                brk.append(b and not k)
            continue
        out.append(t)
        brk.append(b)
    return out, brk


def first_difference(source: str, printed: str, lexicon: Lexicon
                     ) -> tuple[int, str, str] | None:
    """None when `printed` lexes to the tokens of `source` (ignoring whitespace, the
    parentheses a printer adds or drops, and a `;` printed where the source breaks the
    line, as after `haveI := i`), else (index, source token, printed token) of the first
    difference ("" past the end of a sequence)."""
    a, brk = _compared(source, lexicon)
    b, _ = _compared(printed, lexicon)
    if a == b:
        return None
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
        elif b[j] == ";" and brk[i]:
            j += 1
        else:
            return i, a[i], b[j]
    if i == len(a) and j == len(b):
        return None
    return i, a[i] if i < len(a) else "", b[j] if j < len(b) else ""


def same_tokens(source: str, printed: str, lexicon: Lexicon | TokenTable) -> bool:
    """Whether Lean reads `printed` as the same tokens as `source` (see
    `first_difference`); the mutate stage drops a mutant whose printed statement does not
    re-lex to the tokens of the statement it came from."""
    if isinstance(lexicon, TokenTable):
        lexicon = lexicon.lexicon
    return first_difference(source, printed, lexicon) is None


# ------------------------------------------------------------------ declarations

_FIXITY = frozenset({"infix", "infixl", "infixr", "prefix", "postfix"})
_DECL_WORDS = _FIXITY | {"notation", "notation3", "macro", "syntax", "elab"}
_HEAD = re.compile(r"\s*(?:@\[(?:[^\[\]]|\[[^\[\]]*\])*\]\s*)?"
                   r"(?:(?:local|scoped(?:\[[^\]]*\])?|private|protected|public|meta)\s+)*"
                   r"(notation3|notation|infixl|infixr|infix|prefix|postfix|macro|syntax|elab)"
                   r"(?![\w_])")
_LIT = re.compile(r'(&?)"((?:[^"\\]|\\.)*)"')
_ARROW_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|=>|[(\[{]|[)\]}]|--[^\n]*|/-.*?-/', re.S)
_CATEGORY = re.compile(r":\s*([A-Za-z_][\w.]*)\s*(?:=>|$)")
_IDENTLIKE = re.compile(f"[{LETTER}][{LETTER}0-9'!?₀-₉]*\\Z")


_LEADING_COMMENTS = re.compile(r"\s*(?:(?:/-.*?-/|--[^\n]*)\s*)*", re.S)


def _head(text: str) -> tuple[re.Match | None, str]:
    """The keyword match of a command text, after its docstring and leading comments."""
    text = text[_LEADING_COMMENTS.match(text).end():]
    return _HEAD.match(text), text


def declaration_keyword(text: str) -> str:
    """The syntax-declaring keyword of a command text (`notation`, `infixl`, ...), or ""."""
    m, _ = _head(text)
    return m.group(1) if m else ""


def _syntax_part(text: str, start: int) -> str:
    """The command's text from `start` up to its top-level `=>` (the whole rest for
    `syntax`), comments removed."""
    depth = 0
    out: list[str] = []
    last = start
    for m in _ARROW_OR_BRACKET.finditer(text, start):
        t = m.group()
        if t.startswith("--") or t.startswith("/-"):
            out.append(text[last:m.start()] + " ")
            last = m.end()
        elif t == "=>" and depth == 0:
            out.append(text[last:m.start()])
            return "".join(out)
        elif t in "([{":
            depth += 1
        elif t in ")]}":
            depth -= 1
    out.append(text[last:])
    return "".join(out)


def declared_tokens(text: str) -> tuple[str, ...]:
    """The tokens a syntax-declaring command adds to Lean's table: its atoms (string
    literals of the syntax side, trimmed as Lean trims them), without non-reserved `&"x"`
    atoms; for a category other than `term`, identifier-like atoms are left out (Lean
    matches those as identifiers in `tactic`-like categories)."""
    m, text = _head(text)
    if m is None:
        return ()
    kw = m.group(1)
    part = _syntax_part(text, m.end())
    cat = _CATEGORY.search(part.rstrip() + ("" if kw == "syntax" else " =>"))
    category = cat.group(1) if (cat and kw in ("syntax", "macro", "elab")) else "term"
    lits = list(_LIT.finditer(part))
    if kw in _FIXITY:
        lits = lits[:1]
    out: list[str] = []
    for lm in lits:
        if lm.group(1):
            continue
        atom = lm.group(2).replace('\\"', '"').replace("\\\\", "\\").strip()
        if not atom or any(ch.isspace() for ch in atom):
            continue
        if category != "term" and _IDENTLIKE.match(atom):
            continue
        if atom not in out:
            out.append(atom)
    return tuple(out)


def is_declaration(text: str) -> bool:
    """Whether a command text declares syntax (and so may add tokens)."""
    return declaration_keyword(text) in _DECL_WORDS


__all__ = ["CORE_TOKENS", "GLUE", "Lexicon", "TokenTable", "build_token_table",
           "declaration_keyword", "is_declaration",
           "declared_tokens", "first_difference", "lex", "open_namespaces", "same_tokens"]


# ------------------------------------------------------------------ scanning a library

_COMMAND_START = re.compile(
    r"^(?:@\[[^\n]*\]\s*)?(?:(?:local|scoped(?:\[[^\]]*\])?|private|protected|public|meta)\s+)*"
    r"(?:notation3|notation|infixl|infixr|infix|prefix|postfix|macro|syntax|elab)(?![\w_])",
    re.M)
_NEXT_COMMAND = re.compile(r"^\S", re.M)


def scan_tokens(root: str) -> dict[str, str]:
    """Every token the syntax-declaring commands under `root` declare, with its widest
    visibility ("global" over "scoped" over "local"; a text scan of column-0 commands,
    without the extractor).  Why: the grammar's built-in knowledge of glued notations
    (`grammar/tokens_mathlib.py`) is generated from it."""
    from pathlib import Path

    rank = {"global": 2, "scoped": 1, "local": 0}
    out: dict[str, str] = {}
    for p in sorted(Path(root).rglob("*.lean")):
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for m in _COMMAND_START.finditer(text):
            nxt = _NEXT_COMMAND.search(text, m.end())
            head = m.group()
            vis = "scoped" if "scoped" in head else "local" if "local" in head else "global"
            for tok in declared_tokens(text[m.start():nxt.start() if nxt else len(text)]):
                if tok not in out or rank[vis] > rank[out[tok]]:
                    out[tok] = vis
    return dict(sorted(out.items()))
