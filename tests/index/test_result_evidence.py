"""A generic pattern (`s₁ ⊆ s₂` of `Finset.subset_iff`, variables of concrete type) needs
evidence that a matched value has a type; a value applying a definition whose declared
result type has the head of the rule variable's type is that evidence
(`index.match.results`), read by the index stage from the definitions' sources."""

from __future__ import annotations

import pytest

from lean_alchemy.index.match.results import conclusion_head, result_type_text

from helpers.lean_text import indexed_library

LIB = """\
namespace Finset

def Ioo {α : Type*} [Preorder α] (a b : α) : Finset α := sorry

def Ioc {α : Type*} [Preorder α] (a b : α) : Finset α := sorry

def pairs {α : Type*} (a : α) : α → Finset α := sorry

theorem subset_iff {α : Type*} {s₁ s₂ : Finset α} : s₁ ⊆ s₂ ↔ ∀ ⦃x⦄, x ∈ s₁ → x ∈ s₂ :=
  Iff.rfl

theorem Ioo_subset_Ioc_self {α : Type*} [Preorder α] {a b : α} : Ioo a b ⊆ Ioc a b :=
  fun _ h => h

theorem pairs_subset {α : Type*} {a b : α} : pairs a b ⊆ pairs b a :=
  fun _ h => h

end Finset

namespace Set

def Ioo {α : Type*} [Preorder α] (a b : α) : Set α := sorry

def Ioc {α : Type*} [Preorder α] (a b : α) : Set α := sorry

theorem Ioo_subset_Ioc_self {α : Type*} [Preorder α] {a b : α} : Ioo a b ⊆ Ioc a b :=
  fun _ h => h

end Set
"""


def _verdicts(lib, rule: str, direction: str, kept: tuple[str, ...],  # noqa: ANN001
              refused: tuple[str, ...]) -> None:
    """Each of `kept` has an invocation of `rule`; each of `refused` lacks the evidence."""
    from lean_alchemy.index.explain import explain

    for cand in kept:
        got = explain(lib, cand, rule, direction)
        assert got["accepted"] and got["kept"], cand
    for cand in refused:
        assert explain(lib, cand, rule, direction)["rejected_by"] == "filter:untyped_generic", cand


@pytest.mark.parametrize("text, head", [
    ("Finset α", "Finset"), ("Set (α × β)", "Set"), ("Mathlib.Foo.Bar x {y} [z]", "Bar"),
    ("α → Finset α", None), ("Finset α × Finset β", None), ("α", None), ("Prop", None),
    ("Type u", None), ("(Finset α", None), ("", None),
    # number types by their symbol, as receivers and rule variables' types name them
    ("ℕ", "ℕ"), ("Nat", "ℕ"), ("ℝ≥0∞", "ℝ≥0∞"), ("ENNReal", "ℝ≥0∞")])
def test_the_head_of_a_plain_result_type(text, head):
    assert conclusion_head(text) == head


def test_the_result_type_is_read_from_a_definitions_source():
    src = "/-- doc := -/\n@[simp, to_dual self (reorder := a b)]\ndef Ioo (a b : α) : Finset α :=\n  x"
    assert result_type_text(src) == "Finset α"
    assert result_type_text("def f := 1") is None


def test_a_value_of_a_definition_returning_the_rules_type_is_evidence(tmp_path):
    from lean_alchemy.index.explain import Library, explain

    lib = indexed_library(tmp_path, LIB)
    run = lib.run
    # `Set.Ioo` returns a `Set`, `pairs a b` applies a definition returning a function
    _verdicts(lib, "Finset.subset_iff", "fwd", kept=("Finset.Ioo_subset_Ioc_self",),
              refused=("Set.Ioo_subset_Ioc_self", "Finset.pairs_subset"))
    # explain reads the table pass 2 stored: without it, no evidence
    from lean_alchemy.index.match.results import FILE, read_table

    assert read_table(run.root)["Finset.Ioo"] == "Finset"
    (run.root / FILE).unlink()
    assert not explain(Library(run), "Finset.Ioo_subset_Ioc_self", "Finset.subset_iff",
                       "fwd")["accepted"]


NUMBERS = """\
namespace Demo

def card (α : Type*) : ℕ := sorry

def card₂ (α : Type*) : ℕ := sorry

def size (α : Type*) : Nat := sorry

def size₂ (α : Type*) : Nat := sorry

def name (α : Type*) : String := sorry

def name₂ (α : Type*) : String := sorry

theorem card_eq_nat {o : Demo.Tower} {n : ℕ} : Demo.Tower.card o = n ↔ o = n := Iff.rfl

theorem card_eq {α : Type*} : card α = card₂ α := rfl

theorem size_eq {α : Type*} : size α = size₂ α := rfl

theorem name_eq {α : Type*} : name α = name₂ α := rfl

end Demo
"""


def test_a_definition_returning_a_number_type_is_evidence_for_a_variable_of_it(tmp_path):
    """`n : ℕ` of a rule and `def card … : ℕ` (or `: Nat`) name the same head, so `o = n`
    of `card_eq_nat` backwards may rewrite `card α = card₂ α`; a value of another result
    type is no evidence."""
    _verdicts(indexed_library(tmp_path, NUMBERS), "Demo.card_eq_nat", "bwd",
              kept=("Demo.card_eq", "Demo.size_eq"), refused=("Demo.name_eq",))


FIELDS = """\
namespace Finset

def Ioo {α : Type*} [Preorder α] (a b : α) : Finset α := sorry

def image {α β : Type*} (f : α → β) (s : Finset α) : Finset β := sorry

theorem subset_iff {α : Type*} {s₁ s₂ : Finset α} : s₁ ⊆ s₂ ↔ ∀ ⦃x⦄, x ∈ s₁ → x ∈ s₂ :=
  Iff.rfl

end Finset

namespace Multiset

def image {α β : Type*} (f : α → β) (s : Multiset α) : Multiset β := sorry

def toFinset {α : Type*} (s : Multiset α) : Finset α := sorry

end Multiset

namespace Demo

theorem dot_image {α : Type*} (s : Finset α) (f : α → α) : s.image f ⊆ s.image f :=
  fun _ h => h

theorem dot_image_multiset {α : Type*} (s : Multiset α) (f : α → α) :
    s.image f ⊆ s.image f := fun _ h => h

theorem unspelled {α : Type*} (p q : Finset α[X]) (h : Finset α[X]) : p ⊆ q :=
  sorry

theorem chained {α : Type*} (s : Multiset α) (f : α → α) :
    s.toFinset.image f ⊆ s.toFinset.image f := fun _ h => h

theorem projected {α : Type*} (s : Multiset α) (f : α → α) :
    (s.image f).toFinset ⊆ (s.image f).toFinset := fun _ h => h

theorem projected_multiset {α : Type*} (s : Multiset α) (f : α → α) :
    (s.image f).image f ⊆ (s.image f).image f := fun _ h => h

end Demo
"""


def test_field_notation_on_a_variable_and_an_unspelled_declared_type_are_evidence(tmp_path):
    """`s.image f` with `s : Finset α` applies `Finset.image`, which returns a `Finset`;
    `p : Finset α[X]` is a declared value whose type the hints cannot spell."""
    # the receiver's type names the definition: `Multiset.image` returns a `Multiset`;
    # a chain of fields, and a field of a compound value, are read field by field
    _verdicts(indexed_library(tmp_path, FIELDS), "Finset.subset_iff", "fwd",
              kept=("Demo.dot_image", "Demo.unspelled", "Demo.chained", "Demo.projected"),
              refused=("Demo.dot_image_multiset", "Demo.projected_multiset"))


def test_field_results_leave_out_a_pair_two_definitions_give_different_heads():
    from lean_alchemy.index.match.results import field_results

    got = field_results({"Finset.image": "Finset", "Multiset.image": "Multiset",
                         "A.Simplex.f": "Sphere", "B.Simplex.f": "Set", "C.Simplex.g": "Set",
                         "D.Simplex.g": "Set", "top": "Set"})
    assert got == {("Finset", "image"): "Finset", ("Multiset", "image"): "Multiset",
                   ("Simplex", "g"): "Set"}
    # `n.divisors` with `n : ℕ`: the receiver's head is `ℕ`, and so is the key
    assert field_results({"Nat.divisors": "Finset"}) == {("ℕ", "divisors"): "Finset"}
