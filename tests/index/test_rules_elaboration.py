"""Rule derivation that follows Lean's elaboration: variables fixed by the types of bound
variables, dot notation on variables, hypotheses inside patterns, bundled-map binders;
and the matching side of dot notation (the receiver's type head)."""

from __future__ import annotations

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.index.rules import RuleStats, derive_rules, determined, looks_prop

from helpers.lean_text import derived_rules, extract

LIB = """\
variable {α β C : Type*}

namespace Finset

theorem coe_subset {s₁ s₂ : Finset α} : (s₁ : Set α) ⊆ s₂ ↔ s₁ ⊆ s₂ := Iff.rfl

theorem card_mk {s : Finset α} (n : ℕ) : s.card + n = n + s.card := Nat.add_comm _ _

end Finset

namespace Matroid

theorem isCocircuit_def (M : Matroid α) (K : Set α) : M.IsCocircuit K ↔ M.dual.IsCircuit K :=
  Iff.rfl

theorem removeLoops_eq (M : Matroid α) : M.removeLoops = M.restrict M.E := rfl

theorem isCircuit_iff (M : Matroid α) (C : Set α) : Matroid.IsCircuit M C ↔ C ⊆ M.E := sorry

end Matroid

theorem mul_zero_any (a b : ℕ) : a * 0 = b * 0 := by simp

theorem fin_mk_val {n : ℕ} (i : ℕ) (h : i < n) : (Fin.mk i h).val = i := rfl

theorem iso_hom_inv {X Y : C} (α : X ≅ Y) : α.hom ≫ α.inv = 𝟙 X := α.hom_inv_id
"""


def _rules(name: str, stats: RuleStats | None = None):
    return derived_rules(LIB, name, stats)


def _by_dir(rules):
    """The rule of each direction as written (other spellings come after it)."""
    out = {}
    for r in rules:
        if r.kind != "imp":
            out.setdefault(r.direction, r)
    return out


def test_type_variable_fixed_by_a_bound_variable_is_not_unbound():
    st = RuleStats.new(trace=True)
    rules = _by_dir(_rules("coe_subset", st))
    bwd = rules["bwd"]  # `s₁ ⊆ s₂` -> `(s₁ : Set α) ⊆ ↑s₂`: α comes from `s₁ : Finset α`
    assert print_term(loads(bwd.pattern)) == "s₁ ⊆ s₂"
    assert "α" in bwd.pattern_vars and "unbound_replacement_vars" not in st.dropped
    assert set(rules) == {"fwd", "bwd"}


def test_an_unbound_named_typed_variable_keeps_the_rule():
    st = RuleStats.new(trace=True)
    # `b` (or `a`) is named and typed: kept, for a candidate variable to fill it
    assert {r.direction for r in _rules("mul_zero_any", st)} == {"fwd", "bwd"}
    assert st.dropped["unbound_replacement_vars"] == 0
    assert determined(frozenset({"s"}), {"s": parse_term("Finset α"), "α": None},
                      frozenset({"s", "α", "β"})) == frozenset({"s", "α"})


def test_dot_notation_on_a_variable_is_a_constant_head():
    st = RuleStats.new(trace=True)
    rules = _by_dir(_rules("isCocircuit_def", st))
    assert print_term(loads(rules["fwd"].pattern)) == "M.IsCocircuit K"  # not a variable head
    rules = _by_dir(_rules("removeLoops_eq", st))
    assert print_term(loads(rules["fwd"].pattern)) == "M.removeLoops"  # not a bare variable
    assert print_term(loads(rules["bwd"].pattern)) == "M.restrict M.E"  # not a variable head
    assert st.dropped.get("bare_variable", 0) == 0
    assert st.dropped.get("variable_head", 0) == 0


def test_hypothesis_inside_a_pattern_is_a_wildcard():
    rules = _by_dir(_rules("fin_mk_val"))
    fwd = rules["fwd"]
    assert "h" in fwd.pattern_vars and "i" in fwd.pattern_vars
    assert fwd.side_conditions  # still a side condition for the mutant


def test_bundled_map_binders_are_data_not_hypotheses():
    assert not looks_prop(parse_term("X ≅ Y"), "α")
    assert not looks_prop(parse_term("M ≃ₗ[R] N"), "e")
    assert looks_prop(parse_term("a ≤ b"), "x")
    fwd = _by_dir(_rules("iso_hom_inv"))["fwd"]
    assert "α" in fwd.pattern_vars


def test_a_map_named_like_a_hypothesis_is_data():
    # Mathlib's `Homeomorph.image_symm (h : X ≃ₜ Y) : image h.symm = preimage h`: `h` is
    # the homeomorphism, not a proof, so it is no side condition of the rewrite
    assert not looks_prop(parse_term("X ≃ₜ Y"), "h")
    assert not looks_prop(parse_term("M →ₗ[R] N"), "hf")
    assert looks_prop(parse_term("p x"), "h")  # the naming convention still holds
    assert looks_prop(parse_term("f =O[l] g"), "h")
    from helpers.lean_text import derived_rules

    text = ("namespace Homeomorph\nopen Set\n"
            "theorem image_symm (h : X ≃ₜ Y) : image h.symm = preimage h := sorry\n"
            "end Homeomorph\n")
    bwd = _by_dir(derived_rules(text, "image_symm"))["bwd"]
    assert bwd.side_conditions == () and "h" in bwd.pattern_vars


# --------------------------------------------------------------------------- matching

def _index(rules, candidate: str):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    decls, _ = extract(candidate, module="Demo.Cand")
    (d,) = decls.values()
    ix = RuleIndex.build(rules)
    return ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d)), ix


def test_dotted_pattern_matches_a_receiver_of_the_same_type_head():
    rules = _rules("isCocircuit_def")
    invs, _ = _index(rules, "theorem c (N : Matroid β) (S : Set β) : N.IsCocircuit S := sorry\n")
    assert [i.instance for i in invs] == ["N.IsCocircuit S"]
    assert loads(dict(invs[0].subst)["M"]) == parse_term("N")


def test_dotted_pattern_refuses_a_receiver_of_another_type_head():
    rules = _rules("isCocircuit_def")
    invs, ix = _index(rules, "theorem c (N : Graph β) (S : Set β) : N.IsCocircuit S := sorry\n")
    assert invs == [] and ix.stats.filtered["receiver_mismatch"] == 1
    invs, ix = _index(rules, "theorem c (N : C ⥤ D) (S : Set β) : N.IsCocircuit S := sorry\n")
    assert invs == [] and ix.stats.filtered["receiver_mismatch"] == 1


def test_dotted_pattern_refuses_a_receiver_typed_by_a_type_variable():
    # a value of a declared type variable has no fields: Lean finds no constant heading it
    rules = _rules("isCocircuit_def")
    invs, ix = _index(rules, "theorem c {γ : Type*} (N : γ) (S : Set β) : N.IsCocircuit S := "
                             "sorry\n")
    assert invs == [] and ix.stats.filtered["receiver_mismatch"] == 1
    # an element of a set is of a subtype, which has fields: its type head is unknown here
    invs, ix = _index(rules, "theorem c (s : Set (Matroid β)) (N : s) (S : Set β) : "
                             "N.IsCocircuit S := sorry\n")
    assert [i.instance for i in invs] == ["N.IsCocircuit S"]


def test_dotted_pattern_refuses_a_value_whose_structure_is_known_to_differ():
    # a value that is no variable: an ascription's type, or the result type of the
    # definition it applies by field notation; only a structure's head is certain
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rigid import rigid_names
    from lean_alchemy.index.match.rule_index import RuleIndex

    rules = _rules("isCocircuit_def")
    decls, _ = extract(
        "structure Matroid (α : Type*) where\n  E : Set α\n"
        "structure Graph (β : Type*) where\n  V : Set β\n"
        "def Graph.sub (G : Graph β) : Graph β := G\n"
        "def Graph.asMatroid (G : Graph β) : Matroid β := ⟨G.V⟩\n"
        "def Graph.verts (G : Graph β) : Set β := G.V\n"
        "theorem c1 (N : Graph β) (S : Set β) : N.sub.IsCocircuit S := sorry\n"
        "theorem c2 (N : Matroid β) (S : Set β) : (N : Graph β).IsCocircuit S := sorry\n"
        "theorem k1 (N : Graph β) (S : Set β) : N.asMatroid.IsCocircuit S := sorry\n"
        "theorem k2 (N : Graph β) (S : Set β) : N.verts.IsCocircuit S := sorry\n",
        module="Demo.Cand")
    heads = {"Graph.sub": "Graph", "Graph.asMatroid": "Matroid", "Graph.verts": "Set"}
    for name, kept in (("c1", False), ("c2", False), ("k1", True), ("k2", True)):
        ix = RuleIndex.build(rules, rigid=rigid_names(decls.values()))
        ix.use_results(heads)
        d = decls[name]
        invs = ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))
        assert bool(invs) == kept, name
        assert ix.stats.filtered["receiver_mismatch"] == (0 if kept else 1), name


def test_an_explicit_pattern_is_also_indexed_in_dot_notation():
    rules = [r for r in _rules("isCircuit_iff") if r.direction == "fwd"]
    assert [print_term(loads(r.pattern)) for r in rules] == [
        "Matroid.IsCircuit M C", "M.IsCircuit C"]
    assert len({r.id for r in rules}) == 2 and {r.replacement for r in rules} == {
        rules[0].replacement}
    for written in ("N.IsCircuit S", "Matroid.IsCircuit N S"):
        invs, _ = _index(rules, "theorem c (N : Matroid β) (S : Set β) : "
                                f"{written} := sorry\n")
        assert [i.instance for i in invs] == [written]
    # a dot pattern gets no explicit spelling (the receiver's place in `T.f` is unknown),
    # only its projection form for compound receivers
    assert [print_term(loads(r.pattern)) for r in _rules("isCocircuit_def")
            if r.direction == "fwd"] == ["M.IsCocircuit K", "(M).IsCocircuit K"]
    from lean_alchemy.index.dot_notation import spellings

    ty = {"s": parse_term("Finset α"), "f": parse_term("α → β"), "α": None, "β": None}
    assert spellings(parse_term("Finset.sup (g s) f"), frozenset(ty), ty) == []
    assert [print_term(q) for _, q in spellings(parse_term("Finset.image f s"),
                                                frozenset(ty), ty)] == ["s.image f"]
    assert spellings(parse_term("x.1"), frozenset({"x"}), {"x": parse_term("α × β")}) == []

def test_a_pattern_matches_the_prefix_of_an_over_applied_term():
    decls, scopes = extract("def veblen (o a : ℕ) : ℕ := o + a\n"
                            "theorem veblen_zero : veblen 0 = fun a ↦ a := rfl\n")
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    d = decls["veblen_zero"]
    rules = [r for r in derive_rules(d, tuple(decl_binders(d)), decl_conclusion(d))
             if r.direction == "fwd"]
    assert [print_term(loads(r.pattern)) for r in rules] == ["veblen 0"]
    invs, _ = _index(rules, "theorem c (b : ℕ) : veblen 0 b = b := sorry\n")
    assert [(i.rule_id, i.instance, i.path) for i in invs] == [
        (rules[0].id, "veblen 0", '[["lhs", -1], ["prefix", 1]]')]
    invs, _ = _index(rules, "theorem c : veblen 0 = id := sorry\n")  # the exact spelling
    assert [(i.rule_id, i.instance, i.path) for i in invs] == [
        (rules[0].id, "veblen 0", '[["lhs", -1]]')]
    # negative: a prefix is of the application's own function and leading arguments
    for other in ("veblen 1 0 = 0", "veblen (veblen 1 0) = id", "veblen 1 (0 : ℕ) = 0"):
        invs, _ = _index(rules, f"theorem c : {other} := sorry\n")
        assert invs == [], other
    # negative: no prefix of a field of a variable (its rule is tied by the field name only)
    rules = _fwd_rules("structure T where\n  n : ℕ\n"
                       "def T.f (t : T) (a : ℕ) : ℕ → ℕ := fun b ↦ a + b\n"
                       "theorem T.f_zero (t : T) : t.f 0 = id := sorry\n", "T.f_zero")
    assert "t.f 0" in [print_term(loads(r.pattern)) for r in rules]
    invs, _ = _index(rules, "theorem c (s : T) : s.f 0 = id := sorry\n")
    assert [i.instance for i in invs] == ["s.f 0"]
    invs, _ = _index(rules, "theorem c (s : T) : s.f 0 1 = 1 := sorry\n")
    assert invs == []


def _fwd_rules(lib: str, lemma: str):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    decls, _ = extract(lib)
    d = decls[lemma]
    return [r for r in derive_rules(d, tuple(decl_binders(d)), decl_conclusion(d))
            if r.direction == "fwd"]


def test_a_membership_pattern_matches_inside_a_non_membership():
    # `a ∉ s` is notation for `¬(a ∈ s)`: `rw [mem_evens]` rewrites it there
    rules = _fwd_rules("def evens : Set ℕ := {n | n % 2 = 0}\n"
                       "theorem mem_evens (n : ℕ) : n ∈ evens ↔ n % 2 = 0 := Iff.rfl\n",
                       "mem_evens")
    for written, path in (("y ∉ evens", '[["mem", -1]]'), ("¬y ∈ evens", '[["arg", -1]]')):
        invs, _ = _index(rules, f"theorem c (y : ℕ) : {written} := sorry\n")
        assert [(i.instance, i.path) for i in invs] == [("y ∈ evens", path)], written
    for other in ("y ∉ ({1} : Set ℕ)", "y ≠ 0"):  # negative: another set, another relation
        invs, _ = _index(rules, f"theorem c (y : ℕ) : {other} := sorry\n")
        assert invs == [], other


def test_an_insert_pattern_matches_a_set_literal():
    # `{a, b}` is notation for `insert a {b}`: `rw [Set.insert_eq]` rewrites it
    rules = _fwd_rules("theorem ins_eq (a : ℕ) (s : Set ℕ) : insert a s = {a} ∪ s := sorry\n",
                       "ins_eq")
    for written, path in (("{1, 2, 3}", '[["lhs", -1], ["term", -1], ["insert", -1]]'),
                          ("insert 1 {2, 3}", '[["lhs", -1], ["term", -1]]')):
        invs, _ = _index(rules, f"theorem c : ({written} : Set ℕ) = ∅ := sorry\n")
        assert [(i.instance, i.path) for i in invs][0] == ("insert 1 {2, 3}", path), written
        assert loads(dict(invs[0].subst)["s"]) == parse_term("{2, 3}")
        if written.startswith("insert"):  # and its `{2, 3}`, which is `insert 2 {3}`
            assert [i.instance for i in invs] == ["insert 1 {2, 3}", "insert 2 {3}"]
    invs, _ = _index(rules, "theorem c : ({1} : Set ℕ) = ∅ := sorry\n")  # negative
    assert invs == []


def test_a_coercion_pattern_matches_an_applied_bundled_map():
    # `mkMap a x` is `⇑(mkMap a) x` in Lean: `rw [coe_mkMap]` rewrites the coercion there
    rules = _fwd_rules("def mkMap (a : ℕ) : ℕ ≃ ℕ := sorry\n"
                       "theorem coe_mkMap (a : ℕ) : ⇑(mkMap a) = fun x ↦ x := sorry\n",
                       "coe_mkMap")
    for written, path in (("mkMap 1 2", '[["lhs", -1], ["coe", 1]]'),
                          ("⇑(mkMap 1) 2", '[["lhs", -1], ["fn", -1]]')):
        invs, _ = _index(rules, f"theorem c : {written} = 2 := sorry\n")
        assert [(i.instance, i.path) for i in invs] == [("⇑(mkMap 1)", path)], written
    # negative: another function, and a local one (no bundled map)
    for other in ("theorem c : Nat.succ 1 = 2", "theorem c (g : ℕ → ℕ) : g 1 = 2"):
        invs, _ = _index(rules, f"{other} := sorry\n")
        assert invs == [], other
    # negative: a coerced pattern variable (`⇑φ`) names no function
    rules = _fwd_rules("theorem coe_inv {F : Type*} (φ : F) : ⇑φ = fun x : ℕ ↦ x := sorry\n",
                       "coe_inv")
    invs, _ = _index(rules, "theorem c : Nat.succ 1 = 2 := sorry\n")
    assert invs == []
    invs, _ = _index(rules, "theorem c {F : Type*} (φ : F) : ⇑φ 1 = 2 := sorry\n")
    assert [i.instance for i in invs] == ["⇑φ"]  # the written coercion still matches


def test_a_dotted_variable_binds_a_compound_receiver():
    rules = [r for r in _rules("isCocircuit_def") if r.direction == "fwd"]
    invs, _ = _index(rules, "theorem c (N : Matroid β) (S : Set β) : "
                            "(N.dual).IsCocircuit S := sorry\n")
    assert [(i.instance, dict(i.subst)["M"]) for i in invs] == [
        ("(N.dual).IsCocircuit S", '["Ident","N.dual"]')]
    assert [i.instance for i in _index(rules, "theorem c (N : Matroid β) (S : Set β) : "
                                              "N.IsCocircuit S := sorry\n")[0]] == [
        "N.IsCocircuit S"]  # a variable receiver: the dot spelling, once
    # negatives: another field, and a variable receiver of another type
    assert _index(rules, "theorem c (N : Matroid β) (S : Set β) : "
                         "(N.dual).IsCircuit S := sorry\n")[0] == []
    assert _index(rules, "theorem c (N : Finset β) (S : Set β) : "
                         "N.IsCocircuit S := sorry\n")[0] == []
    from lean_alchemy.index.dot_notation import spellings, type_head

    assert type_head(parse_term("R[X]")) == "Polynomial"
    assert type_head(parse_term("C ⥤ D")) == "CategoryTheory.Functor"
    ty = {"f": parse_term("R[X]"), "n": parse_term("ℕ")}
    assert [print_term(q) for _, q in spellings(parse_term("Polynomial.eval n f"),
                                                frozenset(ty), ty)] == ["f.eval n"]

def test_morphism_types_give_hints_that_are_not_function_types():
    from lean_alchemy.index.match.hints import infer_hints, type_key
    from lean_alchemy.index.match.rigid import rigid_clash

    assert type_key(parse_term("X ⟶ Y")) == "⟶(~X,~Y)"
    assert type_key(parse_term("ℕ →+* ℤ")) == "→+*(ℕ,ℤ)"
    # the decoration may name a binder: keyed without it, so the value has a hint (a
    # generic pattern's evidence) and two maps keyed alike are never told apart
    assert type_key(parse_term("M →ₗ[R] N")) == "→ₗ[](~M,~N)"
    assert type_key(parse_term("ℝ →L[ℝ] ℝ")) == type_key(parse_term("ℝ →L[𝕜] ℝ"))
    assert type_key(parse_term("ℝ →L[ℝ] ℝ")) != type_key(parse_term("ℂ →L[ℂ] ℂ"))
    assert not rigid_clash("LinearMap", ("→ₗ[](ℕ,ℤ)", True), frozenset({"LinearMap"}))
    assert type_key(parse_term("ℕ → ℕ")) == "(ℕ→ℕ)"
    t = parse_term("a - a = 0")
    hints = infer_hints(t, {"a": parse_term("X ⟶ Y")})
    assert hints[id(t.lhs.lhs)] == ("⟶(~X,~Y)", True)  # evidence for `a - b` of morphisms
    # a bundled map is no function: the rigid filter keeps a RingHom lemma on it
    assert not rigid_clash("RingHom", ("→+*(ℕ,ℤ)", True), frozenset({"RingHom"}))
    assert rigid_clash("RingHom", ("(ℕ→ℤ)", False), frozenset({"RingHom"}))


def test_a_projection_pattern_is_specific():
    from lean_alchemy.index.match.matcher import compile_rule
    from helpers.lean_text import make_rule

    r = make_rule("Demo.p", "eq", "(M : Matroid α)", "(M).removeLoops", "M")
    assert compile_rule(r, frozenset({"Matroid"}), True).generic == ()
    r = make_rule("Demo.q", "eq", "(M N : Matroid α)", "M ⊓ N", "N ⊓ M")
    assert compile_rule(r, frozenset({"Matroid"}), True).generic == ("M", "N")


def test_a_tactic_block_naming_a_binder_drops_the_direction_that_writes_it() -> None:
    """`eqToHom (by subst e; rfl)` names the rule's hypothesis `e` inside a tactic block
    that substitution cannot enter: the direction whose replacement writes it is dropped
    (`opaque_replacement`); the other direction, and a block naming no binder, are kept."""
    lib = """\
theorem app_congr {f g : ℕ → ℕ} (e : f = g) (x : ℕ) :
    Nat.succ (f x) = cast (by subst e; rfl) (Nat.succ (g x)) := sorry

theorem plain_cast (x : ℕ) : x + 0 = cast (by rfl) x := sorry
"""
    st = RuleStats.new()
    rules = derived_rules(lib, "app_congr", st)
    assert {r.direction for r in rules if r.kind == "eq"} == {"bwd"}
    assert st.dropped["opaque_replacement"] == 1
    assert {r.direction for r in derived_rules(lib, "plain_cast") if r.kind == "eq"} == \
        {"fwd", "bwd"}


def test_unmodelled_text_naming_only_variables_keeps_the_rule() -> None:
    """A set-builder over binder patterns (`{ x * n | (x : I) (n : N) }`) is kept verbatim
    and names the rule's variables `I`, `N`: matched to the candidate's own `I`, `N`, as in
    the library's rewrites, the text is right, so the rule stays; only hypotheses named in
    verbatim text drop a direction."""
    lib = """\
theorem span_eq {I N : Set ℕ} : Nat.succ 0 = sInf { x * n | (x : I) (n : N) } := sorry
"""
    st = RuleStats.new()
    rules = derived_rules(lib, "span_eq", st)
    assert st.dropped["opaque_replacement"] == 0
    assert "fwd" in {r.direction for r in rules if r.kind == "eq"}


NOTATION_RECEIVERS = """\
variable {R Γ : Type*} {X M : Type*}

theorem comp_sum {p q : R[X]} : p.comp q = p.sum q := sorry

theorem unop_supp (x : Rᵃᵒᵖ⟦Γ⟧) : x.support = x.unop.support := sorry

theorem end_mul {f g : X →[M] X} : f.comp g = f * g := sorry

theorem range_eq_map {f : M →ₗ[R] X} : f.range = Submodule.map f ⊤ := sorry

theorem lt_of_tendsto {x : Hyper} (r : Hyper) (hx : x.Tendsto atBot) : x < r := sorry
"""


def test_a_receiver_typed_by_notation_has_its_structure_as_head():
    """`p q : R[X]` is a `Polynomial`, `x : Rᵃᵒᵖ⟦Γ⟧` a `HahnSeries`, `f : X →[M] X` a
    bundled map: a candidate variable of another structure is refused; the same notation
    (or the structure's name) is kept."""
    from lean_alchemy.index.match.receiver_heads import receiver_head

    heads = {s: receiver_head(parse_term(s)) for s in
             ("R[X]", "Polynomial R", "Rᵃᵒᵖ⟦Γ⟧", "R⟦X⟧", "αᵐᵒᵖ", "X →[M] X", "C(X, Y)",
              "M →ₛₗ[σ] P", "E →SL[σ] F", "E →ₗᵢ[𝕜] F", "P →ᵃ[k] Q", "α → β",
              "(i : ι) → β i", "Π i, β i")}
    assert heads == {"R[X]": "Polynomial", "Polynomial R": "Polynomial",
                     "Rᵃᵒᵖ⟦Γ⟧": "HahnSeries", "R⟦X⟧": "PowerSeries", "αᵐᵒᵖ": "MulOpposite",
                     "X →[M] X": "→[]", "C(X, Y)": "ContinuousMap",
                     # the semilinear arrow is `LinearMap`'s notation, as `→ₗ[R]` is
                     "M →ₛₗ[σ] P": "LinearMap", "E →SL[σ] F": "ContinuousLinearMap",
                     "E →ₗᵢ[𝕜] F": "LinearIsometry", "P →ᵃ[k] Q": "AffineMap",
                     # fields of a function type are `Function`'s
                     "α → β": "Function", "(i : ι) → β i": "Function", "Π i, β i": "Function"}
    cases = [
        ("comp_sum", "theorem c (f g : BoundedOrderHom α α) : f.comp g = g := sorry\n", False),
        ("comp_sum", "theorem c (f g : Polynomial ℤ) : f.comp g = g := sorry\n", True),
        ("comp_sum", "theorem c (f g : ℤ → ℤ) : f.comp g = g := sorry\n", False),
        ("unop_supp", "theorem c (p : Walk u v) : p.support = [] := sorry\n", False),
        ("end_mul", "theorem c (f : sSupHom α α) (g : sSupHom α α) : f.comp g = g := sorry\n",
         False),
        ("end_mul", "theorem c (f g : Y →[N] Y) : f.comp g = g := sorry\n", True),
        ("range_eq_map", "theorem c (f : M →ₛₗ[σ] P) : f.range.FG := sorry\n", True),
        ("range_eq_map", "theorem c (f : M →+* P) : f.range.FG := sorry\n", False)]
    # a dotted variable of the text the mutant gets (the antecedent `x.Tendsto atBot`
    # becomes a hypothesis): `x : ∀ i, β i` makes it `Function.Tendsto`
    cases += [
        ("lt_of_tendsto", "theorem c (x y : Hyper) (h : x < y) : True := sorry\n", True),
        ("lt_of_tendsto", "theorem c (x y : ∀ i, β i) (h : x < y) : True := sorry\n", False)]
    for lemma, cand, kept in cases:
        rules = [r for r in derived_rules(NOTATION_RECEIVERS, lemma) if r.direction == "fwd"]
        invs, ix = _index(rules, cand)
        assert bool(invs) == kept, (lemma, cand)
        if not kept:
            assert ix.stats.filtered["receiver_mismatch"] >= 1, (lemma, cand)
