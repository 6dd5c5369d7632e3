"""Coercion chains as Lean's `↑` builds them, instances that hold only in part of the
library (`attribute [local instance]`, `scoped instance`), and the section binders an
instance written with a bracketed operator includes.  Each fixture mirrors instances read
in Lean core or Mathlib (cited where used)."""

from types import SimpleNamespace

from lean_alchemy.core.records import Scope
from lean_alchemy.extract.commands import parse_binders
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.statements import binders_of
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import Context, TypedFilter
from lean_alchemy.index.typing.scoped import included_section_binders, resolution_namespaces
from lean_alchemy.index.typing.signatures import (
    build_signatures,
    core_sigs,
    local_instance_names,
    sigs_of_source,
)

# Lean core's coercion classes (Init/Coe.lean): a `CoeT` chain has the grammar
# `CoeHead? CoeOut* Coe* CoeTail? | CoeDep`
CLASSES = [(c, "class", f"class {c} (α : Sort u) (β : Sort v) where\n  coe : α → β")
           for c in ("Coe", "CoeTC", "CoeOut", "CoeHead", "CoeTail", "CoeHTCT")]


def _table(instances: list[tuple[str, str]]) -> ClassTable:
    sigs = list(core_sigs())
    lib = CLASSES + [(t, "structure", f"structure {t} (α : Type u) where\n  x : α")
                     for t in ("A", "B", "C")]
    lib += [(name, "instance", text) for name, text in instances]
    for name, kind, text in lib:
        sigs.extend(sigs_of_source(name, kind, text))
    return ClassTable.build(sigs)


def _inst(name: str, cls: str, src: str, tgt: str) -> tuple[str, str]:
    return name, f"instance {name} {{α : Type u}} : {cls} ({src} α) ({tgt} α) := sorry"


def test_a_chain_follows_the_order_lean_chains_coercion_classes_in() -> None:
    """`Coe` steps chain and a `CoeTail` may end them (`A → B → C`); a `CoeTail` or a
    whole-chain `CoeHTCT` is last (`[NatCast R] : CoeTail ℕ R`, Init/Data/Cast.lean; a
    `Coe` after it is never tried), and a `CoeOut` comes before every `Coe`."""
    ok = _table([_inst("ab", "Coe", "A", "B"), _inst("bc", "CoeTail", "B", "C")])
    assert ok.coercions.may_coerce("A", "C")
    for first, second in (("CoeTail", "Coe"), ("CoeHTCT", "Coe"), ("Coe", "CoeOut"),
                          ("CoeTail", "CoeTail")):
        co = _table([_inst("ab", first, "A", "B"), _inst("bc", second, "B", "C")]).coercions
        assert co.may_coerce("A", "B"), first
        assert not co.may_coerce("A", "C"), (first, second)
    out_first = _table([_inst("ab", "CoeOut", "A", "B"), _inst("bc", "Coe", "B", "C")])
    assert out_first.coercions.may_coerce("A", "C")


def test_a_coercion_into_a_variable_ends_the_chain_where_its_premises_hold() -> None:
    """`algebraMap.coeHTCT : [CommSemiring R] [Semiring A] [Algebra R A] : CoeHTCT R A`
    (Mathlib/Algebra/Algebra/Defs.lean:114) is a whole chain: a type that reaches `R`
    only through another coercion (`A → B`) is not cast by it, `B` itself is."""
    alg = [("Algebra", "class", "class Algebra (R : Type u) (A : Type v) where\n  f : R → A"),
           ("toB", "instance", "instance toB {α : Type u} : Coe (A α) (B α) := sorry"),
           ("cast", "instance",
            "instance cast {R : Type u} {S : Type v} [Algebra R S] : CoeHTCT R S := sorry"),
           ("algB", "instance", "instance algB {α : Type u} : Algebra (B α) (C α) := sorry")]
    sigs = list(core_sigs())
    lib = CLASSES + [(t, "structure", f"structure {t} (α : Type u) where\n  x : α")
                     for t in ("A", "B", "C")] + alg
    for name, kind, text in lib:
        sigs.extend(sigs_of_source(name, kind, text))
    table = ClassTable.build(sigs)
    co, keys = table.coercions, table.horn().head_closure
    assert co.may_coerce("B", "C", keys("C"))
    assert not co.may_coerce("A", "C", keys("C"))


def test_a_rule_variable_named_like_a_candidate_type_variable_is_not_that_variable() -> None:
    """`BoundedContinuousFunction.coe_mul (f g : α →ᵇ R)` (Mathlib/Topology/
    ContinuousMap/Bounded/Basic.lean) matched with `f := a` for a candidate's `a : α`: the
    candidate's `α` is a type variable, no bundled map, whatever the rule calls `α`."""
    table = _table([])
    filt = TypedFilter(table)
    names, kinds = ["α", "R", "f"], ["implicit", "implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("Type v"), parse_term("α →ᵇ R")]
    binders = "{α : Type u} (a : α) (m : A α →ᵇ ℕ)"
    ctx = Context(table, binders_of(parse_binders(binders, binders, 0, len(binders))))
    assert filt.check(ctx, names, kinds, types, {"f": parse_term("a")}) == "type_clash"
    assert filt.check(ctx, names, kinds, types, {"f": parse_term("m")}) is None


def test_a_local_instance_holds_only_where_its_command_is_in_force(tmp_path) -> None:
    """`abbrev starMulOfComm [CommMonoid R] : StarMul R` made an instance by `attribute
    [local instance] starMulOfComm` (Mathlib/Algebra/Star/Basic.lean:217-224) gives
    `StarMul` to no type outside that file: `star a` on a `[Monoid M]` variable is
    *no* for a candidate elsewhere and unknown for one whose scope holds the command."""
    assert local_instance_names("attribute [local instance] f g\n"
                                "attribute [local instance 100] h in\n"
                                "attribute [instance] k\n") == ["f", "g", "h"]
    src = ("class StarMul (R : Type u) where\n  star : R → R\n\n"
           "class Monoid (M : Type u) where\n  one : M\n\n"
           "def StarMul.star' {R : Type u} [StarMul R] (x : R) : R := x\n\n"
           "class Inv (R : Type u) where\n  inv : R → R\n\n"
           "abbrev starMulOfComm {R : Type u} [Monoid R] : StarMul R := sorry\n\n")
    names, kinds = ["R", "", "a"], ["implicit", "inst", "explicit"]
    types = [parse_term("Type u"), parse_term("StarMul R"), parse_term("R")]
    binders = "{M : Type u} [Monoid M] (m : M)"
    groups = binders_of(parse_binders(binders, binders, 0, len(binders)))
    new, val = (parse_term("StarMul.star' a = a"),), {"a": parse_term("m")}
    command = "attribute [local instance] starMulOfComm"

    def check(attribute: str, scope_commands: tuple, new=new) -> str | None:
        text = src + attribute + "\n"
        (tmp_path / "M.lean").write_text(text)
        raw = text.encode()
        cuts = [raw.index(w.encode()) for w in ("class StarMul", "class Monoid", "def StarMul",
                                                "class Inv", "abbrev")] + [len(raw)]
        decls = [SimpleNamespace(full_name=n, kind=k, module="M", file="M.lean",
                                 start_byte=cuts[i], end_byte=cuts[i + 1])
                 for i, (n, k) in enumerate((("StarMul", "class"), ("Monoid", "class"),
                                             ("StarMul.star'", "def"), ("Inv", "class"),
                                             ("starMulOfComm", "abbrev")))]
        table = ClassTable.build(build_signatures(decls, tmp_path))
        scope = Scope("M", (), (), scope_commands)
        ctx = Context(table, groups, resolution_namespaces(scope, "thm"))
        return TypedFilter(table).check(ctx, names, kinds, types, val, new_terms=new)

    assert check(command, ()) == "instance_missing"
    assert check(command, (("attribute", command),)) is None
    assert check("attribute [instance] starMulOfComm", ()) is None
    # where it is in force it gives `StarMul` and what follows from it, never `Inv`
    assert check(command, (("attribute", command),), (parse_term("Inv.inv a = a"),)) == \
        "instance_missing"


def test_a_scoped_instance_declaration_holds_only_in_its_namespace(tmp_path) -> None:
    """`scoped instance coeHTCT … : CoeHTCT R A` in `namespace algebraMap` (Mathlib/
    Algebra/Algebra/Defs.lean:114): outside `algebraMap` no coercion leads from `R` to
    `A` by it, inside (or where it is open) one may."""
    head = ("class CoeHTCT (α : Sort u) (β : Sort v) where\n  coe : α → β\n\n"
            "structure P (α : Type u) where\n  x : α\n\n"
            "structure Q (α : Type u) where\n  x : α\n\n")
    body = "scoped instance coeHTCT {α : Type u} : CoeHTCT (P α) (Q α) := sorry\n"
    text = head + "namespace Cast\n\n" + body + "\nend Cast\n"
    (tmp_path / "M.lean").write_text(text)
    raw = text.encode()
    cuts = [raw.index(w.encode()) for w in ("class CoeHTCT", "structure P", "structure Q",
                                            "scoped instance")]
    decls = [SimpleNamespace(full_name=n, kind=k, module="M", file="M.lean",
                             start_byte=cuts[i], end_byte=cuts[i + 1] if i < 3 else
                             cuts[3] + len(body.encode()))
             for i, (n, k) in enumerate((("CoeHTCT", "class"), ("P", "structure"),
                                         ("Q", "structure"), ("Cast.coeHTCT", "instance")))]
    table = ClassTable.build(build_signatures(decls, tmp_path))
    binders = "{X : Type u} (p : P X)"
    groups = binders_of(parse_binders(binders, binders, 0, len(binders)))
    names, kinds = ["α", "q"], ["implicit", "explicit"]
    types, val = [parse_term("Type u"), parse_term("Q α")], {"q": parse_term("p")}
    filt = TypedFilter(table)
    assert filt.check(Context(table, groups), names, kinds, types, val) == "type_clash"
    inside = Context(table, groups, frozenset({"Cast"}))
    assert filt.check(inside, names, kinds, types, val) is None


def test_an_instance_includes_the_section_binders_its_bracketed_operator_names() -> None:
    """`instance instCoeToLinearMap : CoeHead F (M₁ →ₗ[R] M₂)` under `variable … [FunLike F
    M₁ M₂] [LinearMapClass F R M₁ M₂]` (Mathlib/Algebra/Module/LinearMap/Defs.lean:
    173-180): `R` is written inside the operator, and the instance needs
    `LinearMapClass` (without it every `FunLike` type coerced to a linear map)."""
    section = "{F R M₁ M₂ : Type u} [Semiring R] [FunLike F M₁ M₂] [LinearMapClass F R M₁ M₂]"
    groups = binders_of(parse_binders(section, section, 0, len(section)))
    got = included_section_binders(groups, parse_term("CoeHead F (M₁ →ₗ[R] M₂)"), ())
    classes = {g.type.fn.name for g in got if g.kind == "inst"}  # type: ignore[union-attr]
    assert {"Semiring", "LinearMapClass", "FunLike"} <= classes
    plain = included_section_binders(groups, parse_term("CoeHead F (M₁ → M₂)"), ())
    assert "LinearMapClass" not in {g.type.fn.name for g in plain if g.kind == "inst"}  # type: ignore[union-attr]


def test_two_operators_for_one_constant_do_not_clash() -> None:
    """`notation:25 M " →ₛₗ[" σ:25 "] " M₂:0 => LinearMap σ M M₂` and `notation:25 M " →ₗ["
    R:25 "] " M₂:0 => LinearMap (RingHom.id R) M M₂` (Mathlib/Algebra/Module/LinearMap/
    Defs.lean:96-99): `Submodule.comap_bot`'s `f : M →ₛₗ[τ₁₂] M₂` takes a value of type
    `N →ₗ[R] S`.  Without the notations read, the two operators are unrelated heads.  The
    Lie module maps' `M →ₗ⁅R,L⁆ N` (Mathlib/Algebra/Lie/Basic.lean) are another operator,
    not a second reading of `→ₗ`."""
    from lean_alchemy.index.typing.notation_commands import infix_commands

    text = ('notation:25 M " →ₛₗ[" σ:25 "] " M₂:0 => LinearMap σ M M₂\n'
            'notation:25 M " →ₗ[" R:25 "] " M₂:0 => LinearMap (RingHom.id R) M M₂\n'
            'notation:25 M " →ₗ⁅" R "," L:25 "⁆ " N:0 => LieModuleHom R L M N\n')
    rows = list(infix_commands(text))
    assert [(s.name, s.body.name) for s in rows] == [("→ₛₗ", "LinearMap"),  # type: ignore[union-attr]
                                                     ("→ₗ", "LinearMap"),
                                                     ("→ₗ⁅", "LieModuleHom")]
    names, kinds = ["M", "M₂", "f"], ["implicit", "implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("Type v"), parse_term("M →ₛₗ[τ₁₂] M₂")]
    binders = "{R N S : Type u} (g : N →ₗ[R] S)"
    groups = binders_of(parse_binders(binders, binders, 0, len(binders)))
    for extra, expected in ((rows, None), ([], "type_clash")):
        sigs = list(core_sigs()) + extra
        table = ClassTable.build(sigs)
        got = TypedFilter(table).check(Context(table, groups), names, kinds, types,
                                       {"f": parse_term("g")})
        assert got == expected, extra


def test_a_definition_includes_the_section_variables_its_body_uses() -> None:
    """`def ContDiffWithinAt (n : ℕ∞ω) (f : E → F) (s : Set E) (x : E) : Prop := … 𝕜 …`
    under `variable (𝕜)` (Mathlib/Analysis/Calculus/ContDiff/Defs.lean:131): Lean includes
    `𝕜`, used in the body only, as the first explicit argument (`ContDiffWithinAt 𝕜 n f s
    x`); a variable neither header nor body uses stays out."""
    section = "(𝕜 : Type u) (E : Type v) (k : ℕ)"
    groups = binders_of(parse_binders(section, section, 0, len(section)))
    text = "def Smooth (x : E) : Prop := ∃ c : 𝕜, c = c"
    sig = sigs_of_source("Smooth", "def", text, groups)[0]
    assert [n for g in sig.binders for n in g.names] == ["𝕜", "E", "x"]


def test_definitions_are_compared_by_what_they_unfold_to() -> None:
    """`def MorphismProperty (C) [Category C] := ∀ ⦃X Y : C⦄ (_ : X ⟶ Y), Prop`
    (Mathlib/CategoryTheory/MorphismProperty/Basic.lean): a `Box X` structure value where
    `MorphismProperty C` is expected unfolds to a function type against a structure, a
    certain clash; a function value is not one."""
    lib = [("Cat", "class", "class Cat (C : Type u) where\n  hom : C → C → Type v"),
           ("Prp", "def", "def Prp (C : Type u) [Cat C] : Type u := C → Prop"),
           ("Box", "structure", "structure Box (α : Type u) where\n  x : α")]
    sigs = list(core_sigs())
    for name, kind, text in lib:
        sigs.extend(sigs_of_source(name, kind, text))
    table = ClassTable.build(sigs)
    binders = "{X : Type u} (b : Box X) (p : X → Prop)"
    ctx = Context(table, binders_of(parse_binders(binders, binders, 0, len(binders))))
    names, kinds = ["C", "P"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("Prp C")]
    filt = TypedFilter(table)
    assert filt.check(ctx, names, kinds, types, {"P": parse_term("b")}) == "type_clash"
    assert filt.check(ctx, names, kinds, types, {"P": parse_term("p")}) is None


def test_an_instance_about_an_operator_type_is_no_instance_about_a_structure() -> None:
    """`instance : Mul (G →+c[a, a] G)` (Mathlib/Algebra/AddConstMap/Basic.lean, the
    operator of `scoped[AddConstMap] notation:25 G " →+c[" a ", " b "] " H => AddConstMap
    G H a b`, line 50, two arguments in its brackets) names `AddConstMap`, and `Mul αᵐᵒᵖ`
    (`postfix:max "ᵐᵒᵖ" => MulOpposite`, Mathlib/Algebra/Opposites.lean:68) and `Mul αᵒᵈ`
    (`notation:max α "ᵒᵈ" => OrderDual α`), `Mul C(α, β)`, `Mul (α ×ₗ β)`, `Mul (M →ₗ⁅R,L⁆
    M)` and `Mul (α ⊕ β)` (Lean core's `Sum`, whatever `abbrev` of the library is named
    `Sum` too) name constants Lean's instance matching does not unfold: none gives
    `Mul (TwoSidedIdeal R)`.  Read as an unknown name, it might have been any type, and
    `I * J` of two-sided ideals asked `Mul` in vain (here: of ideals over a ring `R`
    without `Mul`)."""
    from lean_alchemy.index.typing.classes import NO, UNKNOWN, Resolver
    from lean_alchemy.index.typing.notation_commands import infix_commands
    from lean_alchemy.index.typing.signatures import sigs_of_source

    notation = ('scoped[AddConstMap] notation:25 G " →+c[" a ", " b "] " H => AddConstMap G H a b\n'
                'postfix:max "ᵐᵒᵖ" => MulOpposite\n'
                'notation:max α "ᵒᵈ" => OrderDual α\n'
                'notation "C(" α ", " β ")" => ContinuousMap α β\n'
                'notation:35 α " ×ₗ " β:34 => Lex (Prod α β)\n'
                'notation:25 M " →ₗ⁅" R "," L:25 "⁆ " N:0 => LieModuleHom R L M N\n')
    rows = [s for s in infix_commands(notation)
            if s.type is None or "leading" not in s.type.name]  # type: ignore[attr-defined]
    assert sorted((s.name, s.body.name) for s in rows) == [  # type: ignore[union-attr]
        ("C(", "ContinuousMap"), ("×ₗ", "Lex"), ("ᵐᵒᵖ", "MulOpposite"), ("ᵒᵈ", "OrderDual"),
        ("→+c", "AddConstMap"), ("→ₗ⁅", "LieModuleHom")]
    lib = [("Mul", "class", "class Mul (α : Type u) where\n  mul : α → α → α"),
           ("TwoSidedIdeal", "structure", "structure TwoSidedIdeal (R : Type u) where\n  c : R"),
           ("AddConstMap", "structure", "structure AddConstMap (G H : Type u) (a : G) (b : H) "
                                        "where\n  f : G → H"),
           ("AddConstMap.instMul", "instance", "instance {G : Type u} {a : G} : "
                                               "Mul (G →+c[a, a] G) := sorry"),
           ("MulOpposite", "def", "def MulOpposite (α : Type u) : Type u := PreOpposite α"),
           ("OrderDual", "def", "def OrderDual (α : Type u) : Type u := α"),
           ("MulOpposite.instMul", "instance", "instance {α : Type u} [Mul α] : Mul αᵐᵒᵖ := sorry"),
           ("OrderDual.instMul", "instance", "instance {α : Type u} [Mul α] : Mul αᵒᵈ := sorry"),
           ("ContinuousMap", "structure", "structure ContinuousMap (α β : Type u) where\n"
                                          "  f : α → β"),
           ("ContinuousMap.instMul", "instance", "instance {α β : Type u} [Mul β] : "
                                                 "Mul C(α, β) := sorry"),
           ("Lex", "def", "def Lex (α : Type u) : Type u := α"),
           ("Lex.instMul", "instance", "instance {α β : Type u} : Mul (α ×ₗ β) := sorry"),
           ("LieModuleHom", "structure", "structure LieModuleHom (R L M N : Type u) where\n"
                                         "  f : M → N"),
           ("LieModuleHom.instMul", "instance", "instance {R L M : Type u} : "
                                                "Mul (M →ₗ⁅R,L⁆ M) := sorry"),
           # an `abbrev` of the same last name as Lean core's `Sum`, which `⊕` denotes
           ("Foo.Sum", "abbrev", "abbrev Foo.Sum (α : Type u) : Type u := List α"),
           ("Sum.instMul", "instance", "instance {α β : Type u} [Mul α] [Mul β] : "
                                       "Mul (α ⊕ β) := sorry"),
           # a fixture's own instance, so that the search (not the forward closure) decides
           ("TwoSidedIdeal.instMul", "instance", "instance {R : Type u} [Mul R] : "
                                                 "Mul (TwoSidedIdeal R) := sorry")]
    sigs = list(core_sigs())
    for name, kind, text in lib:
        sigs.extend(sigs_of_source(name, kind, text))
    query = parse_term("Mul (TwoSidedIdeal R)")
    for extra, expected in ((list(infix_commands(notation)), NO), ([], UNKNOWN)):
        table = ClassTable.build(sigs + extra)
        assert Resolver(table, frozenset({"R"}), []).holds(query) == expected


def test_a_type_written_with_postfix_notation_has_its_structure_as_head() -> None:
    """`Polynomial.comp_eq_sum_left` forwards on `BoundedOrderHom.comp_assoc` binds
    `p : R[X]` to `f.comp g : BoundedOrderHom β δ` (labelled set `mutants_after_holes`,
    n 26): `R[X]` is `Polynomial R`, a structure, so the two clash; with no head for
    the notation nothing was compared.  A value of type `S[X]` still fits."""
    from lean_alchemy.index.typing.signatures import sigs_of_source

    lib = [("Polynomial", "structure", "structure Polynomial (R : Type u) where\n  c : R"),
           ("BoundedOrderHom", "structure",
            "structure BoundedOrderHom (α β : Type u) where\n  f : α → β")]
    sigs = list(core_sigs())
    for name, kind, text in lib:
        sigs.extend(sigs_of_source(name, kind, text))
    table = ClassTable.build(sigs)
    binders = "{α β S : Type u} (h : BoundedOrderHom α β) (q : S[X])"
    ctx = Context(table, binders_of(parse_binders(binders, binders, 0, len(binders))))
    names, kinds = ["R", "p"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("R[X]")]
    filt = TypedFilter(table)
    assert filt.check(ctx, names, kinds, types, {"p": parse_term("h")}) == "type_clash"
    assert filt.check(ctx, names, kinds, types, {"p": parse_term("q")}) is None
