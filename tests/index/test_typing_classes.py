"""Class/instance resolution on a small library written here (not Mathlib's text)."""

from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.classes import NO, UNKNOWN, YES, ClassTable, Resolver
from lean_alchemy.index.typing.signatures import core_sigs, sigs_of_source

LIB = [
    ("Monoid", "class", "class Monoid (M : Type u) extends Mul M where\n  one : M"),
    ("Group", "class", "class Group (G : Type u) extends Monoid G, Inv G where\n  x : G"),
    ("CommGroup", "class", "class CommGroup (G : Type u) extends Group G where\n  c : G"),
    ("Inv", "class", "class Inv (α : Type u) where\n  inv : α → α"),
    ("Int.instGroup", "instance", "instance Int.instGroup : CommGroup ℤ := sorry"),
    ("Prod.instGroup", "instance",
     "instance [Group α] [Group β] : Group (α × β) := sorry"),
]


def _table() -> ClassTable:
    sigs = list(core_sigs())
    for name, kind, text in LIB:
        sigs.extend(sigs_of_source(name, kind, text))
    return ClassTable.build(sigs)


def test_group_variable_is_not_commutative() -> None:
    """A `[Group G]` variable has Monoid and Inv through `extends`, and no CommGroup:
    nothing in the library gives one (the search is exhausted)."""
    r = Resolver(_table(), frozenset({"G"}), [parse_term("Group G")])
    assert r.holds(parse_term("Monoid G")) == YES
    assert r.holds(parse_term("Inv G")) == YES
    assert r.holds(parse_term("CommGroup G")) == NO


def test_concrete_heads_and_instance_premises() -> None:
    r = Resolver(_table(), frozenset({"G"}), [parse_term("Group G")])
    assert r.holds(parse_term("Group ℤ")) == YES  # through CommGroup ℤ
    assert r.holds(parse_term("Inv ℕ")) == NO
    assert r.holds(parse_term("Group (G × ℤ)")) == YES
    assert r.holds(parse_term("Group (G × ℕ)")) == NO


def test_unknown_classes_stay_unknown() -> None:
    r = Resolver(_table(), frozenset({"G"}), [])
    assert r.holds(parse_term("Ring G")) == UNKNOWN  # not a class of the table
    assert r.holds(parse_term("Nonempty G")) == UNKNOWN
