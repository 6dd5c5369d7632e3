"""Compiling a rule for matching (`matcher.compile_rule`: its steps and trie key) makes no
reference cycles: the index's workers compile every rule they meet, hundreds of thousands
on Mathlib, and a nested function that calls itself leaves one cycle per call for the
cycle collector to find."""

from __future__ import annotations

import gc

from lean_alchemy.index.match.matcher import compile_rule

from helpers.golden_library import RULES
from helpers.lean_text import make_rule


def test_compiling_rules_makes_no_cycles():
    rules = [f() for f in RULES.values()] + [
        make_rule("Finset.sum_add_distrib", "eq",
                  "{ι M : Type*} [AddCommMonoid M] {s : Finset ι} {f g : ι → M}",
                  "∑ i ∈ s, (f i + g i)", "∑ i ∈ s, f i + ∑ i ∈ s, g i"),
        make_rule("mul_comm", "eq", "{G : Type*} [CommMagma G] (a b : G)", "a * b", "b * a"),
    ]
    assert all(compile_rule(r) is not None for r in rules)  # first calls may build caches
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(20):
            for r in rules:
                compile_rule(r)
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()
