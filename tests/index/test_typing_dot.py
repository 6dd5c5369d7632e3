"""Dot notation in a mutant's new text: `v.f` on the value of a rule variable resolves in
the namespace of the head of the value's type, its parents and what its definition
unfolds to, or the mutant does not elaborate.  Each fixture mirrors declarations read in
Mathlib (cited beside it)."""

from helpers.typing_library import candidate_context as _ctx
from lean_alchemy.extract.commands import parse_binders
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.statements import binders_of
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.filter import Context, TypedFilter
from lean_alchemy.index.typing.infer import MIN_FUNCTION_NAMES, Constants
from lean_alchemy.index.typing.new_text import receiver_fields
from lean_alchemy.index.typing.signatures import Sig, core_sigs, sigs_of_source

# - `def Set (α : Type u) := α → Prop` (Mathlib/Data/Set/Defs.lean:51);
# - `def Language (α) := Set (List α)` and `def reverse (l : Language α) : Language α`
#   in `namespace Language` (Mathlib/Computability/Language.lean:65,333);
# - `structure Submonoid (M : Type*) [MulOneClass M] extends Subsemigroup M`
#   (Mathlib/Algebra/Group/Submonoid/Defs.lean:89) and `structure Subgroup (G : Type*)
#   [Group G] extends Submonoid G` (Mathlib/Algebra/Group/Subgroup/Defs.lean:295);
#   `Submonoid.closure` is declared in `namespace Submonoid`;
# - `Set.image` (Mathlib/Data/Set/Defs.lean) and the theorem `Set.Nonempty.mono`.
LIB = [
    ("Set", "def", "def Set (α : Type u) := α → Prop"),
    ("Set.image", "def", "def Set.image {α β : Type u} (f : α → β) (s : Set α) : Set β := s"),
    ("Language", "def", "def Language (α) :=\n  Set (List α)"),
    ("Language.reverse", "def",
     "def Language.reverse {α : Type u} (l : Language α) : Language α := l"),
    ("Subsemigroup", "structure", "structure Subsemigroup (M : Type u) where\n  carrier : Set M"),
    ("Submonoid", "structure",
     "structure Submonoid (M : Type u) extends Subsemigroup M where\n  one_mem : True"),
    ("Submonoid.closure", "def",
     "def Submonoid.closure {M : Type u} (s : Set M) : Submonoid M := sorry"),
    ("Subgroup", "structure",
     "structure Subgroup (G : Type u) extends Submonoid G where\n  inv_mem : True"),
    ("Subgroup.normalizer", "def",
     "def Subgroup.normalizer {G : Type u} (H : Subgroup G) : Subgroup G := H"),
]
NAMES = ["Set.Nonempty.mono", "Set.Nonempty"]


def _sigs(complete: bool = True) -> list[Sig]:
    """The fixture library; `complete`: with as many `Function.…` names as a whole
    library declares (`Constants.complete`), stand-ins written here."""
    out = list(core_sigs())
    for name, kind, text in LIB:
        out.extend(sigs_of_source(name, kind, text))
    out.extend(Sig(n, "theorem", (), None) for n in NAMES)
    if complete:
        out.extend(Sig(f"Function.lemma{k}", "theorem", (), None)
                   for k in range(MIN_FUNCTION_NAMES))
    return out


def _sigs_with(extra: list[tuple[str, str, str]]) -> list:
    """`_sigs()` and the signatures of `extra` (name, kind, source text)."""
    sigs = _sigs()
    for name, kind, text in extra:
        sigs.extend(sigs_of_source(name, kind, text))
    return sigs


def test_a_partial_library_never_concludes_a_field_is_missing() -> None:
    """A folder cut out of a library lacks the other files that extend a namespace: a
    field missing from its table says nothing."""
    c = Constants(_sigs(complete=False))
    assert not c.dot_fails("Set", "reverse")
    assert not c.function_field_fails("reverse")
    assert Constants(_sigs()).function_field_fails("reverse")


def test_a_field_no_namespace_of_the_unfolding_chain_has_is_certain() -> None:
    """`l.reverse` on a `Set (List α)`: neither `Set.reverse` nor `Function.reverse`
    exists (Lean unfolds `Set` to a function type); on a `Language` it is found."""
    c = Constants(_sigs())
    assert c.dot_fails("Set", "reverse")
    assert not c.dot_fails("Language", "reverse")
    assert not c.dot_fails("Set", "image")  # a definition of the namespace
    assert not c.dot_fails("Set", "Nonempty")  # a theorem or definition: a name
    # `Language` unfolds to `Set`, whose namespace has `image`
    assert not c.dot_fails("Language", "image")
    # `Function.comp` (Lean core): reached through `Set`'s body
    assert not c.dot_fails("Set", "comp")


def test_parents_and_their_projections_resolve() -> None:
    """`H.closure` on a `Subgroup` finds `Submonoid.closure` through `extends`; the
    generated `H.toSubmonoid` exists; a field of no ancestor does not."""
    c = Constants(_sigs())
    assert not c.dot_fails("Subgroup", "closure")
    assert not c.dot_fails("Subgroup", "toSubmonoid")
    assert not c.dot_fails("Subgroup", "carrier")  # the grandparent's field
    assert c.dot_fails("Subgroup", "reverse")
    # `normalizer_eq` may be generated from `Subgroup.normalizer` (`@[simps]`, `reassoc`)
    assert not c.dot_fails("Subgroup", "normalizer_eq")


def test_core_types_and_additive_twins_stay_unknown() -> None:
    """Lean core's `Nat` namespace is not in the table, and `to_additive` makes
    `AddSubgroup.…` twins no source spells: neither is ever a certain failure."""
    c = Constants(_sigs())
    assert not c.dot_fails("ℕ", "unop")
    assert not c.dot_fails("AddSubgroup", "reverse")
    assert not c.dot_fails("Subgroup", "add_mem")
    assert not c.dot_fails("Unknown", "reverse")  # a name the table does not have


def test_the_filter_drops_dot_notation_that_cannot_resolve() -> None:
    """A rule `l.reverse = …` with `l : Language α` matched on a set `s : Set (List β)`
    writes `s.reverse` in the mutant: a clash; on a `Language` value it is kept, and on a
    value of a candidate's type variable no field exists at all."""
    table = ClassTable.build(_sigs())
    filt = TypedFilter(table)
    ctx = _ctx(table, "{β : Type u} (s : Set (List β)) (L : Language β) (x : β)")
    names, kinds = ["α", "l"], ["implicit", "explicit"]
    types = [parse_term("Type u"), parse_term("Language α")]
    new = (parse_term("l.reverse"),)
    check = filt.check
    assert check(ctx, names, kinds, types, {"l": parse_term("s")}, new_terms=new) \
        == "type_clash"
    assert check(ctx, names, kinds, types, {"l": parse_term("L")}, new_terms=new) is None
    assert check(ctx, names, kinds, types, {"l": parse_term("x")}, new_terms=new) \
        == "type_clash"
    # without the field in the new text, the set passes (`Set` unfolds from `Language`)
    plain = (parse_term("Language.reverse l"),)
    assert check(ctx, names, kinds, types, {"l": parse_term("s")}, new_terms=plain) is None


def test_receiver_fields_reads_each_spelling() -> None:
    terms = [parse_term("l.reverse.reverse"), parse_term("(m).image f"),
             parse_term("Set.image f l"), parse_term("p.1")]
    got = receiver_fields(terms, ["l", "m", "p", "f"])
    assert got == {"l": frozenset({"reverse"}), "m": frozenset({"image"})}


def test_an_additive_parent_fails_only_with_its_multiplicative_twin() -> None:
    """`structure Submodule … extends AddSubmonoid M` (Mathlib/Algebra/Module/Submodule/
    Defs.lean): `AddSubmonoid.closure` is the `to_additive` twin of `Submonoid.closure`,
    which no source spells; a field the twin lacks too fails."""
    extra = [("AddSubmonoid", "structure", "structure AddSubmonoid (M : Type u) where\n"
              "  zero_mem : True"),
             ("Submodule", "structure", "structure Submodule (R : Type u) (M : Type v) "
              "extends AddSubmonoid M where\n  smul_mem : True")]
    sigs = _sigs_with(extra)
    c = Constants(sigs)
    assert not c.dot_fails("Submodule", "closure")
    assert c.dot_fails("Submodule", "reverse")
    assert not c.dot_fails("AddSubmonoid", "closure")
    assert c.dot_fails("AddSubmonoid", "reverse")
    # a twin the table does not know: unknown
    assert not c.dot_fails("AddMonoidHom", "reverse")


def test_a_number_or_a_bare_type_variable_is_never_applied() -> None:
    """`differentiableOn_pi` (Mathlib/Analysis/Calculus/FDeriv/Prod.lean:451) writes
    `Φ x i` for `Φ : E → ∀ i, F' i`: bound to `f : E → ℝ`, the mutant applies a real
    number to `i`.  A `Set` value applied once is a proposition (`Set α := α → Prop`),
    applied twice it is not; a bundled map is applied through its coercion."""
    from lean_alchemy.index.typing.new_text import applied_arity, cannot_apply

    c = Constants(_sigs())
    tv, fl = frozenset({"G", "H"}), frozenset({"H"})
    assert cannot_apply(c, parse_term("E → Real"), 2, tv, fl)
    assert not cannot_apply(c, parse_term("E → Real"), 1, tv, fl)
    assert not cannot_apply(c, parse_term("E → ∀ i, F i"), 2, tv, fl)
    assert cannot_apply(c, parse_term("Set α"), 2, tv, fl)
    assert not cannot_apply(c, parse_term("Set α"), 1, tv, fl)
    assert cannot_apply(c, parse_term("G"), 1, tv, fl)  # no function-like instance
    assert not cannot_apply(c, parse_term("H"), 1, tv, fl)  # `[FunLike H …]`
    assert not cannot_apply(c, parse_term("A →+* B"), 1, tv, fl)
    assert not cannot_apply(c, parse_term("Finset α"), 1, tv, fl)  # unknown: kept
    assert applied_arity([parse_term("Φ x i = f (Φ y)"), parse_term("⇑g")],
                         ["Φ", "g", "y"]) == {"Φ": 2, "g": 1}


def test_image_preimage_and_composition_get_types() -> None:
    """`f '' s : Set β` and `f ⁻¹' t : Set α` for `f : α → β` (`Set.image`,
    `Set.preimage`, Mathlib/Data/Set/Defs.lean); `g ∘ f : α → γ` (`Function.comp`)."""
    table = ClassTable.build(_sigs())
    ctx = _ctx(table, "{α β γ : Type u} (f : α → β) (g : β → γ) (e : α →+* β) "
                      "(s : Set α) (t : Set β)")
    ty = ctx.infer.type_of
    assert ty(parse_term("f '' s")) == parse_term("Set β")
    assert ty(parse_term("f ⁻¹' t")) == parse_term("Set α")
    assert ty(parse_term("e '' s")) == parse_term("Set β")
    assert ty(parse_term("g ∘ f")) == parse_term("α → γ")
    assert ty(parse_term("s '' t")) is None  # not a function: unknown


def test_a_type_is_a_function_only_through_its_own_instances() -> None:
    """`FunLike` instances about a bare variable read from a misread header (a section
    variable standing for a structure) or about a class whose first argument is not
    the function type (`FirstOrder.HomClass L F M N`,
    Mathlib/ModelTheory/Basic.lean) do not make every type a function."""
    extra = [("Lang", "structure", "structure Lang where\n  x : Nat"),
             ("HomClass", "class", "class HomClass (L : Lang) (F : Type u) (M N : Type v) "
                                   "where\n  m : True"),
             ("inst1", "instance", "instance {L : Lang} {F M N : Type u} : HomClass L F M N "
                                   ":= sorry"),
             ("Real", "structure", "structure Real where\n  c : Nat")]
    sigs = _sigs_with(extra)
    co = ClassTable.build(sigs).coercions
    assert not co.may_coerce("Real", "→")
    assert not co.may_coerce("Subgroup", "→")


def test_a_written_name_resolves_in_the_candidate_s_namespaces() -> None:
    """`centralizer S` in `namespace Set` is `Set.centralizer` (Mathlib/Algebra/Group/
    Center.lean:106), not `Subgroup.centralizer`: with the scope's namespaces the one
    declaration Lean may resolve is used; without them the name stays ambiguous."""
    from lean_alchemy.core.records import Scope
    from lean_alchemy.index.typing.scoped import resolution_namespaces

    extra = [("Set.centralizer", "def", "def Set.centralizer {M : Type u} (S : Set M) : "
                                        "Set M := S"),
             ("Subgroup.centralizer", "def", "def Subgroup.centralizer {G : Type u} "
                                             "(s : Set G) : Subgroup G := sorry")]
    sigs = _sigs_with(extra)
    table = ClassTable.build(sigs)
    groups = binders_of(parse_binders("{M : Type u} (S : Set M)", "{M : Type u} (S : Set M)",
                                      0, 24))
    scope = Scope("M", (), ("Set",), (("namespace", "namespace Set"),))
    inside = Context(table, groups, resolution_namespaces(scope, "Set.centralizer_union"))
    assert inside.infer.type_of(parse_term("centralizer S")) == parse_term("Set M")
    outside = Context(table, groups)
    assert outside.infer.type_of(parse_term("centralizer S")) is None
    # `theorem Set.foo` outside any namespace is elaborated inside `Set` too
    assert "Set" in resolution_namespaces(None, "Set.foo")


def test_generated_twins_and_bundled_maps_are_not_clashes() -> None:
    """`f.support` on a function is `Function.support`, the `to_additive` twin of
    `def mulSupport (f : ι → M) : Set ι` in `namespace Function`
    (Mathlib/Algebra/Notation/Support.lean:32), which no source spells; a bundled map
    (`α →ₛ β`, Mathlib/MeasureTheory/Function/SimpleFunc/Defs.lean) is a function
    through its `FunLike` instance even when the table lacks that instance."""
    sigs = _sigs() + [Sig("Function.mulSupport", "def", (), None)]
    c = Constants(sigs)
    assert not c.function_field_fails("support")
    assert c.function_field_fails("restrictScalars")
    co = ClassTable.build(sigs).coercions
    assert co.may_coerce("→ₛ", "→")
    assert not co.may_coerce("Real", "→")


def test_a_structure_whose_fields_were_not_read_may_have_any() -> None:
    """`structure Matroid (α : Type*) where (E : Set α) …` writes its fields as binders
    (Mathlib/Combinatorics/Matroid/Basic.lean:192), some over several lines, which are not
    read: then no field is taken as read, so `M.E` and `M.reverse` are unknown.  Binders on
    one line each are read as fields, and a name none of them has certainly fails."""
    text = ("structure Matroid (α : Type u) where\n  (E : Set α)\n  (Indep : Set α → Prop)\n"
            "  (indep_maximal : ∀ X, X ⊆ E →\n      Indep X)")
    c = Constants(_sigs() + sigs_of_source("Matroid", "structure", text))
    assert not c.dot_fails("Matroid", "E")
    assert not c.dot_fails("Matroid", "reverse")
    assert c.dot_fails("Subgroup", "reverse")  # fields read: a missing one is certain
    one_line = text.rsplit("\n  (indep_maximal", 1)[0]
    c = Constants(_sigs() + sigs_of_source("Matroid", "structure", one_line))
    assert not c.dot_fails("Matroid", "Indep")
    assert c.dot_fails("Matroid", "reverse")
