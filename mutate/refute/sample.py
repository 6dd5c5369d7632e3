"""Assignments for the free variables of a statement.

Why edge values first: counterexamples to wrong rewrites are almost always tiny (truncated
subtraction at `0`, division by `0`, `1`, negative numbers, `1/2`), so a short exhaustive
sweep over edge values finds most of them; seeded random values then cover the rest.
"""

from __future__ import annotations

import functools
import itertools
import random
from fractions import Fraction
from typing import Iterator, Sequence

from lean_alchemy.mutate.refute.values import B, N, P, Q, R, Z

EDGES: dict[str, tuple] = {
    N: (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16, 17, 100),
    Z: (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, 7, -7, 10, -10, 13, -100),
    Q: tuple(Fraction(x) for x in ("0", "1", "-1", "2", "1/2", "-2", "-1/2", "3", "1/3",
                                   "-3", "3/2", "-2/3", "4", "-4", "5/3", "10")),
    B: (False, True),
    P: (False, True),
}
EDGES[R] = EDGES[Q]


def _random_value(rng: random.Random, ty: str, big: int):
    if ty in (B, P):
        return rng.random() < 0.5
    if rng.random() < 0.3:
        return rng.choice(EDGES[ty])
    hi = rng.choice((12, 40, big))
    if ty == N:
        return rng.randint(0, hi)
    if ty == Z:
        return rng.randint(-hi, hi)
    return Fraction(rng.randint(-hi, hi), rng.randint(1, rng.choice((4, 12, hi))))


@functools.lru_cache(maxsize=256)
def assignment_list(types: tuple[str, ...], samples: int, seed: int, big: int = 100
                    ) -> tuple[tuple, ...]:
    """`assignments` as a cached tuple: statements share a few type signatures, so the
    sampling cost is paid once per signature instead of once per statement."""
    return tuple(assignments(types, samples, seed, big))


def assignments(types: Sequence[str], samples: int, seed: int, big: int = 100
                ) -> Iterator[tuple]:
    """Up to `samples` distinct value tuples for variables of the given types.

    First every combination of each type's first L edge values, with L the largest width
    whose product fits in about half the budget (all of it when the space is finite and
    small, as for Booleans); then tuples equal to 0 (then 1) everywhere but in one variable;
    then seeded random tuples.  Deterministic for a seed.
    """
    k = len(types)
    if k == 0:
        yield ()
        return
    seen: set[tuple] = set()
    budget = max(1, samples // 2)
    width = 1
    while width < 16 and all(len(EDGES[t]) > width for t in types) and (width + 1) ** k <= budget:
        width += 1
    pools = [EDGES[t][: min(width, len(EDGES[t]))] if t not in (B, P) else EDGES[t]
             for t in types]
    total = 1
    for p in pools:
        total *= len(p)
    if total <= samples:
        for combo in itertools.product(*pools):
            seen.add(combo)
            yield combo
            if len(seen) >= samples:
                return
    # one variable moved away from an all-0 (then all-1) base: hypotheses such as
    # `a ^ 2 + b ^ 2 = k * m` with `0 < m` are met by "everything small but one"
    for base in (0, 1):
        for i, t in enumerate(types):
            if len(seen) >= samples * 3 // 4:
                break
            if t in (B, P):
                continue
            for v in EDGES[t][:8]:
                combo = tuple(EDGES[u][min(base, len(EDGES[u]) - 1)] if j != i else v
                              for j, u in enumerate(types))
                if combo not in seen:
                    seen.add(combo)
                    yield combo
    space = 1
    for t in types:
        space = space * 2 if t in (B, P) else float("inf")
    rng = random.Random(seed)
    misses = 0
    while len(seen) < min(samples, space) and misses < 4 * samples:
        combo = tuple(_random_value(rng, t, big) for t in types)
        if combo in seen:
            misses += 1
            continue
        seen.add(combo)
        yield combo
