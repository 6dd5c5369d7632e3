"""Filters between a built mutant statement and the run database, with drop counters.

Order (each mutant is counted under the first filter that drops it):
  trivial           the conclusion is `a = a` / `a ↔ a` (no content; `rw` closes it by rfl)
  equal_to_parent   same fingerprint as the statement it was mutated from
  library_duplicate same fingerprint as a theorem the library already has
  duplicate         same fingerprint as a mutant already kept in this run
  theorem_cap       the original theorem already has `max_per_theorem` kept mutants
  rule_cap          the rule lemma already produced `max_per_rule` kept mutants

The caps count kept (pending) mutants only; together with the seeded order in which a
theorem's invocations are tried (`sampling_order`, `sampling_permutation`), they make the kept set a reproducible
random sample per theorem, so one prolific lemma (`mul_comm`) cannot dominate the corpus.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence, TypeVar

from lean_alchemy.core.records import content_hash
from lean_alchemy.grammar.ast import BinOp, Term

T = TypeVar("T")

FILTERS = ("trivial", "equal_to_parent", "library_duplicate", "duplicate", "theorem_cap",
           "rule_cap")


def is_trivial(conclusion: Term) -> bool:
    return isinstance(conclusion, BinOp) and conclusion.op in ("=", "↔", "≤", "≥", "→") \
        and conclusion.lhs == conclusion.rhs


def sampling_permutation(n: int, seed: int, key: str) -> list[int]:
    """Positions 0..n-1 in a random order that depends only on (seed, key, n).

    Why positions: `random.shuffle`'s swaps depend only on the list's length and the
    generator, so `[items[i] for i in sampling_permutation(len(items), ...)]` is exactly
    `sampling_order(items, ...)`; a caller that stops early (the per-theorem cap) then
    reads, and decodes, only the items it tries."""
    out = list(range(n))
    rng = random.Random(int(content_hash(str(seed), key), 16))
    rng.shuffle(out)
    return out


def sampling_order(items: Sequence[T], seed: int, key: str) -> list[T]:
    """`items` in a random order that depends only on (seed, key, items' order)."""
    return [items[i] for i in sampling_permutation(len(items), seed, key)]


@dataclass
class Deduper:
    library: frozenset[str] = frozenset()
    max_per_theorem: int | None = None
    max_per_rule: int | None = None
    seen: set[str] = field(default_factory=set)
    per_theorem: Counter = field(default_factory=Counter)
    per_rule: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)

    def theorem_full(self, theorem: str) -> bool:
        return self.max_per_theorem is not None and \
            self.per_theorem[theorem] >= self.max_per_theorem

    def check(self, fingerprint: str, parent_fingerprints: Iterable[str], conclusion: Term,
              theorem: str, rule: str) -> str | None:
        """None if the mutant passes every filter, else the filter's name (counted)."""
        reason = None
        if is_trivial(conclusion):
            reason = "trivial"
        elif fingerprint in parent_fingerprints:
            reason = "equal_to_parent"
        elif fingerprint in self.library:
            reason = "library_duplicate"
        elif fingerprint in self.seen:
            reason = "duplicate"
        elif self.theorem_full(theorem):
            reason = "theorem_cap"
        elif self.max_per_rule is not None and self.per_rule[rule] >= self.max_per_rule:
            reason = "rule_cap"
        if reason is not None:
            self.dropped[reason] += 1
        return reason

    def admit(self, fingerprint: str, theorem: str, rule: str, counts: bool) -> None:
        """Record a stored mutant; `counts`: it is kept for checking (toward the caps)."""
        self.seen.add(fingerprint)
        if counts:
            self.per_theorem[theorem] += 1
            self.per_rule[rule] += 1
