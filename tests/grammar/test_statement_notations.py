"""Notations of statements: `‹T›`, the term `assumption` finds (an instance or hypothesis of
type `T`), and `F⟮α, β⟯` (elements adjoined to a field) parse to nodes of their own and
print back as written, so statements that use them give rules."""

from __future__ import annotations

from lean_alchemy.grammar.ast import Enclosed, Opaque, Proj, has_opaque
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.tokens import build_token_table, same_tokens

LEXICON = build_token_table([]).lexicon


def assert_prints_back(src: str) -> None:
    """`src` parses with no opaque span and prints back as the same text and tokens."""
    t = parse_term(src)
    assert not has_opaque(t)
    printed = print_term(t)
    assert printed == src and same_tokens(src, printed, LEXICON)


def test_the_assumption_term_parses_and_prints_back():
    for src in ("‹_› = upperSet α", "‹PseudoMetricSpace α›.toUniformSpace = .ofDist d",
                "⋃ x ∈ s, t x ‹_› = ⋃ x : s, t x x.2"):
        assert_prints_back(src)
    t = parse_term("‹PseudoMetricSpace α›.toUniformSpace")
    assert isinstance(t, Proj) and isinstance(t.term, Enclosed) and t.term.open == "‹"
    # negative: an unclosed `‹` is no such term
    assert isinstance(parse_term("‹_ = upperSet α"), Opaque)


def test_adjoined_elements_are_glued_to_the_field():
    from lean_alchemy.grammar.ast import Glued, Postfix

    for src in ("F⟮α, β⟯.restrictScalars F = F⟮α⟯⟮β⟯", "finSepDegree F F⟮α⟯ = 1",
                "algebraMap K[X] K⟮X⟯ Polynomial.X = X"):
        assert_prints_back(src)
    g = parse_term("F⟮α, β⟯")
    assert isinstance(g, Glued) and g.open == "⟮" and len(g.items) == 2
    assert isinstance(parse_term("K⟮X⟯"), Postfix)  # the rational functions `RatFunc K`
    # negative: with a space the bracket is no adjoin notation
    assert not isinstance(parse_term("F ⟮α⟯"), Glued)


def test_a_product_along_a_summation_filter_keeps_its_filter():
    from lean_alchemy.grammar.ast import Ident, Quant

    for src in ("∏'[L] b, f b = ∏ b, f b", "∑'[L] i, a * f i = a * ∑'[L] i, f i",
                "∑'[symmetricIco ℤ] n : ℤ, ∑' m : ℤ, g m n = -2 * π"):
        assert_prints_back(src)
    q = parse_term("∏'[L] b, f b")
    assert isinstance(q, Quant) and q.op == "∏'[" and q.extra == Ident("L")
    # negative: the plain unconditional product has no filter
    plain = parse_term("∏' b, f b")
    assert isinstance(plain, Quant) and plain.op == "∏'" and plain.extra is None
