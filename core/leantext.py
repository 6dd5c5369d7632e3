"""Reading Lean text without Lean: comments and strings blanked out, `sorry`/`admit` found.

Why in core: whether a proof is finished is asked by the index (no rule from an unproved
lemma), the checkers (no proof that uses `sorry` is sent to Lean) and the corpus (no unproved
original is exported as checked), and all three must give the same answer.
"""

from __future__ import annotations

import re

_SORRY_TOKEN = re.compile(r"(?<![\w.'])(sorry|admit)(?![\w'])")


_LEX = re.compile(r'/-|-/|--|"')


def strip_comments_and_strings(text: str) -> str:
    """`text` with Lean comments (`--`, nested `/- -/`) and string literals blanked out, line
    structure kept: a comment that mentions `sorry` must not reject a proof."""
    out: list[str] = []
    i, n, depth = 0, len(text), 0
    while i < n:
        m = _LEX.search(text, i)
        if m is None:
            if not depth:
                out.append(text[i:])
            break
        tok, j = m.group(), m.start()
        if depth:  # inside a block comment: keep only the newlines
            out.append("\n" * text.count("\n", i, j))
            depth += 1 if tok == "/-" else -1 if tok == "-/" else 0
            i = m.end()
            continue
        out.append(text[i:j])
        if tok == "/-":
            depth, i = 1, m.end()
        elif tok == "--":
            k = text.find("\n", j)
            i = n if k < 0 else k
        elif tok == '"':
            k = j + 1
            while k < n and text[k] != '"':
                k += 2 if text[k] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", j, k))
            i = k + 1
        else:  # a stray `-/` outside any comment
            out.append(tok)
            i = m.end()
    return "".join(out)


def contains_sorry(text: str) -> bool:
    """True when the Lean text uses `sorry` or `admit` as a term or tactic."""
    if "sorry" not in text and "admit" not in text:  # the common case, without lexing
        return False
    return bool(_SORRY_TOKEN.search(strip_comments_and_strings(text)))
