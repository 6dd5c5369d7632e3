"""Instance conclusions the table could not tell apart from any type: an applied pattern
variable, a binder notation, a pipe.  Each stopped the search at *unknown* for every
query of its class; each now clashes with a type it cannot be, and still applies where
Lean's unifier would apply it.

Facts mirrored, read in Mathlib:
- `instance GradeZero.instMul … : Mul (A 0)` over `A : ι → Type*`
  (Mathlib/Algebra/GradedMonoid.lean, `GradeZero` section);
- `notation3 "Π₀ "(...)", "r:(scoped f => DFinsupp f) => r` (Mathlib/Data/DFinsupp/Defs.lean:
  69) and `scoped[DirectSum] notation3 "⨁ "(...)", "r:(scoped f => DirectSum _ f) => r`
  (Mathlib/Algebra/DirectSum/Basic.lean:47), with `Mul`/`LE` instances written with them;
- `instance : Mul (WithConv <| C →ₐ[R] A)` (Mathlib/RingTheory/Coalgebra/Convolution.lean).
"""

from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.classes import NO, Resolver, unify
from lean_alchemy.index.typing.notation_commands import infix_commands

NOTATION = ('notation3 "Π₀ "(...)", "r:(scoped f => DFinsupp f) => r\n'
            'scoped[DirectSum] notation3 "⨁ "(...)", "r:(scoped f => DirectSum _ f) => r\n')
LIB = [
    ("Mul", "class", "class Mul (α : Type u) where\n  mul : α → α → α"),
    ("TwoSidedIdeal", "structure", "structure TwoSidedIdeal (R : Type u) where\n  c : R"),
    ("Graded", "structure", "structure Graded (ι : Type u) (i : ι) where\n  c : ι"),
    ("DFinsupp", "structure", "structure DFinsupp {ι : Type u} (β : ι → Type v) where\n"
                              "  f : ∀ i, β i"),
    ("DirectSum", "def", "def DirectSum (ι : Type u) (β : ι → Type v) : Type v := "
                         "DFinsupp β"),
    ("WithConv", "structure", "structure WithConv (α : Type u) where\n  a : α"),
    ("GradeZero.instMul", "instance",
     "instance {ι : Type u} {A : ι → Type v} [Zero ι] : Mul (A 0) := sorry"),
    ("DFinsupp.instMul", "instance",
     "instance {ι : Type u} {β : ι → Type v} : Mul (Π₀ i, β i) := sorry"),
    ("DirectSum.instMul", "instance",
     "instance {ι : Type u} {A : ι → Type v} : Mul (⨁ i, A i) := sorry"),
    ("WithConv.instMul", "instance",
     "instance {α : Type u} : Mul (WithConv <| List α) := sorry"),
]


def _resolver(extra: list = ()) -> Resolver:
    table = class_table(LIB + list(extra), list(infix_commands(NOTATION)))
    return Resolver(table, frozenset({"R", "G"}), [])


def test_no_instance_pattern_of_the_library_gives_a_structure_mul() -> None:
    """`Mul (TwoSidedIdeal R)` and `Mul G` (a type variable without `Mul`) are *no*:
    `?A 0 =?= TwoSidedIdeal R` fails by first-order approximation (`0` is no `R`),
    `?A 0 =?= G` has too few arguments, `Π₀`/`⨁` are `DFinsupp`/`DirectSum` and
    `WithConv <| List α` is `WithConv (List α)`."""
    r = _resolver()
    assert r.holds(parse_term("Mul (TwoSidedIdeal R)")) == NO
    assert r.holds(parse_term("Mul G")) == NO


def test_each_pattern_still_applies_where_lean_applies_it() -> None:
    """The same instances give `Mul (Graded ℕ 0)` (the graded piece at `0`),
    `Mul (DFinsupp β)`, `Mul (DirectSum ι A)` and `Mul (WithConv (List R))`."""
    r = _resolver()
    for q in ("Mul (Graded ℕ 0)", "Mul (DFinsupp β)", "Mul (WithConv (List R))"):
        assert r.holds(parse_term(q)) != NO, q
    # an abbrev the table cannot see through keeps the search unknown: `DirectSum` is a
    # `def` here, which instance matching does not unfold, so only its own instances count
    assert r.holds(parse_term("Mul (DirectSum ι A)")) != NO


def test_an_unknown_binder_notation_stays_any_type() -> None:
    """Without the `notation3` commands `Π₀ i, β i` names nothing the table knows, and
    `Mul (TwoSidedIdeal R)` stays unknown: the reading, not a default, decides."""
    r = Resolver(class_table(LIB), frozenset({"R", "G"}), [])
    assert r.holds(parse_term("Mul (TwoSidedIdeal R)")) != NO


def test_an_instance_written_with_an_operator_counts_for_its_constant() -> None:
    """`instance : AddCommMonoid (M →ₗ[R] N)` (Mathlib/Algebra/Module/LinearMap/Defs.lean)
    is an instance about `LinearMap`, the constant of `notation:25 M " →ₗ[" R:25 "] " M₂:0
    => LinearMap (RingHom.id R) M M₂`: the class positions a `LinearMap` may fill (what a
    coercion into a type variable asks of its target) include it."""
    notation = 'notation:25 M " →ₗ[" R:25 "] " M₂:0 => LinearMap (RingHom.id R) M M₂\n'
    lib = [("AddCommMonoid", "class", "class AddCommMonoid (M : Type u) where\n  z : M"),
           ("LinearMap", "structure", "structure LinearMap (σ : Type u) (M N : Type u) "
                                      "where\n  f : M → N"),
           ("LinearMap.inst", "instance",
            "instance {R M N : Type u} : AddCommMonoid (M →ₗ[R] N) := sorry")]
    keys = class_table(lib, list(infix_commands(notation))).horn().head_closure("LinearMap")
    assert ("AddCommMonoid", 0) in keys
    # a glued notation and a binder notation count for their constants too
    notation += ('notation "C(" α ", " β ")" => ContinuousMap α β\n' + NOTATION)
    lib += [("ContinuousMap", "structure", "structure ContinuousMap (α β : Type u) where\n"
                                           "  f : α → β"),
            ("ContinuousMap.inst", "instance",
             "instance {α β : Type u} : AddCommMonoid C(α, β) := sorry"),
            ("DFinsupp", "structure", "structure DFinsupp {ι : Type u} (β : ι → Type v) "
                                      "where\n  f : ∀ i, β i"),
            ("DFinsupp.inst", "instance",
             "instance {ι : Type u} {β : ι → Type v} : AddCommMonoid (Π₀ i, β i) := sorry")]
    horn = class_table(lib, list(infix_commands(notation))).horn()
    assert ("AddCommMonoid", 0) in horn.head_closure("ContinuousMap")
    assert ("AddCommMonoid", 0) in horn.head_closure("DFinsupp")


def test_a_glued_notation_with_a_priority_is_read() -> None:
    """`scoped[ZeroAtInfty] notation (priority := 2000) "C₀(" α ", " β ")" =>
    ZeroAtInftyContinuousMap α β` (Mathlib/Topology/ContinuousMap/ZeroAtInfty.lean:50):
    the priority does not hide the token, so `Mul C₀(α, β)` names its structure."""
    text = ('scoped[ZeroAtInfty] notation (priority := 2000) "C₀(" α ", " β ")" => '
            'ZeroAtInftyContinuousMap α β\n')
    assert [(s.name, s.body.name) for s in infix_commands(text)] == [  # type: ignore[union-attr]
        ("C₀(", "ZeroAtInftyContinuousMap")]


def test_a_hahn_series_conclusion_is_one_type() -> None:
    """`instance [AddGroup R] : AddGroup R⟦Γ⟧`: the grammar reads `R⟦Γ⟧` as `R` and a
    separate `⟦Γ⟧` (two arguments for a class of one, which matched nothing and left
    every `AddGroup` query unknown); it is `HahnSeries Γ R` (`macro_rules | `($R⟦$M⟧) =>
    `(HahnSeries $M $R)`, Mathlib/RingTheory/HahnSeries/Basic.lean:65)."""
    lib = [("AddGroup", "class", "class AddGroup (α : Type u) where\n  add : α → α → α"),
           ("HahnSeries", "structure", "structure HahnSeries (Γ : Type u) (R : Type v) where"
                                       "\n  c : Γ → R"),
           ("HahnSeries.inst", "instance",
            "instance {Γ R : Type u} [AddGroup R] : AddGroup R⟦Γ⟧ := sorry")]
    r = Resolver(class_table(lib), frozenset({"G", "Γ"}), [parse_term("AddGroup G")])
    assert r.holds(parse_term("AddGroup Nat")) == NO
    assert r.holds(parse_term("AddGroup (HahnSeries Γ G)")) != NO


def test_a_bracket_glued_to_a_term_names_what_macro_rules_make_of_it() -> None:
    """`instance : Mul k[G]` under `macro_rules | `($R[$M]) => `(MonoidAlgebra $R $M)`
    (Mathlib/Algebra/MonoidAlgebra/Defs.lean:117) is about a `MonoidAlgebra`, not about
    any type: the pattern clashes with `TwoSidedIdeal R` (without the command it may be
    anything), and `Mul (MonoidAlgebra k G)`, the constant written out, is not *no*: the
    class-position closure counts the instance for `MonoidAlgebra` (it counted it for no
    head, and answered *no*)."""
    rules = "macro_rules | `($R[$M]) => `(MonoidAlgebra $R $M)\n"
    assert [(s.name, s.body.name) for s in infix_commands(rules)] == [  # type: ignore[union-attr]
        ("_[", "MonoidAlgebra")]
    lib = LIB[:2] + [
        ("MonoidAlgebra", "structure", "structure MonoidAlgebra (k G : Type u) where\n  c : G"),
        ("MonoidAlgebra.instMul", "instance", "instance {k G : Type u} : Mul k[G] := sorry")]
    table = class_table(lib, list(infix_commands(rules)))
    r = Resolver(table, frozenset({"R"}), [])
    assert r.holds(parse_term("Mul (TwoSidedIdeal R)")) == NO
    assert r.holds(parse_term("Mul (MonoidAlgebra k G)")) != NO
    query = parse_term("TwoSidedIdeal R")
    for t, want in ((table, False), (class_table(lib), None)):
        metas, _prem, pats, _co = t.instances["Mul"][-1]
        assert unify(pats[0], query, metas, {}, t, frozenset({"R"})) is want


def test_an_abbrev_whose_body_is_a_field_unfolds_to_that_constant() -> None:
    """`abbrev M := (F ⋙ forget MonCat).ColimitType` (Mathlib/Algebra/Category/MonCat/
    FilteredColimits.lean:51) is `Functor.ColimitType (F ⋙ forget MonCat)`, a definition
    instance matching does not unfold: `instance : Mul (M F)` gives no
    `Mul (TwoSidedIdeal R)`."""
    lib = LIB[:2] + [
        ("Functor.ColimitType", "def", "def Functor.ColimitType (F : Type u) : Type u := F"),
        ("M", "abbrev", "abbrev M (F : Type u) : Type u := (id F).ColimitType"),
        ("M.instMul", "instance", "instance {F : Type u} : Mul (M F) := sorry")]
    table = class_table(lib)
    assert table.unfolds("M") == frozenset({"M", "ColimitType"})
    assert Resolver(table, frozenset({"R"}), []).holds(parse_term("Mul (TwoSidedIdeal R)")) == NO


def test_a_lexicographic_binder_notation_names_lex() -> None:
    """`Σₗ' i, α i` and `Πₗ i, α i` (Mathlib/Data/PSigma/Order.lean:49, Mathlib/Order/
    PiLex.lean:55, the second with `(prettyPrint := false)` before its token) are `Lex`
    of a sigma or pi type: the grammar leaves them unread, and `instance … : LinearOrder
    (Σₗ' i, α i)` matched every type, so that every order query about a structure
    (`LT (TwoSidedIdeal R)`) stayed *unknown*.  Lex is a `def`, which instance matching
    does not unfold: the instance is about `Lex` only."""
    notation = ('notation3 "Σₗ\' " (...) ", " r:(scoped p => _root_.Lex (PSigma.{_ + 1, _ + 1}'
                ' p)) => r\n'
                'notation3 (prettyPrint := false) "Πₗ " (...) ", " r:(scoped p => Lex (∀ i, '
                'p i)) => r\n')
    assert sorted((s.name, s.body.name) for s in infix_commands(notation)) == [  # type: ignore
        ("Πₗ", "Lex"), ("Σₗ'", "Lex")]
    lib = LIB + [
        ("Lex", "def", "def Lex (α : Type u) : Type u := α"),
        ("PSigma.Lex.inst", "instance",
         "instance {ι : Type u} {α : ι → Type v} : Mul (Σₗ' i, α i) := sorry"),
        ("Pi.Lex.inst", "instance",
         "instance {ι : Type u} {α : ι → Type v} : Mul (Πₗ i, α i) := sorry")]
    r = Resolver(class_table(lib, list(infix_commands(NOTATION + notation))),
                 frozenset({"R", "G"}), [])
    assert r.holds(parse_term("Mul (TwoSidedIdeal R)")) == NO
    assert r.holds(parse_term("Mul (Lex (List R))")) != NO
    # without the commands the unread patterns may still be any type
    r = Resolver(class_table(lib, list(infix_commands(NOTATION))), frozenset({"R", "G"}), [])
    assert r.holds(parse_term("Mul (TwoSidedIdeal R)")) != NO


def test_a_notation_pattern_clashes_with_an_abbreviation_of_another_structure() -> None:
    """`instance … : Neg (M →ₗ⁅R,L⁆ N)` (`notation:25 M " →ₗ⁅" R "," L:25 "⁆ " N:0 =>
    LieModuleHom R L M N`, Mathlib/Algebra/Lie/Basic.lean) against `Neg (Ideal R)`,
    `abbrev Ideal (R) := Submodule R R`: instance matching unfolds the query's `abbrev`
    to `Submodule`, which the notation's constant is not; the same for a glued notation
    (`ℍ[R]`, `Quaternion R`).  Without the commands the patterns stay open."""
    notation = ('notation:25 M " →ₗ⁅" R "," L:25 "⁆ " N:0 => LieModuleHom R L M N\n'
                'notation "ℍ[" R "]" => Quaternion R\n')
    lib = [("Submodule", "structure", "structure Submodule (R M : Type u) where\n  c : M"),
           ("Ideal", "abbrev", "abbrev Ideal (R : Type u) := Submodule R R"),
           ("LieModuleHom", "structure",
            "structure LieModuleHom (R L M N : Type u) where\n  f : M → N"),
           ("Quaternion", "structure", "structure Quaternion (R : Type u) where\n  re : R")]
    lie, quaternion = parse_term("M →ₗ⁅R,L⁆ N"), parse_term("ℍ[R]")
    metas = frozenset({"R", "L", "M", "N"})
    query = parse_term("Ideal S")
    read = class_table(lib, list(infix_commands(notation)))
    assert unify(lie, query, metas, {}, read, frozenset({"S"})) is False
    assert unify(quaternion, query, metas, {}, read, frozenset({"S"})) is False
    unread = class_table(lib)
    assert unify(lie, query, metas, {}, unread, frozenset({"S"})) is None
    assert unify(quaternion, query, metas, {}, unread, frozenset({"S"})) is None
