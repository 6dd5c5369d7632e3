"""A bounded binder's hypothesis passed as `‹_›` to a higher-order pattern variable:
`Set.biUnion_eq_iUnion (s : Set α) (t : ∀ x ∈ s, Set β) : ⋃ x ∈ s, t x ‹_› = ⋃ x : s, t x x.2`
(Mathlib/Data/Set/Lattice.lean:697).  Lean rewrites the candidate's `⋃ i ∈ S, f i` with
it (`t := fun i _ => f i`); the index used to drop every pattern with a hole."""

from __future__ import annotations

from lean_alchemy.grammar.ast import loads
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.substitute import alpha_equal, substitute

from helpers.lean_text import derived_rules, extract, make_rule, mutant_conclusion, parsed

BIUNION = make_rule("Set.biUnion_eq_iUnion", "eq", "(s : Set α) (t : ∀ x ∈ s, Set β)",
                    "⋃ x ∈ s, t x ‹_›", "⋃ x : s, t x x.2")

LIB = """\
theorem biUnion_eq_iUnion (s : Set α) (t : ∀ x ∈ s, Set β) :
    ⋃ x ∈ s, t x ‹_› = ⋃ x : s, t x x.2 := by simp

theorem hole_alone (t : ∀ x : ℕ, x = x → Set ℕ) : t 0 ‹_› = ∅ := by simp
"""


def _invocations(candidate: str):
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion
    from lean_alchemy.index.match.rule_index import RuleIndex

    decls, _ = extract(candidate, module="Demo.Cand")
    (d,) = decls.values()
    ix = RuleIndex.build([BIUNION])
    return d, ix.invocations(d, tuple(decl_binders(d)), decl_conclusion(d))


def test_the_hypothesis_of_a_bounded_binder_is_an_argument_the_candidate_never_names():
    d, invs = _invocations("theorem c (f : ℕ → Set ℕ) (S : Set ℕ) : "
                           "(⋃ i ∈ S, f i).Countable := by simp\n")
    (inv,) = invs
    subst = {k: loads(v) for k, v in inv.subst}
    assert {k: print_term(v) for k, v in subst.items()} == {"s": "S", "t": "fun i _ => f i"}
    # the instantiated pattern is the instance; the replacement is beta-reduced
    assert alpha_equal(substitute(loads(BIUNION.pattern), subst), parsed("⋃ i ∈ S, f i"))
    assert mutant_conclusion(d, BIUNION, inv) == "(⋃ x : S, f x).Countable"


def test_a_hypothesis_hole_needs_the_bounded_binder():
    # negatives: an unbounded union has no hypothesis to pass, and a body that is no
    # function of the bound name alone does not abstract
    assert _invocations("theorem c (f : ℕ → Set ℕ) : (⋃ i, f i).Countable := by simp\n")[1] == []
    assert _invocations("theorem c (f : ℕ → Set ℕ) (S : Set ℕ) : "
                        "(⋃ i ∈ S, ⋃ j ∈ S, f j).Countable := by simp\n")[1] != []


def test_only_a_hole_after_bound_names_is_kept_in_a_pattern():
    from lean_alchemy.index.rules import RuleStats

    rules = derived_rules(LIB, "biUnion_eq_iUnion")
    assert "fwd" in [r.direction for r in rules if r.kind == "eq"]
    # negative: a hole passed outside any bounded binder is still no pattern
    stats = RuleStats.new()
    assert [r for r in derived_rules(LIB, "hole_alone", stats) if r.direction == "fwd"] == []
    assert stats.dropped["hole_pattern"] >= 1
