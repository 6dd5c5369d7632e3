"""`top_level_colon`: the one scanner that splits a signature from its conclusion and an
optional binder's type from its value; a colon inside any bracket is not at top level."""

from __future__ import annotations

from lean_alchemy.grammar.statements import top_level_colon


def test_the_conclusion_colon_is_the_first_outside_brackets() -> None:
    s = "(x : ℕ) {s : Set ℕ} ⦃y : ℕ⦄ [Foo ⟨a, (h : P)⟩] : x ∈ s"
    assert s[top_level_colon(s):].startswith(": x ∈ s")
    assert top_level_colon("(x : ℕ) (h : x = 0)") == -1


def test_an_assignment_is_not_a_colon_and_is_found_apart() -> None:
    ty = "ℕ := (2 : ℕ)"
    assert top_level_colon("n := 2") == -1
    assert top_level_colon(ty, assign=True) == 2
    assert top_level_colon("(f : α := x) := y", assign=True) == 13
