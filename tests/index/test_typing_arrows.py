"""A morphism of bundled objects is no map between types, and the reverse.

Facts mirrored by the fixture, read in Mathlib:
- `ModuleCat.mono_iff_injective {X Y : ModuleCat.{v} R} (f : X ⟶ Y) : Mono f ↔
  Function.Injective f` (Mathlib/Algebra/Category/ModuleCat/EpiMono.lean), whose
  category has `Hom M N := Hom M N`, the structure `ModuleCat.Hom` around a linear map
  of the carriers (Mathlib/Algebra/Category/ModuleCat/Basic.lean);
- `abbrev LightProfinite := CompHausLike (fun X ↦ TotallyDisconnectedSpace X ∧
  SecondCountableTopology X)` (Mathlib/Topology/Category/LightProfinite/Basic.lean), and
  `structure CompHausLike (P : TopCat → Prop)` (Mathlib/Topology/Category/CompHausLike/
  Basic.lean);
- the category of types, `Hom a b := a → b` (Mathlib/CategoryTheory/Types/Basic.lean).
"""

from helpers.typing_library import candidate_context as _ctx
from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import TypedFilter

LIB = [
    ("Category", "class", "class Category (obj : Type u) where\n  id : obj → obj"),
    ("ModuleCat", "structure", "structure ModuleCat (R : Type u) where\n  carrier : Type v"),
    ("CompHausLike", "structure",
     "structure CompHausLike (P : Type → Prop) where\n  toTop : Type u"),
    ("LightProfinite", "abbrev", "abbrev LightProfinite := CompHausLike (fun _ ↦ True)"),
    ("Scheme", "structure", "structure Scheme where\n  carrier : Type u"),
    ("RingHom", "structure", "structure RingHom (α : Type u) (β : Type v) where\n  f : α → β"),
]
NEW = (parse_term("Function.Injective f"),)


def _check(rule_binders: list[tuple[str, str, str]], values: dict[str, str],
           candidate: str, table: ClassTable | None = None) -> str | None:
    """The filter's verdict on a `rw_goal` match of a rule with `rule_binders`
    (name, kind, type) whose variables take `values` in a candidate with binders
    `candidate` (the table of `LIB` unless another is given)."""
    table = table if table is not None else class_table(LIB)
    names = [n for n, _, _ in rule_binders]
    kinds = [k for _, k, _ in rule_binders]
    types = [parse_term(t) for _, _, t in rule_binders]
    vals = {k: parse_term(v) for k, v in values.items()}
    return TypedFilter(table).check(_ctx(table, candidate), names, kinds, types, vals,
                                    "rw_goal", new_terms=NEW)


MODULE_RULE = [("R", "implicit", "Type u"), ("X", "implicit", "ModuleCat R"),
               ("Y", "implicit", "ModuleCat R"), ("f", "explicit", "X ⟶ Y")]


def test_a_morphism_of_modules_is_no_function_between_type_variables() -> None:
    """`ModuleCat.mono_iff_injective` backwards on `g : α → β` or `g : α →+* β`:
    `X ⟶ Y` is a map of the carriers `↑X`, `↑Y`, and a type variable is no carrier."""
    assert _check(MODULE_RULE, {"f": "g"}, "{α β : Type u} (g : α → β)") == "type_clash"
    assert _check(MODULE_RULE, {"f": "g"}, "{α β : Type u} (g : α →+* β)") == "type_clash"


def test_a_morphism_of_an_abbreviated_category_is_no_function() -> None:
    """`LightProfinite` unfolds to the structure `CompHausLike _`: the same clash."""
    rule = [("X", "implicit", "LightProfinite"), ("Y", "implicit", "LightProfinite"),
            ("f", "explicit", "X ⟶ Y")]
    assert _check(rule, {"f": "g"}, "{α β : Type u} (g : α → β)") == "type_clash"


def test_a_map_between_type_variables_is_no_morphism_of_schemes() -> None:
    """The reverse: a rule's `f : M →+* N` whose `M`, `N` the match solved to the
    candidate's type variables, against a candidate's `g : X ⟶ Y` of schemes."""
    rule = [("M", "implicit", "Type u"), ("N", "implicit", "Type u"),
            ("x", "explicit", "M"), ("y", "explicit", "N"), ("f", "explicit", "M →+* N")]
    candidate = "{α β : Type u} (a : α) (b : β) {X Y : Scheme} (g : X ⟶ Y)"
    assert _check(rule, {"x": "a", "y": "b", "f": "g"}, candidate) == "type_clash"


def test_morphisms_that_may_be_functions_are_kept() -> None:
    """No clash where `X ⟶ Y` may be a function: objects that are types (the category of
    types), objects of a variable category (`[Category C]`, `C` may be `Type`), a
    morphism against a morphism, carriers that are coerced objects (`↑A → ↑B`), and a
    rule's carriers left unsolved (Lean may solve them to carriers)."""
    types_rule = [("X", "implicit", "Type u"), ("Y", "implicit", "Type u"),
                  ("f", "explicit", "X ⟶ Y")]
    assert _check(types_rule, {"f": "g"}, "{α β : Type u} (g : α → β)") is None
    var_rule = [("C", "implicit", "Type u"), ("", "inst", "Category C"),
                ("X", "implicit", "C"), ("Y", "implicit", "C"), ("f", "explicit", "X ⟶ Y")]
    assert _check(var_rule, {"f": "g"}, "{α β : Type u} (g : α → β)") is None
    assert _check(MODULE_RULE, {"f": "g"},
                  "{S : Type u} {A B : ModuleCat S} (g : A ⟶ B)") is None
    assert _check(MODULE_RULE, {"f": "g"},
                  "{S : Type u} {A B : ModuleCat S} (g : ↑A → ↑B)") is None
    unsolved = [("M", "implicit", "Type u"), ("N", "implicit", "Type u"),
                ("f", "explicit", "M →+* N")]
    assert _check(unsolved, {"f": "g"}, "{X Y : Scheme} (g : X ⟶ Y)") is None


def _check_with_homs(rule_binders: list[tuple[str, str, str]], values: dict[str, str],
                     candidate: str, hom_row: bool = True) -> str | None:
    """`_check` with `ModuleCat.Hom`, `LinearMap` and its notation, and (`hom_row`) the
    row that `instance : Category (ModuleCat R) where Hom M N := Hom M N` gives."""
    from lean_alchemy.grammar.ast import Ident
    from lean_alchemy.index.typing.notation_commands import infix_commands
    from lean_alchemy.index.typing.signatures import Sig

    extra = list(infix_commands('notation:25 M " →ₗ[" R:25 "] " M₂:0 => '
                                'LinearMap (RingHom.id R) M M₂\n'))
    if hom_row:
        extra.append(Sig("ModuleCat", "hom", (), None, (), Ident("ModuleCat.Hom")))
    lib = LIB + [
        ("ModuleCat.Hom", "structure",
         "structure ModuleCat.Hom {R : Type u} (M N : ModuleCat R) where\n  f : Nat"),
        ("LinearMap", "structure",
         "structure LinearMap (σ : Type u) (M N : Type u) where\n  f : M → N")]
    return _check(rule_binders, values, candidate, class_table(lib, extra))


def test_a_linear_map_is_no_morphism_of_modules() -> None:
    """`ModuleCat.mono_iff_injective` backwards on `f.lTensor M : M ⊗[R] N →ₗ[R] M ⊗[R]
    N'` (a mutant of `Module.FaithfullyFlat.lTensor_injective_iff_injective`): the
    arrows of `ModuleCat R` are the structure `ModuleCat.Hom`, which a `LinearMap`
    between any modules is not, whatever its carriers; the same from a morphism to a
    rule's linear map.  A morphism of modules stays one, and without the instance's
    `Hom` row nothing is known."""
    candidate = "{S A B : Type u} (g : List A →ₗ[S] List B)"  # carriers no type variables
    assert _check_with_homs(MODULE_RULE, {"f": "g"}, candidate) == "type_clash"
    assert _check_with_homs(MODULE_RULE, {"f": "g"}, candidate, hom_row=False) is None
    assert _check_with_homs(MODULE_RULE, {"f": "g"},
                            "{S : Type u} {A B : ModuleCat S} (g : A ⟶ B)") is None
    linear = [("R", "implicit", "Type u"), ("M", "implicit", "Type u"),
              ("N", "implicit", "Type u"), ("f", "explicit", "M →ₗ[R] N")]
    assert _check_with_homs(linear, {"f": "g"},
                            "{S : Type u} {A B : ModuleCat S} (g : A ⟶ B)") == "type_clash"


def test_a_morphism_of_modules_where_a_function_goes_is_kept() -> None:
    """The reverse of a rule's function: `Set.rangeFactorization_eq_iff` backwards on
    `e.inv : N ⟶ M` of `SemimoduleCat` (a mutant of `SemimoduleCat.inv_hom_apply`, read
    as elaborating): a concrete category's arrows coerce to functions."""
    fun_rule = [("ι", "implicit", "Type u"), ("α", "implicit", "Type u"),
                ("f", "explicit", "ι → α")]
    candidate = "{S : Type u} {A B : ModuleCat S} (g : A ⟶ B)"
    assert _check_with_homs(fun_rule, {"f": "g"}, candidate) is None
