"""Heads of instance conclusions the headers do not spell: names `to_additive` and
`to_dual` generate, notations, names no binder declares (`index/typing/generated.py`).
Each library here is written for the test; the facts it imitates are cited from Mathlib."""

from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.classes import NO, YES, ClassTable, Resolver
from lean_alchemy.index.typing.generated import (
    dual_twins, expand_notations, generated_types, notation_table,
)
from lean_alchemy.index.typing.notation_commands import notation_commands
from lean_alchemy.index.typing.signatures import core_sigs, sigs_of_source

BASE = [
    ("Inv", "class", "class Inv (α : Type u) where\n  inv : α → α"),
    ("Monoid", "class", "class Monoid (M : Type u) where\n  one : M"),
    ("MeasurableSpace", "class", "class MeasurableSpace (α : Type u) where\n  m : α"),
    ("Ordinal", "def", "def Ordinal : Type (u + 1) := Quotient Ordinal.isEquivalent"),
]


def _table(extra: list[tuple[str, str, str]], notations: str = "") -> ClassTable:
    sigs = list(core_sigs())
    for name, kind, text in BASE + extra:
        sigs.extend(sigs_of_source(name, kind, text))
    sigs.extend(notation_commands(notations))
    return ClassTable.build(sigs)


# `instance inv : Inv (WithZero α)` (Mathlib/Algebra/GroupWithZero/WithZero.lean:212); `WithZero`
# is the `to_additive` twin of `def WithOne (α) := Option α` (Algebra/Group/WithOne/Defs.lean:42)
WITH_ZERO = ("WithZero.inv", "instance", "instance inv {α : Type u} : Inv (WithZero α) := sorry")
WITH_ONE = ("WithOne", "def", "def WithOne (α : Type u) := Option α")


def test_a_to_additive_name_is_a_head_of_its_own() -> None:
    """With `WithOne` in the table, `WithZero α` names one head: `Inv Ordinal` is *no*,
    `Inv (WithZero ℕ)` is *yes*."""
    r = Resolver(_table([WITH_ZERO, WITH_ONE]), frozenset(), [])
    assert r.holds(parse_term("Inv Ordinal")) == NO
    assert r.holds(parse_term("Inv (WithZero ℕ)")) == YES


def test_an_unknown_name_without_a_twin_may_be_any_type() -> None:
    """Without its twin `WithZero` is a name the table does not know (it might be a
    notation for `Ordinal`): `Inv Ordinal` is not *no*."""
    r = Resolver(_table([WITH_ZERO]), frozenset(), [])
    assert r.holds(parse_term("Inv Ordinal")) != NO


def test_to_dual_twins() -> None:
    """`WithTop` is generated from `def WithBot (α : Type*) := Option α`
    (Mathlib/Order/TypeTags.lean:22) by `to_dual`, whose dictionary pairs `Top` and `Bot`
    (Mathlib/Tactic/Translate/ToDual.lean:152); `Codisjoint` pairs with `Disjoint`."""
    assert "WithBot" in dual_twins("WithTop")
    assert "Disjoint" in dual_twins("Codisjoint")
    assert generated_types(["WithTop", "Frobnicate"], {"WithBot": "def"}) == {"WithTop": "def"}


# `local notation "tsze" => TrivSqZeroExt` (Mathlib/Algebra/TrivSqZeroExt/Basic.lean:72) and
# `instance addMonoid [AddMonoid R] [AddMonoid M] : AddMonoid (tsze R M)` (line 203)
TSZE = [("TrivSqZeroExt", "def", "def TrivSqZeroExt (R : Type u) (M : Type v) := R × M"),
        ("TrivSqZeroExt.monoid", "instance",
         "instance monoid {R M : Type u} [Monoid R] [Monoid M] : Monoid (tsze R M) := sorry")]


def test_a_notation_in_an_instance_is_read_as_the_type_it_denotes() -> None:
    tab = _table(TSZE, 'local notation "tsze" => TrivSqZeroExt')
    r = Resolver(tab, frozenset({"R", "M"}), [parse_term("Monoid R"), parse_term("Monoid M")])
    assert r.holds(parse_term("Monoid Ordinal")) == NO
    assert r.holds(parse_term("Monoid (TrivSqZeroExt R M)")) == YES


def test_a_notation_not_read_leaves_the_instance_for_any_type() -> None:
    """Without the notation command `tsze` is an unknown name: no *no*."""
    r = Resolver(_table(TSZE), frozenset(), [])
    assert r.holds(parse_term("Monoid Ordinal")) != NO


def test_a_token_with_two_meanings_gives_both_readings_and_parameters_are_substituted() -> None:
    """`𝔻` is the unit disc (Mathlib/Analysis/Complex/UnitDisc/Basic.lean:37) and, in
    another file, `LieDerivation R L L` (Mathlib/Algebra/Lie/Derivation/Killing.lean:37);
    `𝟙_ C` is `MonoidalCategoryStruct.tensorUnit C` (a notation with a parameter)."""
    tab = notation_table(notation_commands(
        'scoped[Complex.UnitDisc] notation "𝔻" => Complex.UnitDisc\n'
        'local notation "𝔻" => (LieDerivation R L L)\n'
        'scoped notation "𝟙_ " C:max => (MonoidalCategoryStruct.tensorUnit C : C)\n'))
    got = expand_notations(parse_term("Star 𝔻"), tab)
    assert got == [parse_term("Star Complex.UnitDisc"), parse_term("Star (LieDerivation R L L)")]
    assert expand_notations(parse_term("GrpObj (𝟙_ D)"), tab) == \
        [parse_term("GrpObj (MonoidalCategoryStruct.tensorUnit D)")]
    # a bound name is a variable, never the token
    assert expand_notations(parse_term("Star 𝔻"), tab, {"𝔻"}) == [parse_term("Star 𝔻")]
    # a right side not read makes the token unknown: no reading is invented
    bad = notation_table(notation_commands('notation "𝔻" => Complex.UnitDisc\n'
                                           'notation "𝔻" => ⟨1, 2⟩\n'))
    assert bad == {}


def test_a_name_no_binder_declares_is_no_variable() -> None:
    """`instance : Star 𝔻` read without its notation (Mathlib/Analysis/Complex/UnitDisc/
    Basic.lean): Mathlib builds with `autoImplicit false`, so `𝔻` is no variable, and a
    `[MeasurableSpace G]` variable does not get `Inv`.  A name a binder's type mentions
    (`[Monoid α] : Inv α` with `α`'s own binder lost) stays a variable."""
    disc = ("Disc.inv", "instance", "instance : Inv 𝔻 := sorry")
    r = Resolver(_table([disc]), frozenset({"G"}), [parse_term("MeasurableSpace G")])
    assert r.holds(parse_term("Inv G")) == NO
    lost = ("Lost.inv", "instance", "instance [Monoid α] : Inv α := sorry")
    r2 = Resolver(_table([lost]), frozenset({"G"}), [parse_term("Monoid G")])
    assert r2.holds(parse_term("Inv G")) != NO


def test_sigma_notation_is_the_sigma_type() -> None:
    """`protected abbrev Structure.Sigma … := Σ i, G i` (Mathlib/ModelTheory/
    DirectLimit.lean:86) unfolds to `Sigma` (Lean core), not to any type: with
    `MeasurableSpace (Sigma β)` (Mathlib/MeasureTheory/MeasurableSpace/Constructions.lean:858)
    `MeasurableSpace Ordinal` is *no*."""
    extra = [("Structure.Sigma", "abbrev", "abbrev Structure.Sigma (G : ι → Type u) := Σ i, G i"),
             ("Sigma.instMeasurableSpace", "instance",
              "instance {β : ι → Type u} : MeasurableSpace (Sigma β) := sorry"),
             ("Other.inst", "instance",
              "instance {G : ι → Type u} : MeasurableSpace (Structure.Sigma G) := sorry")]
    r = Resolver(_table(extra), frozenset(), [])
    assert r.holds(parse_term("MeasurableSpace Ordinal")) == NO
