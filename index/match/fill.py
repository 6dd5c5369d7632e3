"""Variables a rewrite needs that its pattern does not bind, filled from the candidate.

Why: `rw [← cancel_epi f]` rewrites `g = h` to `f ≫ g = f ≫ h`; `f` comes from the proof,
not from the rewritten term, so a match of the pattern alone cannot say what it is.  The
library's own proofs mostly pass a variable of the theorem being proved (`(R := R)`, `a`,
`[mβ : MeasurableSpace β]`), so the index offers those: each such rule variable is bound
to a variable of the candidate whose declared type fits, and the invocation's `subst`
carries the choice (the mutation engine then passes it as `(f := x)` like any other).

Which variables (`fill_spec`): those the replacement mentions that neither the pattern
binds nor the types of its variables fix as the mutation engine reads them (plain
`heads`).  Each gets a value, in binder order:

- *solved*: the rule's binder types of the bound variables matched against the
  candidate's types of their values (`Finset α` against `Finset β`, and the bracketed
  operators the grammar keeps as text: `A →ₐ[R] B` against `A →ₐ[ℚ] B` gives `R := ℚ`);
  a type variable solved so must come out as a type variable of the candidate;
- a name inside a bracketed operator of the pattern (`f =ᵐ[μ] g`): the matched instance
  spells the same operator, so it is the candidate's variable of that name;
- otherwise a candidate variable (its own binders, then the section variables it uses):
  * a term variable (`f : X ⟶ Y`): a candidate variable whose declared type matches the
    rule binder's type instantiated by what is known; only the rule's variables that no
    match can fix (`X`) may take any value there, any other unknown one refuses (an
    unknown type is never a match), and every instance binder of the rule about the
    variable (`[Epi f]`) must be one of the candidate's instance binders;
  * a type variable (`R : Type*`): a type variable of the candidate that makes one of the
    rule's instance binders linking it to a known variable (`[Module R M]`, `M` known) one
    of the candidate's (`[Module R M]`): Lean has no other way to know it either;
  * an instance variable (`[mβ : MeasurableSpace β]`): a candidate instance binder of the
    same type, by its name, or `(inferInstance : T)` for an anonymous one (instance
    search finds the candidate's local instance, the same value).

A name written inside a larger bracket of an operator of the replacement or a side
condition (`μ` of `=ᵐ[μ.restrict s]`) is never substituted there (the grammar keeps it as
text), so it only takes the candidate variable of the same name; a bracket that is the name
alone (`=ᶠ[l]`) is substituted (`grammar.substitute`, `rules.bracket_names`).  Candidates same-named as the rule variable come first, then those no
other variable took (`g := f` where the match gave `f := f` rewrites `P f` to `P f`),
then binder order; at most `MAX_FILLINGS` fillings per match, the first in that order.

*Hole* (`HOLE`, `holes`): a variable the types of the matched values fix (`Q` of
`f : Q ⟶ R`) whose value's type the candidate does not say (`h.shortComplex'.f`) is
written `_`, in the new statement and in the rule's named arguments.  Lean solves it as it
solves it in the library's own `rw`: elaborating the replacement unifies the rule's type of
the matched value with the value's actual type.  Only when such a value is written in the
replacement (`g ≫ f` of `∀ (P : C) (g : P ⟶ Q), g ≫ f = 0 → g = 0`), never as a plain
value (`T + _`, an operand of arithmetic or a relation: nothing unifies it), never in a side
condition, which becomes a hypothesis of its own, elaborated apart, and never when a
declared type of a matched value fails to unify with the rule's (Lean would refuse it).

*Fresh binder* (the fallback, `match.fresh`): a variable for which no candidate variable
fits is marked `FRESH`, and the mutant gets a new binder for it, when that binder can be
closed (`fresh.fresh_closure`) and the pattern is more than a relation of variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Mapping, Sequence

from lean_alchemy.core.records import Rule
from lean_alchemy.grammar.ast import App, BinderGroup, Ident, Sort, Term, Typed, loads
from lean_alchemy.grammar.walk import heads
from lean_alchemy.index.match.fresh import FRESH, bare_relation, fresh_closure
from lean_alchemy.index.match.holes import (HOLE, ascription_holes, elaborated_first, holes,
                                            value_positions)
from lean_alchemy.index.match.unify import head_without_brackets, heads_agree, unify
from lean_alchemy.index.section_variables import function_like_subject

MAX_FILLINGS = 2  # invocations one match may give, one per filling

INFER_INSTANCE = "inferInstance"




@dataclass(frozen=True, slots=True)
class FillSpec:
    """What filling a rule needs, decoded once per rule."""

    needed: tuple[str, ...]  # variables to fill, in binder order
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    types: tuple[Term | None, ...]
    fixed: frozenset[str]  # variables some match determines (`determined`, operators too)
    pattern_ops: frozenset[str]  # names inside operators of the pattern
    text_only: frozenset[str]  # names inside operators of the replacement / hypotheses
    hypotheses: frozenset[Term] = frozenset()  # side conditions (the mutant states them)
    may_bind: bool = True  # a variable no candidate variable fits may be bound anew
    # what `possible` asks of a candidate (`requirements`), computed once by `fill_spec`
    asks: tuple[tuple[str, frozenset[str | None], frozenset[str | None]], ...] = ()
    # variables the new text spells that only the types of matched values fix (`n` of
    # `f : Fin (n + 1) → α`): the invocation carries their values (`_solutions`)
    solve: frozenset[str] = frozenset()
    # variables that may be written `_` when nothing else gives them (`holes`)
    holes: frozenset[str] = frozenset()


def fill_spec(rule: Rule) -> FillSpec | None:
    """The variables of `rule` a match must fill (module doc), None when there are none."""
    from lean_alchemy.index.rules import bracket_names, determined, op_names

    if rule.kind == "imp" or not rule.replacement:
        return None
    p, r = loads(rule.pattern), loads(rule.replacement)
    if p is None or r is None:
        return None
    names = tuple(rule.binder_names)
    named = frozenset(n for n in names if n)
    hyps = [loads(h) for h in tuple(rule.side_conditions)]
    mentioned = (heads(r) | op_names(r)) & named
    spelled = mentioned.union(*(heads(h) for h in hyps if h is not None)) & named
    matched = heads(p) | bracket_names(p)  # a whole bracket binds (`f =O[l] g`)
    if spelled <= matched:  # the match binds all of them: the common case, decoded fast
        return None
    types = tuple(loads(t) if t else None for t in rule.binder_types)
    type_of = {n: t for n, t in zip(names, types) if n}
    pvars = frozenset(rule.pattern_vars) | named
    plain = determined(matched & pvars, type_of, pvars, in_operators=False)
    needed = tuple(n for n in dict.fromkeys(names) if n in mentioned and n not in plain)
    proofs = frozenset(n for n, t in zip(names, types) if t is not None and t in hyps)
    solve = (spelled & plain) - matched - proofs
    if not needed and not solve:
        return None
    # names substitution cannot reach: inside a larger bracket (`=ᵐ[μ.restrict s]`)
    text_only = bracket_names(r, whole=False).union(
        *(bracket_names(h, whole=False) for h in hyps if h is not None))
    fixed = determined((heads(p) | op_names(p)) & pvars, type_of, pvars)
    spec = FillSpec(needed, names, tuple(rule.binder_kinds), types, fixed,
                    op_names(p) & named, text_only & named,
                    frozenset(h for h in hyps if h is not None),
                    not bare_relation(p, named), solve=solve)
    spelled_in_hyps = frozenset().union(*(heads(h) for h in hyps if h is not None))
    allowed = (fixed - text_only - spelled_in_hyps - elaborated_first(r)
               - value_positions(r, set()))
    sorts = frozenset(n for n, t in type_of.items() if isinstance(t, Sort))
    spec = replace(spec, holes=holes(frozenset(needed) | solve, heads(r) & matched & pvars,
                                     type_of, pvars, allowed)
                   | (ascription_holes(p, r, named, sorts) & frozenset(needed)
                      - text_only - spelled_in_hyps))
    return replace(spec, asks=requirements(spec))


@dataclass
class Candidate:
    """The candidate's variables a filling may use: `vars` (own binders, then the section
    variables its statement uses; not instances or unnamed ones) with their types (a
    hypothesis fits a rule variable of the same proposition, `H : s.Nonempty`, which
    the rule did not read as one), its type variables, its instance binders, and `types` of every name in scope
    (to type matched values)."""

    vars: list[tuple[str, Term]]
    sorts: list[str]
    insts: list[tuple[str, Term]]
    types: Mapping[str, Term]
    names: frozenset[str]
    _heads: tuple[frozenset[str | None], frozenset[str | None]] | None = field(
        default=None, repr=False)
    _function_like: frozenset[str] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, binders: Sequence[BinderGroup], section: Sequence[BinderGroup],
           conclusion: Term, types: Mapping[str, Term]) -> "Candidate":
        from lean_alchemy.index.section_variables import used_section_variables

        used = used_section_variables(section, binders, conclusion) if section else ()
        vars_: list[tuple[str, Term]] = []
        sorts: list[str] = []
        insts: list[tuple[str, Term]] = []
        seen: set[str] = set()
        for g in tuple(binders) + tuple(used):
            if g.type is None:
                continue
            if g.kind == "inst":
                insts.append((g.names[0] if g.names else "", g.type))
                continue
            for n in g.names:
                if not n or n == "_" or "✝" in n or n in seen:
                    continue
                seen.add(n)
                if isinstance(g.type, Sort):
                    sorts.append(n)
                else:
                    vars_.append((n, g.type))
                    if _class_like(g.type):
                        # Lean 4 takes every local of a class type as an instance,
                        # whatever its brackets: `{m : MeasurableSpace α}` is one
                        insts.append((n, g.type))
        names = frozenset(n for g in tuple(binders) + tuple(used) for n in g.names if n)
        return cls(vars_, sorts, insts, types, names)

    def heads(self) -> tuple[frozenset[str | None], frozenset[str | None]]:
        """The heads of the candidate's instance binders and of its variables' types
        (`possible`); None stands for a type without one."""
        if self._heads is None:
            self._heads = (frozenset(head_without_brackets(t) for _, t in self.insts),
                           frozenset(head_without_brackets(t) for _, t in self.vars))
        return self._heads

    def function_like(self) -> frozenset[str]:
        """`Filler.function_like`, read once from the instance binders."""
        if self._function_like is not None:
            return self._function_like
        out: set[str] = set()
        for _, t in self.insts:
            got = function_like_subject(t)
            if got is None and isinstance(t, App) and isinstance(t.fn, Ident) and t.args \
                    and t.fn.name.rpartition(".")[2] == "CoeFun" and isinstance(t.args[0], Ident):
                got = t.args[0].name
            if got is not None:
                out.add(got)
        self._function_like = frozenset(out)
        return self._function_like

    def type_of(self, value: Term) -> Term | None:
        if isinstance(value, Ident):
            return self.types.get(value.name)
        if isinstance(value, Typed):
            return value.type
        from lean_alchemy.index.typing.filter import infer_type

        return infer_type(value, self.types)


def fillings(spec: FillSpec, subst: Mapping[str, Term], cand: Candidate
             ) -> list[dict[str, Term]]:
    """Up to `MAX_FILLINGS` assignments of `spec.needed` (module doc); [] when a variable
    has no value, or when a matched variable written inside an operator of the
    replacement or a side condition (`hl : f₁ =ᶠ[l₁] f₂`) got another value than its own
    name: the mutant would print it unsubstituted, free."""
    if any(v in subst and subst[v] != Ident(v) for v in spec.text_only):
        return []
    if not spec.needed:  # only variables to solve: nothing to choose
        solved = _solutions(spec, subst, {}, cand)
        return [] if solved is None else [solved]
    clashes: list[str] = []
    known = _solved_from_types(spec, subst, cand, clashes)
    if clashes and spec.holes:
        spec = replace(spec, holes=frozenset())
    out: list[dict[str, Term]] = []
    for got in _assign(spec, cand, 0, known):
        filling = _filling(spec, subst, got)
        solved = _solutions(spec, subst, filling, cand) if spec.solve else {}
        if solved is None:
            continue
        out.append({**filling, **solved})
        if len(out) >= MAX_FILLINGS:
            break
    return out


def _solutions(spec: FillSpec, subst: Mapping[str, Term], filling: Mapping[str, Term],
               cand: Candidate) -> dict[str, Term] | None:
    """Values of `spec.solve` the invocation does not carry yet, None when one has none.
    Each comes from the type of a matched or filled value (declared, ascribed or
    inferred, `Candidate.type_of`) unified with the rule's binder type (`B := Y` from
    `φ : X →ₐ[K] Y` against `f : A →ₐ[R] B`, `T := R` from `q : R[X]`).  Why carried:
    the mutation engine solves such variables with exact syntactic matching only, and a
    variable it cannot solve would be left free in the new statement, so it drops the
    invocation (`unbound_rule_variable`, `untyped_fresh_var`); refused here instead, the
    invocation leaves its place in the quota to another."""
    given = {**subst, **{k: v for k, v in filling.items() if v != FRESH}}
    missing = spec.solve.difference(given)
    if not missing:
        return {}
    clashes: list[str] = []
    known = _solved_from_types(spec, given, cand, clashes)
    if not missing.issubset(known):
        if clashes or not missing.difference(known) <= spec.holes:
            return None
        known = {**{v: HOLE for v in missing}, **known}
    return {v: known[v] for v in sorted(missing)}


def _solved_from_types(spec: FillSpec, given: Mapping[str, Term], cand: Candidate,
                       clashes: list[str] | None = None) -> dict[str, Term]:
    """`given` extended by the rule variables its values' types fix: each rule binder
    type unified with the candidate's type of its value (`Candidate.type_of`), a binder
    whose unification fails leaving the others' results in place (and named in
    `clashes`: a hole would hide the clash from the index, not from Lean)."""
    unknown = frozenset(n for n in spec.names if n and n not in given)
    known: dict[str, Term] = dict(given)
    done: set[str] = set()
    while True:  # a solved value's own type may fix more (`C` of `{X Y : C} (f : X ⟶ Y)`)
        grown = False
        for n, t in zip(spec.names, spec.types):
            v = known.get(n)
            if v is None or t is None or isinstance(t, Sort) or n in done:
                continue
            done.add(n)
            ct = cand.type_of(v)
            trial = dict(known)
            if ct is not None and unify(t, ct, unknown, trial):
                grown = grown or len(trial) > len(known)
                known = trial
            elif ct is not None and clashes is not None:
                clashes.append(n)
        if not grown:
            return known


def _filling(spec: FillSpec, subst: Mapping[str, Term], got: Mapping[str, Term]
             ) -> dict[str, Term]:
    """The values of `spec.needed`, `FRESH` for those to bind anew; with fresh ones, also
    the solved values (not matched) of the variables their binders' types and instance
    binders mention, so that the mutation engine types the new binders as the index did."""
    out = {n: got[n] for n in spec.needed}
    fresh = {n for n, v in got.items() if v == FRESH}
    if not fresh:
        return out
    for n, k, t in zip(spec.names, spec.kinds, spec.types):
        if t is None or not (n in fresh or (k == "inst" and heads(t) & fresh)):
            continue
        for m in heads(t):
            v = got.get(m)
            if v is not None and v != FRESH and m not in subst and m not in out:
                out[m] = v
    return out


def _assign(spec: FillSpec, cand: Candidate, k: int, known: dict[str, Term]
            ) -> Iterator[dict[str, Term]]:
    """Every assignment of `spec.needed[k:]` extending `known`, in preference order."""
    if k == len(spec.needed):
        yield known
        return
    x = spec.needed[k]
    if known.get(x) == FRESH:  # bound anew with an earlier one (`X` of `f : X ⟶ Y`)
        yield from _assign(spec, cand, k + 1, known)
        return
    offered = False
    for value, more in _choices(spec, cand, x, known):
        if x in spec.text_only and value != Ident(x):
            continue
        offered = True
        nxt = dict(more)
        nxt[x] = value
        yield from _assign(spec, cand, k + 1, nxt)
    if not offered and x in spec.holes and x not in known:
        yield from _assign(spec, cand, k + 1, {**known, x: HOLE})
        return
    if (offered or not spec.may_bind or x in known or x in spec.text_only
            or x in spec.pattern_ops):
        return
    have = frozenset(n for n, v in known.items() if v != FRESH)
    fresh = fresh_closure(spec.names, spec.kinds, spec.types, (x,), have, spec.fixed,
                          spec.hypotheses)
    if fresh:
        nxt = dict(known)
        nxt.update((n, FRESH) for n in fresh if n not in have)
        yield from _assign(spec, cand, k + 1, nxt)


def _choices(spec: FillSpec, cand: Candidate, x: str, known: dict[str, Term]
             ) -> Iterator[tuple[Term, dict[str, Term]]]:
    i = spec.names.index(x)
    ty, kind = spec.types[i], spec.kinds[i] if i < len(spec.kinds) else "explicit"
    if x in known:
        v = known[x]
        if not isinstance(ty, Sort) or (isinstance(v, Ident) and v.name in cand.sorts):
            yield v, known
        return
    if x in spec.pattern_ops:
        if x in cand.names:
            yield Ident(x), known
        return
    if ty is None:
        return
    free = frozenset(n for n in spec.names if n and n not in known and n not in spec.fixed
                     and n != x)
    if isinstance(ty, Sort):
        yield from _sort_choices(spec, cand, x, known)
    elif kind == "inst":
        for name, ct in cand.insts:
            trial = dict(known)
            if unify(ty, ct, free, trial):
                yield (Ident(name) if name and not name.startswith("inst")
                       else Typed(Ident(INFER_INSTANCE), ct)), trial
    else:
        used = frozenset(v.name for v in known.values() if isinstance(v, Ident))
        order = sorted(cand.vars, key=lambda nv: (nv[0] != x, nv[0] in used))
        sorts = [v for v in _rule_vars(ty, spec) if v in free and _is_sort(spec, v)]
        for base in _solve_sorts(spec, cand, sorts, known):
            if not _anchored(ty, base, free, spec):
                continue
            rest = free.difference(base)
            for name, ct in order:
                trial = dict(base)
                if unify(ty, ct, rest, trial):
                    trial[x] = Ident(name)
                    if _instances_present(spec, cand, x, trial):
                        yield Ident(name), trial


def _class_like(t: Term) -> bool:
    """Whether a declared type may be a class application (`MeasurableSpace α`,
    `Fact p.Prime`): a constant, capitalized as Mathlib names classes and structures,
    applied or alone.  Only a rule's instance binder of the same class unifies with it,
    so a structure taken here (`Finset α`) is never chosen for one."""
    head = t.fn if isinstance(t, App) else t
    if not isinstance(head, Ident):
        return False
    last = head.name.rpartition(".")[2]
    return last[:1].isupper()


def _rule_vars(t: Term, spec: FillSpec) -> list[str]:
    return sorted(heads(t) & frozenset(n for n in spec.names if n))


def _is_sort(spec: FillSpec, v: str) -> bool:
    return isinstance(spec.types[spec.names.index(v)], Sort)


def _solve_sorts(spec: FillSpec, cand: Candidate, sorts: list[str], known: dict[str, Term]
                 ) -> Iterator[dict[str, Term]]:
    """`known` extended by a value of each type variable in `sorts` that no match fixes
    (`α` of `a : α` in `a • b₁ < a • b₂`), each from a linking instance binder
    (`_sort_choices`); one without such a binder stays unknown, for the type match."""
    if not sorts:
        yield known
        return
    found = False
    for value, more in _sort_choices(spec, cand, sorts[0], known):
        found = True
        nxt = dict(more)
        nxt[sorts[0]] = value
        yield from _solve_sorts(spec, cand, sorts[1:], nxt)
    if not found:  # left to the type match (`Set α` against `Set β`), never bare
        yield from _solve_sorts(spec, cand, sorts[1:], known)


def _anchored(ty: Term, known: Mapping[str, Term], free: frozenset[str],
              spec: FillSpec) -> bool:
    """Whether the rule binder type `ty` says enough: not a bare unknown variable, and
    every rule variable it mentions is known or one no match could fix (`free`)."""
    rule_vars = heads(ty) & frozenset(n for n in spec.names if n)
    if isinstance(ty, Ident) and ty.name in rule_vars and ty.name not in known:
        return False
    return all(v in known or v in free for v in rule_vars)


def _sort_choices(spec: FillSpec, cand: Candidate, x: str, known: dict[str, Term]
                  ) -> Iterator[tuple[Term, dict[str, Term]]]:
    """Type variables of the candidate that turn an instance binder of the rule linking
    `x` to known variables into one of the candidate's instance binders."""
    seen: set[str] = set()
    only_x = frozenset((x,))
    for n, k, t in zip(spec.names, spec.kinds, spec.types):
        if k != "inst" or t is None or x not in heads(t):
            continue
        others = heads(t) & frozenset(m for m in spec.names if m) - only_x
        if not others or not others.issubset(known):
            continue
        for _, ct in cand.insts:
            trial = dict(known)
            if unify(t, ct, only_x, trial):
                v = trial.get(x)
                if isinstance(v, Ident) and v.name in cand.sorts and v.name not in seen:
                    seen.add(v.name)
                    yield v, trial


def _instances_present(spec: FillSpec, cand: Candidate, x: str, known: dict[str, Term]
                       ) -> bool:
    """Every instance binder of the rule about the filled term variable `x` (`[Epi f]`)
    is, instantiated, an instance binder of the candidate."""
    for k, t in zip(spec.kinds, spec.types):
        if k != "inst" or t is None or x not in heads(t):
            continue
        if not any(unify(t, ct, frozenset(), dict(known)) for _, ct in cand.insts):
            return False
    return True


def possible(spec: FillSpec, cand: Candidate) -> bool:
    """A necessary condition for `fillings` that needs no match (the index asks it before
    matching, once per rule and candidate, so a rule that can never be filled on this
    candidate spends neither matching time nor attempts): each variable to fill by a
    candidate variable, unless it could be bound anew (`fresh_closure`, with every
    variable a match fixes or a filling gives taken as known), has a candidate variable,
    instance or linking instance whose type has the head its rule type needs, and each
    instance binder about a filled term variable (`[Epi f]`) has a candidate instance of
    its class.  What the rule needs is decoded once per rule (`requirements`), what the
    candidate offers once per candidate (`Candidate.heads`)."""
    if not spec.asks:
        return True
    inst_heads, var_heads = cand.heads()
    for kind, want, need_insts in spec.asks:
        if kind == NO_TYPE:
            return False
        if kind == LINKED_SORT:
            if not want & inst_heads:
                return False
            continue
        pool = inst_heads if kind == "inst" else var_heads
        if not want:  # a type the rule leaves open: any candidate value may do
            if not pool:
                return False
        elif not any(w is not None and heads_agree(w, h) for w in want for h in pool):
            return False
        if not need_insts <= inst_heads:
            return False
    return True


NO_TYPE = "?untyped"  # a `requirements` kind: a variable without a type, never filled
LINKED_SORT = "?sort"  # a type variable, filled through an instance binder linking it


def requirements(spec: FillSpec
                 ) -> tuple[tuple[str, frozenset[str | None], frozenset[str | None]], ...]:
    """What `possible` asks of a candidate, per variable a candidate variable must fill:
    (kind, heads one of which the candidate's value type or instance must have, the
    instance classes it must have).  Variables the match decides or that may be bound
    anew ask nothing."""
    out: list[tuple[str, frozenset[str | None], frozenset[str | None]]] = []
    rule_vars = frozenset(n for n in spec.names if n)
    for x in spec.needed:
        if x in spec.pattern_ops or x in spec.fixed or x in spec.holes:
            continue  # the match or its values' types decide, or Lean's unifier
        if spec.may_bind and x not in spec.text_only and fresh_closure(
                spec.names, spec.kinds, spec.types, (x,),
                spec.fixed | (frozenset(spec.needed) - {x}), spec.fixed, spec.hypotheses):
            continue  # a new binder if no candidate variable fits
        i = spec.names.index(x)
        ty, kind = spec.types[i], spec.kinds[i]
        if ty is None:
            out.append((NO_TYPE, frozenset(), frozenset()))
            continue
        if isinstance(ty, Sort):
            links = frozenset(head_without_brackets(t) for k, t in zip(spec.kinds, spec.types)
                              if k == "inst" and t is not None and x in heads(t)
                              and heads(t) & rule_vars - {x})
            out.append((LINKED_SORT, links, frozenset()))
            continue
        want = head_without_brackets(ty)
        wanted: frozenset[str | None] = (frozenset() if want is None or want in spec.names
                                         else frozenset((want,)))
        insts: frozenset[str | None] = frozenset()
        if kind != "inst":
            insts = frozenset(head_without_brackets(t) for k, t in zip(spec.kinds, spec.types)
                              if k == "inst" and t is not None and x in heads(t))
        out.append(("inst" if kind == "inst" else "term", wanted, insts))
    return tuple(out)


class Filler:
    """The fillings of one index: each rule's `FillSpec`, decoded once, and the candidate
    being matched (`start`), whose variables are gathered at its first match that needs
    them.  Why a class: the matcher asks per (rule, match) and must not rebuild either."""

    def __init__(self) -> None:
        self._specs: dict[str, FillSpec | None] = {}  # rule id -> its spec, None: no fill
        # the candidate: (binders, section binders, conclusion, binder types)
        self._ctx: tuple = ((), (), None, {})
        self._cand: Candidate | None = None
        self._possible: dict[str, bool] = {}  # rule id -> `possible`, this candidate

    def start(self, binders: tuple, section: tuple, conclusion: Term,
              types: dict[str, Term]) -> None:
        """A new candidate: what was known of the previous one is dropped."""
        self._ctx = (binders, section, conclusion, types)
        self._cand = None
        self._possible = {}

    def spec(self, r: Rule) -> FillSpec | None:
        if r.id not in self._specs:
            self._specs[r.id] = fill_spec(r)
        return self._specs[r.id]

    def candidate(self) -> Candidate:
        if self._cand is None:
            binders, section, conclusion, types = self._ctx
            self._cand = Candidate.of(binders, section, conclusion, types)
        return self._cand

    def may_fill(self, r: Rule) -> bool:
        """False when `r` needs variables this candidate can never provide (`possible`):
        such pairs are passed over without a try."""
        got = self._possible.get(r.id)
        if got is None:
            spec = self.spec(r)
            got = self._possible[r.id] = spec is None or possible(spec, self.candidate())
        return got

    def function_like(self) -> frozenset[str]:
        """The candidate's type variables that an instance binder makes function-like
        (`value_checks.functions_ok`): `[FunLike F α β]`, `[RingHomClass F R S]`, `[CoeFun F _]`."""
        return self.candidate().function_like()

    def values(self, r: Rule, subst: Mapping[str, Term]) -> list[dict[str, Term]]:
        """The values of the variables `r`'s match leaves open that the mutant needs:
        [{}] when there are none, [] when one has no value."""
        spec = self.spec(r)
        if spec is None:
            return [{}]
        return fillings(spec, subst, self.candidate())
