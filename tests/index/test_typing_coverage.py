"""Inference of values whose types the headers do not spell directly: declarations read
through `… in` prefix commands, implicit arguments no explicit one solves, set-builder
notation, types of declarations that write no result type.  Each fixture mirrors a
declaration read in Mathlib (cited beside it)."""

from helpers.typing_library import class_table
from lean_alchemy.grammar.ast import Hole, Sort
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.statements import binders_of
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import Context, TypedFilter
from lean_alchemy.index.typing.scoped import declaration_scopes, section_of
from lean_alchemy.index.typing.signatures import core_sigs, sigs_of_source

# Mathlib/RingTheory/Multiplicity.lean:42-45 (an `open … in` prefix and a docstring)
EMULTIPLICITY = """open scoped Classical in
/-- `emultiplicity a b` returns the largest natural number `n` such that
  `a ^ n ∣ b`, as an `ℕ∞`. -/
noncomputable def emultiplicity [Monoid α] (a b : α) : ℕ∞ :=
  if h : Finite a b then Nat.find h else ⊤"""

# Mathlib/GroupTheory/GroupAction/Defs.lean:119-122 (`variable {M} in` makes the section's
# explicit `M` implicit for this definition only; `α` stays explicit)
FIXED_BY_FILE = """namespace MulAction
variable (M : Type*) (α : Type*) [Monoid M] [MulAction M α]

variable {M} in
/-- `fixedBy m` is the set of elements fixed by `m`. -/
@[to_additive /-- `fixedBy m` is the set of elements fixed by `m`. -/]
def fixedBy (m : M) : Set α :=
  { x | m • x = x }

end MulAction
"""

LIB = [
    # Mathlib/Order/Filter/Defs.lean (`structure Filter (α : Type*)`),
    # Mathlib/Order/Filter/AtTopBot/Defs.lean:39 (`def atTop [Preorder α] : Filter α`)
    ("Filter", "structure", "structure Filter (α : Type u) where\n  sets : Set (Set α)"),
    ("Filter.atTop", "def", "def Filter.atTop {α : Type u} [Preorder α] : Filter α := sorry"),
    ("Finset", "structure", "structure Finset (α : Type u) where\n  val : List α"),
    # Mathlib/Topology/MetricSpace/Pseudo/Defs.lean:432 (no result type written)
    ("Metric.sphere", "def", "def Metric.sphere {α : Type u} (x : α) (ε : ℝ) := "
                             "{ y | dist y x = ε }"),
    # Mathlib/Algebra/Algebra/Unitization.lean:69 (a structure with no written sort)
    ("Unitization", "structure", "structure Unitization (R A : Type u) where\n  fst : R"),
]


def _table() -> ClassTable:
    return class_table(LIB)


def _ctx(table: ClassTable, binders: str) -> Context:
    from lean_alchemy.extract.commands import parse_binders

    return Context(table, binders_of(parse_binders(binders, binders, 0, len(binders))),
                   frozenset({"Filter", "Metric"}))


def _binders(sig) -> list[tuple[tuple[str, ...], str]]:  # noqa: ANN001
    return [(g.names, g.kind) for g in sig.binders]


def test_a_header_after_an_in_prefix_reads_its_own_binders() -> None:
    """The words of `open scoped Classical in` and the docstring are no binders: the
    definition takes `[Monoid α] (a b : α)` and returns `ℕ∞`."""
    sig = sigs_of_source("emultiplicity", "def", EMULTIPLICITY)[0]
    assert _binders(sig) == [((), "inst"), (("a", "b"), "explicit")]
    assert sig.type == parse_term("ℕ∞")
    # the same header without the prefix reads the same
    bare = EMULTIPLICITY.split("\n", 1)[1]
    assert sigs_of_source("emultiplicity", "def", bare)[0].binders == sig.binders


def test_a_variable_in_prefix_changes_the_section_binders_of_its_declaration() -> None:
    """`variable {M} in def fixedBy (m : M)`: `M` is implicit, `α` explicit, so
    `fixedBy α m` is written with `α` first."""
    file = "Mathlib/GroupTheory/GroupAction/Defs.lean"
    scopes = declaration_scopes(FIXED_BY_FILE, "Mathlib.GroupTheory.GroupAction.Defs", file)
    start = FIXED_BY_FILE.index("variable {M} in")
    text = FIXED_BY_FILE[start:FIXED_BY_FILE.index("\n\nend")]
    sig = sigs_of_source("MulAction.fixedBy", "def", text,
                         section_of(scopes["MulAction.fixedBy"]))[0]
    kinds = {n: g.kind for g in sig.binders for n in g.names}
    assert kinds["M"] == "implicit" and kinds["α"] == "explicit" and kinds["m"] == "explicit"
    assert "in" not in kinds and "def" not in kinds


def test_an_implicit_no_argument_solves_leaves_a_hole_and_keeps_the_head() -> None:
    """`atTop : Filter ?α`: a rule variable of a `Finset` type bound to it is a clash
    (a filter is no finset, no coercion), one of a `Filter` type is not, and no instance
    query is asked about the open argument."""
    table = _table()
    ctx = _ctx(table, "(s : Finset ℕ)")
    got = ctx.infer.type_of(parse_term("atTop"))
    assert got is not None and got.fn == parse_term("Filter") and isinstance(got.args[0], Hole)
    filt = TypedFilter(table)
    names, kinds = ["β", "l"], ["implicit", "explicit"]
    finset = [parse_term("Type u"), parse_term("Finset β")]
    assert filt.check(ctx, names, kinds, finset, {"l": parse_term("atTop")}) == "type_clash"
    filt_types = [parse_term("Type u"), parse_term("Filter β")]
    assert filt.check(ctx, names, kinds, filt_types, {"l": parse_term("atTop")}) is None
    # the value's type is counted as inferred
    assert filt.stats["values_typed"] == filt.stats["values"]


def test_set_builder_and_an_unwritten_result_type_read_from_the_body() -> None:
    """`{x : ℕ | 0 < x}` is a `Set ℕ`; `Metric.sphere x r`, whose header writes no type,
    has the type of its body `{ y | dist y x = ε }`, a `Set`; `{y ∈ s | p y}` has the
    type of `s`."""
    ctx = _ctx(_table(), "(s : Finset ℕ) (x : ℝ) (r : ℝ)")
    ty = ctx.infer.type_of
    assert ty(parse_term("{x : ℕ | 0 < x}")) == parse_term("Set ℕ")
    sphere = ty(parse_term("Metric.sphere x r"))
    assert sphere is not None and sphere.fn == parse_term("Set")
    assert ty(parse_term("{y ∈ s | 0 < y}")) == parse_term("Finset ℕ")
    assert ty(parse_term("{y ∈ nowhere | 0 < y}")) is None


def test_a_type_where_a_proposition_goes_is_a_clash() -> None:
    """A structure with no written sort lives in `Type _` (Lean never infers `Prop`
    for it), and so does a product of types: bound to a rule's `p : Prop`, a clash; a
    proposition bound there is none."""
    table = _table()
    ctx = _ctx(table, "(R A : Type u) (a b : R)")
    assert isinstance(ctx.infer.type_of(parse_term("Unitization R A")), Sort)
    filt = TypedFilter(table)
    names, kinds, types = ["p"], ["explicit"], [parse_term("Prop")]
    for v in ("Unitization R A", "R × A"):
        assert filt.check(ctx, names, kinds, types, {"p": parse_term(v)}) == "type_clash"
    assert filt.check(ctx, names, kinds, types, {"p": parse_term("a = b")}) is None
    # an `apply_hyp` match is judged by its antecedents' needs only
    assert filt.check(ctx, names, kinds, types, {"p": parse_term("R × A")},
                      mutation="apply_hyp") is None


# Mathlib/Algebra/Ring/Hom/Defs.lean:300 (`infixr:25 " →+* " => RingHom`) and :542
# (`def comp (g : β →+* γ) (f : α →+* β) : α →+* γ`); Mathlib/RingTheory/Ideal/Defs.lean:40
# (`abbrev Ideal (R : Type u) [Semiring R] := Submodule R R`);
# Mathlib/Algebra/Module/SpanRank.lean:68 (`def spanFinrank (p : Submodule R M) : ℕ`)
RING_LIB = [
    ("RingHom", "structure", "structure RingHom (α β : Type u) where\n  toFun : α → β"),
    ("RingHom.comp", "def", "def RingHom.comp {α β γ : Type u} (g : β →+* γ) (f : α →+* β) "
                            ": α →+* γ := sorry"),
    ("Submodule", "structure", "structure Submodule (R M : Type u) where\n  carrier : Set M"),
    ("Submodule.spanFinrank", "def", "def Submodule.spanFinrank {R M : Type u} "
                                     "(p : Submodule R M) : ℕ := 0"),
    ("Ideal", "abbrev", "abbrev Ideal (R : Type u) := Submodule R R"),
    # Mathlib/Analysis/SpecialFunctions/Trigonometric/Basic.lean (`Real.pi : ℝ`)
    ("Real.pi", "def", "def Real.pi : ℝ := 2 * Classical.choose exists_cos_eq_zero"),
]


def _ring_table(notations: str) -> ClassTable:
    from lean_alchemy.index.typing.notation_commands import infix_commands, notation_commands

    sigs = list(core_sigs())
    for name, kind, text in RING_LIB:
        sigs.extend(sigs_of_source(name, kind, text))
    sigs.extend(infix_commands('infixr:25 " →+* " => RingHom'))
    sigs.extend(notation_commands(notations))
    return ClassTable.build(sigs)


def test_dot_notation_through_an_infix_type_and_an_unfolded_abbrev() -> None:
    """`g.comp f` for `g : B →+* C` resolves in `RingHom` (the constant the infix stands
    for); `I.spanFinrank` for `I : Ideal R` in `Submodule` after unfolding `Ideal`; a
    field no namespace on the way has stays unknown; `⇑g` is a function `B → C`."""
    ctx = _ctx(_ring_table(""), "{A B C R : Type u} (g : B →+* C) (f : A →+* B) (I : Ideal R)")
    ty = ctx.infer.type_of
    assert ty(parse_term("g.comp f")) == parse_term("A →+* C")
    assert ty(parse_term("I.spanFinrank")) == parse_term("Nat")
    assert ty(parse_term("I.nowhere")) is None
    assert ty(parse_term("⇑g")) == parse_term("B → C")
    # without the infix command, `B →+* C` names no namespace
    bare = ClassTable.build(list(core_sigs()) + [
        s for name, kind, text in RING_LIB for s in sigs_of_source(name, kind, text)])
    assert _ctx(bare, "{A B C : Type u} (g : B →+* C) (f : A →+* B)").infer.type_of(
        parse_term("g.comp f")) is None


def test_a_notation_token_of_one_reading_has_the_type_of_its_right_side() -> None:
    """`π` is `Real.pi : ℝ` when that is the library's only `π`; Mathlib has others
    (`scoped[Nat.Prime] notation "π" => Nat.primeCounting`,
    Mathlib/NumberTheory/PrimeCounting.lean:60), and then it stays unknown, unless the
    candidate's scope opens only one of them."""
    from lean_alchemy.extract.commands import parse_binders

    one = _ctx(_ring_table('scoped notation "π" => Real.pi'), "(x : ℝ)")
    assert one.infer.type_of(parse_term("π")) == parse_term("Real")
    table = _ring_table('namespace Real\nscoped notation "π" => Real.pi\nend Real\n'
                        'scoped[Nat.Prime] notation "π" => Nat.primeCounting\n'
                        'scoped[ENNReal] notation3 "∞" => (⊤ : ENNReal)')
    groups = binders_of(parse_binders("(x : ℝ)", "(x : ℝ)", 0, 7))

    def pi_in(*opened: str):  # noqa: ANN202
        return Context(table, groups, frozenset(opened)).infer.type_of(parse_term("π"))

    assert pi_in("Real") == parse_term("Real")
    assert pi_in("Real", "Nat.Prime") is None and pi_in("Nat") is None
    assert _ctx(table, "(x : ℝ)").infer.type_of(parse_term("π")) is None
    ennreal = Context(table, groups, frozenset({"ENNReal"}))
    assert ennreal.infer.type_of(parse_term("∞")) == parse_term("ENNReal")


def test_an_apply_hyp_value_passed_to_a_constant_is_judged_by_the_rule_binder() -> None:
    """An `apply_hyp` mutant's new hypothesis `Nat.findGreatest P n < k` (the antecedent
    of `Nat.findGreatest_is_greatest`) elaborates `P` against `Nat.findGreatest`'s
    `ℕ → Prop` (Mathlib/Data/Nat/Find.lean:251) whatever the candidate: `P := g` with
    `g : α → ℤ` cannot be one.  A value only an operator takes (`k` of `… < k`) is left to
    the operator's class, as before."""
    table = _table()
    ctx = _ctx(table, "{α : Type u} (g : α → ℤ) (z : ℤ)")
    filt = TypedFilter(table)
    names, kinds = ["P", "n", "k"], ["explicit", "explicit", "explicit"]
    types = [parse_term("ℕ → Prop"), parse_term("ℕ"), parse_term("ℕ")]
    new = (parse_term("Nat.findGreatest P n < k"),)
    to_int = {"P": parse_term("g"), "k": parse_term("z")}
    assert filt.check(ctx, names, kinds, types, to_int, mutation="apply_hyp",
                      new_terms=new) == "type_clash"
    assert filt.last["clash"][0] == "P"
    only_operand = {"k": parse_term("z")}
    assert filt.check(ctx, names, kinds, types, only_operand, mutation="apply_hyp",
                      new_terms=new) is None


def test_section_variables_a_definition_rebinds_or_matches_on_are_not_included() -> None:
    """`def lowerCentralSeriesLast : LieSubmodule R L M := match … with | 0 => ⊥ | k + 1 =>
    lowerCentralSeries R L M k` under `variable (k : ℕ)` (Mathlib/Algebra/Lie/Nilpotent.lean:
    443): the arm binds `k`, so Lean does not include the section's; `def
    extensionEmbeddingOfIsReal {v : InfinitePlace K} (hv : IsReal v)` under `variable (v :
    InfinitePlace K)` binds its own `v`.  Included, each made the value's type a function
    (`ℕ → LieSubmodule R L M`) and the rewrites Mathlib's own proofs make type clashes."""
    from lean_alchemy.extract.commands import parse_binders

    def section(text: str) -> tuple:
        return binders_of(parse_binders(text, text, 0, len(text)))

    last = ("def lowerCentralSeriesLast : LieSubmodule R L M :=\n"
            "  match nilpotencyLength L M with\n  | 0 => ⊥\n  | k + 1 => lowerCentralSeries R L M k")
    sig = sigs_of_source("lowerCentralSeriesLast", "def", last,
                         section("(R : Type u) (L : Type v) (M : Type w) (k : ℕ)"))[0]
    assert [n for g in sig.binders for n in g.names] == ["R", "L", "M"]
    uses = "def shift : ℕ := k + 1"
    assert [n for g in sigs_of_source("shift", "def", uses, section("(k : ℕ)"))[0].binders
            for n in g.names] == ["k"]
    emb = "def extensionEmbeddingOfIsReal {v : InfinitePlace K} (hv : IsReal v) : ℝ := sorry"
    sig = sigs_of_source("extensionEmbeddingOfIsReal", "def", emb,
                         section("{K : Type u} (v : InfinitePlace K)"))[0]
    assert [(n, g.kind) for g in sig.binders for n in g.names] == [
        ("K", "implicit"), ("v", "implicit"), ("hv", "explicit")]


def test_a_numeral_takes_the_type_its_place_in_the_match_expects() -> None:
    """`x * y` matched `a * 2` with `a : ℝ`: `y : α` and `α := ℝ` from `a`, so `2 : ℝ`,
    as Lean's `binop%` elaborates it; a numeral whose declared type nothing solves stays
    untyped, and neither drops the match."""
    table = _table()
    ctx = _ctx(table, "(a : ℝ) (n : ℕ)")
    filt = TypedFilter(table)
    names, kinds = ["α", "x", "y"], ["implicit", "explicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α"), parse_term("α")]
    assert filt.check(ctx, names, kinds, types, {"x": parse_term("a"),
                                                 "y": parse_term("2")}) is None
    assert filt.stats["values"] == 2 and filt.stats["values_typed"] == 2
    assert [v[3] for v in filt.last["values"]] == [parse_term("Real"), parse_term("Real")]
    # negative: the numeral's type variable is solved by no other value
    other = [parse_term("Type u"), parse_term("Type u"), parse_term("α"),
             parse_term("β")]
    filt2 = TypedFilter(table)
    assert filt2.check(ctx, ["α", "β", "x", "y"], ["implicit"] * 2 + ["explicit"] * 2,
                       other, {"x": parse_term("a"), "y": parse_term("2")}) is None
    assert filt2.stats["values_typed"] == 1 and filt2.last["values"][1][3] is None



def test_a_literal_takes_the_type_its_place_expects_too() -> None:
    """`⊤`, `∅`, `-1`, `_` and `.univ` are elaborated against their expected type as a
    numeral is: `x ⊔ y` matched `a ⊔ ⊤` with `a : ℝ` gives `⊤ : ℝ`.  A name that is no
    literal (`c`, unknown to the candidate) stays untyped."""
    table = _table()
    ctx = _ctx(table, "(a : ℝ)")
    names, kinds = ["α", "x", "y"], ["implicit", "explicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α"), parse_term("α")]
    for lit in ("⊤", "∅", "-1", "_", ".univ"):
        filt = TypedFilter(table)
        assert filt.check(ctx, names, kinds, types, {"x": parse_term("a"),
                                                     "y": parse_term(lit)}) is None
        assert filt.stats["values_typed"] == 2, lit
        assert filt.last["values"][1][3] == parse_term("Real"), lit
    filt = TypedFilter(table)
    filt.check(ctx, names, kinds, types, {"x": parse_term("a"), "y": parse_term("c")})
    assert filt.stats["values_typed"] == 1 and filt.stats["values_literals"] == 0


def test_a_pair_and_its_components_have_product_types() -> None:
    """`(a, n)` is an `ℝ × ℕ` (`(a, b, c)` nests to the right, as `×` does), `p.1` and
    `p.2` of `p : A × B` are an `A` and a `B`; a structure's numbered field is unread."""
    ctx = _ctx(_table(), "(a : ℝ) (n : ℕ) (p : ℝ × ℕ) (q : Foo)")
    ty = ctx.infer.type_of
    assert ty(parse_term("(a, n)")) == parse_term("ℝ × ℕ")
    assert ty(parse_term("(a, n, a)")) == parse_term("ℝ × ℕ × ℝ")
    assert ty(parse_term("p.1")) == parse_term("ℝ") and ty(parse_term("p.2")) == parse_term("ℕ")
    assert ty(parse_term("q.1")) is None and ty(parse_term("(a, c)")) is None

# Mathlib/Data/Matrix/Defs.lean:47 (`def Matrix (m : Type u) (n : Type u') (α : Type v) :
# Type max u u' v := m → n → α`), Mathlib/Data/Set/Defs.lean (`def Set (α : Type u) :=
# α → Prop`)
MATRIX = [("Matrix", "def", "def Matrix (m : Type u) (n : Type u') (α : Type v) : "
                            "Type max u u' v := m → n → α"),
          ("Set", "def", "def Set (α : Type u) := α → Prop"),
          ("Finset", "structure", "structure Finset (α : Type u) where\n  val : List α")]


def test_a_value_of_a_type_level_definition_applies_through_its_body() -> None:
    """`M i j` with `M : Matrix m n R` is an `R`, as Lean unfolds `Matrix` to
    `m → n → R`; `s x` with `s : Set α` a proposition; a structure does not unfold."""
    ctx = _ctx(class_table(MATRIX), "{m n R : Type} (M : Matrix m n R) (i : m) (j : n) "
                                    "(s : Set m) (t : Finset m)")
    ty = ctx.infer.type_of
    assert ty(parse_term("M i j")) == parse_term("R")
    assert ty(parse_term("M i")) == parse_term("n → R")
    assert ty(parse_term("s i")) == parse_term("Prop")
    # negatives: a structure is no function, and a matrix takes two arguments
    assert ty(parse_term("t i")) is None
    assert ty(parse_term("M i j i")) is None


# Mathlib/MeasureTheory/Measure/MeasureSpaceDef.lean:89 (`instance Measure.instFunLike
# [MeasurableSpace α] : FunLike (Measure α) (Set α) ℝ≥0∞`), Mathlib/MeasureTheory/Measure/
# Count.lean:25-32 (`count` under `variable [MeasurableSpace α]`)
MEASURE = [
    ("Set", "def", "def Set (α : Type u) := α → Prop"),
    ("ENNReal", "def", "def ENNReal : Type := WithTop NNReal"),
    ("MeasurableSpace", "class", "class MeasurableSpace (α : Type u) where\n  m : Set α → Prop"),
    ("FunLike", "class", "class FunLike (F : Sort u) (α : Sort v) (β : Sort w) where\n"
                         "  coe : F → α → β"),
    ("Measure", "structure", "structure Measure (α : Type u) [MeasurableSpace α] where\n"
                             "  m : Set α → ENNReal"),
    ("Measure.instFunLike", "instance", "instance Measure.instFunLike {α : Type u} "
                                        "[MeasurableSpace α] : FunLike (Measure α) (Set α) "
                                        "ENNReal := sorry"),
    ("Measure.count", "def", "def Measure.count {α : Type u} [MeasurableSpace α] : "
                             "Measure α := sorry"),
]


def test_a_bundled_value_applies_through_its_fun_like_instance() -> None:
    """`μ s` with `μ : Measure α` is an `ENNReal` (the library's `FunLike` instance gives
    the domain `Set α`); `Measure.count s` with `s : Set ι` solves `count`'s `α := ι`
    through that domain, so it asks `MeasurableSpace ι`, which a bare `ι` lacks.  A
    type with no `FunLike` instance applies to nothing."""
    table = class_table(MEASURE)
    ctx = _ctx(table, "{α ι : Type u} [MeasurableSpace α] (μ : Measure α) (s : Set α) "
                      "(t : Set ι) (n : ℕ)")
    assert ctx.infer.type_of(parse_term("μ s")) == parse_term("ENNReal")
    assert ctx.infer.type_of(parse_term("n s")) is None
    filt = TypedFilter(table)
    names, kinds = ["α", "s"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("Set α")]
    new = (parse_term("Measure.count s = Measure.count s"),)
    assert filt.check(ctx, names, kinds, types, {"s": parse_term("t")},
                      new_terms=new) == "instance_missing"
    assert filt.check(ctx, names, kinds, types, {"s": parse_term("s")}, new_terms=new) is None


def test_an_untyped_binder_rebinds_a_section_variable() -> None:
    """`theorem smul_eval (x) (p : MvPolynomial σ R) (s) : …` under `variable {s : σ →₀ ℕ}`
    (Mathlib/Algebra/MvPolynomial/Eval.lean): the theorem's `(s)` is a new variable whose
    type Lean infers from its use, not the section's; a typed re-binding takes its type."""
    ctx = _ctx(_table(), "{R : Type u} {s : ℕ} (a : R) (s)")
    assert ctx.infer.type_of(parse_term("s")) is None
    assert ctx.infer.type_of(parse_term("a")) == parse_term("R")
    retyped = _ctx(_table(), "{α : Type u} {s : ℕ} (s : α)")
    assert retyped.infer.type_of(parse_term("s")) == parse_term("α")


# Mathlib/Analysis/Normed/Group/Defs.lean:66-82 (`class NNNorm (E : Type*) where nnnorm :
# E → ℝ≥0`, `class ENorm (E : Type*) where enorm : E → ℝ≥0∞`, `notation "‖" e "‖₊" =>
# nnnorm e`, `notation "‖" e "‖ₑ" => enorm e`)
NORMS = [
    ("NNNorm", "class", "class NNNorm (E : Type u) where\n  nnnorm : E → NNReal"),
    ("ENorm", "class", "class ENorm (E : Type u) where\n  enorm : E → ENNReal"),
]


def test_the_nn_and_extended_norms_have_their_types_and_ask_their_classes() -> None:
    """`‖x‖₊ : ℝ≥0` and `‖x‖ₑ : ℝ≥0∞` (not `ℝ`, the type of `‖x‖`); as new text,
    `‖x‖ₑ` needs `ENorm X`, which a bare `X` lacks."""
    table = class_table(NORMS)
    ctx = _ctx(table, "{X : Type u} (x : X)")
    assert ctx.infer.type_of(parse_term("‖x‖₊")) == parse_term("NNReal")
    assert ctx.infer.type_of(parse_term("‖x‖ₑ")) == parse_term("ENNReal")
    filt = TypedFilter(table)
    names, kinds = ["E", "a"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("E")]
    new = (parse_term("‖a‖ₑ = ‖a‖ₑ"),)
    assert filt.check(ctx, names, kinds, types, {"a": parse_term("x")},
                      new_terms=new) == "instance_missing"
    normed = _ctx(table, "{X : Type u} [ENorm X] (x : X)")
    assert filt.check(normed, names, kinds, types, {"a": parse_term("x")},
                      new_terms=new) is None


def test_a_function_without_binder_types_is_typed_at_its_place() -> None:
    """`fun n ↦ a * n` matched where the rule has `f : ℕ → α`, `α := ℝ` from `x := a`: Lean
    elaborates it against `ℕ → ℝ`, `n : ℕ`, and its body is an `ℝ`.  A body that can be
    no `Finset ℕ` (a `Filter ℝ`) where `α := Finset ℕ` is a clash; a numeral body takes
    the codomain, unjudged; with `α` unsolved, nothing is known."""
    table = _table()
    ctx = _ctx(table, "(a : ℝ) (b : ℤ) (l : Filter ℝ) (s : Finset ℕ)")
    names, kinds = ["α", "x", "f"], ["implicit", "explicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α"), parse_term("ℕ → α")]

    def check(x: str, f: str) -> tuple[str | None, TypedFilter]:
        filt = TypedFilter(table)
        return filt.check(ctx, names, kinds, types, {"x": parse_term(x),
                                                     "f": parse_term(f)}), filt

    got, filt = check("a", "fun n ↦ a * n")
    assert got is None and filt.stats["values_typed"] == 2
    assert filt.last["values"][1][3] == parse_term("Nat → Real")
    got, filt = check("a", "fun n => b")  # an `ℤ` body: coerced to `ℝ`
    assert got is None and filt.stats["values_typed"] == 2
    assert check("s", "fun _ ↦ l")[0] == "type_clash"
    assert check("s", "fun _ ↦ s")[0] is None
    got, filt = check("a", "fun _ ↦ 0")
    assert got is None and filt.stats["values_typed"] == 1
    got, filt = check("l", "fun _ ↦ l")  # `α := Filter ℝ`: no clash
    assert got is None and filt.stats["values_typed"] == 2
    got, filt = check("_", "fun n ↦ a * n")
    assert got is None and filt.stats["values_typed"] == 0
