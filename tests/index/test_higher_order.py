"""Higher-order pattern variables (Miller patterns), binding notations as constants for the
evidence filter, and rule constants the library does not declare: matches Lean's `rw`
finds and a first-order, fully resolved reading of the rule missed."""

from __future__ import annotations

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.substitute import alpha_equal, substitute

from helpers.lean_text import extract, make_rule, parsed

EVENTUALLY_ALL = make_rule(
    "Filter.eventually_all", "iff", "{ι : Type*} {α : Type*} {l : Filter α} {p : ι → α → Prop}",
    "∀ᶠ x in l, ∀ i, p i x", "∀ i, ∀ᶠ x in l, p i x")


def _invocations(rules, candidate: str, generic_evidence: bool = False):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    decls, _ = extract(candidate, module="Demo.Cand")
    (d,) = decls.values()
    ix = RuleIndex.build(rules, rigid=(frozenset({"Filter"}), frozenset({"Filter"})) if generic_evidence else None,
                         generic_evidence=generic_evidence)
    return ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))


def _subst(inv) -> dict[str, str]:
    return {k: print_term(loads(v)) for k, v in inv.subst}


def test_a_function_variable_applied_to_bound_names_binds_an_abstraction():
    cand = "theorem c (r : ℕ → ℕ → ℕ) : ∀ᶠ n in atTop, ∀ i, 0 < r i n := by simp\n"
    (inv,) = _invocations([EVENTUALLY_ALL], cand)
    assert inv.instance == "∀ᶠ n in atTop, ∀ i, 0 < r i n"
    assert _subst(inv) == {"l": "atTop", "p": "fun i n => 0 < r i n"}
    # the other spelling: a body that applies a function to the bound names binds it
    # eta-reduced, as the first-order match of the application did
    (inv,) = _invocations([EVENTUALLY_ALL], "theorem c (q : ℕ → ℕ → Prop) : "
                                           "∀ᶠ n in atTop, ∀ i, q 2 i n := by simp\n")
    assert _subst(inv) == {"l": "atTop", "p": "q 2"}


def test_the_rewrite_of_an_abstraction_is_beta_reduced_and_restates_the_instance():
    # what the mutation engine does with the invocation: the pattern instantiated is
    # the candidate's sub-term (up to bound names), the replacement is beta-reduced
    subst = {"l": parsed("atTop"), "p": parsed("fun i n => 0 < r i n")}
    pattern, replacement = loads(EVENTUALLY_ALL.pattern), loads(EVENTUALLY_ALL.replacement)
    assert alpha_equal(substitute(pattern, subst), parsed("∀ᶠ n in atTop, ∀ i, 0 < r i n"))
    assert print_term(substitute(replacement, subst)) == "∀ i, ∀ᶠ x in atTop, 0 < r i x"


def test_an_abstraction_never_captures_a_name_bound_inside_the_instance():
    rule = make_rule("sum_outer", "eq", "{s t : Finset ℕ} {f : ℕ → ℕ}",
                     "∑ i ∈ s, ∑ j ∈ t, f i", "t.card • ∑ i ∈ s, f i")
    ok = _invocations([rule], "theorem c (g : ℕ → ℕ) (s t : Finset ℕ) : "
                              "∑ i ∈ s, ∑ j ∈ t, (g i + 1) = 0 := by simp\n")
    assert [_subst(i)["f"] for i in ok] == ["fun i => g i + 1"]
    # negative: the inner body mentions `j`, which `f i` cannot see
    assert _invocations([rule], "theorem c (g : ℕ → ℕ → ℕ) (s t : Finset ℕ) : "
                                "∑ i ∈ s, ∑ j ∈ t, g i j = 0 := by simp\n") == []


def test_a_bundled_map_applied_to_a_bound_name_stays_first_order():
    # `f x` with `f : M →* N` is the coercion `⇑f x`: it matches an application only
    rule = make_rule("map_prod'", "eq", "{s : Finset ℕ} {f : ℕ →* ℕ}",
                     "∏ x ∈ s, f x", "f (∏ x ∈ s, x)")
    (inv,) = _invocations([rule], "theorem c (g : ℕ →* ℕ) (s : Finset ℕ) : "
                                  "∏ x ∈ s, g x = 1 := by simp\n")
    assert _subst(inv) == {"f": "g", "s": "s"}
    assert _invocations([rule], "theorem c (s : Finset ℕ) : "
                                "∏ x ∈ s, (2 + x) = 1 := by simp\n") == []


def test_a_binding_notation_other_than_logic_needs_no_type_evidence():
    from lean_alchemy.index.match.matcher import compile_rule

    # `∀ᶠ` is `Filter.Eventually`: a match of it is tied to the rule like a constant
    c = compile_rule(EVENTUALLY_ALL, frozenset({"Filter"}), generic_evidence=True)
    assert c is not None and c.generic == ()
    (inv,) = _invocations([EVENTUALLY_ALL], "theorem c (r : ℕ → ℕ) : "
                                           "∀ᶠ n in atTop, ∀ i, 0 < r i := by simp\n",
                          generic_evidence=True)
    assert _subst(inv)["p"] == "fun i n => 0 < r i"
    # negative: `∃ x, p x` meets every existential, so its concretely typed variable
    # still needs evidence
    exists = make_rule("exists_nat", "iff", "{p : ℕ → Prop}", "∃ x, p x", "¬∀ x, ¬p x")
    c = compile_rule(exists, frozenset({"Filter"}), generic_evidence=True)
    assert c is not None and c.generic == ("p",)


KER = """\
open Function

theorem ker_eq_bot {f : ℕ → ℕ} : Demo.ker f = 0 ↔ Injective f := by simp

theorem ker_eq_top {f : ℕ → ℕ} : Demo.ker f = 1 ↔ Surj f := by simp

def Demo.ker (f : ℕ → ℕ) : ℕ := 0

def Surj (f : ℕ → ℕ) : Prop := True

def twice (n : ℕ) : ℕ := 2 * n

theorem twice_injective : Function.Injective twice := by simp

theorem twice_surjective : Function.Surjective twice := by simp

theorem twice_surj : Function.Surj twice := by simp
"""


def test_a_rule_constant_the_library_lacks_matches_the_candidates_qualified_name(tmp_path):
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.options import IndexOptions
    from lean_alchemy.index.store import iter_invocations, read_rules

    from helpers.lean_text import extracted_run

    run = extracted_run(tmp_path, KER)
    run_index(run, IndexOptions(jobs=1, max_matches_per_theorem=None))
    rules = {r.id: r for r in read_rules(run)}
    got = {(i.candidate, rules[i.rule_id].lemma, rules[i.rule_id].direction)
           for i in iter_invocations(run)}
    # `Injective` under `open Function` is core's `Function.Injective`, which the library
    # does not declare: the candidate's `Function.Injective twice` is its instance
    assert ("twice_injective", "ker_eq_bot", "bwd") in got
    # negatives: another core name, and a rule constant the library declares (its root
    # `Surj` is not the candidate's unresolved `Function.Surj`)
    assert ("twice_surjective", "ker_eq_bot", "bwd") not in got
    assert ("twice_surj", "ker_eq_top", "bwd") not in got


def test_a_typed_binder_with_a_predicate_parses_and_prints_back():
    from lean_alchemy.grammar.ast import Opaque, Quant

    for text in ("∀ᶠ (n : ℕ) in atTop, p n", "∃ᶠ (y : 𝕜) in codiscreteWithin U, q y"):
        t = parsed(text)
        assert isinstance(t, Quant) and print_term(t) == text
    # negative: two bracketed groups cannot share one predicate
    assert isinstance(parsed("∀ᶠ (n : ℕ) (m : ℕ) in atTop, p n"), Opaque)


def test_an_untyped_pattern_binder_matches_a_typed_one():
    typed = "theorem c (r : ℕ → ℕ → ℕ) : ∀ᶠ (n : ℕ) in atTop, ∀ i, 0 < r i n := by simp\n"
    (inv,) = _invocations([EVENTUALLY_ALL], typed)
    assert inv.instance == "∀ᶠ (n : ℕ) in atTop, ∀ i, 0 < r i n"
    assert _subst(inv) == {"l": "atTop", "p": "fun i n => 0 < r i n"}
    # the mutation engine's check that the instantiated pattern is the instance
    subst = {k: loads(v) for k, v in inv.subst}
    assert alpha_equal(substitute(loads(EVENTUALLY_ALL.pattern), subst),
                       parsed("∀ᶠ (n : ℕ) in atTop, ∀ i, 0 < r i n"))
    # negatives: the rest of the binder must still agree (a binder predicate of another
    # notation), and a pattern's typed binder is not an untyped one of the candidate
    assert _invocations([EVENTUALLY_ALL], "theorem c (r : ℕ → ℕ → ℕ) : "
                                         "∃ᶠ (n : ℕ) in atTop, ∀ i, 0 < r i n := by simp\n") == []
    typed_rule = make_rule("forall_int", "iff", "{p : ℤ → Prop}", "∀ x : ℤ, p x", "¬∃ x, ¬p x")
    assert _invocations([typed_rule], "theorem c (q : ℕ → Prop) : ∀ n, q n := by simp\n") == []
    assert not alpha_equal(parsed("∀ᶠ x in atTop, P x"), parsed("∀ᶠ (n : ℕ) in l, P n"))


def test_an_interval_is_no_set_of_a_set_integral():
    # `∫ x in a..b, f x ∂μ` is the interval integral, not `∫ x in s, f x ∂μ` with `s := a..b`
    rule = make_rule("setIntegral_def", "eq", "{s : Set ℝ} {f : ℝ → ℝ} {μ : Measure ℝ}",
                     "∫ x in s, f x ∂μ", "∫ x, s.indicator f x ∂μ")
    (inv,) = _invocations([rule], "theorem c (g : ℝ → ℝ) (t : Set ℝ) : "
                                  "∫ x in t, (g x + 1) ∂volume = 0 := by simp\n")
    assert _subst(inv)["s"] == "t"
    assert _invocations([rule], "theorem c (g : ℝ → ℝ) (a b : ℝ) : "
                                "∫ x in a..b, (g x + 1) ∂volume = 0 := by simp\n") == []


def test_a_name_bound_in_one_part_of_the_instance_is_free_in_another():
    rule = make_rule("ev_fun", "eq", "{g : ℕ → ℕ} {a : ℕ}", "ev (fun y => g y) a", "g a")
    (inv,) = _invocations([rule], "theorem c (h : ℕ → ℕ) (x : ℕ) : "
                                  "ev (fun x => h x) x = 0 := by simp\n")
    assert _subst(inv) == {"g": "h", "a": "x"}
    # negative: inside the binder the same name is the bound one, which no variable of
    # the rule may take
    inner = make_rule("ev_const", "eq", "{a : ℕ}", "ev (fun y => a)", "a")
    assert _invocations([inner], "theorem c : ev (fun x => x) = 0 := by simp\n") == []
