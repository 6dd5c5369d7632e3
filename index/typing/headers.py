"""Headers of the declarations extraction does not parse: `def`, `abbrev`, `instance`,
`class`, `structure`, `inductive`.

Why: extraction parses only theorem statements, and records every other declaration by
its source span.  Elaboration-lite needs their binders and result types (what `Finset.card`
returns, what `instance [Ring α] : Algebra ℤ α` provides, what `class Field K extends
CommRing K, DivisionRing K` implies), so the index stage reads those spans again from the
project's sources, with extraction's own header reader (`extract.commands`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lean_alchemy.extract.commands import (
    match_close,
    parse_binders,
    read_name,
    read_signature,
    skip_attrs_modifiers,
    strip_comments,
)
from lean_alchemy.extract.lexer import mask
from lean_alchemy.grammar.ast import App, BinderGroup, Term
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.statements import binders_of

_WS = re.compile(r"\s*")
_EXTENDS = re.compile(r"(?<![\w.'])extends(?![\w'])")
_FIELD = re.compile(r"([^\s(){}\[\]:]+(?:\s+[^\s(){}\[\]:]+)*)\s*((?:\([^)]*\)\s*|\{[^}]*\}\s*|\[[^\]]*\]\s*)*)"
                    r":\s*(.*)")
# a field written as a binder, `{X₁ : C}` of `structure ShortComplex` (Mathlib/Algebra/
# Homology/ShortComplex/Basic.lean:36), `(x : α)`, `[inst : Fact p]`, on one line
_BRACKETED_FIELD = re.compile(r"[{(⦃\[]\s*([^\s:{}()\[\]⦃⦄][^:{}()\[\]⦃⦄]*?)\s*:\s*(.+?)\s*"
                              r"[})⦄\]]\s*(?:--.*)?$")
_DERIVING = re.compile(r"(?<![\w.'])deriving\s+((?:[\w.]+\s*,\s*)*[\w.]+)")
_CTOR = re.compile(r"\|\s*([^\s():]+)")
# longest body of a type-level `def` read (`def Set (α : Type u) := α → Prop`): type
# definitions are short, and parsing every definition's body would cost the table's build
MAX_DEF_BODY = 160


@dataclass(frozen=True, slots=True)
class Header:
    """What a declaration's header says: binder groups, the type after the top-level `:`
    (None when not written), the `extends` parents of a structure or class, its fields
    (name, binders, type) and an inductive's constructors (name, binders, type or None)."""

    binders: tuple[BinderGroup, ...]
    type: Term | None
    parents: tuple[Term, ...] = ()
    fields: tuple[tuple[str, tuple[BinderGroup, ...], Term], ...] = ()
    ctors: tuple[tuple[str, tuple[BinderGroup, ...], Term | None], ...] = ()
    deriving: tuple[str, ...] = ()  # `def ENNReal := WithTop ℝ≥0 deriving Zero, …`
    body: Term | None = None  # an `abbrev`'s body (what instance matching unfolds it to)


def _split_top(s: str, sep: str = ",") -> list[str]:
    """`s` split at `sep` outside brackets."""
    out, depth, cur = [], 0, []
    for ch in s:
        if ch in "([{⦃⟨":
            depth += 1
        elif ch in ")]}⦄⟩":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [x.strip() for x in out if x.strip()]


def _body_items(text: str, masked: str, pos: int, kind: str) -> tuple[tuple, tuple]:
    """Fields (`name : T` lines at the first indentation after `where`) of a structure or
    class, constructors (`| name … : T`) of an inductive."""
    fields: list = []
    ctors: list = []
    body = masked[pos:]
    lines = body.split("\n")
    src = text[pos:].split("\n")
    if kind == "inductive":
        for ln, raw in zip(lines, src):
            m = _CTOR.match(ln.strip())
            if m:
                rest = raw.strip()[m.end():]
                sig = read_signature(rest, 0, len(rest))
                cut = sig.colon if sig.colon >= 0 else len(rest)
                bs = binders_of(parse_binders(rest, rest, 0, cut))
                ty = parse_term(rest[sig.colon + 1:].strip()) if sig.colon >= 0 else None
                ctors.append((m.group(1), bs, ty))
        return (), tuple(ctors)
    indent = None
    for i, ln in enumerate(lines[1:], 1):
        if not ln.strip():
            continue
        ind = len(ln) - len(ln.lstrip())
        if indent is None:
            indent = ind
        if ind != indent:
            continue
        if ln.strip().startswith(("(", "{", "[", "⦃")):  # `{X₁ : C}`: a field the
            g = _BRACKETED_FIELD.match(src[i].strip())  # constructor takes implicitly
            if g is None:
                return (), ()  # one over several lines: the fields stay unknown, all of them
            ty_text = " ".join(strip_comments(g.group(2)).split()).split(":=")[0].strip()
            fields.extend((name, (), parse_term(ty_text)) for name in g.group(1).split())
            continue
        m = _FIELD.match(ln.strip())
        if m is None or m.group(3).startswith(("=", ":")) or \
                m.group(1).startswith(("protected", "private")):
            continue  # `f := …`: a default; `mk ::`: the constructor's name
        cont = [src[i].strip()[m.start(3):]]
        for nxt, nraw in zip(lines[i + 1:], src[i + 1:]):
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            cont.append(nraw.strip())
        # lines joined as lines: a `--` comment ends at its line
        ty_text = " ".join(strip_comments("\n".join(cont)).split()).split(":=")[0].strip()
        bs = binders_of(parse_binders(m.group(2), m.group(2), 0, len(m.group(2))))
        for name in m.group(1).split():
            fields.append((name, bs, parse_term(ty_text)))
    return tuple(fields), ()


def read_header(text: str, kind: str) -> Header | None:
    """The header of one declaration's source text (attributes, modifiers and keyword
    included), or None when it cannot be read."""
    mk = mask(text)
    m = mk.masked
    pos, _, _ = skip_attrs_modifiers(m, 0, len(m))
    kw = _KEYWORD.match(m, pos)
    while kw is not None and kw.group() not in _DECL_WORDS:
        # `open Classical in`, `variable (M) in`, `set_option … in`: a prefix command,
        # whose scope the declaration's section binders hold (`scoped`)
        after = _prefix_end(m, kw.end())
        if after < 0:
            break
        pos, _, _ = skip_attrs_modifiers(m, after, len(m))
        kw = _KEYWORD.match(m, pos)
    if kw is None:
        return None
    pos = _WS.match(m, kw.end()).end()
    if kw.group() == "class" and m.startswith("inductive", pos):
        pos = _WS.match(m, pos + len("inductive")).end()
    if kind == "instance" and m.startswith("(priority", pos):
        j = match_close(m, pos, len(m))
        pos = _WS.match(m, j if j > 0 else pos).end()
    if kind == "instance" and pos < len(m) and m[pos] in ":([{⦃":
        name_end = pos
    else:
        _, name_end = read_name(m, pos, len(m))
    sig = read_signature(m, name_end, len(m))
    delim = sig.delim if sig.delim >= 0 else len(m)
    if kind == "inductive" and sig.delim < 0:  # `| c …` lines straight after the type
        bar = _CTOR_LINE.search(m, name_end, delim)
        delim = bar.start() if bar is not None else delim
    ext = _EXTENDS.search(m, name_end, delim)
    cut = min(x for x in (sig.colon if sig.colon >= 0 else delim, ext.start() if ext else delim,
                          delim))
    binders = binders_of(parse_binders(text, m, name_end, cut))
    ty = None
    if sig.colon >= 0 and (ext is None or sig.colon < ext.start()):
        end = ext.start() if ext else delim
        ty = parse_term(strip_comments(text[sig.colon + 1:end]).strip())
    parents: tuple[Term, ...] = ()
    if ext is not None:
        end = delim
        col = m.find(" :", ext.end(), delim)
        if col >= 0 and m[col + 2:col + 3] != "=":
            end = col
        parents = tuple(parse_term(p) for p in _split_top(strip_comments(text[ext.end():end])))
    fields: tuple = ()
    ctors: tuple = ()
    if kind in ("structure", "class") and sig.delim_kind == "where":
        fields, _ = _body_items(text, m, sig.delim + len("where"), kind)
    elif kind == "inductive":
        _, ctors = _body_items(text, m, delim, kind)
    dv = _DERIVING.search(m, delim)
    derived = tuple(x.strip() for x in dv.group(1).split(",")) if dv else ()
    body = None
    if kind in ("abbrev", "def") and sig.delim_kind == ":=":
        end = dv.start() if dv else len(m)
        src = strip_comments(text[sig.delim + 2:end]).strip()
        if kind == "abbrev":
            body = parse_term(src)
        elif _type_level(ty) and len(src) <= MAX_DEF_BODY:
            body = parse_term(src)
    return Header(binders, ty, parents, fields, ctors, derived, body)


_KEYWORD = re.compile(r"\w+")
_CTOR_LINE = re.compile(r"\n[ \t]*\|")
_DECL_WORDS = frozenset({"def", "abbrev", "instance", "class", "structure", "inductive",
                         "opaque", "theorem", "lemma", "axiom"})
_IN_WORD = re.compile(r"(?<![\w.'])in(?![\w.'])")


def _prefix_end(masked: str, pos: int) -> int:
    """The offset after the `in` that ends a prefix command starting before `pos`
    (the first `in` outside brackets), or -1."""
    for m in _IN_WORD.finditer(masked, pos):
        seg = masked[pos:m.start()]
        if sum(seg.count(c) for c in "([{⦃⟨") == sum(seg.count(c) for c in ")]}⦄⟩"):
            return m.end()
    return -1


def _type_level(ty: Term | None) -> bool:
    """A definition that may be a type (`def Set (α : Type u) := α → Prop`): its result
    type is not written or is a sort.  Its body is what Lean unfolds it to when
    resolving dot notation on a value of that type."""
    from lean_alchemy.grammar.ast import Sort

    # `Type max u v` reads as the sort applied to its universes
    return ty is None or isinstance(ty, Sort) or isinstance(ty, App) and isinstance(ty.fn, Sort)
