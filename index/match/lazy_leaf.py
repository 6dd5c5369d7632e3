"""`LazyLeaf`: a trie leaf of rules compiled on first retrieval (`RuleIndex.add_lazy`).

A module of its own, outside the compiled modules (`core.native`): mypyc cannot compile a
subclass of `list`, and the compiled rule index only tests a leaf's class.
"""

from __future__ import annotations

from typing import Callable

from lean_alchemy.core.records import Rule


class LazyLeaf(list):
    """A trie leaf that holds rules not compiled yet (`RuleIndex.add_lazy`): they are
    compiled, in place and in order, the first time a candidate retrieves the leaf.

    Why: a dependency such as Mathlib brings ~10^5 rules, of which a project's theorems
    retrieve a small share; compiling every one up front cost more than indexing the
    project itself.  The leaf then holds exactly what eager `add` calls would have put
    there, so the matches are the same."""

    pending = True


class PendingRule:
    """A rule of a dependency known by what the trie needs (id, kind, pattern, pattern
    variables); the full `Rule` is decoded from its table row only when its leaf is first
    retrieved.  Why: decoding all of a dependency's rules (binder types, side conditions)
    cost as much as indexing a 10k-declaration project."""

    __slots__ = ("id", "kind", "pattern", "pattern_vars", "_decode")

    def __init__(self, rule_id: str, kind: str, pattern: str, pattern_vars: tuple[str, ...],
                 decode: Callable[[], Rule]) -> None:
        self.id, self.kind, self.pattern, self.pattern_vars = rule_id, kind, pattern, pattern_vars
        self._decode = decode

    def rule(self) -> Rule:
        return self._decode()


__all__ = ["LazyLeaf", "PendingRule"]
