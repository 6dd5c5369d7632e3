"""Instances of a class indexed by the heads of their conclusion's arguments.

Why: Mathlib declares thousands of instances of the busiest classes (`Module`,
`TopologicalSpace`, `MeasurableSpace`…), and an instance query used to try every one of
them, although for a query `C (Finset α)` nearly all fail at once because their argument
has another concrete head.  `instance_unify.unify` answers *no* for exactly that case: both heads
known to the table, neither an `abbrev` (which instance matching may unfold), neither a
variable.  So an instance whose argument at some position has such a head can be skipped,
with the same answer, whenever the query's argument there has another such head.  The
instances kept stay in their declaration order, so the search (and its step budget) is the
one it was.  Only instances whose argument count is the query's can fail by a head
(`_via_instance` answers *unknown* to another count), and an instance with a coerced
variable in its conclusion is always tried (its `↥s` check comes before matching).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lean_alchemy.grammar.ast import Term
from lean_alchemy.index.typing.saturate import UNSOLVED

WILD = ""  # the bucket of instances whose argument there has no certain head


@dataclass
class HeadBuckets:
    """One class's instances.  `by_arity`: for each argument count and position, head ->
    the positions (in the class's instance list) of the instances of that count with that
    certain head there, and `WILD` -> the others of that count.  `outside[n]`: the
    instances a query with n arguments always tries (another count, or a coerced
    variable)."""

    by_arity: dict[int, list[dict[str, tuple[int, ...]]]] = field(default_factory=dict)
    outside: dict[int, tuple[int, ...]] = field(default_factory=dict)
    total: int = 0


def certain_head(t: Term, head: str | None, variables: frozenset[str], known: frozenset[str],
                 flexible: frozenset[str]) -> str | None:
    """An instance argument's `head` when `instance_unify.unify` compares it as final: a
    constant of the table that is not an `abbrev` and not one of the instance's
    `variables`; else None."""
    if t == UNSOLVED or head is None or head in variables or head not in known \
            or head in flexible:
        return None
    return head


def query_head(t: Term, head: str | None, local: frozenset[str], known: frozenset[str],
               flexible: frozenset[str]) -> str | None:
    """A query argument's `head` when `instance_unify.unify` compares it as final: a type
    variable of the candidate (`local`: rigid, it unfolds to nothing), or a constant of
    the table that is not an `abbrev`; else None."""
    if t == UNSOLVED or head is None:
        return None
    if head in local:
        return head
    return None if head not in known or head in flexible else head


def build_buckets(patterns: list[tuple[Term, ...]], heads: list[tuple[str | None, ...]],
                  metas: list[frozenset[str]], coerced: list[bool], known: frozenset[str],
                  flexible: frozenset[str]) -> HeadBuckets:
    """`patterns[i]`: the conclusion's arguments of instance i, `heads[i]` their heads
    (`type_terms.head_of`), `metas[i]` its variables, `coerced[i]`: one of its arguments is
    a coerced variable."""
    by_arity: dict[int, list[dict[str, list[int]]]] = {}
    members: dict[int, set[int]] = {}
    for i, (pats, hs, ms, co) in enumerate(zip(patterns, heads, metas, coerced)):
        if co:
            continue
        members.setdefault(len(pats), set()).add(i)
        rows = by_arity.setdefault(len(pats), [{} for _ in pats])
        for j, (p, h) in enumerate(zip(pats, hs)):
            rows[j].setdefault(certain_head(p, h, ms, known, flexible) or WILD, []).append(i)
    everyone = set(range(len(patterns)))
    return HeadBuckets({n: [{k: tuple(v) for k, v in d.items()} for d in rows]
                        for n, rows in by_arity.items()},
                       {n: tuple(sorted(everyone - m)) for n, m in members.items()},
                       len(patterns))


def candidates(buckets: HeadBuckets, query_heads: tuple[str | None, ...]) -> list[int]:
    """The positions of the instances that may match a query whose arguments have the
    certain heads `query_heads` (None: not certain), in declaration order: those a query
    of its argument count always tries, and of its count those whose head agrees (or is
    not certain) at the most selective position."""
    rows = buckets.by_arity.get(len(query_heads))
    best: tuple[int, ...] | None = None
    for j, h in enumerate(query_heads if rows else ()):
        if h is not None:
            picked = rows[j].get(h, ()) + rows[j].get(WILD, ())  # type: ignore[index]
            if best is None or len(picked) < len(best):
                best = picked
    if best is None:
        return list(range(buckets.total))
    return sorted(best + buckets.outside[len(query_heads)])
