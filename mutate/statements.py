"""Pure mutation of a statement: (binders, conclusion) + Invocation + Rule -> new statement.

Decisions (see docs/mutate.md):

- **All occurrences of the instantiated instance.**  The rule is instantiated explicitly
  (`R (a := x) (b := y)`), so the proof's `rewrite` rewrites exactly the occurrences of the
  matched instance `σl`, and all of them, as `rw` does (Lean's `kabstract`).  The mutant
  statement replaces the same set: every occurrence of `σl` in the target (the goal, or the
  one hypothesis), except those whose variables are re-bound by an inner binder, which are
  different terms that `rw` cannot see either.  Statement and proof therefore agree by
  construction.  An instance that mentions a locally bound variable cannot be rewritten by
  `rw` (motive under a binder) and is skipped (`under_binder`).
- **Fresh variables.**  Rule variables that the match does not determine but the new
  statement mentions (`b` in `a = a * b / b`, the middle `b` of `a < b → b ≤ c → a < c`)
  become new universally bound binders with the rule's binder type, instantiated; a type
  variable of the rule is resolved from the candidate's binder types.  When the type cannot
  be resolved the invocation is skipped (`untyped_fresh_var`): a binder `(b : _)` would
  leave elaboration to chance.  A rule variable that would stay free (Mathlib has
  `autoImplicit false`) or be captured skips it too (`unbound_rule_variable`).
- **Hypotheses.**  Side conditions of a conditional rewrite and antecedents of an
  implication become hypothesis binders with Mathlib-style names (`hx`, `hab`, `h`, `h'`,
  `h₁`...), unless the candidate already has a hypothesis of exactly that type, which is
  then reused.  A matched value keeps the type it had in the candidate: a numeral or an
  arithmetic value that nothing else types is ascribed (`0 ≤ (Nat.sqrt a + 1 : ℝ)`, see
  `needs_ascription`).

Everything here is a pure function of ASTs; `Skip` carries the name of the filter that
dropped an invocation, for the stage's counters.

Long because: instantiating a rule (named arguments, new binders, hypotheses) and the
three mutations share the helpers here, and splitting them would pass `_Inst` around.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from lean_alchemy.core.records import Invocation, Rule
from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Hole, Ident, Opaque, Path,
    Sort, Term, Typed, field_view_step, get_at, loads, subterms)
from lean_alchemy.grammar.walk import (
    Capture, all_idents, arith_leaves, binder_types, fresh_name, heads, match_first_order, nodes,
)
from lean_alchemy.grammar.substitute import alpha_equal, bound_at, replace_all, substitute
from lean_alchemy.index.match.fresh import fresh_closure, fresh_sort
from lean_alchemy.index.typing.saturate import UNSOLVED
from lean_alchemy.index.rules import verbatim_names
from lean_alchemy.mutate.ascription import anchored, needs_ascription, self_typed

KINDS = ("rw_goal", "rw_hyp", "apply_hyp")


class Skip(Exception):
    """An invocation that yields no faithful mutant; `reason` names the filter."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class DecodedRule:
    """A `Rule` with its ASTs deserialized once (rules are reused thousands of times)."""

    rule: Rule
    pattern: Term
    replacement: Term | None
    binder_types: tuple[Term | None, ...]
    hypotheses: tuple[Term, ...]  # side conditions (eq/iff) or antecedents (imp)
    # variables a match of the pattern fixes (`index.rules.determined`): never bound anew
    fixed: frozenset[str] = frozenset()
    # per binder, the rule's binder names its type mentions (what `_solve_open` can solve
    # through it), worked out once per rule instead of once per invocation
    type_vars: tuple[frozenset[str], ...] = ()

    @classmethod
    def of(cls, rule: Rule) -> "DecodedRule":
        from lean_alchemy.index.rules import determined, op_names

        pattern = loads(rule.pattern)
        if pattern is None:
            raise Skip("bad_rule", f"{rule.lemma}: empty pattern")
        replacement = loads(rule.replacement) if rule.replacement else None
        if rule.kind in ("eq", "iff") and replacement is None:
            raise Skip("bad_rule", f"{rule.lemma}: empty replacement")
        types = tuple(loads(t) if t else None for t in rule.binder_types)
        hyps: list[Term] = []
        for s in tuple(rule.side_conditions) + tuple(rule.antecedents):
            t = loads(s)
            if t is not None and t not in hyps:
                hyps.append(t)
        named = frozenset(n for n in rule.binder_names if n)
        pvars = frozenset(rule.pattern_vars) | named
        type_of = {n: t for n, t in zip(rule.binder_names, types) if n}
        fixed = determined((heads(pattern) | op_names(pattern)) & pvars, type_of, pvars)
        names = frozenset(rule.binder_names)
        type_vars = tuple(heads(t) & names if t is not None else frozenset() for t in types)
        return cls(rule, pattern, replacement, types, tuple(hyps), fixed, type_vars)


@dataclass(frozen=True, slots=True)
class Step:
    """What one mutation did: everything the proof builder needs.

    `args` are the rule's named arguments `(name := value)` in binder order; `hyp_args`
    the same for hypothesis binders of the rule that we can pass by name;
    `unnamed_hyps` counts rule hypotheses left as goals (closed by `assumption`).
    `original` is the target before the mutation: the conclusion (rw_goal) or the type of
    hypothesis `location` (rw_hyp, apply_hyp).
    """

    kind: str
    direction: str
    location: str
    lemma: str
    args: tuple[tuple[str, Term], ...]
    hyp_args: tuple[tuple[str, str], ...]
    unnamed_hyps: int
    original: Term
    new_binders: tuple[str, ...] = ()
    occurrences: int = 1
    covers_explicit: bool = True  # every explicit binder of the rule is passed by name
    # the new names of the rule variables bound anew (not hypotheses, not instances)
    fresh_vars: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Mutation:
    binders: tuple[BinderGroup, ...]
    conclusion: Term
    step: Step


# --------------------------------------------------------------------------- helpers

def nameable(name: str) -> bool:
    """A binder name that `(name := v)` can refer to."""
    return bool(name) and name != "_" and "✝" not in name and not name.startswith("inst")


def parse_path(path: str) -> Path:
    if not path:
        return ()
    return tuple((str(f), int(i)) for f, i in json.loads(path))


def binder_name_set(groups: Iterable[BinderGroup]) -> set[str]:
    return {n for g in groups for n in g.names}


def all_names(binders: Sequence[BinderGroup], conclusion: Term,
              context: Sequence[BinderGroup]) -> set[str]:
    """Every name a new binder must avoid: binders, context, free and bound names."""
    out = binder_name_set(binders) | binder_name_set(context) | {"this"}
    all_idents(conclusion, out)
    for g in binders:
        all_idents(g.type, out)
        all_idents(g.pred, out)
    return out


def hyp_name(t: Term, local: set[str]) -> str:
    """Mathlib-style name for a hypothesis of type `t`: `hx`, `hab`, else `h`."""
    seen: list[str] = []
    for _, s, bound in subterms(t):
        if isinstance(s, Ident):
            n = s.name.split(".", 1)[0]
            if n in local and n not in bound and n not in seen:
                seen.append(n)
    if 1 <= len(seen) <= 3 and all(len(n) == 1 and n.isalpha() for n in seen):
        return "h" + "".join(seen)
    return "h"


_OPAQUE_MEMO: dict[int, tuple[Term, tuple[str, ...]]] = {}
_TOKEN = re.compile(r"(?<![\w.'])[\w']+")
_WORDLIKE = re.compile(r"[\w']+")


def _opaque_texts(target: Term) -> tuple[str, ...]:
    """The texts of `target`'s `Opaque` nodes, memoized by identity: every invocation on
    one statement asks for the same target, and most targets have none."""
    hit = _OPAQUE_MEMO.get(id(target))
    if hit is not None and hit[0] is target:
        return hit[1]
    texts = tuple(s.text for s in nodes(target) if isinstance(s, Opaque))
    if len(_OPAQUE_MEMO) >= 50_000:
        _OPAQUE_MEMO.clear()
    _OPAQUE_MEMO[id(target)] = (target, texts)
    return texts


def _opaque_mentions(target: Term, old: Term) -> bool:
    """Whether an `Opaque` part of `target` mentions a name of `old`: `rw` would rewrite an
    occurrence there that our replacement cannot see, and statement and proof would differ.
    A mention is the name as a whole word, not after `.` (a field) or inside a longer name."""
    texts = _opaque_texts(target)
    if not texts:
        return False
    names = list(heads(old)) or ["\x00"]
    for text in texts:
        tokens = None
        for n in names:
            if _WORDLIKE.fullmatch(n):
                if tokens is None:
                    tokens = set(_TOKEN.findall(text))
                if n in tokens:
                    return True
            elif re.search(rf"(?<![\w.']){re.escape(n)}(?![\w'])", text):
                return True
    return False


# --------------------------------------------------------------------------- instantiation

@dataclass
class _Inst:
    """The rule instantiated for one invocation (built by `_instantiate`)."""

    mapping: dict[str, Term]
    args: list[tuple[str, Term]]
    fresh: list[BinderGroup]
    hyp_binders: list[int]  # indices of the rule's hypothesis binders
    pins: dict[str, Term]  # rule variable -> its value ascribed, for new hypotheses
    fresh_vars: tuple[str, ...] = ()  # new names of the rule variables bound anew


def _pinned(value: Term, ty: Term | None, tsub: Mapping[str, Term], tvars: set[str],
            local: set[str], subst: Mapping[str, Term], rule_names: set[str]) -> Term | None:
    """The value to pass as `(name := value)` so that it elaborates at the matched type.

    A value without local variables (`2`, `Real.pi`, `(1 : ℝ) / 2`) gets no type from
    itself: `two_mul (a := 2)` would default to ℕ.  It is ascribed with the rule binder's
    type when the match resolved it (`(a := (2 : ℝ))`), else left out for unification to
    find (the other arguments usually pin the instance down).  A type is passed as it is
    (`(X := ℝ)`): the rule's `Type*` is no type a proof can ascribe.  A hole
    (`index.match.fill`) is left to unification as it is."""
    if isinstance(value, (Typed, Hole)) or (heads(value) & local and self_typed(value)):
        return value
    if isinstance(ty, Sort):
        return value
    if ty is None:
        return None
    concrete = substitute(substitute(ty, tsub), subst)
    if heads(concrete) & rule_names:
        return None
    return Typed(value, concrete)


_RELATIONS = frozenset({"=", "≠", "<", "≤", ">", "≥"})  # `binrel%`: both sides one unit


def _hypothesis(h: Term, inst: "_Inst", types: Mapping[str, Term]) -> Term:
    """Rule hypothesis `h` instantiated: `inst.mapping`, with the values that
    `_instantiate` marked ascribed (`inst.pins`) unless `h` is a relation in which the
    value is an arithmetic leaf and another leaf fixes the type anyway (`0 ≤ a - 0` with
    `a : ℤ` stays as it is, so it still meets its duplicates)."""
    names = heads(h) if inst.pins else frozenset()
    pins = {n: v for n, v in inst.pins.items() if n in names}
    if not pins:
        return substitute(h, inst.mapping)
    if isinstance(h, BinOp) and h.op in _RELATIONS:
        rule_leaves = arith_leaves(h.rhs, arith_leaves(h.lhs, []))
        inner = substitute(h, inst.mapping)
        assert isinstance(inner, BinOp)
        leaves = arith_leaves(inner.rhs, arith_leaves(inner.lhs, []))
        for n in list(pins):
            pinned = pins[n]
            assert isinstance(pinned, Typed)
            if Ident(n) in rule_leaves and anchored(leaves, pinned.type, types):
                del pins[n]
        if not pins:
            return inner
    return substitute(h, {**inst.mapping, **pins})


def _solve_open(names: Sequence[str], btypes: Sequence[Term | None],
                type_vars: Sequence[frozenset[str]], subst: Mapping[str, Term],
                types: Mapping[str, Term]) -> dict[str, Term]:
    """Values of the variables the match leaves open (`α`, `n` of `x : Fin n`): rule binder
    types matched against the candidate's types of the values, as Lean's unifier would.
    `type_vars`: per binder, the binder names its type mentions (`DecodedRule`)."""
    open_vars, tsub = set(names) - set(subst), dict[str, Term]()
    if not open_vars:
        return tsub
    for name, ty, mentions in zip(names, btypes, type_vars):
        if ty is None or mentions.isdisjoint(open_vars):
            continue
        v = subst.get(name)
        if v is None:
            continue
        actual = types.get(v.name) if isinstance(v, Ident) else (
            v.type if isinstance(v, Typed) else None)
        trial: dict[str, Term] = dict(tsub)
        if actual is not None and match_first_order(ty, actual, open_vars, trial):
            tsub = trial
    return tsub


def _instantiate(rule: DecodedRule, subst: Mapping[str, Term], needed: Sequence[Term],
                 types: Mapping[str, Term], avoid: set[str], local: set[str]) -> _Inst:
    """Named arguments for the rule and fresh binders for its undetermined variables.

    `needed`: the rule terms the mutant will contain (replacement, hypotheses); a rule
    variable is fresh when they mention it and the match did not determine it, and so is
    each unknown variable a fresh binder's type mentions (`fill.fresh_closure`); the
    rule's instance binders about fresh variables come along, anonymous."""
    r = rule.rule
    names = r.binder_names
    n = len(names)
    kinds = tuple(r.binder_kinds) + ("explicit",) * (n - len(r.binder_kinds))
    btypes = tuple(rule.binder_types) + (None,) * (n - len(rule.binder_types))
    tvars = {names[i] for i in range(n) if isinstance(btypes[i], Sort)}
    hyp_set = set(rule.hypotheses)
    mentioned: set[str] = set()
    for t in needed:
        mentioned |= heads(t)
    type_vars = rule.type_vars + (frozenset(),) * (n - len(rule.type_vars))
    tsub = _solve_open(names, btypes, type_vars, subst, types)
    rule_names = set(names) - set(subst)
    mapping: dict[str, Term] = dict(subst)
    mapping.update((k, v) for k, v in tsub.items() if k not in subst and k in mentioned)
    args: list[tuple[str, Term]] = []
    hyp_binders: list[int] = []
    wanted: list[str] = []
    for i, name in enumerate(names):
        kind, ty = kinds[i], btypes[i]
        if name in subst:
            if nameable(name) and all(a != name for a, _ in args):  # Lean takes each once
                value = _pinned(subst[name], ty, tsub, tvars, local, subst, rule_names)
                if value is not None:
                    args.append((name, value))
            continue
        if name in tsub or kind == "inst" and name not in mentioned:
            continue
        if ty is not None and ty in hyp_set and kind != "inst":
            hyp_binders.append(i)
            continue
        if name not in mentioned:
            continue  # determined by unification through the types of other arguments
        if kind != "inst" and name not in tvars:
            if not nameable(name):
                raise Skip("unnamed_rule_binder", f"{r.lemma}: binder {name!r}")
            if ty is None:
                raise Skip("untyped_fresh_var", f"{r.lemma}: {name} has no type")
        wanted.append(name)
    fresh, fresh_vars = _fresh_binders(rule, kinds, btypes, wanted, tsub, mapping, args,
                                       avoid)
    if fresh_vars:  # in binder order, as Lean lists them
        order = {name: i for i, name in reversed(list(enumerate(names)))}
        args.sort(key=lambda a: order[a[0]])
    # a type variable resolved from the candidate's types: the new terms say `β`, not `α`
    for name, value in tsub.items():
        mapping.setdefault(name, value)
    proofs = {names[i] for i in hyp_binders}  # named after the new hypotheses (`_rw`)
    unbound = (mentioned & set(names)) - set(mapping) - proofs
    if unbound:
        raise Skip("unbound_rule_variable", f"{r.lemma}: {', '.join(sorted(unbound))} "
                   f"would be free in the new statement")
    verbatim = {n for t in needed for n in verbatim_names(t) & set(names)
                if mapping.get(n) != Ident(n)}
    if verbatim:  # `{(μ n : Measure E) | n}`, unread: substitution never enters it
        raise Skip("unbound_rule_variable", f"{r.lemma}: {', '.join(sorted(verbatim))} "
                   f"written in text the grammar does not read")
    pins: dict[str, Term] = {}
    if rule.hypotheses:
        for i, name in enumerate(names):
            value = subst.get(name)
            ty = btypes[i]
            if value is None or ty is None or isinstance(ty, Sort) or name in tvars:
                continue
            concrete = substitute(substitute(ty, tsub), subst)
            if not heads(concrete) & rule_names and needs_ascription(value, concrete, types):
                pins[name] = Typed(value, concrete)
    return _Inst(mapping, args, fresh, hyp_binders, pins, fresh_vars)


def _fresh_binders(rule: DecodedRule, kinds: Sequence[str], btypes: Sequence[Term | None],
                   wanted: Sequence[str], tsub: Mapping[str, Term], mapping: dict[str, Term],
                   args: list[tuple[str, Term]], avoid: set[str]
                   ) -> tuple[list[BinderGroup], tuple[str, ...]]:
    """The new binders for the rule variables `wanted` (and those their types need), in the
    rule's binder order with its instance binders about them; extends `mapping`, `args`
    and `avoid`.  Raises `Skip` when they cannot be closed (`fill.fresh_closure`): a
    wanted type or instance variable gives `unbound_rule_variable` (it would be free), a
    term variable `untyped_fresh_var` (its type would be)."""
    r = rule.rule
    names = r.binder_names
    if not wanted:
        return [], ()
    known = set(mapping) | set(tsub)
    closed = fresh_closure(names, kinds, btypes, wanted, known, rule.fixed,
                           frozenset(rule.hypotheses))
    if closed is None:
        odd = [w for w in wanted if kinds[names.index(w)] == "inst"
               or isinstance(btypes[names.index(w)], Sort)]
        if odd:
            raise Skip("unbound_rule_variable", f"{r.lemma}: {', '.join(sorted(odd))} "
                       f"would be free in the new statement")
        raise Skip("untyped_fresh_var", f"{r.lemma}: the types of {', '.join(wanted)} "
                   f"cannot be closed")
    fresh_set = set(closed)
    out: list[BinderGroup] = []
    made: list[str] = []
    for i, name in enumerate(names):
        kind, ty = kinds[i], btypes[i]
        if ty is None or not (name in fresh_set or kind == "inst" and heads(ty) & fresh_set):
            continue
        new_ty = substitute(substitute(ty, tsub), mapping)
        if kind == "inst":
            out.append(BinderGroup((), new_ty, "inst"))
            continue
        unresolved = heads(new_ty) & set(names) - set(mapping)
        if unresolved:
            raise Skip("untyped_fresh_var", f"{r.lemma}: type of {name} mentions "
                       f"{', '.join(sorted(unresolved))}")
        fname = fresh_name(name, avoid)
        avoid.add(fname)
        mapping[name] = Ident(fname)
        args.append((name, Ident(fname)))
        made.append(fname)
        if isinstance(ty, Sort):
            out.append(BinderGroup((fname,), fresh_sort(ty), "implicit"))
        else:  # the rule's binder kind: `{b}` of `lt_of_lt_of_le` stays implicit, as Mathlib
            out.append(BinderGroup((fname,), new_ty,
                                   "implicit" if kind in ("implicit", "strict") else "explicit"))
    return out, tuple(made)


def _undetermined(rule: DecodedRule, inst: _Inst) -> set[str]:
    """Variables of the replacement (not proofs) that neither the match, unification nor a
    fresh binder gave a value: printed as they are, they would name nothing."""
    names, hyps = rule.rule.binder_names, set(rule.hypotheses)
    proofs = {n for n, t in zip(names, rule.binder_types) if t is not None and t in hyps}
    return set(heads(rule.replacement or Ident("")) & set(names)) - set(inst.mapping) - proofs


def _replacement(rule: DecodedRule, inst: _Inst, hyp_args: Sequence[tuple[str, str]]
                 ) -> Term:
    """The instantiated replacement; a proof of a side condition it mentions (`hf` of
    `integral_eq f hf : ∫ f = L1.integral (hf.toL1 f)`) is the binder that now states
    it (new or reused), else the mutant is dropped: it would be free."""
    assert rule.replacement is not None
    names = rule.rule.binder_names
    used = heads(rule.replacement) & {names[i] for i in inst.hyp_binders}
    if not used:
        return substitute(rule.replacement, inst.mapping)
    given = {rname: Ident(name) for rname, name in hyp_args}
    free = used.difference(given)  # a frozenset: `used - given.keys()` is a set (compiled)
    if free:
        raise Skip("unbound_rule_variable", f"{rule.rule.lemma}: "
                   f"{', '.join(sorted(free))} would be free in the new statement")
    return substitute(rule.replacement, {**inst.mapping, **given})


def _covers(rule: DecodedRule, args: Sequence[tuple[str, Term]],
            hyp_args: Sequence[tuple[str, str]]) -> bool:
    r = rule.rule
    given = {n for n, _ in args} | {n for n, _ in hyp_args}
    return all(n in given for n, k in zip(r.binder_names, r.binder_kinds) if k == "explicit")


def _hypotheses(rule: DecodedRule, inst: _Inst, existing: Mapping[Term, str],
                local: set[str], avoid: set[str], types: Mapping[str, Term]
                ) -> tuple[list[BinderGroup], list[tuple[str, str]], int]:
    """Binders for the rule's hypotheses (reusing identical existing ones), the named
    arguments that pass them, and how many are left for `assumption`."""
    r = rule.rule
    by_type: dict[Term, str] = {}
    for i in inst.hyp_binders:
        t = rule.binder_types[i]
        if t is not None and nameable(r.binder_names[i]) and t not in by_type:
            by_type[t] = r.binder_names[i]
    new: list[BinderGroup] = []
    hyp_args: list[tuple[str, str]] = []
    unnamed = 0
    made: dict[Term, str] = {}
    for h in rule.hypotheses:
        t = _hypothesis(h, inst, types)
        name = existing.get(t) or made.get(t)
        if name is None:
            name = fresh_name(hyp_name(t, local), avoid)
            avoid.add(name)
            made[t] = name
            new.append(BinderGroup((name,), t, "explicit"))
        rname = by_type.get(h)
        if rname is not None and all(a != rname for a, _ in hyp_args):
            hyp_args.append((rname, name))
        else:
            unnamed += 1
    return new, hyp_args, unnamed


# --------------------------------------------------------------------------- the mutations

@dataclass(frozen=True, slots=True)
class Prepared:
    """What every invocation on one statement needs (computed once per statement)."""

    avoid: frozenset[str]  # names a new binder must avoid
    types: dict[str, Term]  # local variable -> its type
    local: frozenset[str]  # names of binders and section variables
    existing: dict[Term, str]  # hypothesis type -> the first binder name with that type

    @classmethod
    def of(cls, binders: Sequence[BinderGroup], conclusion: Term,
           context: Sequence[BinderGroup] = ()) -> "Prepared":
        existing: dict[Term, str] = {}
        for g in binders:
            if g.type is not None and g.kind != "inst":
                for n in g.names:
                    if nameable(n):
                        existing.setdefault(g.type, n)
        return cls(frozenset(all_names(binders, conclusion, context)),
                   binder_types(tuple(context) + tuple(binders)),
                   frozenset(binder_name_set(context) | binder_name_set(binders)), existing)


# serialized substitution value -> its term.  Why: a theorem's invocations bind the same
# few sub-terms over and over (`x`, `a + b`), and decoding them was ~5 % of the stage.
# Terms are immutable, so one object can serve every invocation that names it.
_SUBST_TERMS: dict[str, Term | None] = {}


def _subst_term(text: str) -> Term | None:
    t = _SUBST_TERMS.get(text)
    if t is None:
        t = loads(text)
        if len(_SUBST_TERMS) >= 20_000:
            _SUBST_TERMS.clear()
        _SUBST_TERMS[text] = t
    return t


def apply_invocation(binders: Sequence[BinderGroup], conclusion: Term, inv: Invocation,
                     rule: DecodedRule, *, context: Sequence[BinderGroup] = (),
                     prepared: Prepared | None = None) -> Mutation:
    """The mutant statement of `inv` (see the module docstring); raises `Skip`.

    `context`: the section `variable` binders in force (for types and name clashes).
    `prepared`: `Prepared.of(binders, conclusion, context)`, when the caller applies many
    invocations to the same statement."""
    if inv.kind not in KINDS:
        raise Skip("unknown_kind", inv.kind)
    binders = tuple(binders)
    subst: dict[str, Term] = {}
    for k, v in inv.subst:
        value = _subst_term(v)
        if value is None:
            raise Skip("bad_invocation", "empty substitution")
        if any(n == UNSOLVED for n in nodes(value)):
            # a value solved from an inferred type the inference left open (`Set ?` of
            # `{x | p x}`): Lean has no `?` term, and `_` does not elaborate everywhere
            raise Skip("unsolved_value", f"{k} := {v}")
        subst[k] = value
    if prepared is None:
        prepared = Prepared.of(binders, conclusion, context)
    avoid = set(prepared.avoid)
    types = prepared.types
    local = set(prepared.local)
    existing = dict(prepared.existing)
    if inv.kind == "rw_goal":
        return _rw(binders, conclusion, inv, rule, subst, types, local, existing, avoid, None)
    # hypothesis location
    gi = next((i for i, g in enumerate(binders) if inv.location in g.names), None)
    if gi is None or binders[gi].type is None:
        raise Skip("location_not_found", inv.location)
    later = [g.type for g in binders[gi + 1:]] + [g.pred for g in binders[gi:]] + [conclusion]
    if any(inv.location in heads(t) for t in later):
        raise Skip("dependent_hypothesis", inv.location)
    g = binders[gi]
    if g.kind == "inst" or not nameable(inv.location):
        raise Skip("unnamed_hypothesis", inv.location)
    before = tuple(BinderGroup((n,), g.type, g.kind) for n in g.names[:g.names.index(
        inv.location)])
    after = tuple(BinderGroup((n,), g.type, g.kind) for n in g.names[g.names.index(
        inv.location) + 1:])
    # the hypothesis itself is not available to reuse as a side condition
    existing = {t: n for t, n in existing.items() if n != inv.location}
    split = (binders[:gi] + before, g, after + binders[gi + 1:])
    if inv.kind == "rw_hyp":
        return _rw(binders, conclusion, inv, rule, subst, types, local, existing, avoid, split)
    return _apply(conclusion, inv, rule, subst, types, local, existing, avoid, split)


def _rw(binders: tuple[BinderGroup, ...], conclusion: Term, inv: Invocation,
        rule: DecodedRule, subst: dict[str, Term], types: dict[str, Term], local: set[str],
        existing: dict[Term, str], avoid: set[str],
        split: tuple[tuple[BinderGroup, ...], BinderGroup, tuple[BinderGroup, ...]] | None
        ) -> Mutation:
    r = rule.rule
    if r.kind not in ("eq", "iff") or rule.replacement is None:
        raise Skip("kind_mismatch", f"{inv.kind} with a rule of kind {r.kind}")
    target = conclusion if split is None else split[1].type
    assert target is not None
    path = parse_path(inv.path)
    try:
        old = get_at(target, path)
    except (AttributeError, IndexError, TypeError):
        raise Skip("stale_invocation", f"path {inv.path} not in the target") from None
    if not alpha_equal(substitute(rule.pattern, subst), old):  # up to bound names, as `rw`
        raise Skip("stale_invocation", "instantiated pattern differs from the instance")
    if bound_at(target, path) & heads(old):
        raise Skip("under_binder", "the instance mentions a locally bound variable")
    if _opaque_mentions(target, old):
        raise Skip("opaque", "the instance may also occur in text the grammar left opaque")
    inst = _instantiate(rule, subst, (rule.replacement,) + rule.hypotheses, types, avoid,
                        local)
    if _undetermined(rule, inst):
        raise Skip("undetermined_var", f"{r.lemma}: {sorted(_undetermined(rule, inst))}")
    local = local | set(inst.fresh_vars)
    hyps, hyp_args, unnamed = _hypotheses(rule, inst, existing, local, avoid, types)
    new = _replacement(rule, inst, hyp_args)
    try:
        new_target, count = replace_all(target, old, new, field_view_step(path))
    except Capture as e:
        raise Skip("capture", str(e)) from None
    if count == 0:
        raise Skip("stale_invocation", "no occurrence replaced")
    added = tuple(inst.fresh) + tuple(hyps)
    step = Step(inv.kind, r.direction, inv.location, r.lemma, tuple(inst.args),
                tuple(hyp_args), unnamed, target,
                tuple(g.names[0] for g in added if g.names), count,
                _covers(rule, inst.args, hyp_args), inst.fresh_vars)
    if split is None:
        return Mutation(binders + added, new_target, step)
    head, g, tail = split
    return Mutation(head + added + (BinderGroup((inv.location,), new_target, g.kind),) + tail,
                    conclusion, step)


def _apply(conclusion: Term, inv: Invocation, rule: DecodedRule, subst: dict[str, Term],
           types: dict[str, Term], local: set[str], existing: dict[Term, str], avoid: set[str],
           split: tuple[tuple[BinderGroup, ...], BinderGroup, tuple[BinderGroup, ...]]
           ) -> Mutation:
    r = rule.rule
    if r.kind != "imp":
        raise Skip("kind_mismatch", f"apply_hyp with a rule of kind {r.kind}")
    head, g, tail = split
    target = g.type
    assert target is not None
    if parse_path(inv.path):
        raise Skip("stale_invocation", "apply_hyp must match the whole hypothesis")
    if substitute(rule.pattern, subst) != target:
        raise Skip("stale_invocation", "instantiated conclusion differs from the hypothesis")
    if not rule.hypotheses:
        raise Skip("no_antecedents", r.lemma)
    inst = _instantiate(rule, subst, rule.hypotheses, types, avoid, local)
    local = local | set(inst.fresh_vars)
    hyps, hyp_args, unnamed = _hypotheses(rule, inst, existing, local, avoid, types)
    added = tuple(inst.fresh) + tuple(hyps)
    step = Step(inv.kind, r.direction, inv.location, r.lemma, tuple(inst.args),
                tuple(hyp_args), unnamed, target, tuple(x.names[0] for x in added if x.names),
                1, _covers(rule, inst.args, hyp_args), inst.fresh_vars)
    return Mutation(head + added + tail, conclusion, step)
