"""The matcher alone: discrimination-tree retrieval and first-order matching on ASTs."""

from __future__ import annotations

from lean_alchemy.core.records import Declaration
from lean_alchemy.grammar.ast import Ident
from lean_alchemy.grammar.parser import parse_binders, parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.mutate.match import (
    RuleIndex, Trie, compile_rule, flatten, match, pattern_symbols, suffix_const_eq,
)

from mutate_golden_helpers import make_rule

DECL = Declaration("Demo.t", "t", "theorem", "Demo", "Demo.lean", 1, 1)


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


def test_cap_per_theorem_and_self_rewrites():
    rules = [make_rule("add_comm", "eq", "(a b : ℕ)", "a + b", "b + a"),
             make_rule("Demo.t", "eq", "(a : ℕ)", "a + 1", "1 + a")]
    ix = RuleIndex.build(rules, max_per_theorem=2)
    invs = ix.invocations(DECL, (), parse_term("a + 1 + (b + c) + d = e"))
    assert len(invs) == 2 and ix.stats.capped == 2
    assert all(i.rule_id.startswith("add_comm") for i in invs)  # never the theorem itself


def test_spread_is_a_seeded_permutation():
    from lean_alchemy.mutate.match import _spread

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
