"""Normalized token streams of Lean statements, for n-gram decontamination and size features.

Why a tokenizer of our own (and not the grammar): decontamination must also read benchmark
statements that our grammar may not parse, and it must be fast over millions of rows.  The
normalization renames bound names (binder groups, `∀`/`∃`/`fun` binders) to `v0, v1, ...` in
order of appearance, so `(a b : ℕ) (h : a < b)` and `(x y : ℕ) (hxy : x < y)` give the
same tokens; whitespace and comments vanish.
"""

from __future__ import annotations

import re

from lean_alchemy.core.scan import top_level_find

_TOKEN = re.compile(
    r"--[^\n]*|/-.*?-/"  # comments (dropped)
    r"|«[^»]*»"  # guillemet identifiers
    r"|[^\W\d][\w'!?.₀-₉ₐ-ₜ]*"  # identifiers (unicode letters, dotted names)
    r"|\d+(?:\.\d+)?"  # numerals
    r"|[()\[\]{}⦃⦄⟨⟩,]"  # brackets and commas are single tokens
    r"|[^\w\s()\[\]{}⦃⦄⟨⟩,]+",  # runs of other symbols: `≤`, `→`, `:=`, `^`, `∘`...
    re.S)

_OPENERS = {"(", "{", "⦃", "["}
_BINDER_KW = {"∀", "∃", "∃!", "fun", "λ", "Π", "Σ", "forall", "exists"}
_KEYWORDS = {"fun", "λ", "forall", "exists", "if", "then", "else", "let", "have", "show", "by",
             "in", "Type", "Prop", "Sort"}


def raw_tokens(text: str) -> list[str]:
    toks = _TOKEN.findall(text)
    if "--" in text or "/-" in text:
        toks = [t for t in toks if not t.startswith("--") and not t.startswith("/-")]
    return toks


def _is_ident(tok: str) -> bool:
    return (tok[0].isalpha() or tok[0] in "_«") and tok not in _KEYWORDS


_TRIGGERS = _OPENERS | _BINDER_KW


def normalized_tokens(statement: str) -> list[str]:
    """Tokens of `statement` with bound names replaced by positional placeholders."""
    toks = raw_tokens(statement)
    triggers = [i for i, t in enumerate(toks) if t in _TRIGGERS]
    if not triggers:
        return toks
    bound: dict[str, str] = {}
    n = len(toks)
    for i in triggers:
        names: list[str] = []
        j = i + 1
        if toks[i] in _OPENERS:
            while j < n and _is_ident(toks[j]) and "." not in toks[j]:
                names.append(toks[j])
                j += 1
            if not (j < n and toks[j] == ":" and names):
                continue
        else:
            while j < n and (toks[j] in _OPENERS or _is_ident(toks[j])):
                if toks[j] not in _OPENERS and "." not in toks[j]:
                    names.append(toks[j])
                j += 1
        for name in names:
            if name not in bound:
                bound[name] = f"v{len(bound)}"
    if not bound:
        return toks
    get = bound.get
    return [get(t, t) for t in toks]


def ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    """All n-grams; a statement shorter than n counts as one n-gram (itself)."""
    if not tokens:
        return set()
    if len(tokens) <= n:
        return {tuple(tokens)}
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


_COMMENT = re.compile(r"/-.*?-/|--[^\n]*", re.S)


def split_formal_statement(text: str) -> tuple[str, str] | None:
    """`theorem NAME SIG := ...` -> (NAME, SIG); None when `text` has no theorem header.

    Why not only the Lean parser: JSONL benchmark rows hold one such header each, and a
    bracket-aware scan for the first top-level `:=` is all that is needed to cut the proof off.
    """
    text = _COMMENT.sub(" ", text)  # docstrings may say "theorem" too
    m = re.search(r"(?:^|\s)(?:theorem|lemma|example)\b", text)
    if not m:
        return None
    rest = text[m.end():].lstrip()
    kw = m.group(0).strip()
    name = ""
    if kw != "example":
        nm = re.match(r"[^\s(\[{⦃:]+", rest)
        if not nm:
            return None
        name = nm.group(0)
        rest = rest[nm.end():]
    cut = top_level_find(rest, ":=", " where")
    return name, " ".join((rest[:cut] if cut >= 0 else rest).split())
