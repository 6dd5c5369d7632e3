"""Fields of a structure typed through its value: the type operator its type is written
with, resolved where its notation command stands; the field's implicit binders; the
structure applied to its explicit parameters only."""

from __future__ import annotations

from helpers.typing_library import candidate_context, class_table
from lean_alchemy.grammar.ast import Ident
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.notation_commands import infix_commands, resolve_in

# a category library in the shape of Mathlib's (CategoryTheory/Category/Init.lean's
# `Quiver`, Functor/Basic.lean's `infixr:26 " ⥤ " => Functor` inside `namespace
# CategoryTheory`, Iso.lean's `infixr:10 " ≅ " => Iso`), beside a root `Functor` class as
# Lean core's, which has a `map` of its own
NOTATION = """
infixr:10 " ⟶ " => Quiver.Hom

namespace Cat

infixr:26 " ⥤ " => Functor

infixr:10 " ≅ " => Iso

end Cat

scoped[Geometry] infixl:25 " ≅ " => Congruent

notation:25 A " ≅[" L "] " B => Elementary L A B
"""
LIB = [
    ("Quiver", "class", "class Quiver (V : Type u) where\n  Hom : V → V → Type v"),
    ("Functor", "class", "class Functor (f : Type u → Type v) where\n"
     "  map : ∀ {α β : Type u}, (α → β) → f α → f β"),
    ("Cat.Functor", "structure",
     "structure Functor (C : Type u) [Quiver C] (D : Type v) [Quiver D] where\n"
     "  /-- The map on objects. -/\n  obj : C → D\n"
     "  /-- The map on arrows, at the objects' images. -/\n"
     "  map : ∀ {X Y : C}, (X ⟶ Y) → (obj X ⟶ obj Y)\n"),
    ("Cat.Iso", "structure",
     "structure Iso {C : Type u} [Quiver C] (X Y : C) where\n"
     "  /-- The forward arrow. -/\n  hom : X ⟶ Y\n  /-- The backward arrow. -/\n  inv : Y ⟶ X\n"),
    ("Congruent", "def", "def Congruent (a b : ℕ) : Prop := a = b"),
    ("Elementary", "def", "def Elementary (L A B : Type) : Prop := True"),
]
DECLARED = frozenset(name for name, _, _ in LIB) | {"Quiver.Hom"}
BINDERS = ("{C : Type u} [Quiver C] {D : Type v} [Quiver D] (F : C ⥤ D) (X Y : C) "
           "(f : X ⟶ Y) (e : X ≅ Y)")


def test_a_notation_names_the_constant_of_its_own_namespace() -> None:
    """`Functor` written inside `namespace Cat` is `Cat.Functor`, though a root `Functor`
    exists: Lean resolves a notation's right side where the command stands."""
    rows = {s.name: s.body for s in infix_commands(NOTATION, DECLARED)}
    assert rows["⥤"] == Ident("Cat.Functor")
    assert rows["⟶"] == Ident("Quiver.Hom")
    assert resolve_in("Cat.Sub", "Functor", DECLARED) == "Cat.Functor"
    assert resolve_in("", "Functor", DECLARED) == "Functor"
    assert resolve_in("Cat", "_root_.Functor", DECLARED) == "Functor"


def test_a_field_is_typed_through_the_resolved_structure() -> None:
    table = class_table(LIB, list(infix_commands(NOTATION, DECLARED)))
    ctx = candidate_context(table, BINDERS)
    assert ctx.infer.type_of(parse_term("F.obj X")) == Ident("D")
    # the implicit `{X Y : C}` solved by `f`; `obj` is `F`'s own (a type keeps the last
    # component of a name: written `F.obj X`, it is read `obj X` too)
    assert ctx.infer.type_of(parse_term("F.map f")) == parse_term("obj X ⟶ obj Y")
    # without the namespace, `⥤` named the root class too, whose `map` is another
    unresolved = candidate_context(class_table(LIB, list(infix_commands(NOTATION))), BINDERS)
    assert unresolved.infer.type_of(parse_term("F.map f")) is None


def test_a_scoped_or_bracketed_command_does_not_hide_the_global_operator() -> None:
    """`X ≅ Y` is `Cat.Iso X Y`: `scoped[Geometry] … " ≅ "` is open only in its scope, and
    `A ≅[L] B` is another operator keyed `≅` too."""
    table = class_table(LIB, list(infix_commands(NOTATION, DECLARED)))
    assert table.constants.infix_constants("≅") == {"Cat.Iso", "Congruent"}
    assert table.constants.infix_head("≅") == "Cat.Iso"
    assert table.constants.infix_head("≅[L]") == "Elementary"
    ctx = candidate_context(table, BINDERS)
    assert ctx.infer.type_of(parse_term("e.hom")) == parse_term("X ⟶ Y")
    assert ctx.infer.type_of(parse_term("e.inv")) == parse_term("Y ⟶ X")


def test_an_arrow_between_functors_is_a_natural_transformation() -> None:
    """`α : F ⟶ G` with `F G : C ⥤ D`: `instance : Category (C ⥤ D) where Hom F G :=
    NatTrans F G` makes `α.app X` the `NatTrans.app` of `α`; `Hom := Hom` inside a
    namespace names that namespace's `Hom`; a body of another shape gives no row.  The
    `app` of `Quiver.Hom`'s namespace is looked for there only, not in another `Hom`'s
    (`Other.Hom.app`)."""
    from lean_alchemy.index.typing.homs import hom_rows
    from lean_alchemy.index.typing.signatures import sigs_of_source

    nat = ("Cat.NatTrans", "structure",
           "structure NatTrans {C : Type u} [Quiver C] {D : Type v} [Quiver D] "
           "(F G : C ⥤ D) where\n  /-- The component at an object. -/\n"
           "  app : ∀ X : C, F.obj X ⟶ G.obj X\n")
    decoy = ("Other.Hom", "structure", "structure Other.Hom where\n  app : Bool\n")
    lib = LIB + [nat, decoy,
                 ("Mod", "structure", "structure Mod (R : Type) where\n  carrier : Type"),
                 ("Mod.Hom", "structure", "structure Mod.Hom {R : Type} (M N : Mod R) where\n"
                  "  toFun : ℕ → ℕ\n")]
    declared = DECLARED | {"Cat.NatTrans", "Mod", "Mod.Hom"}
    instances = [
        ("Cat.functorQuiver", "instance Cat.functorQuiver : Quiver (C ⥤ D) where\n"
         "  Hom F G := NatTrans F G\n", "Cat"),
        ("Mod.quiver", "instance : Quiver (Mod R) where\n  Hom := Hom\n", "Mod"),
        ("Other.quiver", "instance : Quiver Bool where\n  Hom a b := a → b\n", "Other")]
    rows = []
    for name, text, namespace in instances:
        inst = sigs_of_source(name, "instance", text)[0]
        rows.extend(hom_rows(inst, text, namespace, declared))
    assert [(r.name, r.body) for r in rows] == [("⥤", Ident("Cat.NatTrans")),
                                                ("Mod", Ident("Mod.Hom"))]
    table = class_table(lib, list(infix_commands(NOTATION, declared)) + rows)
    ctx = candidate_context(table, BINDERS + " (G : C ⥤ D) (α : F ⟶ G) (R : Type) "
                                             "(M N : Mod R) (φ : M ⟶ N)")
    assert ctx.infer.type_of(parse_term("α.app X")) == parse_term("obj X ⟶ obj X")
    assert ctx.infer.type_of(parse_term("φ.toFun")) == parse_term("Nat → Nat")
    without = candidate_context(class_table(lib, list(infix_commands(NOTATION, declared))),
                                BINDERS + " (G : C ⥤ D) (α : F ⟶ G)")
    assert without.infer.type_of(parse_term("α.app X")) is None


def test_a_field_written_as_a_binder_is_a_field() -> None:
    """`structure ShortComplex where {X₁ : C} {X₂ : C} {X₃ : C} f : X₁ ⟶ X₂ …`
    (Mathlib/Algebra/Homology/ShortComplex/Basic.lean:34): the objects are fields the
    constructor takes implicitly.  Unread, `S.X₁` read as a field no `ShortComplex` has,
    and the typed filter refused Mathlib's own `rw [moduleCat_exact_iff]` as a clash."""
    from lean_alchemy.index.typing.signatures import sigs_of_source

    text = ("structure ShortComplex (C : Type u) where\n  /-- the first object -/\n  {X₁ : C}\n"
            "  {X₂ X₃ : C}\n  f : X₁ → X₂\n  zero : f = f := by rfl")
    fields = {s.name: s.type for s in sigs_of_source("ShortComplex", "structure", text)
              if s.kind == "field"}
    assert sorted(fields) == ["ShortComplex.X₁", "ShortComplex.X₂", "ShortComplex.X₃",
                              "ShortComplex.f", "ShortComplex.zero"]
    assert fields["ShortComplex.X₂"] == Ident("C")
