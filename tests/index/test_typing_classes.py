"""Class/instance resolution on a small library written here (not Mathlib's text)."""

from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.additive import additive_names
from lean_alchemy.index.typing.classes import NO, UNKNOWN, YES, ClassTable, Resolver, unify
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
    return class_table(LIB)


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


# A second library with the shape of Mathlib's algebraic hierarchy, each fact read there:
# - `class Group (G) extends DivInvMonoid G` and `class CommGroup (G) extends Group G,
#   CommMonoid G` (Mathlib/Algebra/Group/Defs.lean:1229, :1312);
# - `instance Group.toDivisionMonoid : DivisionMonoid G` in a `[Group G]` section
#   (Mathlib/Algebra/Group/Defs.lean:1289);
# - `class Ring (R) extends Semiring R, AddCommGroup R, …` and `class CommRing (α) extends
#   Ring α, CommMonoid α` (Mathlib/Algebra/Ring/Defs.lean:148, :415);
# - `class Field (K) extends CommRing K, DivisionRing K` (Mathlib/Algebra/Field/Defs.lean:180);
# - ℕ has no `Neg`: Lean core gives `Neg Int` only, and Mathlib declares no `Neg ℕ`.
HIERARCHY = [
    ("Monoid", "class", "class Monoid (M : Type u) extends Mul M where\n  one : M"),
    ("CommMonoid", "class", "class CommMonoid (M : Type u) extends Monoid M where\n  c : M"),
    ("DivInvMonoid", "class",
     "class DivInvMonoid (G : Type u) extends Monoid G, Inv G where\n  d : G"),
    ("DivisionMonoid", "class",
     "class DivisionMonoid (G : Type u) extends DivInvMonoid G where\n  e : G"),
    ("Group", "class", "class Group (G : Type u) extends DivInvMonoid G where\n  x : G"),
    ("CommGroup", "class",
     "class CommGroup (G : Type u) extends Group G, CommMonoid G where\n  y : G"),
    ("Group.toDivisionMonoid", "instance",
     "instance Group.toDivisionMonoid {G : Type u} [Group G] : DivisionMonoid G := sorry"),
    ("Semiring", "class", "class Semiring (R : Type u) extends Monoid R where\n  z : R"),
    ("Ring", "class", "class Ring (R : Type u) extends Semiring R, Neg R where\n  w : R"),
    ("CommRing", "class",
     "class CommRing (α : Type u) extends Ring α, CommMonoid α where\n  v : α"),
    ("DivisionRing", "class",
     "class DivisionRing (K : Type u) extends Ring K, Inv K where\n  u : K"),
    ("Field", "class",
     "class Field (K : Type u) extends CommRing K, DivisionRing K where\n  t : K"),
    ("Inv", "class", "class Inv (α : Type u) where\n  inv : α → α"),
]


def _hierarchy() -> ClassTable:
    sigs = list(core_sigs())
    for name, kind, text in HIERARCHY:
        sigs.extend(sigs_of_source(name, kind, text))
    return ClassTable.build(sigs)


def test_comm_group_gives_group_and_group_does_not_give_comm_group() -> None:
    """`CommGroup extends Group` (Group/Defs.lean:1312): `[CommGroup G]` gives `Group G`
    and, through it, `Monoid G`; `[Group G]` gives no `CommGroup G` nor `CommMonoid G`
    (no instance concludes them)."""
    tab = _hierarchy()
    comm = Resolver(tab, frozenset({"G"}), [parse_term("CommGroup G")])
    assert comm.holds(parse_term("Group G")) == YES
    assert comm.holds(parse_term("Monoid G")) == YES
    grp = Resolver(tab, frozenset({"G"}), [parse_term("Group G")])
    assert grp.holds(parse_term("CommGroup G")) == NO
    assert grp.holds(parse_term("CommMonoid G")) == NO


def test_instances_fire_forwards_from_the_binders() -> None:
    """`Group.toDivisionMonoid` (Group/Defs.lean:1289) concludes `DivisionMonoid G` from
    `[Group G]`: the forward closure may have it (never *no*), and a `[Monoid G]`
    variable cannot (*no*)."""
    tab = _hierarchy()
    grp = Resolver(tab, frozenset({"G"}), [parse_term("Group G")])
    assert grp.holds(parse_term("DivisionMonoid G")) != NO
    mon = Resolver(tab, frozenset({"G"}), [parse_term("Monoid G")])
    assert mon.holds(parse_term("DivisionMonoid G")) == NO
    assert mon.holds(parse_term("Inv G")) == NO


def test_field_gives_comm_ring_and_nat_has_no_neg() -> None:
    """`Field extends CommRing` (Field/Defs.lean:180), `CommRing extends Ring`
    (Ring/Defs.lean:415): `[Field K]` gives `CommRing K`, `Ring K`, `Inv K`; ℕ has no
    `Neg` (only ℤ's is in core) while ℤ has one."""
    tab = _hierarchy()
    fld = Resolver(tab, frozenset({"K"}), [parse_term("Field K")])
    for q in ("CommRing K", "Ring K", "Inv K", "Monoid K"):
        assert fld.holds(parse_term(q)) == YES, q
    assert fld.holds(parse_term("Neg ℕ")) == NO
    assert fld.holds(parse_term("Neg ℤ")) == YES


def test_a_class_any_type_may_get_is_never_no() -> None:
    """An instance whose premise is a class with instances from everywhere (here
    `Subsingleton`) could give `CommGroup` to any type: the answer stays unknown."""
    tab_sigs = list(core_sigs())
    for name, kind, text in HIERARCHY + [
            ("Sub.inst", "instance",
             "instance Sub.inst {α : Type u} [Subsingleton α] : CommGroup α := sorry")]:
        tab_sigs.extend(sigs_of_source(name, kind, text))
    grp = Resolver(ClassTable.build(tab_sigs), frozenset({"G"}), [parse_term("Group G")])
    assert grp.holds(parse_term("CommGroup G")) == UNKNOWN


def test_a_structure_with_the_class_attribute_is_a_class(tmp_path) -> None:
    """Mathlib declares `@[class] structure MeasurableSpace (α : Type*)`
    (Mathlib/MeasureTheory/MeasurableSpace/Defs.lean:49): extraction calls it a
    structure, the signature table a class (so `[MeasurableSpace α]` binders are facts and
    its instances are searched); a plain structure stays one."""
    from types import SimpleNamespace

    from lean_alchemy.index.typing.signatures import build_signatures

    text = ("@[class] structure Meas (α : Type u) where\n  sets : α → Prop\n\n"
            "structure Plain (α : Type u) where\n  x : α\n")
    (tmp_path / "M.lean").write_text(text)
    cut = text.index("structure Plain")
    decls = [SimpleNamespace(full_name="Meas", kind="structure", module="M", file="M.lean",
                             start_byte=0, end_byte=cut),
             SimpleNamespace(full_name="Plain", kind="structure", module="M", file="M.lean",
                             start_byte=cut, end_byte=len(text))]
    kinds = {s.name: s.kind for s in build_signatures(decls, tmp_path)}
    assert kinds["Meas"] == "class"
    assert kinds["Plain"] == "structure"
    r = Resolver(ClassTable.build(build_signatures(decls, tmp_path)), frozenset({"α"}), [])
    assert r.holds(parse_term("Meas α")) == NO


def test_an_unresolved_notation_in_an_instance_is_a_type_not_a_variable() -> None:
    """`instance : CommGroup ℚ≥0` with `ℚ≥0` a notation the header reader does not
    resolve (Mathlib's for `NNRat`, Mathlib/Data/Rat/Init.lean:26) is about one type: it
    does not make `CommGroup` a class any type may have, so `[Group G]` still gives no
    `CommGroup G`.  An instance for a bare auto-bound variable (`α`) does."""
    def resolver(extra: str) -> Resolver:
        sigs = list(core_sigs())
        for name, kind, text in HIERARCHY + [("Extra.inst", "instance", extra)]:
            sigs.extend(sigs_of_source(name, kind, text))
        return Resolver(ClassTable.build(sigs), frozenset({"G"}), [parse_term("Group G")])

    assert resolver("instance : CommGroup ℚ≥0 := sorry").holds(parse_term("CommGroup G")) == NO
    assert resolver("instance [Subsingleton α] : CommGroup α := sorry").holds(
        parse_term("CommGroup G")) == UNKNOWN


def test_an_abbrev_instance_counts_for_the_head_its_body_unfolds_to() -> None:
    """`abbrev Perm (α : Sort*) := Equiv α α` (Mathlib/Logic/Equiv/Defs.lean:76) with
    `instance : Group (Perm α)` (Mathlib/Algebra/Group/End.lean): an instance about an
    `Equiv`, so `Group ℕ` stays *no* while `Group (Equiv ℕ ℕ)` may hold.  An abbrev whose
    body is a parameter may unfold to any type: its instance keeps `Group ℕ` undecided."""
    def table(extra: list[tuple[str, str, str]]) -> ClassTable:
        sigs = list(core_sigs())
        for name, kind, text in HIERARCHY + extra:
            sigs.extend(sigs_of_source(name, kind, text))
        return ClassTable.build(sigs)

    perm = [("Equiv", "structure", "structure Equiv (α β : Sort u) where\n  f : α → β"),
            ("Equiv.Perm", "abbrev", "abbrev Equiv.Perm (α : Sort u) := Equiv α α"),
            ("Equiv.Perm.g", "instance",
             "instance Equiv.Perm.g {α : Type u} : Group (Perm α) := sorry")]
    r = Resolver(table(perm), frozenset(), [])
    assert r.holds(parse_term("Group ℕ")) == NO
    assert r.holds(parse_term("Group (Equiv ℕ ℕ)")) != NO
    assert r.holds(parse_term("Group (Perm ℕ)")) != NO
    ident = [("Ident'", "abbrev", "abbrev Ident' (α : Type u) := α"),
             ("Ident'.g", "instance", "instance Ident'.g : Group (Ident' ℤ) := sorry")]
    assert Resolver(table(ident), frozenset(), []).holds(parse_term("Group ℕ")) == UNKNOWN


def test_an_abbrev_body_through_a_pipe_or_a_notation_has_that_head() -> None:
    """`abbrev Associates (α) := Quotient <| …` (Mathlib/Algebra/GroupWithZero/Associated.lean)
    unfolds to a `Quotient`; an abbrev to a type notation (`≃*`) to that notation: neither
    makes its instance one for every head, so `Group ℕ` stays *no*."""
    sigs = list(core_sigs())
    extra = [("Quotient", "structure", "structure Quotient (α : Type u) where\n  x : α"),
             ("Assoc", "abbrev", "abbrev Assoc (α : Type u) := Quotient <| α"),
             ("Assoc.g", "instance", "instance Assoc.g : Group (Assoc ℤ) := sorry"),
             ("MulAut", "abbrev", "abbrev MulAut (M : Type u) := M ≃* M"),
             ("MulAut.g", "instance", "instance MulAut.g : Group (MulAut ℤ) := sorry")]
    for name, kind, text in HIERARCHY + extra:
        sigs.extend(sigs_of_source(name, kind, text))
    tab = ClassTable.build(sigs)
    assert tab.unfolds("Assoc") == frozenset({"Assoc", "Quotient"})
    assert Resolver(tab, frozenset(), []).holds(parse_term("Group ℕ")) == NO
    assert Resolver(tab, frozenset(), []).holds(parse_term("Group (Quotient ℤ)")) != NO


def test_an_unknown_name_in_an_instance_is_no_variable_of_the_search() -> None:
    """`instance : CommGroup ℤ√d`-like conclusions name a type the table cannot read: the
    backward search must not let that name stand for any type (a function type would get
    *yes*); `ℚ≥0` is `NNRat` (`notation "ℚ≥0" => NNRat`, Mathlib/Data/Rat/Init.lean:26)."""
    sigs = list(core_sigs())
    extra = [("Odd.inst", "instance", "instance Odd.inst : CommGroup ℤ√⋆ := sorry"),
             ("NNRat", "structure", "structure NNRat where\n  q : ℤ"),
             ("NNRat.inst", "instance", "instance NNRat.inst : CommGroup ℚ≥0 := sorry")]
    for name, kind, text in HIERARCHY + extra:
        sigs.extend(sigs_of_source(name, kind, text))
    r = Resolver(ClassTable.build(sigs), frozenset({"α", "β"}), [])
    assert r.holds(parse_term("CommGroup (α → β)")) == UNKNOWN
    assert r.holds(parse_term("CommGroup NNRat")) == YES


# The additive twins `@[to_additive]` makes, read in Mathlib/Algebra/Group/Defs.lean:
# `class AddMonoid` (:662), `class DivInvMonoid … extends Monoid G, Inv G` (:996), `class
# SubNegMonoid … extends AddMonoid G, Neg G` (:1037), `class SubtractionMonoid … extends
# SubNegMonoid G` (:1173), `class DivisionMonoid … extends DivInvMonoid G` (:1184), `class
# Group … extends DivInvMonoid G` (:1229), `class AddGroup … extends SubNegMonoid A`
# (:1240), and `@[to_additive] instance Group.toDivisionMonoid : DivisionMonoid G` in a
# `[Group G]` section (:1288-1289), whose twin `AddGroup.toSubtractionMonoid` no header
# spells.
ADDITIVE = [
    ("Monoid", "class", "class Monoid (M : Type u) where\n  one : M"),
    ("AddMonoid", "class", "class AddMonoid (M : Type u) where\n  zero : M"),
    ("Inv", "class", "class Inv (α : Type u) where\n  inv : α → α"),
    ("Neg", "class", "class Neg (α : Type u) where\n  neg : α → α"),
    ("DivInvMonoid", "class",
     "class DivInvMonoid (G : Type u) extends Monoid G, Inv G where\n  d : G"),
    ("SubNegMonoid", "class",
     "class SubNegMonoid (G : Type u) extends AddMonoid G, Neg G where\n  d : G"),
    ("DivisionMonoid", "class",
     "class DivisionMonoid (G : Type u) extends DivInvMonoid G where\n  e : G"),
    ("SubtractionMonoid", "class",
     "class SubtractionMonoid (G : Type u) extends SubNegMonoid G where\n  e : G"),
    ("Group", "class", "class Group (G : Type u) extends DivInvMonoid G where\n  x : G"),
    ("AddGroup", "class", "class AddGroup (A : Type u) extends SubNegMonoid A where\n  x : A"),
    ("Group.toDivisionMonoid", "instance",
     "instance Group.toDivisionMonoid {G : Type u} [Group G] : DivisionMonoid G := sorry"),
]


def _table_of(lib: list[tuple[str, str, str]]) -> ClassTable:
    sigs = list(core_sigs())
    for name, kind, text in lib:
        sigs.extend(sigs_of_source(name, kind, text))
    return ClassTable.build(sigs)


def test_an_additive_class_gets_the_twin_of_a_multiplicative_instance() -> None:
    """`[AddGroup G]` has `SubtractionMonoid G` through the twin of
    `Group.toDivisionMonoid`: never *no*; `[AddMonoid G]` has none (*no*)."""
    tab = _table_of(ADDITIVE)
    add = Resolver(tab, frozenset({"G"}), [parse_term("AddGroup G")])
    assert add.holds(parse_term("SubtractionMonoid G")) != NO
    mon = Resolver(tab, frozenset({"G"}), [parse_term("AddMonoid G")])
    assert mon.holds(parse_term("SubtractionMonoid G")) == NO


def test_a_twin_is_made_when_only_a_premise_has_an_additive_name() -> None:
    """`@[to_additive] instance SeminormedGroup.toNNNorm [SeminormedGroup E] : NNNorm E`
    (Mathlib/Analysis/Normed/Group/Basic.lean) has the twin `[SeminormedAddGroup E] :
    NNNorm E` though `NNNorm` has none: `[AddGroup G]`, here, has a `Norm`; `[AddMonoid G]`
    still has none."""
    lib = ADDITIVE + [
        ("Norm", "class", "class Norm (E : Type u) where\n  norm : E → Nat"),
        ("Group.toNorm", "instance", "instance Group.toNorm {G : Type u} [Group G] : Norm G := sorry")]
    tab = _table_of(lib)
    add = Resolver(tab, frozenset({"G"}), [parse_term("AddGroup G")])
    assert add.holds(parse_term("Norm G")) != NO
    mon = Resolver(tab, frozenset({"G"}), [parse_term("AddMonoid G")])
    assert mon.holds(parse_term("Norm G")) == NO


def test_additive_names_follow_to_additive_and_invent_no_class() -> None:
    """Names as Group/Defs.lean spells them: `CommGroup`/`AddCommGroup` (:1312, :1307),
    `LeftCancelMonoid`/`AddLeftCancelMonoid` (:825, :819), `InvOneClass`/`NegZeroClass`
    (:1156, :1148); `MulZeroClass` (GroupWithZero/Defs.lean:37) has no twin although an
    `AddZeroClass` exists (Group/Defs.lean:384)."""
    names = additive_names({"CommGroup", "AddCommGroup", "DivisionMonoid", "SubtractionMonoid",
                            "DivInvMonoid", "SubNegMonoid", "LeftCancelMonoid",
                            "AddLeftCancelMonoid", "InvOneClass", "NegZeroClass",
                            "MulZeroClass", "AddZeroClass", "MulOneClass"})
    assert names["CommGroup"] == "AddCommGroup"
    assert names["DivisionMonoid"] == "SubtractionMonoid"
    assert names["DivInvMonoid"] == "SubNegMonoid"
    assert names["LeftCancelMonoid"] == "AddLeftCancelMonoid"
    assert names["InvOneClass"] == "NegZeroClass"
    assert names["MulOneClass"] == "AddZeroClass"
    assert "MulZeroClass" not in names and "AddCommGroup" not in names


# The number tower is spelled by its names only.  `instance inv : Inv (WithZero α)`
# (Mathlib/Algebra/GroupWithZero/WithZero.lean:212) is about `WithZero`, which
# `@[to_additive] def WithOne` makes (Mathlib/Algebra/Group/WithOne/Defs.lean:41-42) and
# no header declares; a preadditive category's `Neg (X ⟶ Y)` is about a notation;
# `instance instInv : Inv ℚ≥0` (Mathlib/Algebra/Field/Rat.lean:57); Mathlib declares no
# `Inv ℕ`.
TOWER_LIB = [
    ("Inv", "class", "class Inv (α : Type u) where\n  inv : α → α"),
    ("Neg", "class", "class Neg (α : Type u) where\n  neg : α → α"),
    ("Quiver", "class", "class Quiver (V : Type u) where\n  Hom : V → V → Sort v"),
    ("Box", "structure", "structure Box (α : Type u) where\n  x : α"),
    ("NNRat", "def", "def NNRat : Type := {q : ℚ // 0 ≤ q}"),
    ("WithZero.inv", "instance", "instance WithZero.inv {α : Type u} : Inv (WithZero α) := sorry"),
    ("Hom.neg", "instance",
     "instance Hom.neg {C : Type u} [Quiver C] {X Y : C} : Neg (X ⟶ Y) := sorry"),
    ("NNRat.instInv", "instance", "instance NNRat.instInv : Inv ℚ≥0 := sorry"),
]


def test_no_notation_or_generated_name_denotes_a_number_type() -> None:
    """`Inv ℕ` and `Neg ℕ` are *no* although instances about `WithZero α` and `X ⟶ Y`
    exist; `Inv ℚ≥0` is *yes*; a structure of the library (`Box`) may be what such a
    name denotes: unknown."""
    r = Resolver(_table_of(TOWER_LIB), frozenset(), [])
    assert r.holds(parse_term("Inv ℕ")) == NO
    assert r.holds(parse_term("Neg ℕ")) == NO
    assert r.holds(parse_term("Inv ℚ≥0")) == YES
    assert r.holds(parse_term("Inv (Box ℕ)")) == UNKNOWN


def test_an_abbrev_whose_values_are_terms_unfolds_to_no_type() -> None:
    """An `abbrev` with a type that is no sort (`abbrev AlgCat.Hom.hom (f) : A →ₐ[R] B`,
    Algebra/Category/AlgCat/Basic.lean; here one whose body is its parameter) is a term:
    an instance about it is about no type, while
    `abbrev M := (F ⋙ forget MonCat).ColimitType` (Algebra/Category/MonCat/
    FilteredColimits.lean:51) is a type whose body is unreadable: unknown in general, but
    never a number type; an `abbrev` whose body is its parameter may be any type."""
    lib = TOWER_LIB + [
        ("Hom.hom", "abbrev", "abbrev Hom.hom (f : X ⟶ Y) : X ⟶ Y := f"),
        ("Hom.inv", "instance", "instance Hom.inv {f : X ⟶ Y} : Inv (Hom.hom f) := sorry"),
        ("M", "abbrev", "abbrev M : Type u := (F ⋙ forget MonCat).ColimitType"),
        ("Same", "abbrev", "abbrev Same (α : Type u) : Type u := α"),
        ("M.inv", "instance", "instance M.inv : Inv M := sorry"),
        ("Same.neg", "instance", "instance Same.neg {α : Type u} : Neg (Same α) := sorry"),
    ]
    tab = _table_of(lib)
    assert tab.unfolds("hom") == frozenset({"hom"}) and not tab.may_be_bare("hom")
    assert tab.unfolds("M") is None and not tab.may_be_bare("M")
    assert tab.may_be_bare("Same")
    r = Resolver(tab, frozenset(), [])
    assert r.holds(parse_term("Inv ℕ")) == NO
    assert r.holds(parse_term("Neg ℕ")) == UNKNOWN  # `Same ℕ` is ℕ
    assert r.holds(parse_term("Inv (Box ℕ)")) == UNKNOWN


def test_words_of_a_misread_header_are_no_variables_of_an_instance() -> None:
    """A header read with its `set_option … in` prefix (`instance : Field (FiniteResidueField
    K)`, Mathlib/Algebra/Order/Ring/StandardPart.lean) lists `false in variable K in def
    FiniteResidueField` as binder names: its conclusion keeps its head, so it is no
    instance for every type."""
    from lean_alchemy.grammar.ast import App, BinderGroup, Ident
    from lean_alchemy.index.typing.signatures import Sig

    sigs = list(core_sigs())
    for name, kind, text in TOWER_LIB + [
            ("Field", "class", "class Field (K : Type u) extends Inv K where\n  f : K"),
            ("FiniteResidueField", "def", "def FiniteResidueField (K : Type u) : Type u := K")]:
        sigs.extend(sigs_of_source(name, kind, text))
    junk = ("false", "in", "variable", "K", "in", "def", "FiniteResidueField")
    sigs.append(Sig("FiniteResidueField.derivedField", "instance",
                    (BinderGroup(junk, None, "explicit"),),
                    App(Ident("Field"), (App(Ident("FiniteResidueField"), (Ident("K"),)),))))
    r = Resolver(ClassTable.build(sigs), frozenset(), [])
    assert r.holds(parse_term("Field ℕ")) == NO
    assert r.holds(parse_term("Field (FiniteResidueField ℕ)")) == YES


def test_a_class_field_made_an_instance_is_a_parent() -> None:
    """`class UniformSpace (α) extends TopologicalSpace α` (Mathlib/Topology/UniformSpace/
    Defs.lean:193) and `class PseudoMetricSpace (α) … where … toUniformSpace : UniformSpace
    α` made an instance by `attribute [instance_reducible, instance]
    PseudoMetricSpace.toUniformSpace` (Mathlib/Topology/MetricSpace/Pseudo/Defs.lean:149,
    :173-174): a `[PseudoMetricSpace E]` variable is never *no* for `TopologicalSpace E`;
    one with only `[Dist E]` is."""
    tab = _table_of([
        ("TopologicalSpace", "class", "class TopologicalSpace (α : Type u) where\n  o : α"),
        ("UniformSpace", "class",
         "class UniformSpace (α : Type u) extends TopologicalSpace α where\n  u : α"),
        ("Dist", "class", "class Dist (α : Type u) where\n  dist : α → α → ℕ"),
        ("PseudoMetricSpace", "class",
         "class PseudoMetricSpace (α : Type u) extends Dist α where\n"
         "  toUniformSpace : UniformSpace α"),
    ])
    pm = Resolver(tab, frozenset({"E"}), [parse_term("PseudoMetricSpace E")])
    assert pm.holds(parse_term("TopologicalSpace E")) != NO
    assert pm.holds(parse_term("UniformSpace E")) != NO
    dist = Resolver(tab, frozenset({"E"}), [parse_term("Dist E")])
    assert dist.holds(parse_term("TopologicalSpace E")) == NO


def test_fin_has_core_arithmetic() -> None:
    """Lean core gives `Fin n` its arithmetic modulo `n` (`Init/Data/Fin/Basic.lean`:
    `Div (Fin n)`, `Add (Fin n)`, `LT (Fin n)`): `1 / j.castSucc ≤ 1 / i` on
    `Fin (n + 2)` elaborates."""
    r = Resolver(_table(), frozenset(), [])
    assert r.holds(parse_term("Div (Fin (n + 2))")) == YES
    assert r.holds(parse_term("LT (Fin 3)")) == YES


def test_category_star_is_category() -> None:
    """`[Category* C]` (`elab "Category*"`, Mathlib/Tactic/CategoryTheory/CategoryStar.lean:
    49; 1,577 binders of Mathlib) is `[Category.{v} C]`: an instance premised on
    `[Category C]` (`preadditiveHasZeroMorphisms`, Mathlib/CategoryTheory/Preadditive/
    Basic.lean:201, under `[Category.{v} C] [Preadditive C]`) fires from it."""
    table = class_table([
        ("Category", "class", "class Category (C : Type u) where\n  id : C → C"),
        ("Preadditive", "class", "class Preadditive (C : Type u) [Category C] where\n  z : ℕ"),
        ("Zeroes", "class", "class Zeroes (C : Type u) [Category C] where\n  z : ℕ"),
        ("Zeroes.inst", "instance", "instance {C : Type u} [Category.{v} C] [Preadditive C] : "
                                    "Zeroes C := sorry"),
        ("Box", "structure", "structure Box where\n  x : ℕ"),
        ("Box.cat", "instance", "instance : Category.{0} Box := sorry"),
        ("Box.pre", "instance", "instance : Preadditive Box := sorry"),
    ])
    r = Resolver(table, frozenset({"C"}), [parse_term("Category* C"), parse_term("Preadditive C")])
    assert r.holds(parse_term("Category C")) == YES
    assert r.holds(parse_term("Zeroes Box")) == YES
    bare = Resolver(table, frozenset({"C"}), [parse_term("Category* C")])
    assert bare.holds(parse_term("Preadditive C")) == NO


def test_an_instance_about_an_applied_notation_is_about_its_constant() -> None:
    """`instance : Inv (G ∗ H)` (the grammar reads `(G ∗) H`) with `scoped infix:30 " ∗ " =>
    Coprod` (Mathlib/GroupTheory/Coprod/Basic.lean:149): about a `Coprod`, never a
    `Set X`, so `Inv (Set X)` is *no* where nothing else gives it."""
    from lean_alchemy.index.typing.notation_commands import infix_commands

    rows = list(infix_commands('scoped infix:30 " ∗ " => Coprod\n'))
    table = class_table([
        ("Inv", "class", "class Inv (α : Type u) where\n  inv : α → α"),
        ("Set", "def", "def Set (α : Type u) := α → Prop"),
        ("Coprod", "structure", "structure Coprod (G H : Type u) where\n  x : ℕ"),
        ("Coprod.inv", "instance", "instance {G H : Type u} : Inv (G ∗ H) := sorry"),
        # a premised instance about any type: the search must try each instance
        ("Grp", "class", "class Grp (α : Type u) where\n  g : ℕ"),
        ("Grp.inv", "instance", "instance {α : Type u} [Grp α] : Inv α := sorry"),
    ], rows)
    r = Resolver(table, frozenset({"X"}), [])
    assert r.holds(parse_term("Inv (Set X)")) == NO
    assert r.holds(parse_term("Inv (X ∗ X)")) == YES
    metas, _prem, pats, _co = table.instances["Inv"][0]
    assert unify(pats[0], parse_term("Set X"), metas, {}, table, frozenset({"X"})) is False


def test_a_class_whose_parameter_only_its_extends_clause_names_is_the_section_s() -> None:
    """`variable (A : Type*) [CommRing A]` then `class IsDedekindDomain : Prop extends
    IsDomain A, IsDedekindRing A` (Mathlib/RingTheory/DedekindDomain/Basic.lean:145): Lean
    makes `A` the class's parameter, so `[IsDedekindDomain A]` gives `IsDomain A`."""
    from lean_alchemy.extract.commands import parse_binders
    from lean_alchemy.grammar.statements import binders_of

    text = "(A : Type*) [CommRing A]"
    section = binders_of(parse_binders(text, text, 0, len(text)))
    rows = [("IsDomain", "class", "class IsDomain (R : Type u) [CommRing R] : Prop where\n  x : True"),
            ("IsDedekindRing", "class",
             "class IsDedekindRing (R : Type u) [CommRing R] : Prop where\n  y : True")]
    sigs = list(core_sigs()) + [s for n, k, t in rows for s in sigs_of_source(n, k, t)]
    sigs += sigs_of_source("IsDedekindDomain", "class", "class IsDedekindDomain : Prop\n"
                           "  extends IsDomain A, IsDedekindRing A", section)
    table = ClassTable.build(sigs)
    r = Resolver(table, frozenset({"B"}), [parse_term("IsDedekindDomain B"),
                                          parse_term("CommRing B")])
    assert r.holds(parse_term("IsDomain B")) == YES
    # negative: a parent the class does not extend stays unanswered by it
    assert r.holds(parse_term("IsDomain ℕ")) != YES
