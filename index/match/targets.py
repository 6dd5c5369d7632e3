"""The places of a statement a rule may rewrite or replace: the conclusion, and the named
explicit hypotheses no other part of the statement depends on.

Why a module of its own: the index (`rule_index`) and `alchemy explain` must choose the
same targets, and the rule index is long enough without them."""

from __future__ import annotations

from typing import Sequence

from lean_alchemy.grammar.ast import BinderGroup, Term
from lean_alchemy.grammar.walk import heads


def dependent_hypotheses(binders: Sequence[BinderGroup], conclusion: Term) -> set[str]:
    """Names of binders that a later binder's type, a binder predicate or the conclusion
    mentions (`(h : 0 < n) (x : Fin' n h)`), also inside text the grammar keeps verbatim
    (`l[k]'(by simp [hk])`, `index.rules.verbatim_names`): the mutation stage cannot
    rewrite or replace them (`dependent_hypothesis`), and a mutant that did would leave
    that text naming a hypothesis of another type, or none."""
    from lean_alchemy.index.rules import verbatim_names

    out: set[str] = set()
    later: set[str] = set(heads(conclusion)) | verbatim_names(conclusion)
    for g in reversed(binders):
        if g.pred is not None:
            later |= heads(g.pred) | verbatim_names(g.pred)
        out.update(n for n in g.names if n in later)
        if g.type is not None:
            later |= heads(g.type) | verbatim_names(g.type)
    return out


def hypotheses(binders: Sequence[BinderGroup]) -> list[tuple[str, Term]]:
    """(name, type) of the named, explicit propositional hypotheses of a statement."""
    from lean_alchemy.index.rules import looks_prop

    out = []
    for g in binders:
        if g.kind == "inst" or g.type is None:
            continue
        for n in g.names:
            if n and n != "_" and "✝" not in n and looks_prop(g.type, n):
                out.append((n, g.type))
    return out
