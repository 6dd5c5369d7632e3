"""Checks of a match's values against what the rule's text does with them.

Why apart from the matcher: a value can fit the pattern's shape and still be unusable
where the rule's new text puts it.  Field notation on it (`receivers_ok`) resolves through
the head of its type; a function-typed rule variable (`functions_ok`) is applied to
arguments.  Each check refuses only what certainly fails to elaborate.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

from lean_alchemy.grammar.ast import Ident, Sort, Term
from lean_alchemy.index.match.receiver_heads import receiver_head
from lean_alchemy.index.match.results import ResultEvidence, dotted_result, value_receiver
from lean_alchemy.index.match.rigid import RIGID_DEFINITIONS, SET, value_head_clash

if TYPE_CHECKING:
    from lean_alchemy.index.match.matcher import Compiled


def receivers_ok(c: Compiled, subst: dict[str, Term], local_types: dict[str, Term],
                 value_head: Callable[[Term], str | None] | None = None) -> bool:
    """False when a dotted pattern variable (`dot_receivers`) bound a candidate variable
    whose declared type has another head: `t.card` with `t : Multiset α` is
    `Multiset.card`, not the rule's `Finset.card`; `f.comp g` with `f : BoundedOrderHom α β`
    is no `Polynomial.comp` (`p q : R[X]`).  Unknown types keep the match: requiring the
    head to be known refused 1 of 61 ill-typed mutants read, at 1.6 points of recall.
    A variable whose type is a type variable the candidate declares (`m : M`, `M : Type*`)
    has no field at all: Lean finds no constant heading `M` (`m.2` never elaborates).
    Another value is asked of `value_head` (`results.value_receiver`): its type's head
    when certain, else None."""
    for v, head in c.receivers:
        val = subst.get(v)
        if not isinstance(val, Ident) or val.name not in local_types:
            got = value_head(val) if val is not None and value_head is not None else None
            if got is not None and got != head:
                return False
            continue
        ty = local_types.get(val.name)
        if isinstance(ty, Ident) and isinstance(local_types.get(ty.name), Sort):
            return False
        got = receiver_head(ty, frozenset(local_types))
        if got is not None and got != head:
            return False
    return True


def functions_ok(c: Compiled, subst: dict[str, Term], local_types: dict[str, Term],
                 function_like: Callable[[], frozenset[str]]) -> bool:
    """False when a function-typed pattern variable (`Compiled.higher_order`) bound a
    variable whose type is a type variable the candidate declares without a function-like
    instance (`x₁ : F` with `[Field F]`: `Fin.snoc x₁ y₁` never elaborates, no coercion
    makes it a function).  `function_like`: the candidate's type variables that have one
    (`[FunLike F α β]`, `[CoeFun F _]`), asked only when such a value comes up."""
    for v in c.higher_order:
        val = subst.get(v)
        if isinstance(val, Ident):
            ty = local_types.get(val.name)
            if isinstance(ty, Ident) and isinstance(local_types.get(ty.name), Sort) and \
                    ty.name not in function_like():
                return False
    return True


def value_clash(c: Compiled, subst: dict[str, Term], local_types: dict[str, Term], fl,
                rigid_last: frozenset[str], results: ResultEvidence | None,
                function_like: Callable[[], frozenset[str]] | None) -> str | None:
    """The `matches_filtered` reason these checks give a match of `c` in the target `fl`
    (`receiver_mismatch`, `rigid_mismatch`), None when they pass; what the index and
    `alchemy explain` both ask.  `function_like` None: not asked."""
    if c.receivers and not receivers_ok(c, subst, local_types, partial(
            value_receiver, fl=fl, local_types=local_types, rigid_last=rigid_last,
            results=results)):
        return "receiver_mismatch"
    if c.higher_order and function_like is not None and \
            not functions_ok(c, subst, local_types, function_like):
        return "rigid_mismatch"
    return None


def result_clash(c: Compiled, subst: dict[str, Term], local_types: dict[str, Term], fl,
                 rigid_last: frozenset[str], results: ResultEvidence | None) -> str | None:
    """`rigid_mismatch` when `results_ok` fails, else None; asked after `matcher.type_ok`
    (a generic rule's `untyped_generic` comes first: the index passes over the rules that
    share that failure without spending attempts)."""
    if c.heads and results is not None and \
            not results_ok(c, subst, local_types, fl, rigid_last, results):
        return "rigid_mismatch"
    return None


def results_ok(c: Compiled, subst: dict[str, Term], local_types: dict[str, Term], fl,
               rigid_last: frozenset[str], results: ResultEvidence) -> bool:
    """False when the pattern variables typed by one rigid head (`Compiled.heads`, `Set`
    among them), two or more, all bound values of another rigid head, each known from a
    declared type or from the declared result type of the definition it applies
    (`results.ResultEvidence.result_of`): `H.map f` with `H : Subgroup G` is a `Subgroup`,
    so `Set.disjoint_iff` and `Finset.disjoint_left` cannot rewrite
    `Disjoint (H.map f) (K.map f)`; Lean's `rw` unifies the pattern's type with the
    instance's, and two rigid heads never unify.  Why all of them: Lean coerces a value
    where the type it must have is already known (`closure s * s` is `↑(closure s) * s`,
    a product of sets; `B.restrict (orthogonal Φ I)` coerces a Lie ideal to the
    submodule `restrict` takes), and values that agree are what fixed that type.  A value
    of unknown or non-rigid type (a definition may unfold) keeps the match, but a `Set`
    (a function type) is no structure."""
    groups: dict[str, list[Term]] = {}
    for v, want in c.heads:
        val = subst.get(v)
        if val is not None:
            groups.setdefault(want, []).append(val)
    for want, vals in groups.items():
        if len(vals) < 2:  # a lone value may have been coerced: no head is asked
            continue
        head = _agreed_head(vals, local_types, fl, results)
        if head is None or head == want or not (head in rigid_last
                                                or head in RIGID_DEFINITIONS or head == SET):
            continue
        if value_head_clash(want, RIGID_DEFINITIONS.get(head, head)):
            return False
    return True


def _agreed_head(vals: list[Term], local_types: dict[str, Term], fl,
                 results: ResultEvidence) -> str | None:
    """The head all of `vals` have (`_value_head`), None when one is unknown or differs;
    stops at the first that does not agree."""
    first = _value_head(vals[0], local_types, fl, results)
    if first is None:
        return None
    for val in vals[1:]:
        if _value_head(val, local_types, fl, results) != first:
            return None
    return first


def _value_head(val: Term, local_types: dict[str, Term], fl, results: ResultEvidence
                ) -> str | None:
    """The head of a matched value's type for `results_ok`: a variable's declared type,
    the result type of the definition a value applies (by field notation too)."""
    if isinstance(val, Ident):
        if val.name in local_types:
            return receiver_head(local_types[val.name], frozenset(local_types))
        return dotted_result(val.name, local_types, results.fields)
    return results.result_of(val, fl, local_types)


__all__ = ["receivers_ok", "functions_ok", "result_clash", "results_ok", "value_clash"]
