"""A universe name the rule's new text brings (`∀ {ι : Type u}`) that the mutant's file
does not declare is written `_` there (`mutate/universes.py`): with `autoImplicit false`
Lean rejects an unknown universe level, and turns a universe metavariable left in a
statement into a parameter of its own."""

from __future__ import annotations

import pytest

from lean_alchemy.core.records import Scope
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.mutate.universes import (
    declared_universes, level_names, term_universes, without_universes)

RULES = """\
universe u

theorem compact_iff {X : Type} (s : Set X) :
    Compact s ↔ ∀ {ι : Type u} (U : ι → Set X), Covers U s := by
  sorry_free
"""

USE = """\
import Lib.Rules

theorem use_compact {Y : Type} (t : Set Y) : Compact t := by
  exact trivially
"""

USE_DECLARED = """\
import Lib.Rules

universe u

theorem use_compact' {Y : Type} (t : Set Y) : Compact t := by
  exact trivially
"""


def test_level_names_and_renaming():
    assert level_names("(max u (v + 1))") == {"u", "v"} and level_names("*") == set()
    t = parse_term("∀ {ι : Type (max u v)} (U : ι → Set X), Q PUnit.{u + 1}")
    assert term_universes([t]) == {"u", "v"}
    assert print_term(without_universes(t, frozenset({"u"}))) == \
        "∀ {ι : Type (max _ v)} (U : ι → Set X), Q PUnit.{_ + 1}"
    scope = Scope("M", (), (), (("universe", "universe u v"), ("open", "open Set")))
    assert declared_universes(scope) == {"u", "v"}


@pytest.fixture(scope="module")
def statements(tmp_path_factory):
    from helpers.lean_text import mutated_library

    _, rows = mutated_library(tmp_path_factory.mktemp("universes"),
                           {"Rules": RULES, "Use": USE, "Declared": USE_DECLARED})
    return {r.source_theorem: r.statement for r in rows if r.rule == "compact_iff"}


def test_an_undeclared_universe_of_the_rule_is_written_as_a_hole(statements):
    assert "{ι : Type _}" in statements["use_compact"]
    # declared where the mutant is stated: kept
    assert "{ι : Type u}" in statements["use_compact'"]
