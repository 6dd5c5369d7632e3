"""Statements of the library the grammar once read as unparsed text: Lean core's bitwise
operators and `/.`, Mathlib's rounded divisions, a measure that is an application after
`∂` (`∀ᵐ x ∂μ.restrict s, p x`), extended binders with a predicate per group
(`⨆ (a ∈ s) (b ∈ t), f a b`), the vector-measure integral `∫ᵛ x, f x ∂[B; μ]`, the
applicative operators `<*> <* *>`, Mathlib's `•>`, `≪≫ₗ` and `↗f`, and the big operator `𝔼`.  Each must parse to a tree that prints its source back
(the index's misread check compares the tokens) and gives the sub-terms rules match."""

from __future__ import annotations

from lean_alchemy.grammar.ast import BinderGroup, BinOp, Opaque, Quant, subterms
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term

import pytest


def _no_opaque(t) -> bool:
    return not any(isinstance(x, Opaque) for _, x, _ in subterms(t))


@pytest.mark.parametrize("text", [
    "a ^^^ b = a ↔ b = 0",
    "2 ^ i &&& n = 2 ^ i * (n.testBit i).toNat",
    "m >>> (-n) = m <<< n",
    "a ||| b ^^^ c = d",
    "n /. x / (d /. x) = n /. d",
    "b ⌊/⌋ (0 : α) = 0",
    "(f ⌈/⌉ a) i = f i ⌈/⌉ a",
    "(∀ᵐ x ∂μ.restrict s, p x) ↔ ∀ᵐ x ∂μ, x ∈ s → p x",
    "∀ᵐ x ∂volume.restrict s, DifferentiableWithinAt ℝ f s x",
    "sSup (image2 f s t) = ⨆ (a ∈ s) (b ∈ t), f a b",
    "⨆ (i) (j ≤ i), f j = ⨆ i, f i",
    "x ∈ A ∧ ∀ᵉ (x₁ ∈ A) (x₂ ∈ A), x ∈ segment 𝕜 x₁ x₂ → x₁ = x ∨ x₂ = x",
    "∫ᵛ x in s ∪ t, f x ∂[B; μ] = ∫ᵛ x in s, f x ∂[B; μ] + ∫ᵛ x in t, f x ∂[B; μ]",
    "∫ᵛ x in s, f x ∂[B; VectorMeasure.dirac a v] = if a ∈ s then B (f a) v else 0",
    "∫ᵛ x, g x + f x ∂[B; μ] = 0",
    "f * g <*> x = (f <*> x) * (g <*> x)",
    "x <* y = x *> y",
    "r •> s •> m = (r * s) •> m",
    "e ≪≫ₗ f ≪≫ₗ g = e ≪≫ₗ (f ≪≫ₗ g)",
    "𝔼 i ∈ s, f i = 0",
    "abscissaOfAbsConv ↗ζ = 1",
    "L ↗χ s * L (↗χ * ↗μ) s = 1",
])
def test_the_statement_parses_and_prints_back(text):
    t = parse_term(text)
    assert _no_opaque(t), text
    assert print_term(t) == text


def test_the_new_operators_keep_lean_precedences():
    # `^^^`/`&&&` at 58 bind looser than `*` and `^`, `<<<` at 75 like `^`-level shifts
    t = parse_term("2 ^ i &&& n * k")
    assert isinstance(t, BinOp) and t.op == "&&&" and isinstance(t.rhs, BinOp) \
        and t.rhs.op == "*"
    t = parse_term("a ||| b &&& c")  # `|||` (55) is looser than `&&&` (58)
    assert t.op == "|||" and t.rhs.op == "&&&"
    # the floor brackets are still brackets, not an operator
    assert print_term(parse_term("⌊x⌋ ⌊/⌋ 2")) == "⌊x⌋ ⌊/⌋ 2"


def test_an_extended_binder_group_binds_its_name_before_the_next_predicate():
    t = parse_term("⨆ (i) (j ≤ i), f j")
    assert isinstance(t, Quant)
    assert [(g.names, g.pred_op) for g in t.binders] == [(("i",), None), (("j",), "≤")]
    # a parenthesized membership outside binders stays a proposition
    app = parse_term("f (a ∈ s)")
    assert not isinstance(app, Quant) and not any(
        isinstance(x, BinderGroup) for _, x, _ in subterms(app))


def test_the_measure_after_the_partial_sign_ends_at_the_comma():
    t = parse_term("∀ᵐ x ∂μ.restrict s, p x")
    assert isinstance(t, Quant) and print_term(t.extra) == "μ.restrict s"
    assert print_term(t.body) == "p x"
    # written with parentheses, the same measure (the printer drops them)
    assert parse_term("∀ᵐ x ∂(μ.restrict s), p x") == t


def test_a_vector_integral_takes_the_pairing_and_measure_as_its_own():
    t = parse_term("∫ᵛ x in s, f x ∂[B; μ] + c = d")
    assert isinstance(t, BinOp) and isinstance(t.lhs, BinOp) and t.lhs.op == "+"
    integral = t.lhs.lhs
    assert isinstance(integral, Quant) and integral.op == "∫ᵛ"
    assert print_term(integral.body) == "f x" and print_term(integral.extra) == "[B; μ]"
    # the plain integral's measure is unchanged
    plain = parse_term("∫ x, f x ∂μ + c")
    assert plain.op == "+" and print_term(plain.lhs.extra) == "μ"


def test_the_new_operators_group_as_lean_does():
    # `<*>` (infixl 60) binds looser than `*` (70); `≪≫ₗ` is left-associative (80, 81)
    t = parse_term("f * g <*> x")
    assert isinstance(t, BinOp) and t.op == "<*>" and print_term(t.lhs) == "f * g"
    t = parse_term("e ≪≫ₗ f ≪≫ₗ g")
    assert isinstance(t, BinOp) and t.op == "≪≫ₗ" and print_term(t.lhs) == "e ≪≫ₗ f"
    # `•>` is right-associative (74, left operand 75)
    t = parse_term("r •> s •> m")
    assert isinstance(t, BinOp) and print_term(t.rhs) == "s •> m"
