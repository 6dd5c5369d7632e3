"""Every free identifier a rule brings into a mutant resolves where the mutant is stated:
repaired (the full name, or `_root_.` + full name) when the declaration is known and public,
dropped as `unresolved_name` when it certainly cannot resolve (`mutate/name_scope.py`).

A library of our own, run through the real extract, index and mutate stages; each mutant of
`Lib/Use.lean` is checked in a file of its own with `Lib/Use.lean`'s scope replayed."""

from __future__ import annotations


import pytest


DEFS = """\
namespace Lib

protected def twice (n : ℕ) : ℕ := n + n

def thrice (n : ℕ) : ℕ := n + n + n

def half (n : ℕ) : ℕ := n / 2

end Lib

namespace Other.Lib

def half (n : ℕ) : ℕ := n

end Other.Lib
"""

RULES = """\
import Lib.Defs

namespace Lib

private def secret (n : ℕ) : ℕ := n + 0

theorem secret_spec (n : ℕ) : n * 1 = secret n := by
  simp [secret]

end Lib

open Lib (twice)

theorem twice_spec (n : ℕ) : n * 2 = twice n := by
  simp [Lib.twice]; omega

theorem Lib.thrice_spec (n : ℕ) : n * 3 = thrice n := by
  simp [Lib.thrice]; omega

open Lib

theorem half_spec (n : ℕ) : n / 2 = half n := rfl
"""

USE = """\
import Lib.Rules

theorem use_secret (m : ℕ) (h : m * 1 = 7) : m = 7 := by
  simpa using h

theorem use_twice (m : ℕ) (h : m * 2 = 4) : m = 2 := by
  omega

theorem use_thrice (m : ℕ) (h : m * 3 = 6) : m = 2 := by
  omega

namespace Other

theorem use_half (m : ℕ) (h : m / 2 = 3) : 6 ≤ m := by
  omega

end Other
"""

PRIVATE_STATEMENT = """\
import Lib.Rules

namespace Lib

private def hidden (n : ℕ) : ℕ := n

theorem about_hidden (m : ℕ) (h : m * 2 = hidden 4) : m = 2 := by
  simp [hidden] at h; omega

end Lib
"""

# `Ext.count` stands for a name of Lean core (`List.Nodup`): the library writes it in full
# but never declares it; `count_spec` writes it bare inside `namespace Ext`.
EXTERNAL = """\
namespace Ext

theorem count_le_self : Ext.count 0 ≤ Ext.count 0 := le_refl _

theorem count_spec (n : ℕ) : n * 5 = count n := by
  rfl

end Ext

theorem count_eq_self (n : ℕ) : Ext.count n = Ext.count n := rfl

theorem use_count (m : ℕ) (h : m * 5 = 10) : m = 2 := by
  omega
"""


@pytest.fixture(scope="module")
def mutated(tmp_path_factory):
    for mod in ("lean_alchemy.grammar.printer", "lean_alchemy.index.driver",
                "lean_alchemy.core.rundb"):
        pytest.importorskip(mod)
    from helpers.lean_text import mutated_library

    files = {"Defs": DEFS, "Rules": RULES, "Use": USE, "Private": PRIVATE_STATEMENT,
             "External": EXTERNAL}
    stats, rows = mutated_library(tmp_path_factory.mktemp("names"), files)
    return stats, rows


def _of(rows, theorem: str, rule: str):
    return [m for m in rows if m.source_theorem == theorem and m.rule == rule]


def test_a_private_declaration_of_the_rule_file_drops_the_mutant(mutated) -> None:
    """`Lib.secret` is private to Lib/Rules.lean: no spelling reaches it from the check file
    of a mutant of Lib/Use.lean."""
    stats, rows = mutated
    assert not _of(rows, "use_secret", "Lib.secret_spec")
    assert not any("secret" in m.statement for m in rows)
    assert stats.names["private"] >= 1 and stats.dropped["unresolved_name"] >= 1


def test_a_protected_name_opened_by_name_in_the_rule_file_is_qualified(mutated) -> None:
    """`open Lib (twice)` reaches the protected `Lib.twice` in the rule's file only."""
    stats, rows = mutated
    (m,) = [m for m in _of(rows, "use_twice", "twice_spec") if m.kind == "rw_hyp"]
    assert "(h : Lib.twice m = 4)" in m.statement, m.statement
    assert stats.names["repaired"] >= 1


def test_the_namespace_of_the_rule_lemma_s_own_name_is_written_out(mutated) -> None:
    """`theorem Lib.thrice_spec` elaborates inside `namespace Lib`, where `thrice` is
    `Lib.thrice`; `use_thrice` is stated outside it."""
    _, rows = mutated
    (m,) = [m for m in _of(rows, "use_thrice", "Lib.thrice_spec") if m.kind == "rw_hyp"]
    assert "(h : Lib.thrice m = 6)" in m.statement, m.statement


def test_a_full_name_shadowed_in_the_mutant_namespace_goes_through_root(mutated) -> None:
    """Inside `namespace Other`, `Lib.half` would be `Other.Lib.half`."""
    _, rows = mutated
    (m,) = [m for m in _of(rows, "Other.use_half", "half_spec") if m.kind == "rw_hyp"]
    assert "(h : _root_.Lib.half m = 3)" in m.statement, m.statement


def test_a_statement_that_mentions_a_private_declaration_has_no_mutant(mutated) -> None:
    stats, rows = mutated
    assert not [m for m in rows if m.source_theorem == "Lib.about_hidden"]
    assert stats.names["private_in_original"] == 1


def test_names_that_resolve_are_left_as_they_are(mutated) -> None:
    """Every other mutant's statement is the rule's text: nothing is requalified."""
    _, rows = mutated
    kept = [m for m in rows if m.source_theorem in ("use_twice", "use_thrice")
            and m.rule not in ("twice_spec", "Lib.thrice_spec")]
    assert all("_root_" not in m.statement for m in kept)


def test_a_name_the_library_writes_in_full_but_never_declares_is_qualified(mutated) -> None:
    """`count` inside `namespace Ext` is `Ext.count`, a name from outside the library that
    the library writes in full twice (`index.names.written_external_names`); stated
    outside the namespace, the mutant must say `Ext.count`."""
    _, rows = mutated
    (m,) = [m for m in _of(rows, "use_count", "Ext.count_spec") if m.kind == "rw_hyp"]
    assert "(h : Ext.count m = 10)" in m.statement, m.statement
