"""The notation view of a node: a notation and the application it stands for are one term.

Lean expands a `notation`/`infix`/`prefix`/`postfix` command's syntax into its right side
before elaborating, so `M₀⁰` *is* `nonZeroDivisors M₀` and `h ⁻¹' s` is
`Set.preimage h s`: `rw [nonZeroDivisorsRight_eq_nonZeroDivisors]` rewrites `r ∈ M₀⁰`.  The
grammar keeps each spelling as written; a *notation view step* (`ast.NOTE`) names the
other spelling of one node.  The step carries its template (which node shape, which
parameters, what it becomes), so viewing needs no table: the index (which knows the
library's notation commands, `index.match.notations`) writes the step, and the mutation
stage's `get_at` and `substitute.replace_all` read it back from the invocation's path.

A template is a pair of terms over *parameters* (identifiers): `src` must equal the
viewed node except at parameters, which bind its sub-terms; `dst`, with them
substituted, is the view.  Both directions use it: `src` the notation and `dst` the
application (`M₀⁰` -> `nonZeroDivisors M₀`), or the reverse (`nhds x` -> `𝓝 x`).
"""

from __future__ import annotations

import json
from functools import lru_cache

from lean_alchemy.grammar.ast import (
    NOTE, App, BinOp, Glued, Ident, Postfix, Prefix, Term, from_data, map_children, to_data,
)
from lean_alchemy.grammar.walk import match_first_order


def note_step(src: Term, dst: Term, params: tuple[str, ...]) -> str:
    """The path step that views a node of `src`'s shape as `dst` (module doc)."""
    return NOTE + json.dumps([to_data(src), to_data(dst), list(params)],
                             ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=4096)
def decode(step: str) -> tuple[Term, Term, frozenset[str]]:
    """(src, dst, parameters) of a notation view step."""
    src, dst, params = json.loads(step[len(NOTE):])
    return from_data(src), from_data(dst), frozenset(params)  # type: ignore[return-value]


def node_key(t: Term) -> tuple | None:
    """What two nodes a template may both fit share: the node type and its token (an
    operator, the identifier or glued head an application starts with); None for a node
    no template is keyed by."""
    if isinstance(t, (BinOp, Prefix, Postfix)):
        return (type(t).__name__, t.op)
    if isinstance(t, Ident):
        return ("Ident", t.name)
    if isinstance(t, App):
        fn = t.fn
        if isinstance(fn, Ident):
            return ("App", fn.name, len(t.args))
        if isinstance(fn, Glued) and isinstance(fn.head, Ident):
            return ("AppGlued", fn.head.name, fn.open, len(t.args))
    return None


def fill(t: Term, values: dict[str, Term]) -> Term:
    """`t` with each parameter identifier replaced by its value."""
    if isinstance(t, Ident):
        return values.get(t.name, t)
    return map_children(t, lambda c: fill(c, values))


def note_view(t: Term, step: str) -> Term | None:
    """The view of `t` by a notation view step; None when `t` does not fit its template."""
    src, dst, params = decode(step)
    if node_key(src) != node_key(t):
        return None
    values: dict[str, Term] = {}
    if not match_first_order(src, t, params, values) or len(values) != len(params):
        return None
    return fill(dst, values)
