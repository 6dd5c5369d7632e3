"""Universe names a rule brings into a mutant that the mutant's file never declares.

Why: a rule's replacement may name its file's universes (`∀ {ι : Type u} (U : ι → Set X),
…` of `isCompact_iff_finite_subcover`, `PUnit.{u + 1}`).  The mutant is stated in the
candidate's file, where Mathlib's `autoImplicit false` makes an undeclared `u` an error
("unknown universe level").  Such a name is written `_` there (`Type _`, `PUnit.{_ + 1}`):
Lean turns a universe metavariable left in a theorem's statement into a universe
parameter of its own, as `Type*` does.  A name the candidate's scope declares
(`universe u`) or its statement uses stays: it is in force there.
"""

from __future__ import annotations

import re
from typing import Iterable

from lean_alchemy.core.records import Scope
from lean_alchemy.grammar.ast import BinderGroup, Ident, Sort, Term, map_children
from lean_alchemy.grammar.walk import nodes

_LEVEL_NAME = re.compile(r"(?<![\w.'])([^\W\d][\w']*)")
_NOT_NAMES = frozenset({"max", "imax", "Type", "Sort", "Prop"})


def level_names(level: str) -> frozenset[str]:
    """The universe names of a level expression (`max u (v + 1)` -> {u, v})."""
    return frozenset(m.group(1) for m in _LEVEL_NAME.finditer(level)
                     if m.group(1) not in _NOT_NAMES)


def _ident_levels(name: str) -> str | None:
    """The `…` of `C.{…}`, None for a name without explicit universes."""
    k = name.find(".{")
    return name[k + 2:-1] if k >= 0 and name.endswith("}") else None


def term_universes(terms: Iterable[Term | None]) -> frozenset[str]:
    """Universe names written in `terms`: in sorts (`Type u`) and `C.{u}` constants."""
    out: set[str] = set()
    for t in terms:
        if t is None:
            continue
        for x in nodes(t):
            if isinstance(x, Sort):
                out |= level_names(x.text)
            elif isinstance(x, Ident):
                got = _ident_levels(x.name)
                if got is not None:
                    out |= level_names(got)
    return frozenset(out)


def declared_universes(scope: Scope | None) -> frozenset[str]:
    """The names of the `universe` commands in force in `scope`."""
    if scope is None:
        return frozenset()
    out: set[str] = set()
    for kind, text in scope.commands:
        if kind == "universe":
            out.update(text.split()[1:])
    return frozenset(out)


def _rename(level: str, free: frozenset[str]) -> str:
    return _LEVEL_NAME.sub(lambda m: "_" if m.group(1) in free else m.group(1), level)


def without_universes(t: Term, free: frozenset[str]) -> Term:
    """`t` with each universe name of `free` written `_`."""
    if isinstance(t, Sort):
        head, _, level = t.text.partition(" ")
        return Sort(f"{head} {_rename(level, free)}") if level else t
    if isinstance(t, Ident):
        got = _ident_levels(t.name)
        if got is None:
            return t
        return Ident(t.name[:len(t.name) - len(got) - 1] + _rename(got, free) + "}")
    return map_children(t, lambda c: without_universes(c, free))


def binders_without_universes(groups: tuple[BinderGroup, ...], free: frozenset[str]
                              ) -> tuple[BinderGroup, ...]:
    out = tuple(without_universes(g, free) for g in groups)
    assert all(isinstance(g, BinderGroup) for g in out)
    return out  # type: ignore[return-value]
