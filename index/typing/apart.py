"""A rule's variables kept apart from the candidate's type variables, and the memo of
values computed from a rule's text.

Why: the typed filter reads the types of a match's values (the candidate's types, which
name the candidate's type variables) beside the rule's own binders.  Both sides write
`α`, `R`, `M`.  A rule's `α` that the match left unsolved is hidden from inference and
no query naming it is asked, so with one name for both, every query about the
candidate's `α` (`x ≠ ⊥` matched at `x : α` asks `Bot α`) was dropped unasked as if it
were about the rule's.  Renaming the rule's clashing variables first (`α` → `α₉₉`)
keeps the two apart, as Lean's fresh metavariables do.
"""

from __future__ import annotations

from typing import Mapping, Sequence, cast

from lean_alchemy.grammar.ast import Ident, Term
from lean_alchemy.grammar.substitute import substitute
from lean_alchemy.grammar.walk import fresh_name, heads


class TextMemo:
    """Values computed from a rule's text (and what else `extra` holds), keyed by the ids
    of the text's terms: the entry keeps the terms, so their ids stay theirs while it
    lives, and a hit must be those very terms.  Bounded: cleared when full."""

    LIMIT = 65_536

    def __init__(self) -> None:
        self._entries: dict[tuple, tuple[tuple[Term, ...], object]] = {}

    def get(self, terms: Sequence[Term], extra: tuple) -> object | None:
        hit = self._entries.get((tuple(id(t) for t in terms), extra))
        if hit is not None and len(hit[0]) == len(terms) and \
                all(a is b for a, b in zip(hit[0], terms)):
            return hit[1]
        return None

    def put(self, terms: Sequence[Term], extra: tuple, value: object) -> None:
        if len(self._entries) >= self.LIMIT:
            self._entries.clear()
        self._entries[(tuple(id(t) for t in terms), extra)] = (tuple(terms), value)


# renamed binder names, binder types, new text, and the renaming
_Renamed = tuple[tuple[str, ...], tuple["Term | None", ...], tuple[Term, ...], dict[str, str]]


def renamed_apart(names: Sequence[str], types: Sequence[Term | None],
                  values: Mapping[str, Term], new_terms: Sequence[Term],
                  tvars: frozenset[str], memo: TextMemo
                  ) -> tuple[Sequence[str], Sequence[Term | None], Mapping[str, Term],
                             Sequence[Term]]:
    """The rule's binder names, binder types, substitution and new text with each rule
    variable named like one of the candidate's type variables `tvars` renamed (module
    doc); the inputs themselves when none is.  A clashing variable the new text writes
    and the match does not replace keeps its name: the mutant prints it, and in the
    candidate's scope it is the candidate's variable (`∀ ε : α` brought in with the
    rule's `α` unreplaced means the candidate's `α`).  The renamed text is memoized per
    rule text, so the filter's own memos still meet the same terms."""
    clash = frozenset(n for n in names if n) & tvars
    if not clash:
        return names, types, values, new_terms
    text = tuple(t for t in types if t is not None) + tuple(new_terms)
    key = (tuple(names), clash, frozenset(values) & clash)
    hit = cast("_Renamed | None", memo.get(text, key))
    if hit is None:
        printed: set[str] = set()
        for t in new_terms:
            printed |= heads(t)
        clash = clash - (frozenset(printed) - frozenset(values))
        taken = frozenset(n for n in names if n) | tvars
        # a variable's shape (one letter, subscripts) no candidate writes
        ren = {n: fresh_name(n + "₉₉", taken) for n in sorted(clash)}
        to = {n: Ident(m) for n, m in ren.items()}
        hit = (tuple(ren.get(n, n) for n in names),
               tuple(substitute(t, to) if t is not None else None for t in types),
               tuple(substitute(t, to) for t in new_terms), ren)
        memo.put(text, key, hit)
    ren = hit[3]
    return hit[0], hit[1], {ren.get(k, k): v for k, v in values.items()}, hit[2]


__all__ = ["TextMemo", "renamed_apart"]
