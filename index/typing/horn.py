"""Which classes a candidate's type variable may have: a forward closure over class
positions, the over-approximation that lets an instance query answer *no*.

Why: a type variable `G` of the candidate has exactly the instances its binders give and
what Lean can derive from them.  Tracking whole facts (`Module R G`, `Algebra ℚ G`…) makes
the closure grow through every concrete type argument and outrun any budget on Mathlib.
Forgetting the other arguments keeps it small and still sound for *no*: the closure is a
set of keys `(class, position)` ("G may be the i-th argument of an instance of C"), and
- each instance binder mentioning `G` bare at position i gives `(C, i)`;
- `class C … extends P …` gives `(P, j)` from `(C, i)` when P's j-th argument is C's i-th
  parameter;
- an instance `[P₁ v] … [Pₙ v] : C … v …` (v bare at position j) gives `(C, j)` once every
  premise that mentions `v` bare is in the closure; premises about other types or about
  types built from `v` might hold and are not required; one with no premise on `v` holds
  for every type (`unconditional`).
A query `C args` with `G` bare at position j is then *no* when `(C, j)` is outside `G`'s
closure: no derivation Lean could find is missing from it.  Classes whose instances come
from everywhere (`classes.is_open`) are never decided.  A conclusion whose argument is
built with a reducible head (an `abbrev`) counts for the head it names and for every head
its body unfolds to (`abbrev Perm α := Equiv α α`: an instance for `Perm α` is one for an
`Equiv`); one whose body is a parameter or unreadable counts for every head.  An `abbrev`
is assumed not to unfold to a bare variable: instance conclusions spell the types they are
about.
"""

from __future__ import annotations

from typing import Callable, Iterable

from lean_alchemy.grammar.ast import App, Ident, Term
from lean_alchemy.index.typing.saturate import variable_name
from lean_alchemy.index.typing.signatures import head_name

CLOSURE_MEMO = 16_384  # distinct binder-class sets remembered (cleared when full)

Key = tuple[str, int]


def _split(t: Term) -> tuple[str, tuple[Term, ...]] | None:
    fn = t.fn if isinstance(t, App) else t
    if not isinstance(fn, Ident):
        return None
    return fn.name, (t.args if isinstance(t, App) else ())


class HornRules:
    """The table's instances and `extends` edges as rules over keys, built once."""

    def __init__(self, table, is_open: Callable[[str], bool],  # noqa: ANN001
                 tower: frozenset[str] = frozenset()) -> None:
        self.by_need: dict[Key, list[int]] = {}
        self.rules: list[tuple[int, Key]] = []  # (number of needed keys, produced key)
        self.unconditional: set[Key] = set()
        self.is_open = is_open
        # instances about types with a given head (`Group ℤ`, `Group (Fin n)`): keys by
        # head; `flexible_keys`: those whose head instance matching may unfold (an
        # `abbrev`, a name the table does not know), possible for every head
        self.head_start: dict[str, set[Key]] = {}
        self.flexible_keys: set[Key] = set()
        # those whose head is a name the table does not know: possible for every head
        # but the number tower's (`tower`), which no such name denotes
        self.unknown_keys: set[Key] = set()
        self.tower = tower
        self._head_memo: dict[str, frozenset[Key]] = {}
        self._base: tuple[set[Key], dict[int, int]] | None = None
        # the closure of the unconditional and loose keys, for a head of the number tower
        # (True) or any other (False)
        self._loose_bases: dict[bool, tuple[set[Key], dict[int, int]]] = {}
        # (base, start keys) -> closure: candidates share their binders' classes
        # (`[Group G]`), and each closure copies the base's thousands of keys
        self._closure_memo: dict[tuple[int, frozenset[Key]], frozenset[Key]] = {}
        for c, rows in table.instances.items():
            for metas, prem, pats, coerced in rows:
                for j, p in enumerate(pats):
                    if isinstance(p, Ident) and p.name in metas:
                        if p.name not in coerced and variable_name(p.name):
                            self._add(self._needs(p, prem, table), (c, j))
                        continue
                    h = _ident_head(p)
                    if h is None:  # `M →ₗ[R] N`: a key of the constant it stands for
                        for x in _notation_constants(p, metas, table):
                            self.head_start.setdefault(x, set()).add((c, j))
                        continue
                    if isinstance(p, Ident) and h not in table.known and not variable_name(h):
                        continue  # a notation (`↥s`, `ℤ√d`): only ever that one
                    named = _notation_constants(Ident(h), metas, table) \
                        if h not in table.known and h not in metas else frozenset()
                    for x in named:  # a token applied (`C^n⟮I, M; I', M'⟯`)
                        self.head_start.setdefault(x, set()).add((c, j))
                    if named:
                        continue
                    to = None if h in metas else table.unfolds(h) if h in table.flexible \
                        else frozenset({h}) if h in table.known else None
                    if to is None and h not in metas and (
                            h not in table.flexible or not table.may_be_bare(h)):
                        self.unknown_keys.add((c, j))  # a generated name, a notation
                    elif to is None:
                        self.flexible_keys.add((c, j))
                    for x in to or ():  # an `abbrev` head: also every head it unfolds to
                        self.head_start.setdefault(x, set()).add((c, j))
        for c, parents in table.parents.items():
            params = table.params.get(c, ())
            for parent in parents:
                from lean_alchemy.index.typing.classes import norm

                sp = _split(norm(parent, frozenset(params)) or parent)
                if sp is None:
                    continue
                pc, pargs = sp
                for j, a in enumerate(pargs):
                    if isinstance(a, Ident) and a.name in params:
                        self._add({(c, params.index(a.name))}, (pc, j))

    def _needs(self, v: Ident, prem: Iterable[Term], table) -> set[Key]:  # noqa: ANN001
        out: set[Key] = set()
        for q in prem:
            sp = _split(q)
            if sp is None:
                continue
            qc, qargs = sp
            if self.is_open(qc) or qc not in table.params:
                continue
            for k, a in enumerate(qargs):
                if a == v:
                    out.add((qc, k))
        return out

    def _add(self, needs: set[Key], out: Key) -> None:
        if not needs:
            self.unconditional.add(out)
            return
        idx = len(self.rules)
        self.rules.append((len(needs), out))
        for k in needs:
            self.by_need.setdefault(k, []).append(idx)

    def closure(self, start: Iterable[Key]) -> frozenset[Key]:
        """Every key derivable from `start` (and the unconditional ones).  The closure of
        the unconditional keys alone is computed once; each call continues from it."""
        if self._base is None:
            self._base = self._propagate(set(), {}, list(self.unconditional))
        return self._extend(self._base, start)

    def _extend(self, base: tuple[set[Key], dict[int, int]], start: Iterable[Key]
                ) -> frozenset[Key]:
        """The closure of `base` with `start` added, memoized by (base, start)."""
        have, missing = base
        todo = frozenset(k for k in start if k not in have)
        key = (id(have), todo)
        hit = self._closure_memo.get(key)
        if hit is None:
            if len(self._closure_memo) >= CLOSURE_MEMO:
                self._closure_memo.clear()
            hit = self._closure_memo[key] = frozenset(
                self._propagate(set(have), dict(missing), list(todo))[0]) if todo \
                else frozenset(have)
        return hit

    def _propagate(self, have: set[Key], missing: dict[int, int], todo: list[Key]
                   ) -> tuple[set[Key], dict[int, int]]:
        while todo:
            k = todo.pop()
            if k in have:
                continue
            have.add(k)
            for idx in self.by_need.get(k, ()):
                left = missing.get(idx, self.rules[idx][0]) - 1
                missing[idx] = left
                if left == 0:
                    todo.append(self.rules[idx][1])
        return have, missing

    def head_closure(self, head: str) -> frozenset[Key]:
        """Every key a type with the rigid head `head` may have (memoized)."""
        hit = self._head_memo.get(head)
        if hit is None:
            tower = head in self.tower
            base = self._loose_bases.get(tower)
            if base is None:  # the loose keys every head may have, propagated once
                loose = self.flexible_keys if tower else self.flexible_keys | self.unknown_keys
                base = self._loose_bases[tower] = self._propagate(
                    set(), {}, list(self.unconditional | loose))
            hit = self._head_memo[head] = self._extend(base, self.head_start.get(head, ()))
        return hit


def _notation_constants(p: Term, metas: frozenset[str], table  # noqa: ANN001 - ClassTable
                        ) -> frozenset[str]:
    """The constants (keyed like the table) a type written with a notation stands for,
    by the library's commands: an operator or postfix (`→ₗ[R]`: `LinearMap`, `×`:
    `Prod`), a glued bracket (`C(α, β)`: `ContinuousMap`; `k[G]` on the instance's own
    variable: `MonoidAlgebra` and the other `macro_rules` readings), a binder notation
    (`Π₀ i, β i`: `DFinsupp`); empty for other notation.  Without them an instance
    about `C(α, β)` gave `ContinuousMap` no key, and a query about the constant written
    out was *no*."""
    consts = table.constants
    if consts is None:
        return frozenset()
    return frozenset(head_name(c) for c in consts.notation_constants(p, metas))


def _ident_head(t: Term) -> str | None:
    while isinstance(t, App):
        t = t.fn
    return t.name if isinstance(t, Ident) else None


def variable_keys(facts: Iterable[Term], tvars: frozenset[str]) -> dict[str, list[Key]]:
    """Type variable -> the keys its instance binders give it directly."""
    out: dict[str, list[Key]] = {}
    for f in facts:
        sp = _split(f)
        if sp is None:
            continue
        c, args = sp
        for k, a in enumerate(args):
            if isinstance(a, Ident) and a.name in tvars:
                out.setdefault(a.name, []).append((c, k))
    return out
