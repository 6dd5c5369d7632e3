"""Forward saturation of a candidate's instance facts about its own type variables.

Why forwards: a type variable `G` of the candidate has exactly the instances its binders
give and what follows from them; a backward search for `CommGroup G` must try every class
below `CommGroup` and every instance that concludes one, and on Mathlib runs out of budget
long before it is exhausted.  Forwards, the facts are closed once per candidate: upwards
through `extends` parents and through every instance whose premises hold, to a fixpoint.

Two closures are kept.  *sure*: only premises that certainly hold fire an instance (a
member answers *yes*).  *maybe*: every premise that might hold counts (a class with
instances from everywhere, a premise about a type built from the variables, an uncertain
head comparison); an instance that could conclude a class of any type variable (its
conclusion has a pattern variable the premises do not fix) makes that class and its
ancestors *wild*.  A query `C args` whose arguments are the candidate's type variables
or closed rigid types is then *no* exactly when it is outside the maybe closure and `C`
is not wild: every derivation Lean could find is one the maybe closure over-approximates.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Mapping

from lean_alchemy.grammar.ast import App, BinOp, Ident, Term
from lean_alchemy.grammar.walk import heads

YES, NO, UNKNOWN = "yes", "no", "unknown"
MAX_FACTS = 4000  # a closure this large is not a candidate's context any more: stop
MAX_STEPS = 20000  # join steps per closure; beyond, the closure is incomplete (unknown)


def _mentions(t: Term, names: frozenset[str]) -> bool:
    return bool(heads(t) & names)


class Saturation:
    """The sure and maybe closures of one candidate's facts (`table`: a `ClassTable`;
    `ground`: the backward answer for a query that mentions none of the variables;
    `is_open`: classes whose instances come from everywhere)."""

    def __init__(self, table, local: frozenset[str], facts: Iterable[Term],
                 ground: Callable[[Term], str], is_open: Callable[[str], bool]) -> None:
        self.table = table
        self.local = local
        self.ground = ground
        self.is_open = is_open
        start = list(facts)
        self.sure, _, _ = self._close(start, maybe=False)
        self.maybe, self.wild, self.complete = self._close(start, maybe=True)

    # -- queries -----------------------------------------------------------------------
    def atomic(self, args: tuple[Term, ...]) -> bool:
        """All arguments are type variables of the candidate or closed rigid types, and
        at least one is a variable: the queries the closures decide."""
        some = False
        for a in args:
            if isinstance(a, Ident) and a.name in self.local:
                some = True
            elif _mentions(a, self.local) or not self._rigid(a):
                return False
        return some

    def _rigid(self, t: Term) -> bool:
        hs = heads(t)
        return all(h in self.table.known and h not in self.table.flexible for h in hs)

    def answer(self, goal: Term, cls: str) -> str:
        if goal in self.sure:
            return YES
        if (not self.complete or cls in self.wild or goal in self.maybe
                or self.is_open(cls) or cls not in self.table.params):
            return UNKNOWN
        return NO

    # -- closure -----------------------------------------------------------------------
    def _close(self, start: list[Term], maybe: bool) -> tuple[set[Term], set[str], bool]:
        facts: set[Term] = set()
        by_cls: dict[str, list[Term]] = {}
        wild: set[str] = set()
        self._wild = wild
        self._steps, self._over = 0, False
        queue: list[str] = []
        self._queue = queue
        todo = list(start)

        def add_all() -> None:
            while todo:
                f = todo.pop()
                if f in facts:
                    continue
                facts.add(f)
                c = _cls(f)
                if c is None:
                    continue
                by_cls.setdefault(c, []).append(f)
                queue.append(c)
                todo.extend(self.table.parent_facts(f))

        add_all()
        if maybe:
            if self.table.unconditional_wild is None:  # the same for every candidate
                found: set[str] = set()
                for idx in self.table.forward_unconditional():
                    self._steps = 0
                    self._fire(idx, set(), {}, found, [], maybe)
                self.table.unconditional_wild = found
                self._steps, self._over = 0, False
            wild |= self.table.with_ancestors(self.table.unconditional_wild)
            queue.extend(wild)
        while queue and len(facts) < MAX_FACTS and not self._over:
            c = queue.pop()
            for idx in self.table.forward_by_premise().get(c, ()):
                self._fire(idx, facts, by_cls, wild, todo, maybe)
            add_all()
        if maybe:
            wild = self.table.with_ancestors(wild)
        return facts, wild, len(facts) < MAX_FACTS and not self._over

    def _fire(self, idx: int, facts, by_cls, wild, todo, maybe: bool) -> None:
        cls, metas, prem, pats, coerced = self.table.forward_instances()[idx]
        for s in self._join(prem, 0, {}, metas, facts, by_cls, maybe):
            concl = [_subst(p, s) for p in pats]
            free = metas - frozenset(s)
            if any(_mentions(p, free) for p in concl):
                if maybe and self._could_be_atom(concl, free, coerced) and cls not in wild:
                    new = self.table.with_ancestors([cls]) - wild
                    wild |= new
                    self._queue.extend(new)  # premises of a wild class may now hold
                continue
            goal = App(Ident(cls), tuple(concl)) if concl else Ident(cls)
            if self.atomic(tuple(concl)) and goal not in facts:  # not `Group (G × G)`…
                todo.append(goal)

    def _could_be_atom(self, concl: list[Term], free: frozenset[str],
                       coerced: frozenset[str]) -> bool:
        """Could a conclusion with unfixed pattern variables be about a type variable?
        A bare variable can (unless it stands for a term coerced to a type, `↥s`); a
        type built with rigid heads cannot."""
        for p in concl:
            if isinstance(p, Ident) and p.name in free:
                if p.name not in coerced and _variable_name(p.name):
                    return True
            elif _mentions(p, free) and _head_flexible(p, self.table):
                return True
        return False

    def _join(self, prem: tuple[Term, ...], i: int, s: dict[str, Term], metas, facts,
              by_cls, maybe: bool):
        """Substitutions under which premises i.. hold (in the mode's sense)."""
        self._steps += 1
        if self._steps > MAX_STEPS:
            self._over = True
            return
        if i == len(prem):
            yield s
            return
        q = _subst(prem[i], s)
        c = _cls(q)
        unbound = _mentions(q, metas - frozenset(s))
        if c is None or self.is_open(c) or c not in self.table.params:
            if maybe:
                yield from self._join(prem, i + 1, s, metas, facts, by_cls, maybe)
            return
        if not unbound:
            if self._holds_fact(q, facts, maybe):
                yield from self._join(prem, i + 1, s, metas, facts, by_cls, maybe)
            return
        free = metas - frozenset(s)
        uncertain = maybe and (c in self._wild or not _binds_atoms(q, free))
        for f in list(by_cls.get(c, ())):
            s2 = dict(s)
            r = self.table.match(q, f, free, s2, self.local)
            if r is True:
                yield from self._join(prem, i + 1, s2, metas, facts, by_cls, maybe)
            elif r is None:
                uncertain = True
        if maybe and uncertain:
            # the premise might hold in a way no fact spells out (a wild class, a type
            # built from unfixed variables such as `Group (α × β)`, an unsure comparison)
            yield from self._join(prem, i + 1, s, metas, facts, by_cls, maybe)

    def _holds_fact(self, q: Term, facts: set[Term], maybe: bool) -> bool:
        if q in facts:
            return True
        args = q.args if isinstance(q, App) else ()
        if not any(_mentions(a, self.local) for a in args):
            r = self.ground(q)
            return r == YES or (maybe and r != NO)
        return maybe and not self.atomic(args)


_VARIABLE = re.compile(r"^[^\W\d_][₀-₉'\d]*$")


def _variable_name(n: str) -> bool:
    """A pattern variable (one letter, subscripts, primes: `α`, `M₁`), not a name the
    header reader could not resolve (`WeakBilin B`, `{w}`, `ℚ≥0`, `𝕔𝔻`): only a
    variable can stand for any type."""
    return bool(_VARIABLE.match(n))


def _head_flexible(p: Term, table) -> bool:
    """Could instance matching unfold `p` (a type built from unfixed variables) into a
    bare type variable?  Only through its head: an `abbrev` or a name the table does not
    know.  A projection (`(F ⋙ forget C).obj j`) or a rigid constant stays what it is at
    instance transparency, never a candidate's free type variable."""
    while isinstance(p, App):
        p = p.fn
    if isinstance(p, Ident):
        from lean_alchemy.index.typing.signatures import head_name

        h = head_name(p.name)
        return h in table.flexible or (h not in table.known and _variable_name(h))
    return False


def _binds_atoms(q: Term, free: frozenset[str]) -> bool:
    """Every argument mentioning an unfixed variable is that bare variable: the premise
    can only hold by a fact, so enumerating the facts was complete."""
    for a in (q.args if isinstance(q, App) else ()):
        if _mentions(a, free) and not (isinstance(a, Ident) and a.name in free):
            return False
    return True


def _cls(f: Term) -> str | None:
    fn = f.fn if isinstance(f, App) else f
    return fn.name if isinstance(fn, Ident) else None


def subst(t: Term, s: Mapping[str, Term]) -> Term:
    """`t` with the variables of `s` replaced (through applications and operators, the
    shapes instance patterns have)."""
    if isinstance(t, Ident):
        return s.get(t.name, t)
    if isinstance(t, App):
        return App(subst(t.fn, s), tuple(subst(a, s) for a in t.args))
    if isinstance(t, BinOp):
        return BinOp(t.op, subst(t.lhs, s), subst(t.rhs, s))
    return t


def _subst(t: Term, s: Mapping[str, Term]) -> Term:
    return subst(t, s) if s else t
