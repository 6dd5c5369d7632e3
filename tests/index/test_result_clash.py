"""A pattern variable typed by a rigid head (a structure, or `Set`) never binds a value
that applies a definition whose declared result type has another rigid head: Lean's `rw`
unifies the pattern's type with the instance's, and `Disjoint (H.map f) (K.map f)` of
subgroups is no `Disjoint s t` of sets or of finsets (`value_checks.results_ok`)."""

from __future__ import annotations

from lean_alchemy.index.match.rigid import SET, rigid_clash, value_head_clash

from helpers.lean_text import indexed_library

LIB = """\
structure Subgroup (G : Type*) where
  carrier : Set G

structure Finset (α : Type*) where
  val : List α

class Disjointness (α : Type*) where
  rel : α → α → Prop

def Disjoint {α : Type*} [Disjointness α] (a b : α) : Prop := Disjointness.rel a b

namespace Subgroup

def map {G N : Type*} (f : G → N) (H : Subgroup G) : Subgroup N := sorry

def carrierSet {G : Type*} (H : Subgroup G) : Set G := H.carrier

theorem disjoint_def {G : Type*} [Disjointness (Subgroup G)] {H₁ H₂ : Subgroup G} :
    Disjoint H₁ H₂ ↔ H₁ = H₂ := sorry

theorem disjoint_map {G N : Type*} [Disjointness (Subgroup N)] {f : G → N}
    {H K : Subgroup G} : Disjoint (H.map f) (K.map f) := sorry

theorem disjoint_carrier {G : Type*} [Disjointness (Set G)] {H K : Subgroup G} :
    Disjoint H.carrierSet K.carrierSet := sorry

theorem disjoint_mixed {G : Type*} [Disjointness (Set G)] {H : Subgroup G} {s : Set G} :
    Disjoint (H.map id) s := sorry

end Subgroup

namespace Set

theorem disjoint_iff {α : Type*} [Disjointness (Set α)] {s t : Set α} :
    Disjoint s t ↔ s = t := sorry

end Set

namespace Finset

theorem disjoint_left {α : Type*} [Disjointness (Finset α)] {s t : Finset α} :
    Disjoint s t ↔ s = t := sorry

theorem disjoint_vars {α : Type*} [Disjointness (Finset α)] {s t : Finset α}
    (h : Disjoint s t) : s = t := sorry

end Finset
"""


def _verdict(lib, cand: str, rule: str) -> str | None:  # noqa: ANN001
    from lean_alchemy.index.explain import explain

    got = explain(lib, cand, rule, "fwd")
    goal = [loc["verdict"] for loc in got["locations"] if loc["kind"] == "rw_goal"]
    return goal[0] if goal else got["rejected_by"]


def test_values_agreeing_on_another_structure_refuse_a_set_or_structure_rule(tmp_path):
    lib = indexed_library(tmp_path, LIB)
    # `H.map f` applies `Subgroup.map`, declared to return a `Subgroup`
    assert _verdict(lib, "Subgroup.disjoint_map", "Set.disjoint_iff") == "filter:rigid_mismatch"
    assert _verdict(lib, "Subgroup.disjoint_map", "Finset.disjoint_left") == \
        "filter:rigid_mismatch"
    assert _verdict(lib, "Subgroup.disjoint_map", "Subgroup.disjoint_def") == "accepted"
    # `carrierSet` returns a `Set`: the set rule applies, the finset rule does not
    assert _verdict(lib, "Subgroup.disjoint_carrier", "Set.disjoint_iff") == "accepted"
    assert _verdict(lib, "Subgroup.disjoint_carrier", "Finset.disjoint_left") == \
        "filter:rigid_mismatch"
    # a subgroup beside a set: Lean coerced one of them, the set rule may apply
    assert _verdict(lib, "Subgroup.disjoint_mixed", "Set.disjoint_iff") == "accepted"


def test_a_set_typed_rule_variable_refuses_only_values_of_a_rigid_type():
    rigid = frozenset({"Finset", "Subgroup", "ℕ"})
    # a relation operand declared `Finset α` (exact) is no set; a function may be one
    assert rigid_clash(SET, ("Finset(?α)", True), rigid)
    assert not rigid_clash(SET, ("(→,?α,Prop)", True), rigid)
    assert not rigid_clash(SET, ("Set(?α)", True), rigid)
    # maybe coerced (a function's argument): `↑s` may be the set
    assert not rigid_clash(SET, ("Finset(?α)", False), rigid)
    assert value_head_clash(SET, "Subgroup") and not value_head_clash("Subgroup", "Subgroup")
    assert not value_head_clash("#const", "Subgroup") and not value_head_clash("⇑", "Subgroup")
