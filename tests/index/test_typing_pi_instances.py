"""Pi instances on a function type.  `Pi.instInv {I} {f : I → Type*} [∀ i, Inv (f i)] :
Inv (∀ i, f i)` (Mathlib/Algebra/Notation/Pi/Defs.lean) is the instance of every
`Inv (α → γ)`: Lean solves `?f i =?= γ` by `?f := fun _ => γ` and then asks `Inv γ`.
The table read the pattern `∀ i, f i` against `α → γ` as unknown, so every class query
about a function type stayed *unknown*, even with a codomain that has no such instance
(`f⁻¹` for `f : α → β` with only `[LinearOrder β]`, a mutant of `continuousOn_inv_iff`).
"""

from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.classes import NO, YES, Resolver

LIB = [
    ("Inv", "class", "class Inv (α : Type u) where\n  inv : α → α"),
    ("Real", "structure", "structure Real where\n  c : Nat"),
    ("Pi.instInv", "instance",
     "instance {I : Type u} {f : I → Type v} [∀ i, Inv (f i)] : Inv (∀ i, f i) := sorry"),
    ("Real.instInv", "instance", "instance : Inv ℝ := sorry"),
]


def _resolver() -> Resolver:
    return Resolver(class_table(LIB), frozenset({"α", "β", "G"}),
                    [parse_term("LinearOrder β"), parse_term("Inv G")])


def test_a_function_type_has_the_instance_its_codomain_has() -> None:
    r = _resolver()
    assert r.holds(parse_term("Inv (α → ℝ)")) == YES
    assert r.holds(parse_term("Inv (α → G)")) == YES
    assert r.holds(parse_term("Inv (α → α → ℝ)")) == YES


def test_a_codomain_without_the_instance_gives_none() -> None:
    r = _resolver()
    assert r.holds(parse_term("Inv (α → β)")) == NO  # `[LinearOrder β]` gives no `Inv`
    assert r.holds(parse_term("Inv (α → ℕ)")) == NO


def test_a_dependent_family_stays_open() -> None:
    """`∀ i, f i` against a dependent pi type is not read: it stays unknown."""
    r = _resolver()
    assert r.holds(parse_term("Inv (∀ i, g i)")) not in (NO, YES)
