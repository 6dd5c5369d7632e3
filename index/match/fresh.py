"""New binders for rule variables that nothing gives a value.

When a rewrite's replacement needs a rule variable `v` that no match fixes and no
candidate variable fits, the mutant may bind it itself.  Why this is sound: the rule gives
`l = r(v)` for every `v`, so from `P[l]` follows `∀ v, P[r(v)]` (rw_goal); a hypothesis
stating `r(v)` for some given `v` implies the one stating `l` (rw_hyp); an antecedent
`A(v)` for some `v` gives the hypothesis (apply_hyp).  The new binders go before the goal
or the rewritten hypothesis, and the rule receives them by name like any other value.

It needs `v` to occur only in `r`, so `fresh_closure` refuses a variable some match fixes
(`determined`: a pattern variable's type mentions it), one the pattern spells inside an
operator, and a named instance (Lean's elaboration of `l` may use it unseen).  The new
binder's type must be closed: each rule variable it mentions is known or bound anew too
(`X` of `f : X ⟶ Y`).  Each instance binder of the rule about a new variable comes along,
anonymous (`[Epi f]`, `[Module 𝕜 M]`), and must mention only known or new variables; any
other binder about it must be a hypothesis the mutant states (`hg : MeasurePreserving g
μa μb` is none when the rule reads it as data: Lean would need a value for it).  A type
variable (`𝕜 : Type*`) is bound anew only when one of those instance binders links it to
a known variable (`[Module 𝕜 M]`, `M` matched): a type without such a link is usually the
type of the pattern itself, elaborated unseen (`α` of `Finset.card_univ`, `R` of
`Nat.cast_ofNat`), and a new binder would state something else.  It is printed `Type*`,
so its universe must be its own: no binder that stays names a universe of its type.

The index (`match.fill` marks such a variable `FRESH` in a filling, and offers none for a
pattern relating variables only, `bare_relation`) and the mutation engine
(`mutate.statements`, which writes the binders) decide with the same `fresh_closure`.
"""

from __future__ import annotations

import re
from typing import Container, Iterable, Sequence

from lean_alchemy.grammar.ast import BinOp, Ident, Num, Sort, Term
from lean_alchemy.grammar.walk import heads, nodes

# A filling's value for a variable no candidate variable fits: the mutant binds it anew.
# No rule or candidate name is spelled so, so it unifies with nothing.
FRESH: Term = Ident("?fresh")


def fresh_closure(names: Sequence[str], kinds: Sequence[str], types: Sequence[Term | None],
                  wanted: Iterable[str], known: Container[str], fixed: Container[str],
                  hypotheses: Container[Term]) -> tuple[str, ...] | None:
    """The rule variables to bind anew, in binder order, when those of `wanted` get no
    value: `wanted` and every unknown variable the new binders' types mention; None when
    one cannot be (module doc: fixed by a match, untyped, unnamed, a named instance, a type
    variable without a linking instance binder or sharing a universe, an instance binder
    about it mentioning a variable that is neither known nor fresh, or another binder about
    it that is not one of the rule's `hypotheses`, which the mutant states: Lean would
    need a value for it, `hg : MeasurePreserving g μa μb` of a fresh `g`).  `known`: the
    rule variables with a value (matched, solved or filled)."""
    from lean_alchemy.index.rules import op_names as op_names_of

    named = frozenset(n for n in names if n)
    index = {n: i for i, n in reversed(list(enumerate(names))) if n}
    fresh: set[str] = set()
    todo = list(wanted)
    while todo:
        v = todo.pop()
        if v in fresh or v in known:
            continue
        i = index.get(v)
        if i is None or v in fixed:
            return None
        ty, kind = types[i], kinds[i] if i < len(kinds) else "explicit"
        if ty is None or kind == "inst" or not _nameable(v):
            return None
        if any(m not in known for m in op_names_of(ty) & named):
            return None  # an operator's text keeps the rule's name: it would stay free
        fresh.add(v)
        todo.extend(heads(ty) & named)
    if not fresh:
        return ()
    linked: set[str] = set()
    for n, k, t in zip(names, kinds, types):
        if t is None or n in fresh or not heads(t) & fresh:
            continue
        if k != "inst":
            if t in hypotheses:
                continue
            return None
        about = heads(t) & named
        if not all(m in fresh or m in known for m in about) or op_names_of(t) & fresh:
            return None
        if any(m in known for m in about):
            linked |= about & fresh
    sorts = {v for v in fresh if isinstance(types[index[v]], Sort)}
    if sorts - linked or not _own_universes(names, types, sorts, fresh):
        return None
    return tuple(n for n in dict.fromkeys(names) if n in fresh)


def _nameable(name: str) -> bool:
    return bool(name) and name != "_" and "✝" not in name and not name.startswith("inst")


_LEVEL = re.compile(r"[^\W\d][\w.']*")
_NOT_LEVELS = frozenset({"Type", "Sort", "max", "imax"})


def _levels(t: Term | None) -> set[str]:
    """The universe level names of the sorts written in `t` (`u` of `Type (max u v)`)."""
    out: set[str] = set()
    for s in nodes(t) if t is not None else ():
        if isinstance(s, Sort):
            out.update(n for n in _LEVEL.findall(s.text) if n not in _NOT_LEVELS)
    return out


def _own_universes(names: Sequence[str], types: Sequence[Term | None], sorts: set[str],
                   fresh: set[str]) -> bool:
    """Whether each fresh type variable's universe is named by no binder that stays: the
    new binder is printed `Type*` (a universe of its own), which would break a rule
    that puts it in the universe of a matched type (`(M : Type u) (R : Type u)`)."""
    mine = set().union(*(_levels(types[names.index(v)]) for v in sorts)) if sorts else set()
    if not mine:
        return True
    return not any(mine & _levels(t) for n, t in zip(names, types) if n not in fresh)


def fresh_sort(t: Sort) -> Sort:
    """The type of a fresh type variable: `Type*` / `Sort*` for a rule's `Type u` (its
    universe names are the rule's, unknown where the mutant is stated; `_own_universes`
    checked none is shared), `Type` as it is."""
    text = t.text.strip()
    if text in ("Type", "Prop", "Type*", "Sort*"):
        return t
    return Sort("Sort*" if text.startswith("Sort") else "Type*")


def bare_relation(p: Term, named: frozenset[str]) -> bool:
    """A pattern relating variables and numerals only (`R = 0`, `a ≤ b`): it matches
    every such relation of the library, its type unchecked, so a new binder (which no
    candidate variable vouches for) is not offered: `∀ c θ, deriv (circleMap c x) θ = 0`
    from `x = 0` states nothing of the candidate."""
    if not isinstance(p, BinOp):
        return False
    return all(isinstance(s, (BinOp, Num)) or isinstance(s, Ident) and s.name in named
               for s in nodes(p))
