"""`LazyLeaf`: a trie leaf of rules compiled on first retrieval (`RuleIndex.add_lazy`).

A module of its own, outside the compiled modules (`core.native`): mypyc cannot compile a
subclass of `list`, and the compiled rule index only tests a leaf's class.
"""

from __future__ import annotations


class LazyLeaf(list):
    """A trie leaf that holds rules not compiled yet (`RuleIndex.add_lazy`): they are
    compiled, in place and in order, the first time a candidate retrieves the leaf.

    Why: a dependency such as Mathlib brings ~10^5 rules, of which a project's theorems
    retrieve a small share; compiling every one up front cost more than indexing the
    project itself.  The leaf then holds exactly what eager `add` calls would have put
    there, so the matches are the same."""

    pending = True


__all__ = ["LazyLeaf"]
