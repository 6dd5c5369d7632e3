"""Rule variables that only the types of matched values fix (`index.match.fill`, solved by
`index.match.unify`): a value solved from one type fixes more through its own declared type,
binding notations in types correspond up to their bound names, the operator of a bundled
map's type is read even when both sides spell it alike, and a bundled map stands for the
function it coerces to."""

from __future__ import annotations

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.statements import decl_binders, decl_conclusion, scope_binders
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.index.match.unify import unify

from helpers.lean_text import derived_rules, extract, mutant_conclusion

LIB = """\
theorem iso_iff_bij {C : Type*} [Category C] {X Y : C} (f : X ⟶ Y) :
    IsIso f ↔ ∀ T : C, Bij (fun x : Y ⟶ T => f ≫ x) := sorry

theorem cand_iso {D : Type*} [Category D] {A B : D} (g : A ⟶ B) : IsIso g := sorry

theorem cand_iso_untyped {A B} (g : A ⟶ B) : IsIso g := sorry

theorem pi_image {ι : Type*} {α : ι → Type*} (s : Set (Π i, α i)) :
    piImg s = piImgOf α s := sorry

theorem cand_pi {κ : Type*} {β : κ → Type*} (t : Set (Π k, β k)) : Good (piImg t) := sorry

theorem cand_pi_same {ι : Type*} {α : ι → Type*} (t : Set (Π i, α i)) :
    Good (piImg t) := sorry

theorem cand_pi_const {κ : Type*} (t : Set (Π k, ℕ)) : Good (piImg t) := sorry

theorem int_coe {α ε : Type*} {μ : Measure α} {f : α →ₘ[μ] ε} :
    Integrable f μ ↔ AEInt f := sorry

section
variable {β γ : Type*} {μ : Measure β}

-- `μ` only inside the operator: not among the section variables the statement uses
theorem cand_int {g : β →ₘ[μ] γ} : AEInt g := sorry

end

theorem cand_int_other {β γ : Type*} {ν : Measure β} {g : β →ₘ[ν] γ} : AEInt g := sorry

theorem mk_eq_lift {α β : Type*} (f : α → β) : mk f = lift (Fn.of α) f := sorry

theorem cand_mk_hom {A B : Type*} [Ring A] [Ring B] (φ : A →+* B) : Good (mk φ) := sorry

theorem cand_mk_fun {A B : Type*} (φ : A → B) : Good (mk φ) := sorry

theorem cand_mk_partial {A B : Type*} (φ : A →. B) : Good (mk φ) := sorry

theorem mod_iff {R : Type*} (M : (Spec R).Modules) : Good M ↔ Fine R M := sorry

theorem cand_mod {S : Type*} (N : (Spec S).Modules) : Good N := sorry

theorem cand_mod_prod {S : Type*} (N : (Spec (S × S)).Modules) : Good N := sorry

theorem cand_mod_other {S : Type*} (N : (Spec S).Sheaves) : Good N := sorry
"""

_DECLS, _SCOPES = extract(LIB)


def _index(*lemmas: str) -> RuleIndex:
    return RuleIndex.build([r for n in lemmas for r in derived_rules(LIB, n)])


def _invocations(ix: RuleIndex, cand: str, lemma: str, direction: str):
    d = _DECLS[cand]
    section = tuple(scope_binders(_SCOPES[d.scope_id]))
    return [inv for inv in ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d),
                                          extra_binders=section)
            if ix.rules[inv.rule_id].lemma == lemma
            and ix.rules[inv.rule_id].direction == direction and inv.kind == "rw_goal"]


def _subst(inv) -> dict[str, str]:
    return {k: print_term(loads(v)) for k, v in inv.subst}


def _mutant(ix: RuleIndex, cand: str, inv) -> str:
    return mutant_conclusion(_DECLS[cand], ix.rules[inv.rule_id], inv)


def test_a_solved_value_fixes_more_through_its_declared_type():
    # `Y := B` from `g : A ⟶ B`, then `C := D` from `B : D`
    ix = _index("iso_iff_bij")
    invs = _invocations(ix, "cand_iso", "iso_iff_bij", "fwd")
    assert [_subst(i) for i in invs] == [{"C": "D", "Y": "B", "f": "g"}]
    assert _mutant(ix, "cand_iso", invs[0]) == "∀ T : D, Bij (fun x : B ⟶ T => g ≫ x)"
    # `B` declared without a type: `C` stays unknown, and Lean's unifier finds it from
    # `g ≫ x` (`test_rules_fill_holes.py`)
    invs = _invocations(ix, "cand_iso_untyped", "iso_iff_bij", "fwd")
    assert [_subst(i) for i in invs] == [{"C": "_", "Y": "B", "f": "g"}]
    assert _mutant(ix, "cand_iso_untyped", invs[0]) == "∀ T : _, Bij (fun x : B ⟶ T => g ≫ x)"


def test_binding_notations_in_types_correspond_up_to_bound_names():
    ix = _index("pi_image")
    for cand, fam in (("cand_pi", "β"), ("cand_pi_same", "α")):
        invs = _invocations(ix, cand, "pi_image", "fwd")
        assert [_subst(i)["α"] for i in invs] == [fam]
        assert _mutant(ix, cand, invs[0]) == f"Good (piImgOf {fam} t)"
    # a constant family is no `α i`: nothing fixes `α`
    assert _invocations(ix, "cand_pi_const", "pi_image", "fwd") == []


def test_a_bound_value_never_mentions_a_name_bound_in_the_candidate_type():
    out: dict = {}
    assert not unify(parse_term("Π i, α"), parse_term("Π k, T k"), frozenset({"α"}), out)
    out = {}
    assert unify(parse_term("(i : ι) → F.obj (X i)"), parse_term("(j : κ) → G.obj (Y j)"),
                 frozenset({"ι", "F", "X"}), out)
    assert out == {"ι": parse_term("κ"), "F": parse_term("G"), "X": parse_term("Y")}


def test_an_operator_spelled_alike_on_both_sides_still_fixes_its_variable():
    ix = _index("int_coe")
    for cand, measure in (("cand_int", "μ"), ("cand_int_other", "ν")):
        invs = _invocations(ix, cand, "int_coe", "bwd")
        assert [_subst(i)["μ"] for i in invs] == [measure]
        assert _mutant(ix, cand, invs[0]) == f"Integrable g {measure}"


def test_a_bundled_map_stands_for_the_function_it_coerces_to():
    ix = _index("mk_eq_lift")
    for cand in ("cand_mk_hom", "cand_mk_fun"):
        invs = _invocations(ix, cand, "mk_eq_lift", "fwd")
        assert [_subst(i)["α"] for i in invs] == ["A"]
        assert _mutant(ix, cand, invs[0]) == "Good (lift (Fn.of A) φ)"
    # `A →. B` is `A → Part B`, no coercion to `A → B`
    assert _invocations(ix, "cand_mk_partial", "mk_eq_lift", "fwd") == []


def test_a_projection_of_a_type_is_unified_through_its_receiver():
    ix = _index("mod_iff")
    for cand, ring, mutant in (("cand_mod", "S", "Fine S N"),
                               ("cand_mod_prod", "S × S", "Fine (S × S) N")):
        invs = _invocations(ix, cand, "mod_iff", "fwd")
        assert [_subst(i)["R"] for i in invs] == [ring]
        assert _mutant(ix, cand, invs[0]) == mutant
    # another field of the same receiver is another type
    assert _invocations(ix, "cand_mod_other", "mod_iff", "fwd") == []


def test_a_piped_application_in_a_type_unifies_as_the_application():
    """`(FractionalIdeal R⁰ <| FractionRing R)ˣ` is `(FractionalIdeal R⁰ (FractionRing R))ˣ`."""
    want = parse_term("FractionalIdeal S (FractionRing R)")
    for spelled in ("FractionalIdeal T⁰ <| FractionRing A", "FractionalIdeal T⁰ (FractionRing A)"):
        out: dict = {}
        assert unify(want, parse_term(spelled), frozenset({"S", "R"}), out), spelled
        assert print_term(out["R"]) == "A" and print_term(out["S"]) == "T⁰"
    out = {}
    assert unify(parse_term("F a <| G b"), parse_term("F c (G d)"), frozenset({"a", "b"}), out)
    assert (print_term(out["a"]), print_term(out["b"])) == ("c", "d")
    assert not unify(want, parse_term("FractionalIdeal T⁰ <| FractionField A"),
                     frozenset({"S", "R"}), {})
