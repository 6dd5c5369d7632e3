"""The order in which a theorem's quota visits its rules (`rule_index.RuleIndex`): the
tiers of rules near the candidate and a seeded permutation within equally specific ones.
Why apart: pure functions of names and seeds, tested alone."""

from __future__ import annotations

import hashlib
from typing import Iterator

from lean_alchemy.core.records import Declaration
from lean_alchemy.index.match.matcher import name_words

_PRIMES = (7919, 104729, 1299709, 15485863)


def spread(n: int, seed: str) -> Iterator[int]:
    """A seeded permutation of range(n) in O(1) per item (start + k * step mod n, step a
    prime that does not divide n): taking the first items of it is a reproducible,
    unbiased-enough sample without sorting thousands of hits."""
    if n <= 1:
        yield from range(n)
        return
    h = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")
    step = next((p for p in _PRIMES if n % p), 1)
    start = h % n
    for k in range(n):
        yield (start + k * step) % n



MAX_RULES_PER_WORD = 64  # `_near_positions`: more rules of one leaf share no rare word


def near_keys(decl: Declaration) -> tuple[tuple[frozenset[str], int, bool], ...]:
    """The tiers of rules near a candidate, as (keys of `matcher.rule_keys`, how many a
    rule must have, own rules only): its module; own rules sharing two name words
    (`matcher.name_words`); the namespaces enclosing its name (`A.B.thm`: `A`, `A.B`); own
    rules sharing one word.  Two words come first: one is often common (`mul`)."""
    parts = decl.full_name.split(".")[:-1]
    words = frozenset(f"w:{w}" for w in name_words(decl.full_name))
    spaces = frozenset("n:" + ".".join(parts[:k]) for k in range(1, len(parts) + 1))
    return ((frozenset((f"m:{decl.module}",)), 1, False), (words, 2, True),
            (spaces, 1, False), (words, 1, True))
