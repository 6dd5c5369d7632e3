"""The matcher alone: discrimination-tree retrieval and first-order matching on ASTs."""

from __future__ import annotations

from lean_alchemy.core.records import Declaration
from lean_alchemy.grammar.ast import Ident
from lean_alchemy.grammar.parser import parse_binders, parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.index.match.trie import Trie
from lean_alchemy.index.match.matcher import compile_rule, match, suffix_const_eq
from lean_alchemy.index.match.patterns import flatten, pattern_symbols

from helpers.lean_text import derived_rules, make_rule

DECL = Declaration("Demo.t", "t", "theorem", "Demo", "Demo.lean", 1, 1)


def _instances(rules, binders: str, statement: str):
    """The instances the index keeps on `statement` under `binders`, and its filter counts."""
    ix = RuleIndex.build(rules)
    got = ix.invocations(DECL, parse_binders(binders), parse_term(statement))
    return [i.instance for i in got], ix.stats.filtered


def _c(lemma, binders, lhs, rhs="", kind="eq", direction="fwd", hyps=()):
    return compile_rule(make_rule(lemma, kind, binders, lhs, rhs, direction=direction,
                                  hyps=hyps))


def test_trie_retrieves_by_skeleton_with_wildcards():
    add_zero = _c("add_zero", "(a : α)", "a + 0", "a")
    mul_comm = _c("mul_comm", "(a b : α)", "a * b", "b * a")
    t = Trie()
    for c in (add_zero, mul_comm):
        t.insert(pattern_symbols(c.pattern, c.pvars), c)
    fl = flatten(parse_term("(x * y + 0) * z"), parse_term("(x * y + 0) * z"), frozenset("xyz"))
    got = {(fl.paths[i], c.rule.lemma) for i in range(len(fl.syms)) for c in t.retrieve(fl, i)}
    assert got == {((), "mul_comm"), ((("lhs", -1),), "add_zero"),
                   ((("lhs", -1), ("lhs", -1)), "mul_comm")}


def test_first_order_matching_and_repeated_variables():
    sub_self = _c("sub_self", "(a : α)", "a - a", "0")
    assert match(sub_self, parse_term("f x - f x")) is not None
    assert match(sub_self, parse_term("f x - f y")) is None
    subst, respell, renamed = match(sub_self, parse_term("(x + 1) - (x + 1)"))
    assert print_term(subst["a"]) == "x + 1" and respell == {} and not renamed


def test_function_variables_bind_the_function():
    c = _c("comp_apply", "(f g : α → α) (x : α)", "(f ∘ g) x", "f (g x)")
    subst, _, _ = match(c, parse_term("(Real.exp ∘ Real.log) y"))
    assert subst == {"f": Ident("Real.exp"), "g": Ident("Real.log"), "x": Ident("y")}


def test_bound_variables_alpha_and_capture():
    c = _c("sum_const", "(s : Finset ℕ) (c : ℕ)", "∑ i ∈ s, c", "s.card * c")
    # c := 2 is fine; c := j would capture the candidate's bound j
    subst, _, renamed = match(c, parse_term("∑ j ∈ t, 2"))
    assert subst["c"] == parse_term("2") and renamed
    assert match(c, parse_term("∑ j ∈ t, j")) is None
    assert match(c, parse_term("∑ i ∈ t, k"))[2] is False
    # a bound variable of the pattern only matches the corresponding bound variable
    c2 = _c("sum_id", "(s : Finset ℕ)", "∑ i ∈ s, i", "0")
    assert match(c2, parse_term("∑ j ∈ t, j")) is not None
    assert match(c2, parse_term("∑ j ∈ t, k")) is None


def test_constants_suffix_policy_and_respelling():
    c = _c("Nat.succ_eq", "(n : ℕ)", "Nat.succ n", "n + 1")
    subst, respell, _ = match(c, parse_term("succ m"), const_eq=suffix_const_eq)
    assert subst == {"n": Ident("m")} and respell == {"Nat.succ": "succ"}
    assert match(c, parse_term("pred m")) is None
    assert match(c, parse_term("Nat.succ m"))[1] == {}


def test_index_reports_goal_hyp_and_apply_invocations():
    rules = [make_rule("add_zero", "eq", "(a : ℕ)", "a + 0", "a"),
             make_rule("lt_irrefl'", "imp", "(a : ℕ) (h : a < a)", "False", hyps=("a < a",)),
             make_rule("le_of_lt", "imp", "{a b : ℕ} (h : a < b)", "a ≤ b", hyps=("a < b",))]
    ix = RuleIndex.build(rules)
    binders = tuple(parse_binders("(x y : ℕ) (h : x + 0 ≤ y) (r : ℝ)"))
    invs = ix.invocations(DECL, binders, parse_term("x + 0 < y + 0 ∧ r + 0 = r"))
    got = {(i.rule_id, i.kind, i.location, i.instance) for i in invs}
    assert got == {("add_zero/eq/fwd", "rw_goal", "goal", "x + 0"),
                   ("add_zero/eq/fwd", "rw_goal", "goal", "y + 0"),
                   ("add_zero/eq/fwd", "rw_hyp", "h", "x + 0"),
                   ("le_of_lt/imp/fwd", "apply_hyp", "h", "x + 0 ≤ y")}
    assert ix.stats.filtered["type_mismatch"] == 1  # `r + 0` with r : ℝ, rule a : ℕ
    goal = next(i for i in invs if i.instance == "y + 0")
    assert goal.path == '[["lhs", -1], ["rhs", -1]]'


def test_index_skips_hypotheses_that_later_binders_or_the_goal_mention():
    """`rw … at h` or replacing h would leave whatever mentions h ill-typed: the mutation
    stage drops those (`dependent_hypothesis`), so the index does not spend its per-theorem
    quota on them."""
    from lean_alchemy.index.match.targets import dependent_hypotheses

    rules = [make_rule("add_zero", "eq", "(a : ℕ)", "a + 0", "a"),
             make_rule("le_of_lt", "imp", "{a b : ℕ} (h : a < b)", "a ≤ b", hyps=("a < b",))]
    ix = RuleIndex.build(rules)
    binders = tuple(parse_binders(
        "(x y : ℕ) (h : x + 0 ≤ y) (k : y + 0 ≤ x) (i : Fin (f h))"))
    invs = ix.invocations(DECL, binders, parse_term("g k = x + 0"))
    got = {(i.kind, i.location) for i in invs}
    assert got == {("rw_goal", "goal")}  # h is used by i's type, k by the goal
    assert ix.stats.filtered["dependent_hypothesis"] == 2
    assert dependent_hypotheses(binders, parse_term("x = y")) == {"x", "y", "h"}


def test_cap_per_theorem_and_self_rewrites():
    rules = [make_rule("add_comm", "eq", "(a b : ℕ)", "a + b", "b + a"),
             make_rule("Demo.t", "eq", "(a : ℕ)", "a + 1", "1 + a")]
    ix = RuleIndex.build(rules, max_per_theorem=2)
    invs = ix.invocations(DECL, (), parse_term("a + 1 + (b + c) + d = e"))
    assert len(invs) == 2 and ix.stats.capped == 2
    assert all(i.rule_id.startswith("add_comm") for i in invs)  # never the theorem itself


def test_spread_is_a_seeded_permutation():
    from lean_alchemy.index.match.tiers import spread as _spread

    for n in (0, 1, 2, 7919, 10000):
        got = list(_spread(n, "seed"))
        assert sorted(got) == list(range(n))
    assert list(_spread(50, "a")) == list(_spread(50, "a"))
    assert list(_spread(50, "a")) != list(_spread(50, "b"))


def test_cdot_placeholders_are_bound():
    ix = RuleIndex.build([make_rule("lt_def'", "iff", "(a b : ℕ)", "a < b", "b > a")])
    invs = ix.invocations(DECL, (), parse_term("Monotone (· < ·) ∧ x < y"))
    assert [i.instance for i in invs] == ["x < y"]
    assert ix.stats.filtered["under_binder"] >= 1


# --------------------------------------------------------------------------- type filter

from lean_alchemy.index.match.hints import compatible, infer_hints, type_key  # noqa: E402


def _hints(binders: str, term: str):
    """(printed sub-term -> hint) of `term` under `binders`."""
    from lean_alchemy.grammar.walk import binder_types as _local_types

    t = parse_term(term)
    got = infer_hints(t, _local_types(parse_binders(binders)))
    out = {}

    def walk(x):
        if id(x) in got:
            out.setdefault(print_term(x), got[id(x)])
        for f in getattr(type(x), "__slots__", ()):
            v = getattr(x, f)
            for c in (v if isinstance(v, tuple) else (v,)):
                if hasattr(c, "__slots__") and not isinstance(c, str):
                    walk(c)

    walk(t)
    return out


def test_type_key_normalizes_number_types_and_marks_type_variables():
    assert type_key(parse_term("Nat")) == type_key(parse_term("ℕ")) == "ℕ"
    assert type_key(parse_term("Finset Real")) == type_key(parse_term("Finset ℝ"))
    assert type_key(parse_term("Set ℕ")) == type_key(parse_term("ℕ → Prop"))
    assert type_key(parse_term("K"), frozenset({"K"})) == "?K"
    # an auto-bound type variable or a notation (`ℍ`): equals no concrete type
    assert type_key(parse_term("α")) == "~α" and type_key(parse_term("ℍ")) == "~ℍ"
    assert type_key(parse_term("G₀")) == "~G₀" and type_key(parse_term("ℝ")) == "ℝ"
    assert compatible("ℂ", ("~ℍ", False)) and not compatible("ℂ", ("~ℍ", True))
    assert type_key(parse_term("fun x => x")) is None


def test_a_value_of_a_declared_type_the_keys_cannot_spell_gets_an_unrefuting_hint():
    from lean_alchemy.index.match.hints import UNSPELLED
    from lean_alchemy.index.match.rigid import rigid_clash

    h = _hints("(p q : R[X]) (f : (i : ι) → α i) (g : Π i, α i) (hp : Finset R[X]) "
               "(t : Finset R[X]) (hx : ∀ x, x ∈ t)",
               "p ∪ f = g ∧ hp ⊆ t ∧ hx = hx ∧ ∀ q : ℕ, q ∪ q = q")
    assert h["p"] == h["f"] == h["g"] == h["t"] == UNSPELLED
    assert "hp" not in h and "hx" not in h  # a hypothesis's name or a proposition's type
    assert "q" not in h  # bound in between: not the declared `q`
    assert compatible("Finset(ℕ)", UNSPELLED) and compatible("ℕ", UNSPELLED)
    assert not rigid_clash("Finset", UNSPELLED, frozenset({"Finset"}))


def test_hints_from_binders_of_any_type_and_section_variables():
    h = _hints("{K : Type*} [Field K] (s : Finset ℕ) (x : K)", "s.card ≤ 3 ∧ x = x")
    assert h["x"] == ("?K", True)
    h2 = _hints("(s t : Finset ℕ)", "t = s ∪ t")
    assert h2["t"] == (type_key(parse_term("Finset ℕ")), True)


def test_hints_from_ascription_and_cast():
    h = _hints("(n : ℕ)", "((n : ℤ) + 1 : ℤ) = ↑n")
    assert h["(n : ℤ)"] == ("ℤ", True) and h["↑n"] == ("ℤ", True)
    assert h["1"] == ("ℤ", True)


def test_hints_from_homogeneous_arithmetic_and_numerals():
    h = _hints("(x y : ℝ)", "0 ≤ x - y ^ 2 * -y")
    assert h["0"] == ("ℝ", True) and h["x - y ^ 2 * -y"] == ("ℝ", True)
    assert h["y ^ 2"] == ("ℝ", True) and "2" not in h  # the exponent is not in the unit
    h2 = _hints("(a b : ℤ)", "|a| + max a b % 2 = 0")
    assert h2["|a|"] == ("ℤ", True) and h2["max a b"] == ("ℤ", True) and h2["0"] == ("ℤ", True)


def test_mixed_units_and_arguments_are_not_exact():
    h = _hints("(x : ℝ) (n : ℕ)", "x + n = 0 ∧ Real.sqrt (n + 1) = 2")
    assert h["n"] == ("ℕ", False)  # coerced to ℝ in `x + n`
    assert "0" not in h  # the unit's type is unknown (ℝ ⊔ ℕ)
    assert h["n + 1"] == ("ℕ", False)  # a function argument may be coerced up
    assert compatible("ℝ", ("ℕ", False)) and not compatible("ℕ", ("ℝ", False))
    assert not compatible("ℕ", ("?K", False)) and not compatible("ℕ", ("ℝ", True))
    assert compatible(None, ("ℝ", True)) and compatible("ℕ", None)
    # a type is no proposition and a proposition no type, coerced or not; `Sort*` is either
    assert not compatible("Prop", ("Type*", False)) and not compatible("Type u", ("Prop", False))
    assert compatible("Prop", ("Sort*", False)) and compatible("Sort*", ("Prop", False))
    assert compatible("Type*", ("Type u", False))
    # nor is either a number or a set; a proposition may be decided into a `Bool`
    assert not compatible("ℕ", ("Type*", False)) and not compatible("(?α→Prop)", ("Prop", False))
    assert compatible("Bool", ("Prop", False))


def test_bound_variables_shadow_locals():
    h = _hints("(x : ℝ)", "∀ x : ℕ, x + 0 = x")
    assert "x + 0" not in h


def test_numeral_pattern_of_unknown_type_is_not_a_rule():
    from lean_alchemy.core.records import Declaration as D
    from lean_alchemy.index.rules import RuleStats, derive_rules

    st = RuleStats.new()
    d = D("Demo.Pt.zero_x", "zero_x", "theorem", "Demo", "Demo.lean", 1, 1)
    rules = derive_rules(d, (), parse_term("(0 : Pt).x = 0"), stats=st)
    assert {r.direction for r in rules} == {"fwd"} and st.dropped["numeral_pattern"] == 1
    d2 = D("Demo.two_z", "two_z", "theorem", "Demo", "Demo.lean", 1, 1)
    rules2 = derive_rules(d2, (), parse_term("(1 : ℤ) + 1 = 2"), stats=st)
    assert {r.direction for r in rules2} == {"fwd", "bwd"}  # `2 : ℤ` from the other side


def test_numeral_rewrite_needs_the_candidates_numeral_type():
    two = make_rule("one_add_one_z", "eq", "", "(1 : ℤ) + 1", "2", direction="bwd")
    ix = RuleIndex.build([two])
    binders = parse_binders("{K : Type*} [Field K] (x : K) (m : ℤ)")
    invs = ix.invocations(DECL, binders, parse_term("x = 2 ∧ m = 2 ∧ f 2 = 0"))
    assert [i.instance for i in invs] == ["2"] and invs[0].path.startswith('[["rhs", -1], ["lhs"')
    assert ix.stats.filtered["type_mismatch"] == 1  # `2 : K`
    assert ix.stats.filtered["numeral_pattern"] == 1  # `f 2`: type unknown


def test_sample_zero_of_another_type_is_not_rewritten():
    # `(0 : Pt).x = 0` read backwards has no known type: never rewrites a `0 : K`
    rule = make_rule("Demo.Pt.zero_x", "eq", "", "(0 : Pt).x", "0", direction="bwd")
    ix = RuleIndex.build([rule])
    binders = parse_binders("{K : Type*} [Field K] (x : K)")
    assert ix.invocations(DECL, binders, parse_term("0 ≤ x")) == []
    assert ix.stats.filtered["numeral_pattern"] == 1


def test_sample_section_variables_of_nat_do_not_bind_field_terms():
    # `variable {m n k : ℕ}` then `theorem le_of_mul_le_mul_pos (h : k * m ≤ k * n) : m ≤ n`
    rule = make_rule("Demo.le_of_mul_le_mul_pos", "imp",
                     "{m n k : ℕ} (hk : 0 < k) (h : k * m ≤ k * n)", "m ≤ n",
                     hyps=("0 < k", "k * m ≤ k * n"))
    ix = RuleIndex.build([rule])
    section = parse_binders("{K : Type*} [LinearOrderedField K]")
    binders = parse_binders("(x y : K) (h : 0 ≤ x - y)")
    assert ix.invocations(DECL, binders, parse_term("y ≤ x"), extra_binders=section) == []
    assert ix.stats.filtered["type_mismatch"] == 1
    nat = parse_binders("(a b : ℕ) (h : b ≤ a)")
    assert [i.instance for i in ix.invocations(DECL, nat, parse_term("a - b + b = a"))] == [
        "b ≤ a"]


# --------------------------------------------------------------------------- rigid heads

from lean_alchemy.index.match.rigid import _hint_head, rigid_clash, rigid_head, rigid_names

RIGID = frozenset({"Finset", "RingHom", "Polynomial", "Nat", "MeasurableSpace", "Submodule"})
RIGID_LAST = frozenset({"Finset", "RingHom", "Polynomial", "ℕ", "MeasurableSpace", "Submodule"})


def _decl(full_name: str, kind: str) -> Declaration:
    return Declaration(full_name, full_name.rsplit(".", 1)[-1], kind, "Demo", "Demo.lean", 1, 1)


def test_rigid_names_are_structures_classes_and_inductives_only():
    full, last = rigid_names([_decl("Finset", "structure"), _decl("Group", "class"),
                              _decl("Demo.Color", "inductive"), _decl("Ideal", "abbrev"),
                              _decl("Set", "def"), _decl("Demo.Hom", "structure"),
                              _decl("Other.Hom", "def"), _decl("Demo.thm", "theorem")])
    assert {"Finset", "Group", "Demo.Color", "Demo.Hom", "List", "Nat"} <= full
    assert not {"Ideal", "Set", "Other.Hom", "Demo.thm"} & full
    # a last component that also names a definition is never taken for a rigid type
    assert {"Finset", "Group", "Color", "List", "ℕ"} <= last and "Hom" not in last


def test_rigid_head_of_constants_notation_and_not_definitions():
    def head(ty: str, bound=frozenset({"α", "β", "R"})):
        return rigid_head(parse_term(ty), bound, RIGID | {"Ideal.Quotient"})
    assert head("Finset α") == "Finset" and head("ℕ") is None  # `Nat` is spelled `ℕ` here
    assert head("Nat") == "ℕ"
    assert head("α →+* β") == "RingHom" and head("α →ₗ[R] β") == "LinearMap"
    assert head("α × β") == "Prod" and head("R[X]") == "Polynomial"
    # prefunctors, equivalences of categories, bounded continuous maps (structures
    # behind `infixl " ⥤q "`, `infixr " ≌ "`, `infixr " →ᵇ "`)
    assert head("α ⥤q β") == "Prefunctor" and head("α ≌ β") == "Equivalence"
    assert head("α →ᵇ β") == "BoundedContinuousFunction"
    assert head("α ↪r β") == "↪r" and head("α →ₛₗᵢ[σ] β") == "→ₛₗᵢ"
    assert head("α →ᵤ β") is None and head("α →ₘ[μ] β") is None  # defined as functions
    # definitions may unfold to anything; type variables and morphisms are not rigid
    for ty in ("Set α", "α", "α → β", "X ⟶ Y", "Matrix α α R", "Additive α"):
        assert head(ty) is None, ty
    # but Mathlib's type definitions of `RIGID_DEFINITIONS` are, as what they unfold to
    assert head("Ideal R") == "Submodule" and head("Multiset α") == "Quot"
    assert head("ℝ≥0∞") == "Option" and head("WithTop α") == "Option"
    # opposites, by name or postfix notation, are `PreOpposite`s (`Algebra/Opposites.lean`)
    assert head("αᵐᵒᵖ") == head("MulOpposite α") == head("αᵃᵒᵖ") == "PreOpposite"


def test_hint_heads_and_which_values_clash_with_a_rigid_type():
    assert _hint_head("(?α→Prop)") == "→" and _hint_head("((ℕ→ℕ)×ℕ)") == "Prod"
    assert _hint_head("Finset(?α)") == "Finset" and _hint_head("?M") == "?"
    assert _hint_head("~ℍ") is None
    # a function never becomes a structure, coerced or not
    assert rigid_clash("RingHom", ("(?α→?β)", False), RIGID_LAST)
    # exact hints: a type variable or another rigid type
    assert rigid_clash("Polynomial", ("?M", True), RIGID_LAST)
    assert rigid_clash("Finset", ("ℕ", True), RIGID_LAST)
    assert rigid_clash("MeasurableSpace", ("Submodule(?R,?M)", True), RIGID_LAST)
    # maybe coerced (a function argument), the same head, or unknown types: kept
    assert not rigid_clash("Finset", ("ℕ", False), RIGID_LAST)
    assert not rigid_clash("Finset", ("Finset(?α)", True), RIGID_LAST)
    assert not rigid_clash("Finset", ("Matrix(?m,?n,?R)", True), RIGID_LAST)  # may unfold
    # an equivalence of categories is no functor
    assert rigid_clash("Functor", ("≌(?C,?D)", True), RIGID_LAST)
    # a type definition is rigid as its head: `Ideal R` is a `Submodule`, never a `Finset`;
    # `ℝ≥0∞` is a `WithTop`/`Option`, never a `ℕ`; a `Multiset` is a `Multiset`
    assert rigid_clash("Finset", ("Ideal(?R)", True), RIGID_LAST)
    assert not rigid_clash("Submodule", ("Ideal(?R)", True), RIGID_LAST)
    assert rigid_clash("ℕ", ("ℝ≥0∞", True), RIGID_LAST)
    assert not rigid_clash("Option", ("WithTop(ℕ)", True), RIGID_LAST)
    assert not rigid_clash("Quot", ("Multiset(?α)", True), RIGID_LAST)
    assert rigid_clash("Quot", ("ℕ", True), RIGID_LAST) and rigid_clash("Quot", ("?α", True),
                                                                        RIGID_LAST)
    assert not rigid_clash("Quot", ("ℕ", False), RIGID_LAST)  # maybe coerced
    assert not rigid_clash("Finset", ("~ℍ", True), RIGID_LAST)
    # a value typed by bundled-map notation is of that structure: `F₁ = F₂` for functors
    # `F₁ F₂ : C ⥤ D` is no equation of lists (`List.cyclicPermutations_inj` backwards)
    assert rigid_clash("List", ("⥤(Localization(~W),?E)", True), RIGID_LAST)
    assert rigid_clash("AlgHom", ("→ₗ[](?M,?N)", True), RIGID_LAST)
    assert rigid_clash("Equiv", ("≅(?X,?Y)", True), RIGID_LAST)
    assert not rigid_clash("Functor", ("⥤(?C,?D)", True), RIGID_LAST)
    assert not rigid_clash("LinearMap", ("→ₗ[](?M,?N)", True), RIGID_LAST)
    assert not rigid_clash("List", ("⥤(?C,?D)", False), RIGID_LAST)  # maybe coerced
    assert not rigid_clash("List", ("⟶(?X,?Y)", True), RIGID_LAST)  # may unfold
    assert not rigid_clash("≃ᴬ", ("≃(?X,?Y)", True), RIGID_LAST)  # an unnamed structure
    # `x = y` of `MulOpposite.unop_inj` backwards: a set is no opposite; an opposite is
    assert rigid_clash("PreOpposite", ("(?α→Prop)", True), RIGID_LAST)
    assert not rigid_clash("PreOpposite", ("MulOpposite(?α)", True), RIGID_LAST)
    # an arrow outside the notation table names an unknown structure: it clashes with
    # functions and type variables only, not with a structure spelled by name
    rigid = RIGID_LAST | {"ContinuousAffineEquiv"}
    assert not rigid_clash("≃ᴬ", ("ContinuousAffineEquiv(?k,?P,?Q)", True), rigid)
    assert rigid_clash("≃ᴬ", ("(?P→?Q)", True), rigid) and rigid_clash("≃ᴬ", ("?E", True), rigid)
    assert rigid_clash("Equiv", ("ContinuousAffineEquiv(?k,?P,?Q)", True), rigid)


def test_index_drops_values_that_cannot_have_the_rules_rigid_type():
    # `RingHom.map_add`-like rule read on a plain function: Lean cannot take `f` for a hom
    rule = make_rule("Demo.RingHom.map_add", "eq", "(f : R →+* S) (x y : R)", "f (x + y)",
                     "f x + f y")
    rigid = (RIGID, RIGID_LAST)
    ix = RuleIndex.build([rule], rigid=rigid)
    fn = parse_binders("(f : ℕ → ℕ) (a b : ℕ)")
    assert ix.invocations(DECL, fn, parse_term("f (a + b) = 0")) == []
    assert ix.stats.filtered["rigid_mismatch"] == 1
    hom = parse_binders("(f : ℕ →+* ℕ) (a b : ℕ)")  # a bundled hom (no hint): kept
    assert [i.instance for i in ix.invocations(DECL, hom, parse_term("f (a + b) = 0"))] == [
        "f (a + b)"]
    # without the library's rigid names the filter is off (what the tests above rely on)
    plain = RuleIndex.build([rule])
    assert len(plain.invocations(DECL, fn, parse_term("f (a + b) = 0"))) == 1


def test_index_drops_a_plain_function_for_a_function_like_type_variable():
    """`f g : F` with `[FunLike F A B]` (how Mathlib states lemmas for every bundled map):
    no plain function is `FunLike`, so `f₁ : E → F` is never bound; a bundled map is."""
    from lean_alchemy.index.match.rigid import BUNDLED, fun_like_vars
    from lean_alchemy.index.match.matcher import compile_rule

    rule = make_rule("Demo.StarAlgHom.mem_equalizer", "iff",
                     "{F A B : Type*} [FunLike F A B] [Demo.StarAlgHomClass F A B] (f g : F) "
                     "(x : A)", "x ∈ Demo.equalizer f g", "f x = g x", direction="bwd")
    c = compile_rule(rule, rigid=RIGID)
    assert c is not None and ("f", BUNDLED) in c.heads and ("g", BUNDLED) in c.heads
    ix = RuleIndex.build([rule], rigid=(RIGID, RIGID_LAST))
    fns = parse_binders("{E G : Type*} (f₁ f : E → G) (x : E)")
    assert ix.invocations(DECL, fns, parse_term("f₁ x = f x")) == []
    assert ix.stats.filtered["rigid_mismatch"] == 1
    maps = parse_binders("{A B : Type*} (φ ψ : A →ₐ[ℕ] B) (x : A)")  # bundled: no hint, kept
    assert len(ix.invocations(DECL, maps, parse_term("φ x = ψ x"))) == 1
    tv = parse_binders("{A B G : Type*} [FunLike G A B] (φ ψ : G) (x : A)")  # a type variable
    assert len(ix.invocations(DECL, tv, parse_term("φ x = ψ x"))) == 1
    # which classes make a type variable function-like: first argument only
    names = ("F", "M", "", "", "", "a")
    types = [parse_term(t) for t in ("Type*", "Type*", "FunLike F M M", "AddMonoidHomClass F M M",
                                     "Module M F", "M")]
    assert fun_like_vars(names, types, frozenset({"F", "M"})) == frozenset({"F"})


def test_function_like_section_instances_come_with_the_variables_they_use():
    """Mathlib's `StarAlgHom.mem_equalizer`: the maps and their `FunLike` instance are
    section `variable`s and the statement never writes `B`.  Lean includes `{B}` and the
    instance (elaborating `f x` uses them), so the rule must see `F` as function-like."""
    from lean_alchemy.index.rules import derive_rules
    from lean_alchemy.index.section_variables import function_like_subject, used_section_variables

    section = tuple(parse_binders(
        "{F R A B : Type*} [Semiring A] [Semiring B] [Module R B] [FunLike F A B] "
        "[Demo.AlgHomClass F R A B] (f g : F) (h : 0 = 1)"))
    concl = parse_term("x ∈ Demo.equalizer f g ↔ f x = g x")
    own = tuple(parse_binders("(x : A)"))
    used = used_section_variables(section, own, concl)
    shown = [(g.kind, g.names, print_term(g.type)) for g in used]
    assert shown == [("implicit", ("F", "R", "A", "B"), "Type*"),
                     ("inst", (), "Semiring A"), ("inst", (), "Semiring B"),
                     ("inst", (), "Module R B"), ("inst", (), "FunLike F A B"),
                     ("inst", (), "Demo.AlgHomClass F R A B"), ("explicit", ("f", "g"), "F")]
    # without a function-like instance nothing pulls `B` in (Lean's syntactic rule)
    plain = tuple(g for g in section if not (g.kind == "inst" and "F" in print_term(g.type)))
    names = [n for g in used_section_variables(plain, own, concl) for n in g.names]
    assert names == ["F", "A", "f", "g"]
    assert function_like_subject(parse_term("Demo.AlgHomClass F R A B")) == "F"
    assert function_like_subject(parse_term("Module R B")) is None
    decl = Declaration(full_name="Demo.mem_equalizer", name="mem_equalizer", kind="theorem",
                       module="Demo", file="Demo.lean", start_line=1, end_line=1)
    rules = derive_rules(decl, own, concl, section=section)
    bwd = next(r for r in rules if r.direction == "bwd")
    ix = RuleIndex.build([bwd], rigid=(RIGID, RIGID_LAST))
    fns = parse_binders("{E G : Type*} (f₁ f : E → G) (x : E)")
    assert ix.invocations(DECL, fns, parse_term("f₁ x = f x")) == []
    assert ix.stats.filtered["rigid_mismatch"] == 1


def test_a_named_section_instance_the_statement_mentions_is_an_argument():
    """`variable {F : Type u → Type v} [q : QPF F]` then `q.SuppPreservation ↔ …`
    (Mathlib/Data/QPF/Univariate/Basic.lean): Lean makes `q` an argument of the theorem,
    and with it `F`, so `q` is a pattern variable (dot notation on it, `QPF.…`)."""
    from lean_alchemy.index.section_variables import used_section_variables

    section = tuple(parse_binders("{F : Type u → Type v} [q : QPF F] [Inhabited ℕ]"))
    concl = parse_term("q.SuppPreservation ↔ q.LiftpPreservation")
    used = used_section_variables(section, (), concl)
    assert [(g.kind, g.names) for g in used] == [("implicit", ("F",)), ("inst", ("q",))]
    # negative: an unnamed instance of no included variable stays out, and a named one
    # the statement does not mention
    assert used_section_variables(section, (), parse_term("True")) == ()
    lib = """\
variable {F : Type u → Type v} [q : QPF F]

theorem supp_iff : q.SuppPreservation ↔ q.LiftpPreservation := sorry
"""
    (fwd,) = [r for r in derived_rules(lib, "supp_iff")
              if r.direction == "fwd" and r.pattern.startswith('["Ident"')]
    assert fwd.pattern_vars == ("q",) and fwd.binder_names == ("F", "q")


def test_index_drops_a_number_for_a_structure_but_keeps_definitions():
    card = make_rule("Demo.Finset.card_eq_zero", "iff", "{α : Type*} {s : Finset α}",
                     "s.card = 0", "s = ∅", direction="bwd")
    ix = RuleIndex.build([card], rigid=(RIGID, RIGID_LAST))
    # relation operands have exact types: a number or a type variable is no `Finset`
    binders = parse_binders("{M : Type*} (n : ℕ) (x : M) (t : Finset ℕ)")
    got = ix.invocations(DECL, binders, parse_term("n = ∅ ∧ x = ∅ ∧ t = ∅"))
    assert [i.instance for i in got] == ["t = ∅"]
    # both are refused first as receivers of the new text's `s.card`: `ℕ` is no `Finset`,
    # and a value of a type variable has no field at all
    assert ix.stats.filtered["receiver_mismatch"] == 2
    assert ix.stats.filtered["rigid_mismatch"] == 0
    ideal = make_rule("Demo.Ideal.eq_bot_iff", "iff", "{R : Type*} {I : Ideal R}", "I = ⊥",
                      "∀ x ∈ I, x = 0")
    ix2 = RuleIndex.build([ideal], rigid=(RIGID, RIGID_LAST))
    sub = parse_binders("{R : Type*} (J : Submodule R R)")  # `Ideal R` unfolds to this
    assert len(ix2.invocations(DECL, sub, parse_term("J = ⊥"))) == 1
    assert ix2.stats.filtered["rigid_mismatch"] == 0


def test_a_constant_type_of_terms_is_never_a_candidates_type_variable():
    """`ZMod.val_ne_zero {n : ℕ} (a : ZMod n)` backwards on `x ≠ 0` with
    `x : K` a field variable.  `ZMod` is a definition (not rigid), but `ZMod n` applies a
    constant to a number: whatever it unfolds to, it is never the candidate's own `K`."""
    from lean_alchemy.index.match.rigid import constant_type

    zmod = make_rule("Demo.ZMod.val_ne_zero", "iff", "{n : ℕ} {a : ZMod n}", "a.val ≠ 0",
                     "a ≠ 0", direction="bwd")
    ix = RuleIndex.build([zmod], rigid=(RIGID, RIGID_LAST))
    field = parse_binders("{K : Type*} (x : K) (y : ZMod 7) (z : R)")
    got = ix.invocations(DECL, field, parse_term("x ≠ 0 ∧ y ≠ 0 ∧ z ≠ 0"))
    # `y : ZMod 7` is kept; `z` of an undeclared (maybe concrete) type passes the rigid
    # filter, but the mutant would write `z.val`, field notation on a value whose type has
    # another head (`receiver_mismatch`), as would `x.val` on a value of a type variable
    assert [i.instance for i in got] == ["y ≠ 0"]
    assert ix.stats.filtered["receiver_mismatch"] == 2
    # without field notation in the new text, `x` is refused by its type alone
    zmod_f = make_rule("Demo.ZMod.f_ne_zero", "iff", "{n : ℕ} {a : ZMod n}", "Demo.f a ≠ 0",
                       "a ≠ 0", direction="bwd")
    ix = RuleIndex.build([zmod_f], rigid=(RIGID, RIGID_LAST))
    got = ix.invocations(DECL, field, parse_term("x ≠ 0 ∧ y ≠ 0 ∧ z ≠ 0"))
    assert [i.instance for i in got] == ["y ≠ 0", "z ≠ 0"]
    assert ix.stats.filtered["rigid_mismatch"] == 1
    # what counts: constants applied to terms of rigid types, to closed types, to numbers
    bound = frozenset({"n", "α", "s", "X"})
    names = ["n", "α", "s", "X"]
    btypes = [parse_term("ℕ"), parse_term("Type*"), parse_term("Finset α"), parse_term("Foo")]

    def const(t: str) -> bool:
        return constant_type(parse_term(t), bound, names, btypes, RIGID)

    assert const("ZMod n") and const("ZMod 7") and const("EuclideanSpace ℝ (Fin n)")
    assert const("Demo.Thing") and const("ZMod (Nat.succ n)")
    assert not const("ZMod s.card")  # projections of rule terms are not taken (may be types)
    assert not const("OrderDual α")  # a synonym of a type variable may be `K` itself
    assert not const("ZMod X")  # `X : Foo`: not a rigid type, its values may be types
    assert not const("Foo (fun i => n)") and not const("ZMod _") and not const("α")


def test_hints_of_local_functions_applied_to_arguments():
    by_text = _hints("(f : ℕ → ℝ) (g : ℕ → ℕ → ℤ) (x : ℝ) (s : Set ℕ)",
                     "f n = x ∧ g 1 2 < 0 ∧ s 3")
    assert by_text["f n"] == ("ℝ", True)  # a relation operand: exact
    assert by_text["g 1 2"] == ("ℤ", True) and by_text["0"] == ("ℤ", True)
    # partial application, too many arguments, named arguments: what is left or nothing
    from lean_alchemy.index.match.hints import result_key
    assert result_key("(ℕ→(ℕ→ℤ))", [Ident("a")]) == "(ℕ→ℤ)"
    assert result_key("(ℕ→ℤ)", [Ident("a"), Ident("b")]) is None
    assert result_key("(ℕ→ℤ)", [parse_term("f (x := 1)").args[0]]) is None


def test_a_local_functions_value_is_checked_against_the_rule_type():
    # `Nat.succ_ne_zero (n : ℕ) : n + 1 ≠ 0` does not apply to `f x + 1 ≠ 0` in ℝ
    rule = make_rule("Demo.succ_ne_zero", "eq", "(n : ℕ)", "n + 1", "Nat.succ n")
    got, filtered = _instances([rule], "(f : ℝ → ℝ) (g : ℝ → ℕ) (x : ℝ)",
                               "f x + 1 ≠ 0 ∧ g x + 1 ≠ 0")
    assert got == ["g x + 1"] and filtered["type_mismatch"] == 1


def test_generic_patterns_of_concrete_types_need_a_typed_value():
    # `Nat.factorial_inj` read backwards: `m = n` with `m n : ℕ` matches every equation
    inj = make_rule("Demo.factorial_inj", "iff", "{m n : ℕ}", "m.factorial = n.factorial",
                    "m = n", direction="bwd")
    comm = make_rule("Demo.eq_comm", "iff", "{α : Sort*} {a b : α}", "a = b", "b = a")
    rigid = (RIGID, RIGID_LAST)
    binders = parse_binders("(f : ℕ → ℕ) (x : ℕ)")
    goal = parse_term("f x = 3 ∧ Foo.bar x = Foo.baz x")
    ix = RuleIndex.build([inj], rigid=rigid, generic_evidence=True)
    assert [i.instance for i in ix.invocations(DECL, binders, goal)] == ["f x = 3"]
    assert ix.stats.filtered["untyped_generic"] == 1
    # a pattern of type variables only is generic on purpose; the knob turns the filter off
    ix2 = RuleIndex.build([comm], rigid=rigid, generic_evidence=True)
    assert len(ix2.invocations(DECL, binders, goal)) == 2
    ix3 = RuleIndex.build([inj], rigid=rigid, generic_evidence=False)
    assert len(ix3.invocations(DECL, binders, goal)) == 2
    assert ix3.stats.filtered["untyped_generic"] == 0
    # `⊥`/`⊤`/`∅` are notation of every lattice: `?I = ⊥` is generic too
    bot = make_rule("Demo.Finset.card_eq_zero", "iff", "{α : Type*} {s : Finset α}",
                    "s.card = 0", "s = ⊥", direction="bwd")
    ix4 = RuleIndex.build([bot], rigid=rigid, generic_evidence=True)
    t = parse_binders("(t : Finset ℕ)")
    got = ix4.invocations(DECL, t, parse_term("t = ⊥ ∧ Foo.bar = ⊥"))
    assert [i.instance for i in got] == ["t = ⊥"]
    assert ix4.stats.filtered["untyped_generic"] == 1


def test_an_operator_with_a_bracket_is_one_constant_not_a_generic_pattern():
    # `f =o[l] g` is `Asymptotics.IsLittleO l f g`: as specific as its name, so it needs
    # no evidence; `s ⊆ t` is a class every type may have, so it is generic
    text = """
notation:100 f " =o[" l "] " g:100 => Demo.IsLittleO l f g
theorem Demo.isLittleO_iff {α : Type*} {l : Filter α} {f g : α → ℝ} :
    f =o[l] g ↔ Demo.Tendsto f g l := sorry
theorem Demo.coe_subset {α : Type*} {s t : Finset α} : s ⊆ t ↔ Demo.Sub s t := sorry
"""
    little_o = derived_rules(text, "Demo.isLittleO_iff")
    subset = derived_rules(text, "Demo.coe_subset")
    fwd = [r for r in little_o if r.direction == "fwd" and r.kind == "iff"]
    assert fwd and set(fwd[0].pattern_vars) == {"l", "f", "g"}
    assert compile_rule(fwd[0], RIGID, generic_evidence=True).generic == ()
    sub = [r for r in subset if r.direction == "fwd" and r.kind == "iff"][0]
    assert compile_rule(sub, RIGID, generic_evidence=True).generic == ("s", "t")
    ix = RuleIndex.build(fwd, rigid=(RIGID, RIGID_LAST), generic_evidence=True)
    got = ix.invocations(DECL, parse_binders("{n : ℕ}"),
                         parse_term("(fun x => Real.log x ^ n) =o[atTop] id"))
    assert [i.instance for i in got] == ["(fun x => Real.log x ^ n) =o[atTop] id"]
    assert ix.stats.filtered["untyped_generic"] == 0


def test_generic_evidence_ignores_sorts_and_variables_outside_the_pattern():
    # `le_of_sub_nonneg_gen {K : Type v} [CommRing K] {x y : K} (h : 0 ≤ x - y) : y ≤ x`:
    # `K : Type v` is concrete but is no pattern variable's value: no evidence needed
    rule = make_rule("Demo.le_of_sub_nonneg_gen", "imp",
                     "{K : Type v} [CommRing K] {x y : K} (h : 0 ≤ x - y)", "y ≤ x",
                     hyps=("0 ≤ x - y",))
    props = make_rule("Demo.imp_iff_not_or", "iff", "{a b : Prop}", "a → b", "¬a ∨ b")
    rigid = (RIGID, RIGID_LAST)
    c = compile_rule(rule, RIGID, generic_evidence=True)
    assert c.generic == ()
    assert compile_rule(props, RIGID, generic_evidence=True).generic == ()
    # any type with a head says something, rigid or not: `Matrix m n α`, functions, pis
    for binders in ("{m n α : Type*} {A B : Matrix m n α}", "{ι : Type*} {A B : ι → ℕ}",
                    "{ι : Type*} {β : ι → Type*} {A B : ∀ i, β i}"):
        inj = make_rule("Demo.inj", "iff", binders, "Foo.f A = Foo.f B", "A = B",
                        direction="bwd")
        assert compile_rule(inj, RIGID, generic_evidence=True).generic == ("A", "B"), binders
    ix = RuleIndex.build([rule], rigid=rigid, generic_evidence=True)
    binders = parse_binders("{a b : ℕ} (h : Foo.f b ≤ Foo.g a)")
    assert len(ix.invocations(DECL, binders, parse_term("a - b + b = a"))) == 1
    assert ix.stats.filtered["untyped_generic"] == 0


def test_flat_matcher_agrees_with_the_tree_matcher():
    """`match_flat` (the index's loop over a flattened candidate) gives exactly the tree
    matcher's result on every pair the trie retrieves, bindings, repeated variables and
    respellings included; patterns that bind names fall back to the tree matcher."""
    from lean_alchemy.index.match.matcher import match_flat

    rules = [
        _c("add_zero", "(a : α)", "a + 0", "a"),
        _c("mul_comm", "(a b : α)", "a * b", "b * a"),
        _c("sub_self", "(a : α)", "a - a", "0"),
        _c("comp_apply", "(f g : α → α) (x : α)", "(f ∘ g) x", "f (g x)"),
        _c("Nat.succ_sub_one", "(n : ℕ)", "Nat.succ n - 1", "n"),
        _c("sum_const", "(s : Finset ℕ) (c : ℕ)", "∑ i ∈ s, c", "s.card * c"),
        _c("two_mul", "(a : α)", "2 * a", "a + a"),
    ]
    assert rules[-2].steps is None and all(c.steps is not None for c in rules[:-2])
    t = Trie()
    for c in rules:
        t.insert(pattern_symbols(c.pattern, c.pvars), c)
    terms = ["(x * y + 0) * (x * y + 0)", "f x - f x - (f x - f y)", "(g ∘ h) (x * 2)",
             "succ n - 1 + Nat.succ m - 1", "∑ j ∈ t, (2 * k) + 2 * (a - a)"]
    pairs = 0
    for text in terms:
        w = parse_term(text)
        r = parse_term(text.replace("succ n", "Nat.succ n"))
        fl = flatten(w, r, frozenset("xyfghnmtka"))
        for i in range(len(fl.syms)):
            for c in t.retrieve(fl, i):
                pairs += 1
                assert match_flat(c, fl, i) == match(c, fl.written[i], fl.resolved[i],
                                                     suffix_const_eq, True), (text, i)
    assert pairs >= 12
    hits = {c.rule.lemma for text in terms[:4] for fl in [flatten(parse_term(text),
            parse_term(text.replace("succ n", "Nat.succ n")), frozenset("xyfghnmtka"))]
            for i in range(len(fl.syms)) for c in t.retrieve(fl, i) if match_flat(c, fl, i)}
    assert {"add_zero", "mul_comm", "sub_self", "comp_apply", "Nat.succ_sub_one"} <= hits


def test_a_hypothesis_named_in_verbatim_text_is_not_rewritten():
    """`l[k]'(by simpa using hk)` (the grammar keeps it as text): a rewrite `at hk`
    would leave the proof in the statement naming a hypothesis of another type (Mathlib's
    `CoxeterSystem.getElem_alternatingWord` with `(by simp [hk])`)."""
    from helpers.lean_text import extract
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    rule = make_rule("add_zero'", "eq", "{a : ℕ}", "a + 0", "a")

    def kinds(text: str) -> list[tuple[str, str]]:
        decls, _ = extract(text, module="Demo.Cand")
        (d,) = decls.values()
        ix = RuleIndex.build([rule])
        return [(i.kind, i.location)
                for i in ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))]

    assert kinds("theorem c (l : List ℕ) (k : ℕ) (hk : k < l.length + 0) : "
                 "l[k]'(by simpa using hk) = 0 := by simp\n") == []
    # negative: a statement that names the hypothesis nowhere else keeps the rewrite
    assert kinds("theorem c (l : List ℕ) (k : ℕ) (hk : k < l.length + 0) : "
                 "l.length = k := by simp\n") == [("rw_hyp", "hk")]


def test_a_logic_rule_never_rewrites_a_function_type_between_types():
    # `a → b ↔ ¬a ∨ b` is about propositions: `p → q` is rewritten, the type `α → α` of an
    # ascription is not (a type is no proposition)
    imp = make_rule("Demo.imp_iff_not_or", "iff", "{a b : Prop}", "a → b", "¬a ∨ b")
    got, filtered = _instances([imp], "{α : Type*} (f : α → α) (p q : Prop)",
                               "(p → q) ∧ Function.Injective (f : α → α)")
    assert got == ["p → q"] and filtered["type_mismatch"] == 1
    # a product of types is a type too: `¬a ∧ b` of `not_and_not_right` never binds it
    neg = make_rule("Demo.not_and_not_right", "iff", "{a b : Prop}", "¬(a ∧ ¬b)", "a → b")
    got, _ = _instances([neg], "{R A : Type*} (p q : Prop)",
                        "¬(p ∧ ¬q) ∧ Nonempty ¬((R × A) ∧ ¬q)")
    assert got == ["¬(p ∧ ¬q)"]


def test_a_function_variable_never_binds_a_value_of_a_plain_type_variable():
    # `Demo.snoc_inj` backwards puts `x` where a tuple goes: a value of a type variable
    # without a function-like instance is no function; a bundled map's type is one
    inj = make_rule("Demo.snoc_inj", "iff", "{α : Type*} {n : ℕ} {x y : Fin n → α}",
                    "Demo.snoc x = Demo.snoc y", "x = y", direction="bwd")
    got, filtered = _instances([inj], "{F G : Type*} [Field F] [FunLike G ℕ ℕ] (a b : F) "
                                      "(u v : G) (f g : Fin 2 → F)", "a = b ∧ u = v ∧ f = g")
    assert got == ["u = v", "f = g"] and filtered["rigid_mismatch"] == 1
