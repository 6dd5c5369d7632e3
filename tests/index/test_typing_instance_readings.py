"""Instance conclusions the search used to leave *unknown* for every query of their class,
though Lean's instance matching can never apply them to a constant's type: a projection,
an instance of another class of the same last name, a type operator against another,
a glued notation the grammar splits.  Each now answers *no* there, and still applies
where Lean applies it.

Facts mirrored, read in Mathlib:
- `instance : Ring ((forget RingCat).obj R)`-style conclusions and `(F ⋙ forget C).obj j`
  (Mathlib/Algebra/Category/Ring/Limits.lean), projections of a `def`'s value;
- `class Group.IsNilpotent (G)` and `class LieModule.IsNilpotent (L M)` share the last
  name `IsNilpotent` (Mathlib/GroupTheory/Nilpotent.lean, Mathlib/Algebra/Lie/Nilpotent.lean);
- `scoped[Polynomial] notation:9000 R "[X]" => Polynomial R`
  (Mathlib/Algebra/Polynomial/Basic.lean) and `notation:max α "ᵒᵈ" => OrderDual α`
  (Mathlib/Order/Basic.lean);
- `scoped[Manifold] notation "C^" n "⟮" I ", " M "; " I' ", " M' "⟯" => ContMDiffMap I I'
  M M' n` (Mathlib/Geometry/Manifold/ContMDiffMap.lean:42);
- `abbrev Ideal (R : Type u) [Semiring R] := Submodule R R` (Mathlib/RingTheory/Ideal/Defs.lean)
  and `def RestrictScalars (R S M : Type*) : Type _ := M` (Mathlib/Algebra/Algebra/
  RestrictScalars.lean), whose instances are written of the `def`;
- `instance {C} [Category C] [Preadditive C] {P Q : C} : Neg (P ⟶ Q)`-style conclusions
  (Mathlib/CategoryTheory/Preadditive/Basic.lean), an arrow of an unsolved category;
- `instance (s : S) [SetLike S R] … : CommSemiring s` (a subobject's carrier, `↥s`,
  Mathlib/Algebra/Ring/Subsemiring/Defs.lean);
- `abbrev M := ReaderT Context MetaM`-style tactic abbreviations (Lean core's `ReaderT`);
- `notation:25 (name := «MulActionHomLocal≺») X " →ₑ[" φ:25 "] " Y:0 => MulActionHom φ X Y`
  (Mathlib/GroupTheory/GroupAction/Hom.lean:92).
"""

from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.ast import App, Glued, Ident
from lean_alchemy.index.typing.classes import NO, UNKNOWN, YES, Resolver, unify
from lean_alchemy.index.typing.notation_commands import infix_commands

NOTATION = ('scoped[Polynomial] notation:9000 R "[X]" => Polynomial R\n'
            'notation:max α "ᵒᵈ" => OrderDual α\n'
            'notation:25 (name := «MulActionHomLocal≺») X " →ₑ[" φ:25 "] " Y:0 => '
            'MulActionHom φ X Y\n'
            'scoped[Manifold] notation "C^" n "⟮" I ", " M "; " I\' ", " M\' "⟯" => '
            "ContMDiffMap I I' M M' n\n")
LIB = [
    ("Mul", "class", "class Mul (α : Type u) where\n  mul : α → α → α"),
    ("IsNilpotent", "class", "class IsNilpotent (G : Type u) : Prop where\n  n : True"),
    ("TwoSidedIdeal", "structure", "structure TwoSidedIdeal (R : Type u) where\n  c : R"),
    ("Polynomial", "structure", "structure Polynomial (R : Type u) where\n  c : R"),
    ("OrderDual", "def", "def OrderDual (α : Type u) : Type u := α"),
    ("ContMDiffMap", "structure", "structure ContMDiffMap (n : ℕ) where\n  c : ℕ"),
    ("MulActionHom", "structure", "structure MulActionHom (φ : ℕ) (X Y : Type u) where\n"
                                  "  c : X → Y"),
    ("Submodule", "structure", "structure Submodule (R M : Type u) where\n  c : M"),
    ("Ideal", "abbrev", "abbrev Ideal (R : Type u) := Submodule R R"),
    ("RestrictScalars", "def", "def RestrictScalars (R S M : Type u) : Type u := M"),
    ("RestrictScalars.instMul", "instance",
     "instance {R S A : Type u} [Mul A] : Mul (RestrictScalars R S A) := sorry"),
    ("Submodule.instMul", "instance", "instance {R : Type u} : Mul (Submodule R R) := sorry"),
    ("RingCat", "structure", "structure RingCat where\n  carrier : Type u"),
    ("Functor", "structure", "structure Functor (C D : Type u) where\n  obj : C → D"),
    ("forget", "def", "def forget (C : Type u) : Functor C (Type u) := sorry"),
    ("RingCat.instMul", "instance",
     "instance {R : RingCat} : Mul ((forget RingCat).obj R) := sorry"),
    ("LieModule.instIsNilpotent", "instance",
     "instance {L M : Type u} [Mul L] : IsNilpotent L M := sorry"),
    ("OrderDual.instMul", "instance", "instance {α : Type u} [Mul α] : Mul αᵒᵈ := sorry"),
    ("ContMDiffMap.instMul", "instance",
     "instance {n : ℕ} {I N I' G : Type u} : Mul C^n⟮I, N; I', G⟯ := sorry"),
    ("MulActionHom.instMul", "instance",
     "instance {φ : ℕ} {X : Type u} : Mul (X →ₑ[φ] X) := sorry"),
]


def _resolver(*facts: str) -> Resolver:
    table = class_table(LIB, list(infix_commands(NOTATION)))
    return Resolver(table, frozenset({"R", "G", "K"}), [parse_term(f) for f in facts])


def test_no_instance_of_these_conclusions_is_a_constant_s_mul() -> None:
    """`Mul (TwoSidedIdeal R)`: a projection is no `TwoSidedIdeal`, `C^n⟮…⟯` is one
    `ContMDiffMap`, `X →ₑ[φ] X` a `MulActionHom`, `αᵒᵈ` an `OrderDual`: *no*, at the
    filter's search as at the full one.  `Mul K[X]` (a `Polynomial`) and `Mul G` (a type
    variable) too."""
    r = _resolver()
    for q in ("Mul (TwoSidedIdeal R)", "Mul K[X]", "Mul G"):
        assert r.holds(parse_term(q)) == NO, q
        assert r.holds(parse_term(q), exhaustive=False) == NO, q


def test_the_same_instances_apply_where_lean_applies_them() -> None:
    """Queries about the projection itself or about `C^n⟮…⟯` are not refused (the
    search does not compare glued brackets); `X →ₑ[φ] X` finds its own instance; `Mul
    Kᵒᵈ` holds exactly when `Mul K` does."""
    r = _resolver("Mul K")
    assert r.holds(parse_term("Mul ((forget RingCat).obj S)")) == UNKNOWN
    assert r.holds(parse_term("Mul C^n⟮I, N; I', G⟯")) == UNKNOWN
    assert r.holds(parse_term("Mul (X →ₑ[φ] X)")) == YES
    assert r.holds(parse_term("Mul Kᵒᵈ")) == YES
    assert _resolver().holds(parse_term("Mul Rᵒᵈ")) == NO


def test_an_instance_of_another_class_of_that_last_name_answers_nothing() -> None:
    """`IsNilpotent L M` (two arguments) is an instance of another class than the
    one-parameter `IsNilpotent`: `IsNilpotent (TwoSidedIdeal R)` is *no*; a query of two
    arguments is still decided by it."""
    r = _resolver()
    assert r.holds(parse_term("IsNilpotent (TwoSidedIdeal R)")) == NO
    assert r.holds(parse_term("IsNilpotent (Blob R)")) == NO  # a head the table lacks
    assert r.holds(parse_term("IsNilpotent Nat G")) == YES


def test_the_manifold_token_and_its_glued_bracket_are_one_argument() -> None:
    """`Mul C^n⟮I, N; I', G⟯` is an instance of one argument, `ContMDiffMap`'s: in the
    class-position closure it gives that head the key, not every head."""
    table = _resolver().table
    (arg,) = [pats for _, _, pats, _ in table.instances["Mul"] if "C^" in repr(pats)][0]
    assert isinstance(arg, App) and arg.fn == Ident("C^") and isinstance(arg.args[0], Glued)
    assert ("Mul", 0) in table.horn().head_closure("ContMDiffMap")
    assert ("Mul", 0) not in table.horn().head_closure("TwoSidedIdeal")


def test_a_bracket_operator_with_a_name_is_read() -> None:
    rows = {s.name: s for s in infix_commands(NOTATION)}
    assert rows["→ₑ"].body == parse_term("MulActionHom")


def test_a_query_s_abbrev_unfolds_but_an_instance_s_definition_does_not() -> None:
    """`Mul (Ideal R)` is `Mul (Submodule R R)`: not refused (the search does not
    unfold the query to find it).  `RestrictScalars R S A` is a `def`, which instance
    matching never unfolds to `Submodule`, and `Int` no `Submodule` either: `Neg (Ideal
    R)` is *no*."""
    neg = [("Neg", "class", "class Neg (α : Type u) where\n  neg : α → α"),
           ("RestrictScalars.instNeg", "instance",
            "instance {R S A : Type u} [Neg A] : Neg (RestrictScalars R S A) := sorry")]
    table = class_table(LIB + neg, list(infix_commands(NOTATION)))
    r = Resolver(table, frozenset({"R"}), [])
    assert r.holds(parse_term("Mul (Ideal R)")) == UNKNOWN
    assert r.holds(parse_term("Neg (Ideal R)")) == NO
    assert r.holds(parse_term("Neg (Ideal R)"), exhaustive=False) == NO
    pattern, query = parse_term("RestrictScalars R S A"), parse_term("Ideal X")
    assert unify(pattern, query, frozenset("RSA"), {}, table, frozenset("X")) is False
    assert unify(parse_term("Submodule R R"), query, frozenset("R"), {}, table,
                 frozenset("X")) is None  # it may unfold to that


ARROWS = [
    ("Neg", "class", "class Neg (α : Type u) where\n  neg : α → α"),
    ("Quiver", "class", "class Quiver (V : Type u) where\n  Hom : V → V → Type v"),
    ("Quiver.Hom.instNeg", "instance",
     "instance {C : Type u} [Quiver C] {P Q : C} : Neg (P ⟶ Q) := sorry"),
    ("Sum.instNeg", "instance", "instance {α β : Type u} [Neg α] [Neg β] : Neg (α ⊕ β) := sorry"),
    ("Foo.Sum", "abbrev", "abbrev Sum (α : Type u) := α"),
    ("SetLike", "class", "class SetLike (A : Type u) (B : outParam (Type v)) where\n"
                         "  coe : A → B → Prop"),
    ("Subsemiring", "structure", "structure Subsemiring (R : Type u) where\n  c : R"),
    ("Subsemiring.instNeg", "instance",
     "instance {R : Type u} [Neg R] (s : Subsemiring R) : Neg s := sorry"),
    ("cocycles", "def", "def cocycles (A : Type u) : Subsemiring A := sorry"),
    ("M", "abbrev", "abbrev M (α : Type u) := ReaderT α Option"),
    ("M.instNeg", "instance", "instance {α : Type u} : Neg (M α) := sorry"),
]


def test_arrows_sums_and_carriers_are_no_structure_s_negation() -> None:
    """`Neg (Ideal R)`, `Neg Complex`-like rigid heads and a type variable meet none of
    an arrow `P ⟶ Q` of an unsolved category, `α ⊕ β` (a `Sum`, though `Foo.Sum` is an
    `abbrev` of that last name), a subobject's carrier `↥s`, nor `M α` (`ReaderT`)."""
    table = class_table(LIB + ARROWS, list(infix_commands(NOTATION)))
    r = Resolver(table, frozenset({"R", "G"}), [])
    for q in ("Neg (Ideal R)", "Neg (TwoSidedIdeal R)", "Neg G", "Neg (Type u)"):
        assert r.holds(parse_term(q)) == NO, q
        assert r.holds(parse_term(q), exhaustive=False) == NO, q


def test_arrows_sums_and_carriers_still_apply_to_themselves() -> None:
    """The same instances answer queries about an arrow, a sum, a definition of a term
    used as a type (`cocycles A` is `↥(cocycles A)`) and a coerced subobject."""
    table = class_table(LIB + ARROWS, list(infix_commands(NOTATION)))
    r = Resolver(table, frozenset({"R", "G"}), [parse_term("Neg G"), parse_term("Neg R")])
    assert r.holds(parse_term("Neg (X ⟶ Y)")) != NO
    assert r.holds(parse_term("Neg (G ⊕ G)")) == YES
    assert r.holds(parse_term("Neg (cocycles R)")) != NO
    assert r.holds(parse_term("Neg ↥s")) != NO


def test_an_abbrev_of_a_type_operator_counts_for_its_constant() -> None:
    """`abbrev StrongDual R M := M →L[R] R` (Mathlib/Topology/Algebra/Module/StrongDual.lean)
    unfolds to the constant `→L` stands for: an instance about `ContinuousLinearMap`
    may give it a `TopologicalSpace`, so the query is not *no*."""
    rows = [("TopologicalSpace", "class", "class TopologicalSpace (X : Type u) where\n"
                                          "  o : X → Prop"),
            ("ContinuousLinearMap", "structure",
             "structure ContinuousLinearMap (R M N : Type u) where\n  f : M → N"),
            ("ContinuousLinearMap.top", "instance",
             "instance {R M N : Type u} : TopologicalSpace (M →L[R] N) := sorry"),
            ("StrongDual", "abbrev", "abbrev StrongDual (R M : Type u) := M →L[R] R")]
    cmds = 'notation:25 M " →L[" R "] " M₂ => ContinuousLinearMap R M M₂\n'
    table = class_table(rows, list(infix_commands(cmds)))
    assert "ContinuousLinearMap" in table.unfolds("StrongDual")
    r = Resolver(table, frozenset({"E"}), [])
    assert r.holds(parse_term("TopologicalSpace (StrongDual ℝ E)")) != NO


UNREAD = [
    ("Preorder", "class", "class Preorder (α : Type u) where\n  le : α → α → Prop"),
    ("Inv", "class", "class Inv (α : Type u) where\n  inv : α → α"),
    ("Neg", "class", "class Neg (α : Type u) where\n  neg : α → α"),
    ("Complex", "structure", "structure Complex where\n  re : ℕ"),
    ("Set", "def", "def Set (α : Type u) := α → Prop"),
    ("PMF", "structure", "structure PMF (α : Type u) where\n  f : α → ℕ"),
    ("SSet", "structure", "structure SSet where\n  obj : ℕ → Type u"),
    ("SSet.S", "structure", "structure SSet.S (X : SSet) where\n  dim : ℕ"),
    ("CM5a.S", "abbrev", "abbrev CM5a.S (C : Type u) : Type u := C"),
    ("SSet.S.instPreorder", "instance", "instance {X : SSet} : Preorder X.S := sorry"),
    ("RestrictedProduct", "def",
     "def RestrictedProduct (R A : ℕ → Type u) (𝓕 : ℕ) : Type u := sorry"),
    ("RestrictedProduct.instInv", "instance",
     "instance {R B : ℕ → Type u} {𝓕 : ℕ} : Inv (Πʳ i, [R i, B i]_[𝓕]) := sorry"),
    ("AlternatingMap", "structure",
     "structure AlternatingMap (R M N ι : Type u) where\n  f : M → N"),
    ("AlternatingMap.instNeg", "instance",
     "instance {R M N ι : Type u} : Neg (M [⋀^ι]→ₗ[R] N) := sorry"),
    # instances that give the queried heads their keys, so the search tries the above
    ("Foo", "class", "class Foo (α : Type u) where\n  t : α"),
    ("Complex.instPreorder", "instance", "instance [Foo Complex] : Preorder Complex := sorry"),
    ("Set.instInv", "instance", "instance {α : Type u} [Foo α] : Inv (Set α) := sorry"),
    ("PMF.instNeg", "instance", "instance {α : Type u} [Foo α] : Neg (PMF α) := sorry"),
]
UNREAD_NOTATION = (
    'notation3 "Πʳ " (...) ", " "[" r:(scoped R => R)", " a:(scoped A => A) "]_[" f "]" =>\n'
    '  RestrictedProduct r a f\n'
    'notation M " [⋀^" ι "]→ₗ[" R "] " N:100 => AlternatingMap R M N ι\n')


def test_projections_and_unread_notations_are_no_other_constant() -> None:
    """`instance : Preorder X.S` (`X : SSet`, Mathlib/AlgebraicTopology/SimplicialSet/
    Simplices.lean:120) is about a projection of its variable, though the last name `S`
    is an `abbrev` elsewhere (`noncomputable abbrev S : CochainComplex C ℤ`,
    Mathlib/Algebra/Homology/Factorizations/CM5a.lean:105); `Πʳ i, [R i, B i]_[𝓕]`,
    which the grammar leaves unread, is a `RestrictedProduct` (`notation3 "Πʳ " (...)
    … => RestrictedProduct r a f`, Mathlib/Topology/Algebra/RestrictedProduct/Basic.lean:
    85); `M [⋀^ι]→ₗ[R] N` an `AlternatingMap` (`notation M " [⋀^" ι "]→ₗ[" R "] " N:100
    => AlternatingMap R M N ι`, Mathlib/LinearAlgebra/Alternating/Basic.lean:73).  Read
    as unknown names they left `Preorder ℂ` (so `LT ℂ`), `Inv (Set α)` and `Neg (PMF α)`
    open; now *no*."""
    table = class_table(UNREAD, list(infix_commands(UNREAD_NOTATION)))
    r = Resolver(table, frozenset({"R"}), [])
    for q in ("Preorder Complex", "Inv (Set R)", "Neg (PMF R)"):
        assert r.holds(parse_term(q)) == NO, q
        assert r.holds(parse_term(q), exhaustive=False) == NO, q


def test_projections_and_unread_notations_still_apply_to_themselves() -> None:
    """The same instances answer their own types: a candidate's `Y.S` (which the query
    keys by its last name `S`), `RestrictedProduct R B 𝓕` and `AlternatingMap R M N ι`
    are not refused."""
    table = class_table(UNREAD, list(infix_commands(UNREAD_NOTATION)))
    r = Resolver(table, frozenset({"R", "Y"}), [])
    for q in ("Preorder Y.S", "Inv (RestrictedProduct R B 𝓕)",
              "Neg (AlternatingMap R M N ι)"):
        assert r.holds(parse_term(q)) != NO, q


TOKENS = [
    ("CommRing", "class", "class CommRing (α : Type u) where\n  one : α"),
    ("Mul", "class", "class Mul (α : Type u) where\n  mul : α → α → α"),
    ("Foo", "class", "class Foo (α : Type u) where\n  t : α"),
    ("Finset", "structure", "structure Finset (α : Type u) where\n  val : List α"),
    ("ModuleCat", "structure", "structure ModuleCat (R : Type u) where\n  carrier : Type u"),
    ("GradedTensorProduct", "def",
     "def GradedTensorProduct (R A B : Type u) : Type u := sorry"),
    ("ModuleCat.instCommRingUnit", "instance",
     "instance {R : Type u} [CommRing R] : "
     "CommRing ((𝟙_ (ModuleCat R) : ModuleCat R) : Type u) := sorry"),
    ("GradedTensorProduct.instMul", "instance",
     "instance {R 𝒜 ℬ : Type u} : Mul (𝒜 ᵍ⊗[R] ℬ) := sorry"),
    ("Finset.instCommRing", "instance",
     "instance {α : Type u} [Foo α] : CommRing (Finset α) := sorry"),
    ("Finset.instMul", "instance", "instance {α : Type u} [Foo α] : Mul (Finset α) := sorry"),
]
TOKEN_NOTATION = (
    'scoped notation "𝟙_ " C:arg => MonoidalCategoryStruct.tensorUnit C\n'
    'scoped[TensorProduct] notation:100 𝒜 " ᵍ⊗[" R "] " ℬ:100 => GradedTensorProduct R 𝒜 ℬ\n')


def test_a_notation_token_and_an_unread_operator_name_their_constants() -> None:
    """`instance : CommRing ((𝟙_ (ModuleCat R) : ModuleCat R) : Type u)` (Mathlib/Algebra/
    Category/ModuleCat/Monoidal/Basic.lean:321) is about the monoidal unit (`scoped
    notation "𝟙_ " C:arg => MonoidalCategoryStruct.tensorUnit C`, Mathlib/CategoryTheory/
    Monoidal/Category.lean:131), an object coerced to a type; `instance : Mul (𝒜 ᵍ⊗[R]
    ℬ)` (Mathlib/LinearAlgebra/TensorProduct/Graded/Internal.lean:157), which the grammar
    leaves unread, is about a `GradedTensorProduct` (`notation:100 𝒜 " ᵍ⊗[" R "] "
    ℬ:100`, line 85).  Neither is a `Finset`: `CommRing (Finset R)` and `Mul (Finset R)`
    are *no*, not left open; `Mul (GradedTensorProduct R A B)` still meets its instance."""
    table = class_table(TOKENS, list(infix_commands(TOKEN_NOTATION)))
    r = Resolver(table, frozenset({"R"}), [])
    for q in ("CommRing (Finset R)", "Mul (Finset R)"):
        assert r.holds(parse_term(q)) == NO, q
        assert r.holds(parse_term(q), exhaustive=False) == NO, q
    assert r.holds(parse_term("Mul (GradedTensorProduct R A B)")) != NO
