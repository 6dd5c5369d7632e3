"""Instances of `deriving instance … for T` commands, and a postfix type notation that is
no subobject's carrier.

Facts mirrored, read in Mathlib:
- `deriving instance SMul A, Field, Algebra A, IsScalarTower A K for CyclotomicField n K`
  (Mathlib/NumberTheory/Cyclotomic/Basic.lean:662);
- `postfix:1024 "ˣ" => Units` over `structure Units (α : Type u) [Monoid α]`
  (Mathlib/Algebra/Group/Units/Defs.lean:49), a structure, never the carrier `↥s` of a
  subring, which `instance (s : S) [SetLike S R] … : CommRing s`-style instances are about
  (Mathlib/Algebra/Ring/Subring/Defs.lean).
"""

from helpers.typing_library import class_table
from lean_alchemy.grammar.ast import App, Ident
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.classes import NO, YES, Resolver
from lean_alchemy.index.typing.notation_commands import infix_commands
from lean_alchemy.index.typing.signatures import deriving_commands

DERIVING = "deriving instance SMul A, Field, IsScalarTower A K for CyclotomicField n K\n"
UNITS = 'postfix:1024 "ˣ" => Units\n'
LIB = [
    ("CommRing", "class", "class CommRing (α : Type u) where\n  zero : α"),
    ("Field", "class", "class Field (α : Type u) extends CommRing α where\n  inv : α → α"),
    ("SMul", "class", "class SMul (M α : Type u) where\n  smul : M → α → α"),
    ("Units", "structure", "structure Units (α : Type u) where\n  val : α"),
    ("Subring", "structure", "structure Subring (R : Type u) where\n  carrier : R → Prop"),
    ("CyclotomicField", "def",
     "def CyclotomicField (n : ℕ) (K : Type u) : Type u := K"),
    ("Subring.toCommRing", "instance",
     "instance {R : Type u} [CommRing R] (s : Subring R) : CommRing s := sorry"),
]


def test_a_deriving_command_reads_its_class_and_type_as_terms() -> None:
    """`SMul A` is the class `SMul` with its first argument `A`; `CyclotomicField n K`
    the constant applied to the instance's variables (it was one name with spaces)."""
    got = {s.name: s for s in deriving_commands(DERIVING)}
    smul = got["CyclotomicField.derivedSMul"]
    assert smul.type == parse_term("SMul A (CyclotomicField n K)")
    assert set(smul.binders[0].names) == {"A", "n", "K"}
    assert got["CyclotomicField.derivedField"].type == App(
        Ident("Field"), (parse_term("CyclotomicField n K"),))


def test_derived_instances_answer_and_units_are_no_carrier() -> None:
    """`Field (CyclotomicField 3 K)` holds through the derived instance; `CommRing Kˣ`
    is *no*: neither the carrier instance nor the derived one can apply (both were
    *unknown*: the postfix type was taken for a possible carrier, and the misread derived
    type matched anything)."""
    table = class_table(LIB, list(deriving_commands(DERIVING)) + list(infix_commands(UNITS)))
    res = Resolver(table, frozenset({"K"}), [parse_term("Field K")])
    assert res.holds(parse_term("Field (CyclotomicField 3 K)")) == YES
    assert res.holds(parse_term("CommRing Kˣ")) == NO
    assert res.holds(parse_term("CommRing (Units K)")) == NO
