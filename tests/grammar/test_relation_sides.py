"""A top-level `↔` or `=` with one side the grammar cannot read (a file's local notation:
`d⌋x`, `y𝖣x`) keeps the other side readable, instead of one opaque statement whose
rewrites nobody can find (`ProbabilityTheory.iCondIndep_iff` is stated
`iCondIndep m' hm' m μ ↔ ∀ …, μ⟦… | m'⟧ = …`)."""

from __future__ import annotations

import pytest

from lean_alchemy.grammar.ast import App, BinOp, Opaque
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term


def _tokens(text: str) -> list[str]:
    """The text's tokens, parentheses left out (the printer parenthesizes an opaque side)."""
    return text.replace("(", " ").replace(")", " ").split()


@pytest.mark.parametrize("source, op, readable", [
    ("iCondIndep m' hm' m μ ↔\n    ∀ s, d⌋x = 1", "↔", "lhs"),
    ("(kerTotal R S).mkQ (single x y) =\n  y𝖣algebraMap R S x", "=", "lhs"),
    ("y𝖣algebraMap R S x = 0", "=", "rhs"),
])
def test_the_readable_side_of_a_relation_is_read(source, op, readable):
    t = parse_term(source)
    assert isinstance(t, BinOp) and t.op == op
    other = "rhs" if readable == "lhs" else "lhs"
    assert not isinstance(getattr(t, readable), Opaque)
    assert isinstance(getattr(t, other), Opaque)
    printed = print_term(t)
    assert _tokens(printed) == _tokens(source)
    assert parse_term(printed) == t


@pytest.mark.parametrize("source", [
    "∀ x, f x = y𝖣x",  # the `=` is inside the binder's body
    "a ∧ b = y𝖣x",  # `∧` binds looser: `a ∧ (b = …)`
    "p → b = y𝖣x",
    "x = y𝖣z ⟶ w",  # `⟶` may bind looser than `=`
    "a = y𝖣x = c",  # two candidates for the split
    "¬a = y𝖣x",
])
def test_no_split_where_the_operator_may_belong_elsewhere(source):
    assert isinstance(parse_term(source), Opaque)


def test_a_named_argument_group_is_read_after_its_function():
    # the opaque side is printed in parentheses; reading that back cut out every bracket
    # group that does not read alone, `(R := R)` too
    t = parse_term("algebraMap R R[X][Y] = CC (R := R)")
    assert isinstance(t, BinOp) and isinstance(t.rhs, App)
    assert parse_term(print_term(t)) == t
