"""`refute_statement`: search a counterexample to a statement by evaluation.

Why this exists: a mutant produced by a wrong match (a rewrite without its side condition,
ℕ subtraction treated like ℤ, ...) is a false statement; Lean would reject it, but Lean costs
seconds per mutant and does not run here.  Statements over ℕ/ℤ/ℚ/Bool with finite ranges are
decidable pointwise, so one assignment under which the hypotheses hold and the conclusion
fails proves the statement false.  Everything outside that fragment is 'not_evaluable': we
never guess.

Statuses
- 'refuted': hypotheses true and conclusion false under `counterexample`.
- 'vacuous': a hypothesis without free variables evaluates to False (e.g. `h : 0 = 1`).
- 'holds': no counterexample among `assignments_tried` assignments.  When no sampled
  assignment satisfied the hypotheses, `reason` is 'hypotheses never satisfied in sample'
  (the statement may still be false, or vacuous for a reason sampling cannot see); when
  they were satisfied but every evaluation exceeded the size bounds, `reason` is TOO_BIG.
- 'not_evaluable': `reason` names the construct outside the fragment.

Binders: the declaration's own binders after the section `variable`s in force.  Variables of
type ℕ ℤ ℚ ℝ Bool Prop are sampled (ℝ with rational values only, which is sound for refuting);
binders whose type is a proposition are hypotheses; `[Fact p]` and `[NeZero n]` are
hypotheses; `[Decidable p]`-style instances are ignored (subsingletons).  A type variable
(`{α : Type*}`) and instance binders that mention only type variables are dropped when
nothing else mentions them (Lean includes an unused section variable only if asked, and an
unused class such as `[Ring α]` has instances); if anything else uses them the statement is
not evaluable.  A conclusion `∀ x : T, P` or `A → B` is opened into binders/hypotheses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Ident, Num, Quant, Sort, Term, dumps, free_idents,
)
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.mutate.refute import values as V
from lean_alchemy.mutate.refute.evaluate import Compiler, NotEvaluable, type_of_ast
from lean_alchemy.mutate.refute.options import RefuteOptions
from lean_alchemy.mutate.refute.sample import assignment_list
from lean_alchemy.index.section_variables import used_section_variables
from lean_alchemy.grammar.walk import heads

STATUSES = ("refuted", "vacuous", "holds", "not_evaluable")
NEVER_SATISFIED = "hypotheses never satisfied in sample"
TOO_BIG = "no sampled assignment could be evaluated within the size bounds"
IGNORED_CLASSES = {"Decidable", "DecidableEq", "DecidablePred", "DecidableRel"}
# Classes that ℚ satisfies all at once: instance binders on an otherwise unused type variable
# with classes from this set only can be dropped (α := ℚ is a witness).  Anything else, e.g.
# `(α : Sort*) [Infinite α] [Finite α] : False` (true!), is not evaluable.
RATIONAL_CLASSES = {
    "Field", "DivisionRing", "Semifield", "CommRing", "Ring", "Semiring", "CommSemiring",
    "NonAssocRing", "NonUnitalRing", "AddGroup", "AddCommGroup", "AddMonoid", "AddCommMonoid",
    "Monoid", "CommMonoid", "MonoidWithZero", "CommMonoidWithZero", "GroupWithZero",
    "CommGroupWithZero", "Mul", "Add", "Zero", "One", "Neg", "Sub", "Div", "Inv",
    "LinearOrder", "PartialOrder", "Preorder", "Lattice", "DistribLattice", "LE", "LT",
    "LinearOrderedField", "LinearOrderedCommRing", "LinearOrderedRing", "OrderedRing",
    "StrictOrderedRing", "OrderedField", "IsStrictOrderedRing", "IsOrderedRing",
    "IsOrderedAddMonoid", "IsOrderedCancelAddMonoid", "CharZero", "Nontrivial", "Nonempty",
    "Inhabited", "Infinite", "DecidableEq", "Archimedean", "FloorRing", "IsDomain",
    "NoZeroDivisors", "DenselyOrdered", "Countable", "Encodable",
}
COMPARISONS = {"<", "≤", ">", "≥", "≠", "=", "∈", "∉"}


@dataclass(frozen=True, slots=True)
class Refutation:
    """The verdict of `refute_statement` (see the module docstring for the statuses)."""

    status: str  # one of STATUSES
    counterexample: tuple[tuple[str, str], ...] | None = None  # variable -> Lean value
    reason: str | None = None
    assignments_tried: int = 0


def _class_head(t: Term) -> tuple[str | None, tuple[Term, ...]]:
    if isinstance(t, Ident):
        return t.name, ()
    if isinstance(t, App) and isinstance(t.fn, Ident):
        return t.fn.name, t.args
    return None, ()


@dataclass
class _Plan:
    comp: Compiler
    ctx: dict
    variables: list[tuple[str, str, int]]  # (name, type, slot)
    hyps: list[tuple[Term, object, bool]]  # (AST, closure, is a binder hypothesis)
    conclusion: object
    definers: list[tuple[int, object]]  # (slot, closure): variables computed from others


def _mentions(terms: Sequence[Term | None], names: set[str]) -> bool:
    for t in terms:
        if t is not None and not names.isdisjoint(heads(t)):
            return True
    return False


def _plan(binders: Sequence[BinderGroup], conclusion: Term) -> _Plan:
    comp = Compiler()
    ctx: dict = {}
    variables: list[tuple[str, str, int]] = []
    hyps: list[tuple[Term, object, bool]] = []
    groups = list(binders)
    opened = False  # premises of the conclusion (`A → B`) do not make a statement vacuous

    def add_hyp(t: Term) -> None:
        hyps.append((t, comp.prop(t, ctx), not opened))

    def add_group(i: int, g: BinderGroup, rest: Sequence[Term | None]) -> None:
        if g.kind == "inst":
            head, args = _class_head(g.type) if g.type is not None else (None, ())
            if head in IGNORED_CLASSES:
                return
            if head == "Fact" and len(args) == 1:
                add_hyp(args[0])
                return
            if head == "NeZero" and len(args) == 1:
                add_hyp(BinOp("≠", args[0], Num("0")))
                return
            if (head in RATIONAL_CLASSES and len(args) == 1 and isinstance(args[0], Ident)
                    and args[0].name in dropped_types
                    and not _mentions(rest, set(g.names) - {"_"})):
                return  # ℚ is an instance of all of them at once: `∀ α [C α], P` is `P`
            raise NotEvaluable(f"instance binder [{head}] outside the fragment")
        if g.type is None:
            raise NotEvaluable(f"binder {' '.join(g.names)} without a type")
        if isinstance(g.type, Sort) and type_of_ast(g.type) is None:  # `p : Prop` is data
            names = set(g.names) - {"_"}
            later = [x.type for x in groups[i + 1:] if x.kind != "inst"] + [conclusion]
            if _mentions(later, names):
                raise NotEvaluable(f"polymorphic type {' '.join(g.names)}")
            dropped_types.update(names)
            return
        ty = type_of_ast(g.type)
        if ty is not None:
            for name in g.names:
                s = comp.slot()
                ctx[name] = (ty, s)
                variables.append((name, ty, s))
            if g.pred_op is not None:
                for name in g.names:
                    add_hyp(BinOp(g.pred_op, Ident(name), g.pred))
            return
        if g.pred_op is not None:
            raise NotEvaluable("binder predicate on a binder of unknown type")
        for _ in g.names or ("_",):
            add_hyp(g.type)

    dropped_types: set[str] = set()
    for i, g in enumerate(groups):
        rest = [x.type for x in groups[i + 1:]] + [conclusion]
        add_group(i, g, rest)
    # open the conclusion's leading ∀ binders and → premises
    concl = conclusion
    opened = True
    while True:
        if isinstance(concl, Quant) and concl.op == "∀" and all(
                type_of_ast(g.type) is not None and (g.pred_op is None or g.pred_op in COMPARISONS)
                for g in concl.binders):
            for g in concl.binders:
                add_group(len(groups), g, [concl.body])
            concl = concl.body
            continue
        if isinstance(concl, BinOp) and concl.op == "→":
            add_hyp(concl.lhs)
            concl = concl.rhs
            continue
        break
    return _Plan(comp, ctx, variables, hyps, comp.prop(concl, ctx),
                 _definers(comp, ctx, variables, hyps))


def _definers(comp: Compiler, ctx: dict, variables: list[tuple[str, str, int]],
              hyps: list[tuple[Term, object, bool]]) -> list[tuple[int, object]]:
    """Hypotheses `v = e` (or `e = v`) that can compute variable `v` from the others.

    Why: an equation between sampled variables is almost never met by chance; computing
    `v` makes it hold.  Soundness does not depend on this: the hypothesis itself is still
    evaluated on the resulting assignment, so a mistaken definer only wastes an assignment.
    """
    out: list[tuple[int, object]] = []
    defined: set[str] = set()
    for ast, _, _ in hyps:
        if not (isinstance(ast, BinOp) and ast.op == "="):
            continue
        for v, e in ((ast.lhs, ast.rhs), (ast.rhs, ast.lhs)):
            if not isinstance(v, Ident) or v.name not in ctx or v.name in defined:
                continue
            vty, slot = ctx[v.name]
            if (vty, slot) not in [(t, s) for _, t, s in variables]:
                continue
            used = {n.split(".")[0] for n in free_idents(e)}
            if v.name in used or used & defined:
                continue
            try:
                fn = comp.comp(e, ctx, vty)
            except NotEvaluable:
                continue
            out.append((slot, fn))
            defined.add(v.name)
            break
    return out


def _show(t: Term) -> str:
    """Lean text of a term, or its serialization when the printer fails on it (the text
    only explains a verdict; it must not cost one)."""
    try:
        return print_term(t)
    except Exception:  # noqa: BLE001 - see the docstring
        return dumps(t)


_INSTANCE_HEADS_KEPT = IGNORED_CLASSES | RATIONAL_CLASSES | {"Fact", "NeZero"}


def _outside_fragment(binders: Sequence[BinderGroup]) -> bool:
    """A binder that `_plan` rejects whatever else the statement holds: an untyped binder,
    or an instance of a class the evaluator has no model of (`[CommRing R]`).  Checked
    first because most Mathlib statements have one, and selecting the section variables
    Lean would include costs more than the answer it leads to."""
    for g in binders:
        if g.type is None:
            return True
        if g.kind == "inst" and _class_head(g.type)[0] not in _INSTANCE_HEADS_KEPT:
            return True
    return False


def refute_statement(binders: Sequence[BinderGroup], conclusion: Term,
                     opts: RefuteOptions = RefuteOptions(), *,
                     section: Sequence[BinderGroup] | None = None,
                     include: Sequence[str] = ()) -> Refutation:
    """Evaluate `∀ binders, conclusion` on sampled assignments (see the module docstring).

    `section`: optionally, the section `variable` binders in force, kept apart so that only
    those Lean would include are used (`used_section_variables`); they go before `binders`.
    `include`: names of the `include` commands in force (minus `omit`ted ones).
    """
    if _outside_fragment(binders):
        return Refutation("not_evaluable", reason="a binder outside the fragment")
    if section:
        used = used_section_variables(section, binders, conclusion, include)
        if _outside_fragment(used):  # `_plan` would reject it (most Mathlib sections)
            return Refutation("not_evaluable", reason="a section variable outside the fragment")
        binders = used + tuple(binders)
    start = time.perf_counter()
    try:
        plan = _plan(binders, conclusion)
    except NotEvaluable as e:
        return Refutation("not_evaluable", reason=str(e))
    except RecursionError:
        return Refutation("not_evaluable", reason="term too deep")
    env: list = [None] * plan.comp.nslots
    open_hyps = _open_hypotheses(plan, env)
    if isinstance(open_hyps, Refutation):
        return open_hyps
    return _sample(plan, open_hyps, env, opts, start + opts.time_limit_s)


def _open_hypotheses(plan: _Plan, env: list) -> list | Refutation:
    """The hypotheses that mention a variable; the closed ones are decided here, once: a
    false one makes the statement vacuous (or, for the premise of a `¬`, true)."""
    varnames = {name for name, _, _ in plan.variables}
    open_hyps = []
    for ast, fn, from_binder in plan.hyps:
        if _mentions([ast], varnames):
            open_hyps.append(fn)
            continue
        try:
            ok = fn(env)
        except V.TooBig:
            open_hyps.append(fn)
            continue
        except (ZeroDivisionError, ValueError, OverflowError) as e:
            return Refutation("not_evaluable", reason=f"evaluation error: {e}")
        if not ok:
            if not from_binder:  # `¬ p` written `p → False`: true, and not vacuous
                return Refutation("holds", reason="premise of the conclusion is false")
            return Refutation("vacuous", reason=f"hypothesis is false: {_show(ast)}")
    return open_hyps


def _sample(plan: _Plan, open_hyps: list, env: list, opts: RefuteOptions, deadline: float
            ) -> Refutation:
    """Evaluate the conclusion on sampled assignments that satisfy the open hypotheses,
    until one refutes it, the samples run out or the deadline passes."""
    types = [ty for _, ty, _ in plan.variables]
    slots = [s for _, _, s in plan.variables]
    concl = plan.conclusion
    definers = plan.definers
    steps = plan.comp.steps
    tried = satisfied = decided = 0
    clock = time.perf_counter
    for values in assignment_list(tuple(types), opts.samples, opts.seed, opts.max_random_nat):
        if clock() > deadline:
            break
        tried += 1
        for s, v in zip(slots, values):
            env[s] = v
        steps[0] = 0
        try:
            for s, fn in definers:
                env[s] = fn(env)
            if not all(h(env) for h in open_hyps):
                continue
            satisfied += 1
            ok = concl(env)
        except V.TooBig:
            continue
        except (ZeroDivisionError, ValueError, OverflowError) as e:
            return Refutation("not_evaluable", reason=f"evaluation error: {e}",
                              assignments_tried=tried)
        decided += 1
        if not ok:
            cex = tuple((name, V.lean_value(env[s], ty))
                        for name, ty, s in plan.variables if name != "_")
            return Refutation("refuted", counterexample=cex, assignments_tried=tried)
    if decided:
        reason = None
    elif satisfied:
        reason = TOO_BIG
    else:
        reason = NEVER_SATISFIED
    return Refutation("holds", reason=reason, assignments_tried=tried)
