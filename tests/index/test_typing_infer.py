"""Type inference, certain type clashes and declared instances on a small library written
here; each fact it mirrors was read in Mathlib (cited at the fixture)."""

from helpers.typing_library import candidate_context as _ctx
from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.statements import binders_of
from lean_alchemy.index.typing.classes import NO, ClassTable, Resolver
from lean_alchemy.index.typing.filter import Context, TypedFilter
from lean_alchemy.index.typing.signatures import (
    attribute_instance_names,
    build_signatures,
    head_name,
    sigs_of_source,
)

# - `structure Finset (α : Type*)` (Mathlib/Data/Finset/Defs.lean) and
#   `def card (s : Finset α) : ℕ` in `namespace Finset` (Mathlib/Data/Finset/Card.lean:47);
# - `CommGroup extends Group` (Mathlib/Algebra/Group/Defs.lean:1312);
# - `structure MulOpposite (α : Type*)` with `unop : αᵐᵒᵖ → α`, whose order lemmas need
#   a value of `αᵐᵒᵖ` (Mathlib/Algebra/Order/Group/Opposite.lean:28): a natural number is
#   not one, and no coercion leads from ℕ to it.
LIB = [
    ("Finset", "structure", "structure Finset (α : Type u) where\n  val : List α"),
    ("Finset.card", "def", "def Finset.card {α : Type u} (s : Finset α) : ℕ := 0"),
    ("Finset.image", "def", "def Finset.image {α : Type u} {β : Type v} (f : α → β) "
                            "(s : Finset α) : Finset β := sorry"),
    ("Group", "class", "class Group (G : Type u) extends Mul G where\n  inv : G → G"),
    ("CommGroup", "class", "class CommGroup (G : Type u) extends Group G where\n  c : G"),
    ("MulOpposite", "structure", "structure MulOpposite (α : Type u) where\n  unop : α"),
    ("commute", "def", "def commute {α : Type u} [CommGroup α] (x : α) : α := x"),
    ("rank", "def", "def rank (α : Type u) [Group α] : ℕ := 0"),
]


def _table(extra=()) -> ClassTable:
    return class_table(LIB + list(extra))


def test_applications_dot_notation_and_arithmetic_get_types() -> None:
    """`Finset.card s`, `s.card` (dot notation through the head of `s`'s type) and
    `card s + 1` are natural numbers; `Finset.image f s` solves `β` from `f : α → ℤ`;
    an unknown constant stays unknown."""
    ctx = _ctx(_table(), "{α : Type u} (s : Finset α) (f : α → ℤ)")
    ty = ctx.infer.type_of
    assert ty(parse_term("Finset.card s")) == parse_term("Nat")
    assert ty(parse_term("s.card")) == parse_term("Nat")
    assert ty(parse_term("Finset.card s + 1")) == parse_term("Nat")
    assert ty(parse_term("Finset.image f s")) == parse_term("Finset Int")
    assert ty(parse_term("nowhere s")) is None
    assert ty(parse_term("s = s")) is not None  # a proposition


def test_a_value_of_another_rigid_type_is_a_clash_unless_coerced() -> None:
    """A rule variable `a : αᵐᵒᵖ` bound to `k : ℕ` (a structure against a number, no
    coercion from ℕ into `MulOpposite`) is a certain clash; bound to a candidate's type
    variable `G` only when no coercion may lead there."""
    table = _table()
    filt = TypedFilter(table)
    ctx = _ctx(table, "{G : Type u} [Group G] (k : ℕ) (g : G)")
    names, kinds = ["α", "a"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("MulOpposite α")]
    assert filt.check(ctx, names, kinds, types, {"a": parse_term("k")}) == "type_clash"
    assert filt.check(ctx, names, kinds, types, {"a": parse_term("g")}) == "type_clash"
    # a rule variable of the candidate's own type: no clash
    same = [parse_term("Type u"), parse_term("α")]
    assert filt.check(ctx, names, kinds, same, {"a": parse_term("g")}) is None
    # ℕ where `G` is expected: Lean casts it when `G` has `NatCast` (core's `CoeTail`)
    cast = _ctx(table, "{G : Type u} [NatCast G] (k : ℕ) (g : G)")
    rule = ["G'", "x", "y"]
    rule_kinds = ["implicit", "explicit", "explicit"]
    rule_types = [parse_term("Type u"), parse_term("G'"), parse_term("G'")]
    vals = {"x": parse_term("g"), "y": parse_term("k")}
    assert filt.check(cast, rule, rule_kinds, rule_types, vals) is None
    assert filt.check(ctx, rule, rule_kinds, rule_types, vals) == "type_clash"


def test_a_missing_class_of_a_type_variable_drops_the_match() -> None:
    """A rewrite whose replacement `commute x` needs `[CommGroup α]`, used on a
    `[Group G]` variable: `instance_missing`; on a `[CommGroup G]` one it holds.  A
    replacement that needs no class (`x`) is kept whatever the rule's own binders ask: the
    mutant never mentions the rule."""
    table = _table()
    filt = TypedFilter(table)
    ctx = _ctx(table, "{G : Type u} [Group G] (g : G)")
    names = ["α", "", "x"]
    kinds = ["implicit", "inst", "explicit"]
    types = [parse_term("Type u"), parse_term("CommGroup α"), parse_term("α")]
    new = (parse_term("commute x"),)
    val = {"x": parse_term("g")}
    assert filt.check(ctx, names, kinds, types, val, new_terms=new) == "instance_missing"
    comm = _ctx(table, "{G : Type u} [CommGroup G] (g : G)")
    assert filt.check(comm, names, kinds, types, val, new_terms=new) is None
    assert filt.check(ctx, names, kinds, types, val, new_terms=(parse_term("x"),)) is None
    # an operator asks its class: `x⁻¹` needs `Inv G`, which `[Group G]` does not give here
    inv = (parse_term("x⁻¹"),)
    assert filt.check(ctx, names, kinds, types, val, new_terms=inv) == "instance_missing"
    assert filt.check(_ctx(table, "{G : Type u} [Inv G] (g : G)"), names, kinds, types, val,
                      new_terms=inv) is None


def test_a_type_with_a_concrete_head_has_only_its_instances() -> None:
    """`Group ℕ` is *no* when no instance concludes it for ℕ nor for a bare variable
    with premises ℕ could meet; an instance for `Finset α` gives `Finset ℕ` one."""
    r = Resolver(_table(), frozenset(), [])
    assert r.holds(parse_term("Group ℕ")) == NO
    extra = [("Finset.instGroup", "instance",
              "instance Finset.instGroup {α : Type u} : Group (Finset α) := sorry")]
    r2 = Resolver(_table(extra), frozenset(), [])
    assert r2.holds(parse_term("Group (Finset ℕ)")) != NO
    assert r2.holds(parse_term("Group ℕ")) == NO


def test_attribute_instance_makes_a_theorem_an_instance(tmp_path) -> None:
    """Mathlib makes theorems instances by `attribute [instance 100]
    IsGalois.to_isSeparable IsGalois.to_normal` (Mathlib/FieldTheory/Galois/Basic.lean:68):
    such a theorem `[A α] : B α` gives `B` to every `[A G]` variable, so `B G` is never
    *no*; without the attribute it is."""
    from types import SimpleNamespace

    from lean_alchemy.grammar.ast import dumps
    from lean_alchemy.grammar.statements import dumps_binders

    assert attribute_instance_names(
        "attribute [instance 100] IsGalois.to_isSeparable IsGalois.to_normal\n") == [
        "IsGalois.to_isSeparable", "IsGalois.to_normal"]
    text = ("class A (α : Type u) where\n  a : α\n\nclass B (α : Type u) where\n  b : α\n\n"
            "theorem A.toB {α : Type u} [A α] : B α := sorry\n")

    def table(with_attr: bool) -> ClassTable:
        src = text + ("\nattribute [instance] A.toB\n" if with_attr else "")
        (tmp_path / "M.lean").write_text(src)
        a_end, b_end = src.index("class B"), src.index("theorem")
        thm = SimpleNamespace(
            full_name="A.toB", kind="theorem", module="M", file="M.lean", start_byte=b_end,
            end_byte=len(src), attributes=(),
            binders_ast=dumps_binders(binders_of(__import__(
                "lean_alchemy.extract.commands", fromlist=["parse_binders"]).parse_binders(
                "{α : Type u} [A α]", "{α : Type u} [A α]", 0, 18))),
            conclusion_ast=dumps(parse_term("B α")))
        decls = [SimpleNamespace(full_name="A", kind="class", module="M", file="M.lean",
                                 start_byte=0, end_byte=a_end),
                 SimpleNamespace(full_name="B", kind="class", module="M", file="M.lean",
                                 start_byte=a_end, end_byte=b_end), thm]
        return ClassTable.build(build_signatures(decls, tmp_path))

    fact = [parse_term("A G")]
    assert Resolver(table(True), frozenset({"G"}), fact).holds(parse_term("B G")) != NO
    assert Resolver(table(False), frozenset({"G"}), fact).holds(parse_term("B G")) == NO


def test_universe_levels_do_not_change_a_head() -> None:
    """`Ordinal.{u}` (Mathlib writes universe levels on constants,
    Mathlib/SetTheory/Ordinal/Veblen.lean) is the type `Ordinal`."""
    assert head_name("Ordinal.{u}") == "Ordinal"
    assert head_name("ℕ") == "Nat"


def test_a_set_like_structure_coerces_to_a_set() -> None:
    """Mathlib coerces the members of a `SetLike` type to sets (`SetLike.coe`,
    Mathlib/Data/SetLike/Basic.lean): a `Sub G` value where a `Set G` is expected is no
    clash when `Sub` has a `SetLike` instance, and is one when it has none."""
    extra = [("Set", "structure", "structure Set (α : Type u) where\n  p : α → Prop"),
             ("SetLike", "class", "class SetLike (A : Type u) (B : outParam (Type v)) where"
                                  "\n  coe : A → Set B"),
             ("Sub", "structure", "structure Sub (G : Type u) where\n  carrier : Set G"),
             ("SetLike.instCoeTC", "instance",
              "instance SetLike.instCoeTC {A : Type u} {B : Type v} [SetLike A B] : "
              "CoeTC A (Set B) := sorry"),
             ("CoeTC", "class", "class CoeTC (α : Sort u) (β : Sort v) where\n  coe : α → β")]
    with_set_like = extra + [("Sub.instSetLike", "instance",
                              "instance Sub.instSetLike {G : Type u} : SetLike (Sub G) G := "
                              "sorry")]
    rule = (["α", "s"], ["implicit", "explicit"], [parse_term("Type u"), parse_term("Set α")])
    for lib, expected in ((with_set_like, None), (extra, "type_clash")):
        table = _table(lib)
        ctx = _ctx(table, "{G : Type u} (S : Sub G)")
        got = TypedFilter(table).check(ctx, *rule, {"s": parse_term("S")})
        assert got == expected, lib[-1][0]


def test_a_type_valued_rule_variable_takes_its_value_as_the_type() -> None:
    """`Order.krullDim (α : Type*) [Preorder α]` (Mathlib/Order/KrullDimension.lean) met
    with `α := Finset ℕ`: the value is the type, so `rank α` asks `Group (Finset ℕ)`,
    which no instance gives (*no*).  A local value (a type variable, whose instances come
    from section binders; a `Finset` coerced to a type) leaves it unknown."""
    table = _table()
    filt = TypedFilter(table)
    ctx = _ctx(table, "{G : Type u} [Group G] (s : Finset ℕ)")
    names, kinds = ["α", ""], ["explicit", "inst"]
    types = [parse_term("Type u"), parse_term("Group α")]
    new = (parse_term("rank α"),)
    assert filt.check(ctx, names, kinds, types, {"α": parse_term("Finset ℕ")},
                      new_terms=new) == "instance_missing"
    assert filt.check(ctx, names, kinds, types, {"α": parse_term("G")}, new_terms=new) is None
    assert filt.check(ctx, names, kinds, types, {"α": parse_term("s")}, new_terms=new) is None
    bare = _ctx(table, "{H : Type u} (h : H)")  # no class read for `H`: still not *no*
    assert filt.check(bare, names, kinds, types, {"α": parse_term("H")}, new_terms=new) is None


def test_a_composite_of_morphisms_goes_from_the_first_source_to_the_last_target() -> None:
    """`f ≫ g` with `f : X ⟶ Y`, `g : Y ⟶ Z` is `X ⟶ Z` (`CategoryStruct.comp`,
    Mathlib/CategoryTheory/Category/Basic.lean:127); with an untyped side it is unknown."""
    ctx = _ctx(_table(), "{X Y Z : C} (f : X ⟶ Y) (g : Y ⟶ Z)")
    assert ctx.infer.type_of(parse_term("f ≫ g")) == parse_term("X ⟶ Z")
    assert ctx.infer.type_of(parse_term("f ≫ h")) is None


def test_arguments_beyond_the_binders_solve_them_through_the_arrows() -> None:
    """`Dist.dist : α → α → ℝ` (a class field, Mathlib/Topology/MetricSpace/Pseudo/Defs.lean)
    applied to `u v : V` solves `α := V`: `dist u v` is a real, and a rewrite bringing
    `dist x y` in asks `Dist V`, which a bare type variable lacks."""
    dist = [("Dist", "class", "class Dist (α : Type u) where\n  dist : α → α → ℝ")]
    table = _table(dist)
    ctx = _ctx(table, "{V : Type u} (u v : V)")
    assert ctx.infer.type_of(parse_term("Dist.dist u v")) == parse_term("Real")
    filt = TypedFilter(table)
    names, kinds = ["γ", "", "x", "y"], ["implicit", "inst", "explicit", "explicit"]
    types = [parse_term("Type u"), parse_term("Dist γ"), parse_term("γ"), parse_term("γ")]
    vals = {"x": parse_term("u"), "y": parse_term("v")}
    new = (parse_term("0 < Dist.dist x y"),)
    assert filt.check(ctx, names, kinds, types, vals, new_terms=new) == "instance_missing"
    metric = _ctx(table, "{V : Type u} [Dist V] (u v : V)")
    assert filt.check(metric, names, kinds, types, vals, new_terms=new) is None


def test_a_power_needs_some_pow_instance_of_its_base() -> None:
    """`a ^ 2` for `a` of a type variable with no class at all (no `Pow` instance may take
    it, whatever the exponent) is `instance_missing`; with `[Pow G ℕ]` it is kept."""
    pow_ = [("Pow", "class", "class Pow (α : Type u) (β : Type v) where\n  pow : α → β → α")]
    table = _table(pow_)
    filt = TypedFilter(table)
    names, kinds = ["α", "a"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α")]
    new = (parse_term("a ^ 2"),)
    bare = _ctx(table, "{G : Type u} (g : G)")
    assert filt.check(bare, names, kinds, types, {"a": parse_term("g")}, new_terms=new) \
        == "instance_missing"
    powered = _ctx(table, "{G : Type u} [Pow G ℕ] (g : G)")
    assert filt.check(powered, names, kinds, types, {"a": parse_term("g")},
                      new_terms=new) is None


def test_a_written_name_denotes_its_namespace_s_declaration_or_the_class_field() -> None:
    """A rule lemma in the root namespace writes `dist x y`: with `Euclid.dist` and the
    class field `Dist.dist` both named so, it is the field (exported by its class, as
    Mathlib's `dist`); written in namespace `Euclid`, it is `Euclid.dist`, which needs no
    instance."""
    lib = [("Dist", "class", "class Dist (α : Type u) where\n  dist : α → α → ℝ"),
           ("Euclid.dist", "def", "def Euclid.dist {α : Type u} (x y : α) : ℝ := 0")]
    table = _table(lib)
    filt = TypedFilter(table)
    ctx = _ctx(table, "{V : Type u} (u v : V)")
    names, kinds = ["γ", "x", "y"], ["implicit", "explicit", "explicit"]
    types = [parse_term("Type u"), parse_term("γ"), parse_term("γ")]
    vals = {"x": parse_term("u"), "y": parse_term("v")}
    new = (parse_term("0 < dist x y"),)
    assert filt.check(ctx, names, kinds, types, vals, new_terms=new) == "instance_missing"
    assert filt.check(ctx, names, kinds, types, vals, new_terms=new,
                      namespace="Euclid") is None


def test_a_default_value_in_a_class_body_is_no_field() -> None:
    """`class SeminormedGroup … where dist := fun x y => ‖x⁻¹ * y‖ …`
    (Mathlib/Analysis/Normed/Group/Basic.lean) gives a default to the parent's `dist`; it
    declares no field `SeminormedGroup.dist`, so a rule's `dist` is still `Dist.dist`."""
    from lean_alchemy.grammar.ast import Opaque
    from lean_alchemy.index.typing.infer import Constants
    from lean_alchemy.index.typing.needs import written
    from lean_alchemy.index.typing.signatures import Sig

    text = ("class Normed (α : Type u) extends Dist α where\n  norm : α → ℝ\n"
            "  dist := fun x y => 0\n")
    sigs = sigs_of_source("Normed", "class", text)
    names = {s.name for s in sigs}
    assert "Normed.norm" in names and "Normed.dist" not in names
    table = _table([("Dist", "class", "class Dist (α : Type u) where\n  dist : α → α → ℝ")])
    field = [s for s in table.constants.candidates("dist") if s.name == "Dist.dist"]
    stale = Sig("Old.dist", "field", field[0].binders, Opaque("= fun x y => 0"))
    assert written(field + [stale], "dist", "") is field[0]
    assert isinstance(Constants([stale]).candidates("dist")[0].type, Opaque)


def test_a_field_followed_by_a_doc_comment_keeps_its_type() -> None:
    """A field's type ends where the next field's doc comment starts (`structure Iso … where
    hom : X ⟶ Y` then `/-- … -/ inv : Y ⟶ X`, Mathlib/CategoryTheory/Iso.lean): read with
    the `--` of `/--` as a line comment, the type was `X ⟶ Y /`, and the field typed
    nothing.  A `mk ::` line names the constructor, no field."""
    from lean_alchemy.grammar.ast import Ident, Opaque

    text = ("structure Box (X Y : Type u) where\n  mk ::\n"
            "  /-- The forward map. -/\n  hom : X → Y -- the map\n"
            "  /-- The backward\n  map. -/\n  inv : Y → X\n"
            "  /-- The two compose. -/\n  hom_inv : ∀ y, hom (inv y) = y\n")
    sigs = {s.name: s for s in sigs_of_source("Box", "structure", text)}
    assert "Box.mk" not in sigs
    for name, want in (("Box.hom", "X → Y"), ("Box.inv", "Y → X")):
        assert not isinstance(sigs[name].type, Opaque)
        assert sigs[name].type == parse_term(want)
    ctx = _ctx(_table([("Box", "structure", text)]), "(b : Box ℕ ℤ) (n : ℕ)")
    assert ctx.infer.type_of(parse_term("b.hom n")) == Ident("Int")  # ℤ, normalized


def test_operators_under_binders_ask_their_classes() -> None:
    """`SeminormedGroup.mem_closure_iff`'s side `∀ ε, 0 < ε → ∃ b ∈ s, ‖a⁻¹ * b‖ < ε`
    (Mathlib/Analysis/Normed/Group/Continuity.lean:264) lands on `a := x` with `x : β` of a
    bare `[TopologicalSpace β]` (Topology/Order/OrderClosed.lean:494): `a⁻¹` needs `Inv β`,
    which nothing gives, under two binders.  A bound name without a written type is no
    constant and asks nothing; one with a type (`∀ q : G, q⁻¹ = a`) is typed by it; a
    query about a bound name's own type (`∀ (γ : Type) (y : γ), y⁻¹ = y`) is not asked."""
    table = _table([("Inv", "class", "class Inv (α : Type u) where\n  inv : α → α")])
    filt = TypedFilter(table)
    names, kinds, types = ["α", "a"], ["implicit", "explicit"], [parse_term("Type u"),
                                                                  parse_term("α")]
    val = {"a": parse_term("x")}
    bare = _ctx(table, "{β : Type u} (x : β) (s : Set β)")
    new = (parse_term("∀ ε, 0 < ε → ∃ b ∈ s, ‖a⁻¹ * b‖ < ε"),)
    assert filt.check(bare, names, kinds, types, val, new_terms=new) == "instance_missing"
    with_inv = _ctx(table, "{β : Type u} [Inv β] (x : β) (s : Set β)")
    assert filt.check(with_inv, names, kinds, types, val, new_terms=new) is None
    # `b` is bound: `b⁻¹` asks nothing about it
    assert filt.check(bare, names, kinds, types, val,
                      new_terms=(parse_term("∃ b ∈ s, b⁻¹ = a"),)) is None
    typed = _ctx(table, "{β : Type u} {G : Type u} (x : β)")
    assert filt.check(typed, names, kinds, types, val,
                      new_terms=(parse_term("∀ q : G, q⁻¹ = q"),)) == "instance_missing"
    assert filt.check(typed, names, kinds, types, val,
                      new_terms=(parse_term("∀ (γ : Type) (y : γ), y⁻¹ = y"),)) is None


MUL_CLASSES = [("Mul", "class", "class Mul (α : Type u) where\n  mul : α → α → α"),
               ("HMul", "class", "class HMul (α : Type u) (β : Type v) (γ : Type w) where\n"
                                 "  hMul : α → β → γ")]
# Mathlib/RepresentationTheory/Basic.lean: an `HMul` instance about the notation `k[G]`
REP_HMUL = ("Rep.instHMul", "instance", "instance {k G : Type u} [Mul k] : "
                                        "HMul k[G] (ofMulAction k G) k[G] := sorry")


def test_a_heterogeneous_instance_about_other_types_does_not_hide_mul() -> None:
    """`c * c ≤ c * i` on `Γ` with only `[LinearOrder Γ]` (Mathlib/RingTheory/HahnSeries/
    Basic.lean:627) needs `Mul Γ`: Mathlib's `HMul` instances are about matrices
    (`Matrix.instHMulOfFintypeOfMulOfAddCommMonoid`, Mathlib/Data/Matrix/Mul.lean) and
    the notation `k[G]` (Mathlib/RepresentationTheory/Basic.lean), never about a
    candidate's type variable; an instance whose first argument is a bare variable
    might be, and then `Mul` is not asked."""
    lib = MUL_CLASSES + [
        ("Matrix", "def", "def Matrix (m n α : Type u) : Type u := m → n → α"),
        ("Matrix.instHMul", "instance", "instance {l m n α : Type u} [Mul α] : "
                                        "HMul (Matrix l m α) (Matrix m n α) (Matrix l n α) := sorry"),
        REP_HMUL]
    table = _table(lib)
    filt = TypedFilter(table)
    names, kinds = ["M", "b", "c"], ["implicit", "explicit", "explicit"]
    types = [parse_term("Type u"), parse_term("M"), parse_term("M")]
    val = {"b": parse_term("c"), "c": parse_term("i")}
    new = (parse_term("b * b ≤ b * c"),)
    bare = _ctx(table, "{Γ : Type u} [LE Γ] (c i : Γ)")
    assert filt.check(bare, names, kinds, types, val, new_terms=new) == "instance_missing"
    with_mul = _ctx(table, "{Γ : Type u} [LE Γ] [Mul Γ] (c i : Γ)")
    assert filt.check(with_mul, names, kinds, types, val, new_terms=new) is None
    anything = _table(lib + [("Any.instHMul", "instance",
                              "instance {α β : Type u} [LE α] : HMul α β α := sorry")])
    bare_any = _ctx(anything, "{Γ : Type u} [LE Γ] (c i : Γ)")
    assert TypedFilter(anything).check(bare_any, names, kinds, types, val,
                                       new_terms=new) is None


def test_a_notation_glued_to_a_variable_hides_mul_only_of_its_own_types() -> None:
    """`mul_left_inj_of_comparable` backwards on `TwoSidedIdeal.ext` writes `I * I = J * I`
    (Mathlib/RingTheory/TwoSidedIdeal/Basic.lean: no `Mul` on two-sided ideals).  The
    instance `HMul k[G] (ofMulAction k G) k[G]` is about the notation `k[G]`
    (`MonoidAlgebra k G`); read by the key `k[`, unknown to the table, it was taken to
    be about every type, so `*` of a structure asked nothing.  It still hides `Mul` of a
    type written `k[G]`."""
    lib = MUL_CLASSES + [
        ("TwoSidedIdeal", "structure", "structure TwoSidedIdeal (R : Type u) where\n"
                                       "  carrier : Set R"),
        REP_HMUL]
    table = _table(lib)
    filt = TypedFilter(table)
    names, kinds = ["α", "b", "c"], ["implicit", "explicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α"), parse_term("α")]
    val = {"b": parse_term("J"), "c": parse_term("I")}
    new = (parse_term("c * b = b * b"),)
    ideals = _ctx(table, "{R : Type u} (I J : TwoSidedIdeal R)")
    assert filt.check(ideals, names, kinds, types, val, new_terms=new) == "instance_missing"
    assert filt.last["queries"][-1][0] == parse_term("Mul (TwoSidedIdeal R)")
    algebra = _ctx(table, "{k G : Type u} (I J : k[G])")
    assert filt.check(algebra, names, kinds, types, val, new_terms=new) is None


def test_enclosing_notations_ask_the_classes_of_their_constants() -> None:
    """`⌈a⌉₊` is `Nat.ceil a` (Mathlib/Algebra/Order/Floor/Defs.lean:138), declared with
    `[FloorSemiring α]` in force (line 123): on `K` with only `[Field K]` (Mathlib/Algebra/
    Order/Archimedean/Basic.lean variables) it is missing; `‖x‖` is a real number."""
    lib = [("FloorSemiring", "class", "class FloorSemiring (α : Type u) where\n  f : α → ℕ"),
           ("Field", "class", "class Field (α : Type u) where\n  z : α"),
           ("Nat.ceil", "def", "def Nat.ceil {α : Type u} [FloorSemiring α] : α → ℕ := sorry")]
    table = _table(lib)
    filt = TypedFilter(table)
    names, kinds, types = ["R", "a"], ["implicit", "explicit"], [parse_term("Type u"),
                                                                  parse_term("R")]
    val = {"a": parse_term("x")}
    new = (parse_term("1 ≤ ⌈a⌉₊"),)
    fld = _ctx(table, "{K : Type u} [Field K] (x : K)")
    assert filt.check(fld, names, kinds, types, val, new_terms=new) == "instance_missing"
    floor = _ctx(table, "{K : Type u} [Field K] [FloorSemiring K] (x : K)")
    assert filt.check(floor, names, kinds, types, val, new_terms=new) is None
    assert fld.infer.type_of(parse_term("‖x‖")) == parse_term("Real")
    assert fld.infer.type_of(parse_term("⌈x⌉₊")) == parse_term("Nat")


def test_mixed_arithmetic_in_an_enclosing_notation_asks_nothing() -> None:
    """`⌊n * a⌋` with `n : ℕ` and `a : α` is `Int.floor (↑n * a)` at `α` (`binop%` casts
    `n`; Mathlib/Algebra/Order/Floor/Ring.lean:279): its type is not the first operand's,
    so `FloorRing ℕ` must not be asked; `⌊a * a⌋` asks `FloorRing α`."""
    lib = [("FloorRing", "class", "class FloorRing (α : Type u) where\n  f : α → ℤ"),
           ("Int.floor", "def", "def Int.floor {α : Type u} [FloorRing α] : α → ℤ := sorry")]
    table = _table(lib)
    filt = TypedFilter(table)
    names, kinds, types = ["R", "a"], ["implicit", "explicit"], [parse_term("Type u"),
                                                                  parse_term("R")]
    ctx = _ctx(table, "{α : Type u} [FloorRing α] (n : ℕ) (x : α)")
    val = {"a": parse_term("x")}
    assert filt.check(ctx, names, kinds, types, val,
                      new_terms=(parse_term("⌊n * a⌋ ≤ 0"),)) is None
    bare = _ctx(table, "{α : Type u} (n : ℕ) (x : α)")
    assert filt.check(bare, names, kinds, types, val,
                      new_terms=(parse_term("⌊a * a⌋ ≤ 0"),)) == "instance_missing"


def test_a_class_valued_binder_in_any_brackets_is_an_instance() -> None:
    """Lean makes every local whose type is a class a local instance, whatever its
    brackets: Mathlib's measure theory writes `{m : MeasurableSpace α}` in its section
    variables (Mathlib/MeasureTheory/Function/L1Space/Integrable.lean:47), so `Group G`
    holds for `{g : Group G}` and `(g : Group G)`; a binder of a structure that is not a
    class (`Finset`) gives no fact."""
    tab = _table()
    for binders in ("{G : Type u} {g : Group G}", "{G : Type u} (g : Group G)"):
        assert _ctx(tab, binders).resolver.holds(parse_term("Group G")) != NO, binders
    assert _ctx(tab, "{G : Type u}").resolver.holds(parse_term("Group G")) == NO
    plain = _ctx(tab, "{G : Type u} (s : Finset G)")
    assert plain.resolver.holds(parse_term("Group G")) == NO


def test_one_rule_text_asks_its_instances_at_each_match_s_own_types() -> None:
    """The queries a rule's new text needs are remembered per (rule text, types); the
    answers are not: `commute x` needs `CommGroup` of `x`'s type, so the same filter and
    the same text keep the match on a `[CommGroup G]` value, drop it on a `[Group G]` one,
    keep it again on the first, and drop it on a `Finset G` value, whose own query
    `CommGroup (Finset G)` has no instance."""
    tab = _table()
    filt = TypedFilter(tab)
    text = (parse_term("commute x"),)
    names, kinds = ("α", "x"), ("implicit", "explicit")
    types = (parse_term("Type u"), parse_term("α"))

    def verdict(binders: str, value: str) -> str | None:
        return filt.check(_ctx(tab, binders), names, kinds, types, {"x": parse_term(value)},
                          new_terms=text)

    comm, grp = "{G : Type u} [CommGroup G] (g : G)", "{G : Type u} [Group G] (g : G)"
    assert verdict(comm, "g") is None
    assert verdict(grp, "g") == "instance_missing"
    assert verdict(comm, "g") is None
    assert verdict("{G : Type u} [CommGroup G] (s : Finset G)", "s") == "instance_missing"


def test_a_numeral_beside_a_value_asks_the_class_that_gives_its_type_that_literal() -> None:
    """`sq_eq_sq₀`'s `0 ≤ a` (Mathlib/Algebra/Order/GroupWithZero/Basic.lean:705) on
    `a : α` of a candidate with only `[SemilatticeInf α]`: `0 : α` needs `OfNat α 0`,
    which for a type variable only `Zero α` gives (Lean core's `Zero.toOfNat0`; `1` from
    `One`, and `2` and up from `NatCast` through `instOfNatAtLeastTwo`,
    Mathlib/Data/Nat/Cast/Defs.lean:42).  A type with an `OfNat` instance of its own
    (`instance : OfNat ONote n`, Mathlib/SetTheory/Ordinal/Notation.lean:134) or a
    candidate stating `[OfNat α 2]` (Mathlib/Algebra/Symmetrized.lean:136) asks nothing."""
    lib = [("LE", "class", "class LE (α : Type u) where\n  le : α → α → Prop"),
           ("Zero", "class", "class Zero (α : Type u) where\n  zero : α"),
           ("One", "class", "class One (α : Type u) where\n  one : α"),
           ("NatCast", "class", "class NatCast (R : Type u) where\n  natCast : ℕ → R"),
           ("Lattice", "class", "class Lattice (α : Type u) extends LE α where\n  x : α"),
           ("Ring", "class", "class Ring (α : Type u) extends Zero α, One α, NatCast α where"
                             "\n  y : α"),
           ("ONote", "inductive", "inductive ONote : Type\n  | zero : ONote"),
           ("ONote.nat", "instance", "instance ONote.nat (n : ℕ) : OfNat ONote n := sorry"),
           ("ONote.le", "instance", "instance ONote.le : LE ONote := sorry")]
    table = _table(lib)
    filt = TypedFilter(table)
    names, kinds = ["α", "a"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α")]
    val = {"a": parse_term("x")}
    for text in ("0 ≤ a", "a = 1", "a ≠ 2"):
        new = (parse_term(text),)
        lattice = _ctx(table, "{β : Type u} [Lattice β] (x : β)")
        assert filt.check(lattice, names, kinds, types, val, new_terms=new) \
            == "instance_missing", text
        ring = _ctx(table, "{β : Type u} [Lattice β] [Ring β] (x : β)")
        assert filt.check(ring, names, kinds, types, val, new_terms=new) is None, text
    new = (parse_term("0 ≤ a"),)
    stated = _ctx(table, "{β : Type u} [Lattice β] [OfNat β 2] (x : β)")
    assert filt.check(stated, names, kinds, types, val, new_terms=new) is None
    onote = _ctx(table, "(x : ONote)")
    assert filt.check(onote, names, kinds, types, val, new_terms=new) is None
    # `b ≠ ⊥` needs `Bot β` (`notation "⊥" => Bot.bot`, Mathlib/Order/Notation.lean:196)
    bot = [("Bot", "class", "class Bot (α : Type u) where\n  bot : α")]
    table2 = _table(lib + bot)
    new_bot = (parse_term("a ≠ ⊥"),)
    assert TypedFilter(table2).check(_ctx(table2, "{β : Type u} [Lattice β] (x : β)"), names,
                                     kinds, types, val, new_terms=new_bot) == "instance_missing"
    assert TypedFilter(table2).check(_ctx(table2, "{β : Type u} [Bot β] (x : β)"), names,
                                     kinds, types, val, new_terms=new_bot) is None
    # a numeral's partner of uncertain type (`↑n * a`, `binop%` coerces) decides nothing
    mixed = _ctx(table, "{β : Type u} [Lattice β] (x : β) (n : ℕ)")
    assert filt.check(mixed, names, kinds, types, val,
                      new_terms=(parse_term("n * a = 0"),)) is None


def test_a_scoped_instance_holds_only_where_its_namespace_is_open(tmp_path) -> None:
    """Mathlib's pointwise operations on sets are instances only under `open Pointwise`:
    `protected def Set.inv [Inv α] : Inv (Set α)` with `scoped[Pointwise] attribute
    [instance] Set.inv Set.neg` (Mathlib/Algebra/Group/Pointwise/Set/Basic.lean:74-84).
    `s⁻¹` for `s : Box X` needs `Inv (Box X)`: *no* (the match dropped) where `Pointwise`
    is not open, kept where it is; the same definition made a global instance keeps it
    everywhere."""
    from types import SimpleNamespace

    from lean_alchemy.extract.commands import parse_binders
    from lean_alchemy.index.typing.signatures import scoped_instance_names

    assert scoped_instance_names("scoped[Pointwise] attribute [instance] Set.inv Set.neg\n"
                                 "attribute [instance] Set.one\n") == {
        "Set.inv": "Pointwise", "Set.neg": "Pointwise"}
    head = ("class Inv (α : Type u) where\n  inv : α → α\n\n"
            "structure Box (α : Type u) where\n  x : α\n\n")
    body = "protected def Box.inv {α : Type u} [Inv α] : Inv (Box α) := sorry\n"

    def table(attribute: str) -> ClassTable:
        src = head + body + attribute
        (tmp_path / "M.lean").write_text(src)
        raw = src.encode()
        b, d = raw.index(b"structure Box"), raw.index(b"protected def")
        decls = [SimpleNamespace(full_name="Inv", kind="class", module="M", file="M.lean",
                                 start_byte=0, end_byte=b),
                 SimpleNamespace(full_name="Box", kind="structure", module="M",
                                 file="M.lean", start_byte=b, end_byte=d),
                 SimpleNamespace(full_name="Box.inv", kind="def", module="M", file="M.lean",
                                 start_byte=d, end_byte=d + len(body.encode()))]
        return ClassTable.build(build_signatures(decls, tmp_path))

    binders = "{X : Type u} [Inv X] (s : Box X)"
    groups = binders_of(parse_binders(binders, binders, 0, len(binders)))
    names, kinds = ["α", "a"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α")]
    val, new = {"a": parse_term("s")}, (parse_term("a⁻¹ = a"),)
    scoped = table("\nscoped[Pointwise] attribute [instance] Box.inv\n")
    filt = TypedFilter(scoped)
    assert filt.check(Context(scoped, groups), names, kinds, types, val,
                      new_terms=new) == "instance_missing"
    assert filt.check(Context(scoped, groups, frozenset({"Pointwise"})), names, kinds,
                      types, val, new_terms=new) is None
    everywhere = table("\nattribute [instance] Box.inv\n")
    assert TypedFilter(everywhere).check(Context(everywhere, groups), names, kinds, types,
                                         val, new_terms=new) is None


def test_a_to_dual_definition_gives_its_generated_twin(tmp_path) -> None:
    """`@[to_dual] def BddAbove (s : Set α) := (upperBounds s).Nonempty` under `variable
    [LE α]` (Mathlib/Order/Bounds/Defs.lean:30-41) also declares `BddBelow`, which no
    header spells: without it `BddBelow s` asks nothing; with it, `LE` of the set's
    element type.  `Topology` holds no word of the dictionary and is no `Botology`."""
    from types import SimpleNamespace

    from lean_alchemy.index.typing.generated import dual_name

    from lean_alchemy.index.typing.generated import dual_twin_sig
    from lean_alchemy.index.typing.signatures import Sig

    assert dual_name("upperBounds") == "lowerBounds" and dual_name("Topology") == "Topology"
    own = Sig("Order.succ", "def", (), None)
    for attr in ("@[to_dual self]", "@[to_dual existing pred]", "@[to_dual none]"):
        assert dual_twin_sig(own, attr + "\ndef succ := 0") is None, attr
    assert dual_twin_sig(own, "@[to_dual pred]\ndef succ := 0").name == "Order.pred"
    src = ("class LE (α : Type u) where\n  le : α → α → Prop\n\n"
           "def Set (α : Type u) : Type u := α → Prop\n\n"
           "variable {α : Type u} [LE α]\n\n"
           "@[to_dual /-- bounded below -/]\ndef BddAbove (s : Set α) : Prop := sorry\n")
    (tmp_path / "M.lean").write_text(src)
    raw = src.encode()
    d = raw.index(b"@[to_dual")
    decls = [SimpleNamespace(full_name="LE", kind="class", module="M", file="M.lean",
                             start_byte=0, end_byte=raw.index(b"def Set")),
             SimpleNamespace(full_name="Set", kind="def", module="M", file="M.lean",
                             start_byte=raw.index(b"def Set"), end_byte=raw.index(b"variable")),
             SimpleNamespace(full_name="BddAbove", kind="def", module="M", file="M.lean",
                             start_byte=d, end_byte=len(raw))]
    sigs = build_signatures(decls, tmp_path)
    twin = [s for s in sigs if s.name == "BddBelow"]
    assert len(twin) == 1 and any(g.kind == "inst" for g in twin[0].binders)
    table = ClassTable.build(sigs)
    filt = TypedFilter(table)
    names, kinds = ["β", "t"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("Set β")]
    val, new = {"t": parse_term("B")}, (parse_term("BddBelow t"),)
    got = filt.check(_ctx(table, "{X : Type u} (B : Set X)"), names, kinds, types, val,
                     new_terms=new)
    assert got == "instance_missing", (filt.last, twin)
    assert filt.check(_ctx(table, "{X : Type u} [LE X] (B : Set X)"), names, kinds, types,
                      val, new_terms=new) is None


def test_an_inductive_without_where_ends_its_type_at_its_first_constructor() -> None:
    """`inductive generatePiSystem (S : Set (Set α)) : Set (Set α)` with `| base …` lines
    and no `where` (Mathlib/MeasureTheory/PiSystem.lean:235): the type is `Set (Set α)`,
    not the text up to the end with every constructor in it, and the constructors are
    read (a `where` form reads the same)."""
    ctors = ("  | base {s : Set α} (h_s : s ∈ S) : generatePiSystem S s\n"
             "  | inter {s t : Set α} (h_s : generatePiSystem S s) : generatePiSystem S (s ∩ t)")
    for sep in ("", " where"):
        text = f"inductive generatePiSystem (S : Set (Set α)) : Set (Set α){sep}\n{ctors}\n"
        sigs = {s.name: s for s in sigs_of_source("generatePiSystem", "inductive", text)}
        assert sigs["generatePiSystem"].type == parse_term("Set (Set α)")
        assert sigs["generatePiSystem.inter"].type == parse_term("generatePiSystem S (s ∩ t)")


def test_a_name_with_universe_levels_is_the_declaration_of_that_name() -> None:
    """`lift.{u} (pred o)` (Mathlib/SetTheory/Ordinal/Arithmetic.lean) applies
    `Ordinal.lift`: the levels select no other declaration, and the value is typed."""
    table = _table([("Ordinal", "structure", "structure Ordinal where\n  x : ℕ"),
                    ("Ordinal.lift", "def", "def Ordinal.lift (o : Ordinal) : Ordinal := sorry")])
    ctx = _ctx(table, "(o : Ordinal)")
    for written in ("Ordinal.lift.{u} o", "lift.{u, v} o", "lift o"):
        assert ctx.infer.type_of(parse_term(written)) == parse_term("Ordinal"), written


def test_of_two_declarations_a_name_denotes_the_one_its_arguments_fit() -> None:
    """In `namespace Ordinal` with `open Cardinal` (Mathlib/SetTheory/Ordinal/Arithmetic.lean)
    `lift o` may name `Ordinal.lift` or `Cardinal.lift`; Lean's overload resolution keeps
    the one whose argument elaborates, `o : Ordinal`."""
    table = _table([("Ordinal", "structure", "structure Ordinal where\n  x : ℕ"),
                    ("Cardinal", "structure", "structure Cardinal where\n  x : ℕ"),
                    ("Ordinal.lift", "def", "def Ordinal.lift (o : Ordinal) : Ordinal := sorry"),
                    ("Cardinal.lift", "def",
                     "def Cardinal.lift (c : Cardinal) : Cardinal := sorry")])
    from lean_alchemy.extract.commands import parse_binders

    text = "(o : Ordinal) (c : Cardinal) (x : α)"
    ctx = Context(table, binders_of(parse_binders(text, text, 0, len(text))),
                  frozenset({"Ordinal", "Cardinal"}))
    assert ctx.infer.type_of(parse_term("lift.{u} o")) == parse_term("Ordinal")
    assert ctx.infer.type_of(parse_term("lift c")) == parse_term("Cardinal")
    # negative: an argument that fits both (a type variable's value) leaves it unknown
    assert ctx.infer.type_of(parse_term("lift x")) is None
