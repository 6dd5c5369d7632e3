"""The instances a mutant needs through dot notation and through the binders it states.

Facts mirrored by the fixture, read in Mathlib:
- `abbrev Orientation := Module.Ray R (M [⋀^ι]→ₗ[R] R)` under
  `variable (R : Type*) [CommSemiring R] … (M : Type*) [AddCommMonoid M] [Module R M]`
  (Mathlib/LinearAlgebra/Orientation.lean:44-51): no written type;
- `Orientation.oangle` under `[NormedAddCommGroup V] [InnerProductSpace ℝ V]
  [Fact (finrank ℝ V = 2)] (o : Orientation ℝ V (Fin 2))`
  (Mathlib/Geometry/Euclidean/Angle/Oriented/Basic.lean:47-61);
- `Finset.max` under `variable [LinearOrder α]` (Mathlib/Data/Finset/Max.lean:29-34).
"""

from helpers.typing_library import candidate_context as _ctx
from helpers.typing_library import class_table
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import TypedFilter

LIB = [
    ("AddCommMonoid", "class", "class AddCommMonoid (M : Type u) where\n  zero : M"),
    ("NormedAddCommGroup", "class",
     "class NormedAddCommGroup (V : Type u) extends AddCommMonoid V where\n  n : V → ℕ"),
    ("LE", "class", "class LE (α : Type u) where\n  le : α → α → Prop"),
    ("LinearOrder", "class", "class LinearOrder (α : Type u) extends LE α where\n  t : ℕ"),
    ("Finset", "structure", "structure Finset (α : Type u) where\n  val : List α"),
    ("Finset.max", "def",
     "def Finset.max {α : Type u} [LinearOrder α] (s : Finset α) : Option α := none"),
    ("Finset.copy", "def", "def Finset.copy {α : Type u} (s : Finset α) : Finset α := s"),
    ("Orientation", "abbrev",
     "abbrev Orientation (R : Type u) (M : Type v) [AddCommMonoid M] (ι : Type w) := "
     "Module.Ray R M"),
    ("Orientation.oangle", "def",
     "def Orientation.oangle {V : Type u} [NormedAddCommGroup V] "
     "(o : Orientation ℕ V (Fin 2)) (x y : V) : ℕ := 0"),
]
# `left_ne_zero_of_oangle_eq_pi`: `{x y : V} (h : o.oangle x y = π) : x ≠ 0`, with the
# section's `V`, `[NormedAddCommGroup V]` and `o`
NAMES = ["V", "", "o", "x", "y"]
KINDS = ["implicit", "inst", "explicit", "implicit", "implicit"]
TYPES = [parse_term("Type u"), parse_term("NormedAddCommGroup V"),
         parse_term("Orientation ℕ V (Fin 2)"), parse_term("V"), parse_term("V")]


def _table() -> ClassTable:
    return class_table(LIB)


def test_dot_notation_on_a_rule_variable_asks_the_field_s_instances() -> None:
    """`o.oangle x y` in an `apply_hyp` mutant's new hypothesis, `x := c` with
    `c : G₀` (so `V := G₀` and `o : Orientation ℕ G₀ (Fin 2)`, a type with a numeral):
    `Orientation.oangle` needs `NormedAddCommGroup G₀`, which a `[Mul G₀]` variable does
    not have; with `[NormedAddCommGroup G₀]` the match is kept."""
    table = _table()
    filt = TypedFilter(table)
    new = (parse_term("o.oangle x y = 0"),)
    val = {"x": parse_term("c")}
    bare = _ctx(table, "{G₀ : Type u} [Mul G₀] (c : G₀)")
    assert filt.check(bare, NAMES, KINDS, TYPES, val, "apply_hyp",
                      new_terms=new) == "instance_missing"
    assert any(str(q).find("NormedAddCommGroup") >= 0 for q, _ in filt.last["queries"])
    normed = _ctx(table, "{G₀ : Type u} [NormedAddCommGroup G₀] (c : G₀)")
    assert filt.check(normed, NAMES, KINDS, TYPES, val, "apply_hyp", new_terms=new) is None


def test_a_binder_the_mutant_states_asks_its_type_s_instances() -> None:
    """The mutant states `(o : Orientation ℕ G₀ (Fin 2))` itself (the match leaves `o`
    unbound and the new text mentions it): the `abbrev`, whose type is not written,
    needs `AddCommMonoid G₀` (its body's `Module.Ray` is not in the table either).  A
    bound `o` is the candidate's own and asks nothing."""
    table = _table()
    filt = TypedFilter(table)
    new = (parse_term("o = o"),)
    bare = _ctx(table, "{G₀ : Type u} [Mul G₀] (c : G₀) (p : Orientation ℕ G₀ (Fin 2))")
    val = {"x": parse_term("c")}
    assert filt.check(bare, NAMES, KINDS, TYPES, val, "apply_hyp",
                      new_terms=new) == "instance_missing"
    bound = {"x": parse_term("c"), "o": parse_term("p")}
    assert filt.check(bare, NAMES, KINDS, TYPES, bound, "apply_hyp", new_terms=new) is None
    normed = _ctx(table, "{G₀ : Type u} [NormedAddCommGroup G₀] (c : G₀)")
    assert filt.check(normed, NAMES, KINDS, TYPES, val, "apply_hyp", new_terms=new) is None


def test_a_field_of_a_compound_receiver_asks_its_instances() -> None:
    """`s.max` and `(Finset.copy s).max` with `s : Finset β`: `Finset.max` needs
    `LinearOrder β`, which a `[LE β]` variable lacks and a `[LinearOrder β]` one has."""
    table = _table()
    filt = TypedFilter(table)
    names, kinds = ["α", "s", "a"], ["implicit", "explicit", "explicit"]
    types = [parse_term("Type u"), parse_term("Finset α"), parse_term("Option α")]
    val = {"s": parse_term("t"), "a": parse_term("o")}
    for text in ("s.max = a", "(Finset.copy s).max = a"):
        new = (parse_term(text),)
        le = _ctx(table, "{β : Type u} [LE β] (t : Finset β) (o : Option β)")
        assert filt.check(le, names, kinds, types, val, new_terms=new) == "instance_missing"
        lin = _ctx(table, "{β : Type u} [LinearOrder β] (t : Finset β) (o : Option β)")
        assert filt.check(lin, names, kinds, types, val, new_terms=new) is None


def test_a_notation_token_and_divisibility_ask_their_constants() -> None:
    """`∡ x y` is `EuclideanGeometry.oangle x y` (`scoped notation "∡" =>
    EuclideanGeometry.oangle`, Mathlib/Geometry/Euclidean/Angle/Oriented/Affine.lean:47):
    the token asks the binders of its constant, here `NormedAddCommGroup` of the points'
    type.  `a ∣ b` asks `Dvd` of the operands' type (`infix:50 " ∣ " => Dvd.dvd`)."""
    from lean_alchemy.index.typing.notation_commands import notation_commands

    lib = LIB + [("Dvd", "class", "class Dvd (α : Type u) where\n  dvd : α → α → Prop"),
                 ("angle", "def", "def angle {V : Type u} [NormedAddCommGroup V] "
                                  "(x y : V) : ℕ := 0")]
    table = class_table(lib, list(notation_commands('scoped notation "∡" => angle\n')))
    texts = ("∡ x y = 0", "x ∣ y")
    assert _binary_verdicts(table, "{G : Type u} [Mul G] (c d : G)", texts) == \
        ["instance_missing"] * 2
    assert _binary_verdicts(table, "{G : Type u} [NormedAddCommGroup G] [Dvd G] (c d : G)",
                            texts) == [None] * 2


def _binary_verdicts(table: ClassTable, binders: str, texts: tuple[str, ...]) -> list:
    """The filter's verdict on each new text of a rule `(x y : α)` matched at `x := c`,
    `y := d` in a candidate with `binders`."""
    filt = TypedFilter(table)
    names, kinds = ["α", "x", "y"], ["implicit", "explicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α"), parse_term("α")]
    val = {"x": parse_term("c"), "y": parse_term("d")}
    ctx = _ctx(table, binders)
    return [filt.check(ctx, names, kinds, types, val, new_terms=(parse_term(t),))
            for t in texts]


def test_an_infix_operator_asks_the_binders_of_its_constant() -> None:
    """`a ◃ b` is `Shelf.act a b` (`scoped[Quandles] infixr:65 " ◃ " => Shelf.act`,
    Mathlib/Algebra/Quandle.lean:139; the mutation stage opens `Quandles` for it) and
    `a <ᵥ b` is `ValuativeRel.vlt a b` (`infix:50 " <ᵥ " => ValuativeRel.vlt`,
    Mathlib/RingTheory/Valuation/ValuativeRel/Basic.lean:113, under `[CommRing R]
    [ValuativeRel R]`): each asks its constant's instance binders at the operands' type.
    A library `infix` of a token Lean core defines (`scoped infixl " • " =>
    gabrielComposition`, Mathlib/RingTheory/IdealFilter/Basic.lean:165) asks nothing for
    a rule's `•`, and neither does a `notation` between two variables whose right side is
    no constant applied to them (`α ×ₗ β => Lex (Prod α β)`)."""
    from lean_alchemy.index.typing.notation_commands import infix_commands

    lib = [("Shelf", "class", "class Shelf (α : Type u) where\n  act : α → α → α"),
           ("ValuativeRel", "class", "class ValuativeRel (R : Type u) where\n  v : R → Prop"),
           ("ValuativeRel.vlt", "def", "def ValuativeRel.vlt {R : Type u} [ValuativeRel R] "
                                       "(x y : R) : Prop := True"),
           ("Strange", "class", "class Strange (α : Type u) where\n  s : α → α → α"),
           ("Lex", "def", "def Lex {α : Type u} [Strange α] (a b : α) : α := a")]
    commands = ('scoped[Quandles] infixr:65 " ◃ " => Shelf.act\n'
                'infix:50 " <ᵥ " => ValuativeRel.vlt\n'
                'scoped infixl:70 " • " => Strange.s\n'
                'notation:35 α " ×ₗ " β:34 => Lex (Prod α β)\n')
    table = class_table(lib, list(infix_commands(commands)))
    texts = ("x ◃ y = x", "x <ᵥ y")
    assert _binary_verdicts(table, "{G : Type u} (c d : G)", texts) == ["instance_missing"] * 2
    assert _binary_verdicts(table, "{G : Type u} [Shelf G] [ValuativeRel G] (c d : G)",
                            texts) == [None] * 2
    assert _binary_verdicts(table, "{G : Type u} (c d : G)",
                            ("x • y = x", "x ×ₗ y = x")) == [None] * 2


def test_a_complement_asks_the_class_the_library_names_compl() -> None:
    """`xᶜ` is `compl x`, `Compl.compl` since Mathlib renamed `HasCompl` to `Compl`
    (Mathlib/Order/Notation.lean:44-58): a `[Boolean X]` variable whose class extends
    `Compl` has it; asking the deprecated `HasCompl` answered *no* and refused
    `compl_sdiff` rewritten by `sdiff_eq`, one of Mathlib's own rewrites.  A library
    without `Compl` is asked `HasCompl`."""
    names, kinds = ["α", "x"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("α")]
    val, new = {"x": parse_term("c")}, (parse_term("xᶜ = x"),)
    for cls in ("Compl", "HasCompl"):
        table = class_table([
            (cls, "class", f"class {cls} (α : Type u) where\n  compl : α → α"),
            ("Boolean", "class", f"class Boolean (α : Type u) extends {cls} α where\n  t : α")])
        filt = TypedFilter(table)
        assert filt.check(_ctx(table, "{X : Type u} [Boolean X] (c : X)"), names, kinds,
                          types, val, new_terms=new) is None, cls
        assert filt.check(_ctx(table, "{X : Type u} (c : X)"), names, kinds, types, val,
                          new_terms=new) == "instance_missing", cls


def test_a_proposition_applied_past_its_header_asks_nothing() -> None:
    """`UniqueDiffWithinAt 𝕜 s x`: Mathlib's structure takes the section variable `(𝕜)`
    its fields use (Mathlib/Analysis/Calculus/TangentCone/Defs.lean:42), which a header
    does not show; read with the header's binders alone, `s` would be its `(s : Set E)`
    and `x : Set R` would ask `TopologicalSpace (Set R)`.  Applied to more arguments than
    its explicit binders, a proposition asks nothing; applied as its header says, it
    asks as before."""
    lib = [("TopologicalSpace", "class", "class TopologicalSpace (X : Type u) where\n"
                                         "  o : X → Prop"),
           ("UniqueDiffWithinAt", "structure",
            "structure UniqueDiffWithinAt {E : Type u} [TopologicalSpace E] (s : Set E) "
            "(x : E) : Prop where\n  d : True")]
    table = class_table(lib)
    filt = TypedFilter(table)
    names, kinds = ["s", "x"], ["explicit", "explicit"]
    types = [parse_term("Set R"), parse_term("R")]
    ctx = _ctx(table, "{R : Type u} (t : Set R) (y : R)")
    val = {"s": parse_term("t"), "x": parse_term("y")}
    past = (parse_term("UniqueDiffWithinAt 𝕜 s x"),)
    assert filt.check(ctx, names, kinds, types, val, new_terms=past) is None
    assert not filt.last["queries"]
    header = (parse_term("UniqueDiffWithinAt s x"),)
    assert filt.check(ctx, names, kinds, types, val, new_terms=header) == "instance_missing"
