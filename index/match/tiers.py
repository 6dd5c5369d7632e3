"""The order in which a theorem's quota visits its rules (`rule_index.RuleIndex`): the
tiers of rules near the candidate and a seeded permutation within equally specific ones.
Why apart: pure functions of names and seeds, tested alone."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Iterable, Iterator

from lean_alchemy.core.records import Declaration
from lean_alchemy.grammar.ast import App, Ident, Term
from lean_alchemy.index.match.matcher import name_words
from lean_alchemy.index.match.patterns import Flat

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



MAX_RULES_PER_WORD = 64  # `near_positions`: more rules of one leaf share no rare word


def near_keys(decl: Declaration) -> tuple[tuple[frozenset[str], int, bool], ...]:
    """The tiers of rules near a candidate, as (keys of `matcher.rule_keys`, how many a
    rule must have, own rules only): its module; own rules sharing two name words
    (`matcher.name_words`); the namespaces enclosing its name (`A.B.thm`: `A`, `A.B`); own
    rules sharing one word.  Two words come first: one is often common (`mul`).  Then
    the namespaces its statement mentions (`mentioned_keys`)."""
    words = frozenset(f"w:{w}" for w in name_words(decl.full_name))
    return ((frozenset((f"m:{decl.module}",)), 1, False), (words, 2, True),
            (_spaces(decl), 1, False), (words, 1, True))


def _spaces(decl: Declaration) -> frozenset[str]:
    parts = decl.full_name.split(".")[:-1]
    return frozenset("n:" + ".".join(parts[:k]) for k in range(1, len(parts) + 1))


def mentioned_keys(decl: Declaration, names: Iterable[str]) -> frozenset[str]:
    """The last near tier's keys: the namespaces of the constants `names` the statement
    writes (`statement_namespaces`) less those enclosing the candidate's name (a tier
    before).  Why: a lemma of namespace `T` is about `T`, and among the thousands of
    generic patterns one leaf holds (`Disjoint a b`, `↑s ⊆ ↑t`) those of the statement's
    types would otherwise wait for the seeded sample's turn."""
    return statement_namespaces(names) - _spaces(decl)


def statement_namespaces(names: Iterable[str]) -> frozenset[str]:
    """The near keys (`n:T`) of the namespaces of the constants `names` (resolved, or a
    declared type's head): `Finset` for `Finset.card` and for `Finset`."""
    out = set()
    for n in names:
        ns = n.rpartition(".")[0]
        out.add("n:" + (ns or n))
    return frozenset(out)


def statement_constants(flats: Iterable[Flat], types: dict[str, Term]) -> list[str]:
    """The constants a statement writes (resolved) and the heads of its declared types."""
    out: list[str] = []
    for fl in flats:
        for sym, r in zip(fl.syms, fl.resolved):
            if isinstance(sym, tuple) and sym[0] == "id" and isinstance(r, Ident):
                out.append(r.name)
    for t in types.values():
        while isinstance(t, App):
            t = t.fn
        if isinstance(t, Ident):
            out.append(t.name)
    return out


def near_positions(cache: dict, vals: list, keys: frozenset[str], at_least: int = 1,
                   own_only: bool = False) -> list[int]:
    """Positions in `vals` (a leaf's rules) of the rules with `at_least` of `keys`; a long
    list is indexed by key once, in `cache` (the index's, by the list's id).  Name-word
    tiers (`own_only`) leave out a word more than `MAX_RULES_PER_WORD` rules share (`mul`
    in `?a * ?b`): it singles out nothing, and its positions cost Mathlib's index about
    240 CPU-s."""
    if not keys:
        return []
    if len(vals) < 16:  # a rule's few keys looked up in `keys`, no set built
        if at_least == 1:
            return [k for k, c in enumerate(vals) if not keys.isdisjoint(c.near)]
        return [k for k, c in enumerate(vals) if sum(x in keys for x in c.near) >= at_least]
    got = cache.get(id(vals))
    if got is None or got[0] is not vals or got[1] != len(vals):
        by_key: dict[str, list[int]] = {}
        for k, c in enumerate(vals):
            for key in c.near:
                by_key.setdefault(key, []).append(k)
        got = cache[id(vals)] = (vals, len(vals), by_key)
    by_key = got[2]
    lists = [by_key.get(key, ()) for key in keys]
    if own_only:  # a word most of a leaf's rules share says nothing and costs much
        lists = [got_k for got_k in lists if len(got_k) <= MAX_RULES_PER_WORD]
    found = [pos for got_k in lists for pos in got_k]
    if at_least > 1:
        return sorted(pos for pos, n in Counter(found).items() if n >= at_least)
    return sorted(set(found)) if len(found) > 1 else found
