"""`LazyLeaf`: a trie leaf of rules compiled on first retrieval (`RuleIndex.add_lazy`).

A module of its own, outside the compiled modules (`core.native`): mypyc cannot compile a
subclass of `list`, and the compiled rule index only tests a leaf's class.
"""

from __future__ import annotations

from typing import Iterable, Protocol, Sequence

from lean_alchemy.core.records import Rule


class LazyLeaf(list):
    """A trie leaf that holds rules not compiled yet (`RuleIndex.add_lazy`): they are
    compiled, in place and in order, the first time a candidate retrieves the leaf.

    Why: a dependency such as Mathlib brings ~10^5 rules, of which a project's theorems
    retrieve a small share; compiling every one up front cost more than indexing the
    project itself.  The leaf then holds exactly what eager `add` calls would have put
    there, so the matches are the same."""

    pending = True
    # once compiled: how many of its first rules are a dependency's (`add_lazy`, which
    # comes before any `add`); the index's own follow them
    dependency = 0


class RuleSource(Protocol):
    """Where pending rules are decoded from: a dependency's rules table."""

    def rules(self, rows: Sequence[int]) -> list[Rule]: ...


class PendingRule:
    """A rule of a dependency known by what the trie needs (id, kind, and its trie key
    `symbols`, or the pattern and pattern variables it is computed from); the full `Rule`
    is decoded from row `row` of `source` only when its leaf is first retrieved, together
    with the leaf's other pending rules (`decode_pending`).  Why: decoding all of a
    dependency's rules (binder types, side conditions) cost as much as indexing a
    10k-declaration project, and decoding them one table row at a time cost a second."""

    __slots__ = ("id", "kind", "pattern", "pattern_vars", "symbols", "row", "source")

    def __init__(self, rule_id: str, kind: str, pattern: str, pattern_vars: tuple[str, ...],
                 symbols: tuple | None, row: int, source: RuleSource) -> None:
        self.id, self.kind, self.pattern, self.pattern_vars = rule_id, kind, pattern, pattern_vars
        self.symbols, self.row, self.source = symbols, row, source


def decode_pending(pending: Sequence[PendingRule]) -> list[Rule]:
    """The rules of `pending`, in its order: one read of each source's rows."""
    by_source: dict[int, tuple[RuleSource, list[int]]] = {}
    for p in pending:
        by_source.setdefault(id(p.source), (p.source, []))[1].append(p.row)
    decoded: dict[tuple[int, int], Rule] = {}
    for key, (source, rows) in by_source.items():
        for row, rule in zip(rows, source.rules(rows)):
            decoded[(key, row)] = rule
    return [decoded[(id(p.source), p.row)] for p in pending]


def collect_leaves(leaves: Iterable[list], pending: list) -> list[list]:
    """The leaves a trie walk retrieved; each lazy one with rules still to compile is also
    noted in `pending`, so that all of a candidate's are compiled together (one decode)."""
    found = list(leaves)
    pending.extend(v for v in found if v.__class__ is LazyLeaf and v.pending)
    return found


__all__ = ["LazyLeaf", "RuleSource", "PendingRule", "decode_pending", "collect_leaves"]
