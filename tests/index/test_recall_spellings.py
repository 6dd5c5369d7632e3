"""Spellings Lean elaborates alike that the index must match: a bare constant written
`@C` in a rule against the constant applied in the candidate (`Etale f`), and a bracketed
operator whose bracket holds a rule variable (`f =O[l] g`) against the same operator
over another term (`u =O[atTop] v`)."""

from __future__ import annotations

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.printer import print_term

from helpers.lean_text import derived_rules, extract, mutant_conclusion

BARE = """\
namespace Demo

def Etale (f : ℕ) : Prop := f = f
def Smooth (n : ℕ) (f : ℕ) : Prop := n ≤ f

theorem eq_smooth : @Etale = @Smooth 0 := by rfl

theorem etale_iff (f : ℕ) : Etale f ↔ Smooth 0 f := by rw [eq_smooth]

theorem explicit_var {g : ℕ → ℕ} (h : ∀ x, g x = x) : @g = id := by exact funext h

end Demo
"""


def _invocations(text: str, rule_names: list[str], candidate: str):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    rules = [r for n in rule_names for r in derived_rules(text, n)]
    decls, _ = extract(text)
    d = decls[candidate]
    ix = RuleIndex.build(rules)
    return decls[candidate], rules, ix.invocations(d, tuple(decl_binders(d)),
                                                   decl_conclusion(d))


def test_a_bare_constant_written_with_at_matches_the_constant_applied():
    d, rules, invs = _invocations(BARE, ["eq_smooth"], "etale_iff")
    by_id = {r.id: r for r in rules}
    found = [(by_id[i.rule_id], i) for i in invs
             if i.kind == "rw_goal" and by_id[i.rule_id].direction == "fwd"]
    assert [print_term(loads(r.pattern)) for r, _ in found] == ["Demo.Etale"]
    rule, inv = found[0]
    assert inv.instance == "Etale"
    # the mutant rewrites the head constant, as `rw [eq_smooth]` does
    assert mutant_conclusion(d, rule, inv) == "(@Demo.Smooth 0) f ↔ Smooth 0 f"


def test_the_written_at_spelling_is_kept_and_no_other_pattern_gets_a_bare_form():
    rules = derived_rules(BARE, "eq_smooth")
    fwd = sorted(print_term(loads(r.pattern)) for r in rules if r.direction == "fwd")
    assert fwd == ["@Demo.Etale", "Demo.Etale"]
    # a variable written `@g` is no constant: a bare variable would match everything
    assert all(print_term(loads(r.pattern)) != "g"
               for r in derived_rules(BARE, "explicit_var"))


BRACKETS = """\
namespace Asym

theorem isBigO_iff {f g : ℕ → ℝ} {l : Filter ℕ} :
    f =O[l] g ↔ ∃ c : ℝ, ∀ᶠ x in l, ‖f x‖ ≤ c * ‖g x‖ := sorry

theorem eventuallyEq_iff_sub {f g : ℕ → ℝ} {l : Filter ℕ} : f =ᶠ[l] g ↔ f - g =ᶠ[l] 0 := sorry

theorem at_top {u v : ℕ → ℝ} : u =O[atTop] v ↔ u =ᶠ[𝓝[≠] 0] v := sorry

theorem same_name {u v : ℕ → ℝ} {l : Filter ℕ} : u =O[l] v ↔ True := sorry

theorem little {u v : ℕ → ℝ} : u =o[atTop] v ↔ True := sorry

theorem bound_above {u v : ℕ → ℝ} : ∀ n : ℕ, u =O[𝓝 n] v := sorry

end Asym
"""


def _by_rule(text: str, rule_names: list[str], candidate: str):
    d, rules, invs = _invocations(text, rule_names, candidate)
    by_id = {r.id: r for r in rules}
    return d, [(by_id[i.rule_id], i) for i in invs
               if i.kind == "rw_goal" and by_id[i.rule_id].direction == "fwd"]


def test_a_variable_filling_a_bracket_binds_the_candidates_bracket():
    d, found = _by_rule(BRACKETS, ["isBigO_iff", "eventuallyEq_iff_sub"], "at_top")
    got = {(r.lemma, i.instance, tuple((k, print_term(loads(v))) for k, v in i.subst))
           for r, i in found}
    assert got == {
        ("Asym.isBigO_iff", "u =O[atTop] v", (("f", "u"), ("g", "v"), ("l", "atTop"))),
        ("Asym.eventuallyEq_iff_sub", "u =ᶠ[𝓝[≠] 0] v",
         (("f", "u"), ("g", "v"), ("l", "𝓝[≠] 0")))}
    mutants = {mutant_conclusion(d, r, i) for r, i in found}
    # the bracket's value is substituted into the replacement's operator too
    assert mutants == {"(∃ c : ℝ, ∀ᶠ x in atTop, ‖u x‖ ≤ c * ‖v x‖) ↔ u =ᶠ[𝓝[≠] 0] v",
                       "u =O[atTop] v ↔ u - v =ᶠ[𝓝[≠] 0] 0"}


def test_the_same_bracket_text_still_matches_and_other_families_do_not():
    _, found = _by_rule(BRACKETS, ["isBigO_iff"], "same_name")
    assert [dict((k, print_term(loads(v))) for k, v in i.subst)["l"] for _, i in found] \
        == ["l"]
    assert _by_rule(BRACKETS, ["isBigO_iff"], "little")[1] == []  # `=o` is another family


def test_a_bracket_naming_a_variable_bound_above_is_not_matched():
    # `rw` cannot rewrite under the `∀ n`: the bracket mentions `n`
    assert _by_rule(BRACKETS, ["isBigO_iff"], "bound_above")[1] == []


PREDICATES = """\
namespace Preds

theorem iSup_subtype'' {ι α : Type*} [CompleteLattice α] (s : Set ι) (f : ι → α) :
    ⨆ i : s, f i = ⨆ (t : ι) (_ : t ∈ s), f t := sorry

theorem exists_sub {α : Type*} (s : Set α) (p : α → Prop) :
    (∃ (x : α) (_ : x ∈ s), p x) ↔ ∃ x : s, p x := sorry

theorem cand_sup {ι α : Type*} [CompleteLattice α] (s : Set ι) (H : ι → α) :
    ⨆ i ∈ s, H i = ⊤ := sorry

theorem cand_nested {ι α : Type*} [CompleteLattice α] (s : Set ι) (H : ι → α) :
    ⨆ (j : ι) (_ : j ∈ s), H j = ⊤ := sorry

theorem cand_exists {α : Type*} (s : Set α) (p : α → Prop) : ∃ x ∈ s, p x := sorry

end Preds
"""


def _bwd(text: str, rule: str, candidate: str):
    d, rules, invs = _invocations(text, [rule], candidate)
    by_id = {r.id: r for r in rules}
    return d, [(by_id[i.rule_id], i) for i in invs if by_id[i.rule_id].direction == "bwd"]


def test_a_binder_of_a_proof_matches_the_binder_predicate_spelling():
    d, found = _bwd(PREDICATES, "iSup_subtype''", "cand_sup")
    assert [i.instance for _, i in found] == ["⨆ i ∈ s, H i"]
    (rule, inv), = found
    assert mutant_conclusion(d, rule, inv) == "⨆ i : s, H i = ⊤"
    # the spelling the lemma writes still matches itself
    _, found = _bwd(PREDICATES, "iSup_subtype''", "cand_nested")
    assert [i.instance for _, i in found] == ["⨆ (j : ι) (_ : j ∈ s), H j"]


def test_an_existential_keeps_its_binder_of_a_proof():
    # `∃ x ∈ s, p x` is `∃ x, x ∈ s ∧ p x`, not `∃ x, ∃ (_ : x ∈ s), p x`
    rules = derived_rules(PREDICATES, "exists_sub")
    assert all(print_term(loads(r.pattern)) != "∃ x ∈ s, p x" for r in rules)
    d, rules, invs = _invocations(PREDICATES, ["exists_sub"], "cand_exists")
    assert invs == []


ASCRIBED = """\
namespace Demo

theorem ne_one_iff {G : Type} [One G] (s : Set G) : (∃ y ∈ s, y ≠ (1 : G)) ↔ s.Nonempty := sorry

theorem exists_ne (s : Set ℕ) (h : ∃ y ∈ s, y ≠ 1) : s.Nonempty := by
  rw [← ne_one_iff]
  exact h

theorem strict_iff (f : ℕ → ℕ) : StrictMono (f : ℕ → ℕ) ↔ ∀ a, f a < f (a + 1) := sorry

theorem strict_succ (g : ℕ → ℕ) (h : StrictMono g) : True := trivial

theorem cast_two (n : ℕ) : ((2 : ℕ) : ℤ) + n = n + 2 := sorry

theorem two_plus (n : ℕ) (h : (2 : ℤ) + n = 0) : True := trivial

end Demo
"""


def test_a_variables_ascription_at_its_own_type_matches_the_bare_variable():
    """`StrictMono (f : α → β)` with `f : α → β`: the ascription only annotates, Lean
    elaborates the bare variable, and the candidate writes that (`StrictMono g`)."""
    _, rules, invs = _invocations(ASCRIBED, ["strict_iff"], "strict_succ")
    by_id = {r.id: r for r in rules}
    assert any(i.kind == "rw_hyp" and by_id[i.rule_id].direction == "fwd" for i in invs)


def test_a_numerals_ascription_and_a_cast_stay_in_the_pattern():
    """`y ≠ (1 : G)`: the numeral's type is what says where the pattern applies (without
    it every `y ≠ 1` of any type matched), so no variant drops it; and `((2 : ℕ) : ℤ)` is
    a cast of a natural number, which does not match the integer `2`."""
    fwd = [print_term(loads(r.pattern)) for r in derived_rules(ASCRIBED, "ne_one_iff")
           if r.direction == "fwd"]
    assert all("(1 : G)" in p for p in fwd), fwd
    fwd = [print_term(loads(r.pattern)) for r in derived_rules(ASCRIBED, "cast_two")
           if r.direction == "fwd"]
    assert fwd == ["((2 : ℕ) : ℤ) + n"]
    _, rules, invs = _invocations(ASCRIBED, ["cast_two"], "two_plus")
    by_id = {r.id: r for r in rules}
    assert not any(by_id[i.rule_id].direction == "fwd" for i in invs)


ANNOTATED = """\
namespace Demo

def Sub (α : Type) : Type := α → Prop

def Sub.le {α : Type} (s t : Sub α) : Prop := ∀ x, s x → t x

theorem le_def {α : Type} {s t : Sub α} : Sub.le s t ↔ ∀ ⦃x : α⦄, s x → t x := Iff.rfl

theorem implicit_case {α : Type} (s t : Sub α) (h : Sub.le s t) : ∀ {x : α}, s x → t x :=
  fun hx => h _ hx

theorem strict_case {α : Type} (s t : Sub α) (h : Sub.le s t) : ∀ ⦃x : α⦄, s x → t x :=
  fun _ hx => h _ hx

theorem other_body {α : Type} (s t : Sub α) (h : ∀ x, s x ∧ t x) : ∀ {x : α}, s x ∧ t x :=
  fun {x} => h x

end Demo
"""


def test_binder_annotations_do_not_keep_a_rewrite_from_matching():
    """`∀ {x}` against a pattern's `∀ ⦃x⦄` (`rw [← SetLike.le_def]` on `∀ {x : M}, x ∈ S i →
    x ∈ iSup S`): Lean's `rw` compares up to binder annotations; another body does not
    match."""
    for cand in ("implicit_case", "strict_case"):
        d, rules, invs = _invocations(ANNOTATED, ["le_def"], cand)
        by_id = {r.id: r for r in rules}
        goal = [(by_id[i.rule_id], i) for i in invs if i.kind == "rw_goal"]
        assert [r.direction for r, _ in goal] == ["bwd"], cand
        rule, inv = goal[0]
        assert mutant_conclusion(d, rule, inv) == "Demo.Sub.le s t", cand
    _, _, invs = _invocations(ANNOTATED, ["le_def"], "other_body")
    assert [i for i in invs if i.kind == "rw_goal"] == []


PIPED = """\
namespace Demo

def near (n : ℕ) : ℕ := n

def Tends (f : ℕ → ℕ) (a b : ℕ) : Prop := f a = b

theorem tends_near {f : ℕ → ℕ} {a b : ℕ} : Tends f a (near b) ↔ f a = b := Iff.rfl

theorem piped (f : ℕ → ℕ) (a b : ℕ) (h : f a = b) : Tends f a <| near b := tends_near.2 h

theorem plain (f : ℕ → ℕ) (a b : ℕ) (h : f a = b) : Tends f a (near b) := tends_near.2 h

theorem other (f : ℕ → ℕ) (a b : ℕ) (h : f a = b + 1) : Tends f a <| near b + 1 := h

end Demo
"""


def test_an_application_written_with_pipe_matches_it_written_plain():
    """`Tends f a <| near b` is `Tends f a (near b)` (`<|` only spells the application):
    `rw [tends_near]` rewrites both, and the mutant replaces the whole application."""
    for cand in ("piped", "plain"):
        d, rules, invs = _invocations(PIPED, ["tends_near"], cand)
        by_id = {r.id: r for r in rules}
        goal = [(by_id[i.rule_id], i) for i in invs
                if i.kind == "rw_goal" and by_id[i.rule_id].direction == "fwd"]
        assert len(goal) == 1, cand
        rule, inv = goal[0]
        assert mutant_conclusion(d, rule, inv) == "f a = b", cand
    # `<|` takes all that follows: `Tends f a (near b + 1)`, no instance of the rule
    d, rules, invs = _invocations(PIPED, ["tends_near"], "other")
    by_id = {r.id: r for r in rules}
    assert not [i for i in invs if i.kind == "rw_goal" and by_id[i.rule_id].direction == "fwd"]


NAMED = """\
namespace Poly

def map {σ : Type} (f : ℕ → ℕ) (p : σ → ℕ) : σ → ℕ := fun x => f (p x)
def eval (f : ℕ → ℕ) : (Unit → ℕ) → Unit → ℕ := fun p x => f (p x)
def pick {σ : Type} (f : ℕ → ℕ) : Type := σ

theorem map_eq_eval (f : ℕ → ℕ) : map (σ := Unit) f = eval f := sorry

theorem map_unit {σ : Type} (f : ℕ → ℕ) : map (σ := σ) f = eval f := sorry

theorem pick_eq {σ : Type} (f : ℕ → ℕ) : pick (σ := σ) f = σ := sorry

theorem map_id (p : Unit → ℕ) : map id p = p := sorry

end Poly
"""


def test_a_named_argument_naming_a_rule_variable_is_left_out_of_a_pattern_form():
    from lean_alchemy.index.pattern_forms import unnamed
    from lean_alchemy.grammar.parser import parse_term

    pv = frozenset({"σ", "f"})
    assert print_term(unnamed(parse_term("map (σ := σ) f"), pv, frozenset())) == "map f"
    # the replacement writes `σ` and nothing else in the pattern binds it: kept
    kept = parse_term("pick (σ := σ) f")
    assert unnamed(kept, pv, frozenset({"σ"})) is kept
    # a term, not a variable, says where the rule applies: kept
    typed = parse_term("map (σ := Unit) f")
    assert unnamed(typed, pv, frozenset()) is typed
    # every argument named: the function alone
    assert print_term(unnamed(parse_term("g (σ := σ)"), pv, frozenset())) == "g"


def test_a_rule_written_with_a_named_argument_matches_the_candidate_that_omits_it():
    fwd = sorted(print_term(loads(r.pattern)) for r in derived_rules(NAMED, "map_unit")
                 if r.direction == "fwd")
    assert fwd == ["Poly.map (σ := σ) f", "Poly.map f"]
    # the value `Unit` constrains: no form without it
    assert [print_term(loads(r.pattern)) for r in derived_rules(NAMED, "map_eq_eval")
            if r.direction == "fwd"] == ["Poly.map (σ := Unit) f"]
    assert [print_term(loads(r.pattern)) for r in derived_rules(NAMED, "pick_eq")
            if r.direction == "fwd"] == ["Poly.pick (σ := σ) f"]
    d, rules, invs = _invocations(NAMED, ["map_unit"], "map_id")
    by_id = {r.id: r for r in rules}
    found = [(by_id[i.rule_id], i) for i in invs
             if i.kind == "rw_goal" and by_id[i.rule_id].direction == "fwd"]
    assert [inv.instance for _, inv in found] == ["map id"]
    rule, inv = found[0]
    assert mutant_conclusion(d, rule, inv) == "Poly.eval id p = p"


def test_every_pattern_form_of_a_rule_has_an_id_the_recall_benchmark_knows():
    from lean_alchemy.index.rules import rule_ids

    for name in ("map_unit", "eq_smooth"):
        text = NAMED if name == "map_unit" else BARE
        for r in derived_rules(text, name):
            assert r.id in rule_ids(r.lemma, r.kind, r.direction), (name, r.id)
