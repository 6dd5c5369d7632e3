"""Refutation on statements written as Lean text, through the project's parser.

Skipped until `lean_alchemy.grammar.parse_term`/`parse_binders` exist: real inputs come
from that parser, so these tests check the evaluator and the parser agree on precedence
(`∑ x ∈ s, f x + 1` is `(∑ x ∈ s, f x) + 1`), casts and dot notation.
"""

from __future__ import annotations

import pytest

grammar = pytest.importorskip("lean_alchemy.grammar")
if not hasattr(grammar, "parse_term") or not hasattr(grammar, "parse_binders"):
    pytest.skip("parser not available yet", allow_module_level=True)

from lean_alchemy.mutate.refute import NEVER_SATISFIED, refute_statement  # noqa: E402


def check(binders: str, concl: str):
    return refute_statement(tuple(grammar.parse_binders(binders)), grammar.parse_term(concl))


TRUE = [
    ("(a b : ℕ) (h : b ≤ a)", "a - b + b = a"),
    ("(a b : ℤ)", "a - b + b = a"),
    ("(n m : ℕ)", "((n - m : ℤ) : ℤ) + m = n"),
    ("(a b : ℤ) (hb : b ≠ 0)", "a / b * b + a % b = a"),
    ("(a : ℤ) {b : ℤ} (H : b ≠ 0)", "0 ≤ a % b ∧ a % b < |b|"),
    ("(n : ℕ)", "∑ i ∈ Finset.range n, i = n * (n - 1) / 2"),
    ("(n : ℕ)", "∑ i ∈ Finset.range (n + 1), (i : ℤ) = n * (n + 1) / 2"),
    ("(n : ℕ)", "(∏ i ∈ Finset.Icc 1 n, i) = n !"),
    ("{x y : ℚ}", "|x + y| ≤ |x| + |y|"),
    ("(x : ℝ) (hx : x ≠ 0)", "x * x⁻¹ = 1"),
    ("(a b : ℕ)", "a.gcd b = b.gcd a"),
    ("(a b : ℕ)", "Nat.gcd a b * Nat.lcm a b = a * b"),
    ("{p : ℕ} (hp : p.Prime) (h2 : p ≠ 2)", "Odd p"),
    ("(n : ℕ)", "n.choose 1 = n"),
    ("(m : ℤ)", "Even (m * (m + 1))"),
    ("(p q : Prop)", "¬(p ∧ q) ↔ (p → ¬q)"),
    ("(n : ℕ)", "∀ k ∈ Finset.range n, k < n"),
    ("(x : ℚ)", "⌊x⌋ ≤ x ∧ x < ⌊x⌋ + 1"),
    ("(n : ℕ) (hn : 0 < n)", "(n - 1 : ℤ) = ((n - 1 : ℕ) : ℤ)"),
]

FALSE = [
    ("(p q : Prop)", "¬(p ∧ q) ↔ (¬p ∧ ¬q)"),
    ("(a b : ℕ)", "a - b + b = a"),
    ("(a b : ℤ)", "a / b * b = a"),
    ("(n m : ℕ)", "((n - m : ℕ) : ℤ) = n - m"),
    ("(n : ℕ)", "∑ i ∈ Finset.range n, i + 1 = ∑ i ∈ Finset.range n, (i + 1)"),
    ("{x y : ℝ}", "x / y * y = x"),
    ("(a b : ℕ)", "a / b * b = a"),
    ("{p : ℕ} (hp : p.Prime)", "Odd p"),
    ("(n : ℕ)", "(n - 1 : ℤ) = ((n - 1 : ℕ) : ℤ)"),
    ("(a : ℤ)", "(-a) % 2 = -(a % 2)"),
]


@pytest.mark.parametrize("binders,concl", TRUE)
def test_true_statements_are_not_refuted(binders, concl):
    r = check(binders, concl)
    assert r.status == "holds", r


@pytest.mark.parametrize("binders,concl", FALSE)
def test_false_statements_are_refuted(binders, concl):
    r = check(binders, concl)
    assert r.status == "refuted", r


def test_vacuous_and_never_satisfied():
    assert check("(n : ℕ) (h : (0 : ℕ) = 1)", "n = 5").status == "vacuous"
    r = check("(n : ℕ) (h : n < 0)", "n = 5")
    assert r.status == "holds" and r.reason == NEVER_SATISFIED


@pytest.mark.parametrize("binders,concl", [
    ("{α : Type*} [Ring α] (x : α)", "x + 0 = x"),
    ("(x : ℝ) (hx : 0 ≤ x)", "Real.sqrt x ^ 2 = x"),
    ("(x : ℝ)", "Real.exp x > 0"),
    ("(s : Finset ℕ)", "∑ i ∈ s, 0 = 0"),
    ("(n : ℕ)", "∃ m, n < m"),
    ("(f : ℕ → ℕ) (n : ℕ)", "f n = f n"),
])
def test_outside_the_fragment_is_not_evaluable(binders, concl):
    assert check(binders, concl).status == "not_evaluable"


def test_own_binder_shadows_a_section_variable() -> None:
    # `variable (a : ℕ)` in the section, but the theorem binds its own `a : ℤ`: Lean does not
    # include the section variable, so only the ℤ `a` is sampled (a negative value refutes).
    from lean_alchemy.grammar.parser import parse_binders, parse_term
    from lean_alchemy.mutate.refute import refute_statement
    from lean_alchemy.mutate.refute.api import used_section_variables

    section = parse_binders("(a : ℕ) (b : ℕ)")
    own = parse_binders("(a : ℤ)")
    concl = parse_term("0 ≤ a")
    assert used_section_variables(section, own, concl) == ()
    r = refute_statement(own, concl, section=section)
    assert r.status == "refuted"
    assert [k for k, _ in r.counterexample] == ["a"]
    # A section variable the statement does use is still included.
    used = used_section_variables(section, own, parse_term("0 ≤ a + b"))
    assert [n for g in used for n in g.names] == ["b"]
