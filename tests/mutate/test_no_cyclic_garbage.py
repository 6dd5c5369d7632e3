"""The mutation workers run with the cycle collector off (`core.collector.no_collections`):
what they drop must be freed by reference counting alone.  These tests count the objects a
collection finds unreachable after the work: any reference cycle the work made (a nested
function that calls itself makes one per call) shows up as a non-zero count.
"""

from __future__ import annotations

import gc

import pytest

from lean_alchemy.core.rundb import mutant_row
from lean_alchemy.grammar.substitute import alpha_equal, replace_all
from lean_alchemy.mutate.mutator import Mutator
from lean_alchemy.mutate.options import MutateOptions

from helpers.golden_library import CASES, RULES, SNIPPET
from helpers.lean_text import extract, invocation, parsed as term


def _cyclic_garbage(work) -> int:
    """Objects left unreachable in cycles by `work()`, with the collector off meanwhile."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        work()
        return gc.collect()
    finally:
        if enabled:
            gc.enable()


def test_replacing_and_comparing_under_binders_makes_no_cycles():
    t = term("∀ x : ℕ, ∑ i ∈ Finset.range n, (f i + x) = f (g x) + 0")
    old, new = term("f i + x"), term("x + f i")
    other = term("∀ y : ℕ, ∑ j ∈ Finset.range n, (f j + y) = f (g y) + 0")

    def work() -> None:
        for _ in range(50):
            replace_all(t, old, new)
            replace_all(t, term("n"), term("m"))
            assert alpha_equal(t, other)

    assert _cyclic_garbage(work) == 0


def test_mutating_theorems_makes_no_cycles():
    pytest.importorskip("lean_alchemy.grammar.printer")
    decls, scopes = extract(SNIPPET)
    rules = {k: f() for k, f in RULES.items()}

    def work() -> None:
        for style in ("merged", "invoke"):
            m = Mutator(list(rules.values()), scopes,
                        MutateOptions(proof_style=style, refute=True))
            for thm, rule_key, kind, loc, instance, subst in CASES.values():
                decl = decls[thm]
                inv = invocation(decl, rules[rule_key], kind, loc, instance, subst)
                rows = list(m.mutate_theorem(decl, [inv]))
                assert rows, (thm, dict(m.dropped))
                for mutant, _, _ in rows:
                    mutant_row(mutant, m.base_body)

    work()  # first calls build caches and import lazily, which may make cycles once
    assert _cyclic_garbage(work) == 0


def test_a_planted_cycle_is_counted():
    """The measure itself: a self-calling nested function leaves one cycle per call."""

    def leaky() -> None:
        def go(n: int) -> int:
            return 0 if n == 0 else go(n - 1)
        go(3)

    assert _cyclic_garbage(lambda: [leaky() for _ in range(10)]) >= 10
