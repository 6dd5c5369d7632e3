"""Dot notation and notation tokens reaching the declaration Lean elaborates: through an
`abbrev` with instance binders, a postfix type notation, a parent written with a notation,
a function's `Function` namespace, a result type's arrows, a token applied."""

from __future__ import annotations

from helpers.typing_library import class_table
from lean_alchemy.extract.commands import parse_binders
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.statements import binders_of
from lean_alchemy.index.typing.filter import Context
from lean_alchemy.index.typing.notation_commands import infix_commands, notation_commands

# the shapes of Mathlib's `abbrev Ideal (R : Type u) [Semiring R] := Submodule R R`
# (RingTheory/Ideal/Defs.lean), `scoped[Polynomial] notation:9000 R "[X]" => Polynomial R`,
# `structure StarAlgEquiv … extends A ≃+* B` (Algebra/Star/StarAlgHom.lean), `def ucs (k :
# ℕ) : LieSubmodule R L M → LieSubmodule R L M` (Algebra/Lie/Nilpotent.lean),
# `scoped[Topology] notation "𝓝" => nhds` (Topology/Defs/Filter.lean)
LIB = [
    ("Semiring", "class", "class Semiring (R : Type u) where\n  one : R"),
    ("Submodule", "structure", "structure Submodule (R M : Type u) where\n  carrier : Set M"),
    ("Submodule.rank", "def", "def Submodule.rank {R M : Type u} (p : Submodule R M) : ℕ := 0"),
    ("Ideal", "abbrev", "abbrev Ideal (R : Type u) [Semiring R] := Submodule R R"),
    ("Polynomial", "structure", "structure Polynomial (R : Type u) where\n  toFun : ℕ → R"),
    ("Polynomial.degree", "def", "def Polynomial.degree {R : Type u} (p : Polynomial R) : ℕ := 0"),
    ("RingEquiv", "structure", "structure RingEquiv (A B : Type u) where\n  toFun : A → B"),
    ("StarEquiv", "structure", "structure StarEquiv (A B : Type u) extends A ≃+* B where\n"
     "  star_eq : True"),
    ("Function.invFun", "def", "def Function.invFun {α β : Type u} (f : α → β) : β → α := f"),
    ("Lie", "structure", "structure Lie (R : Type u) where\n  carrier : Set R"),
    ("Lie.ucs", "def", "def Lie.ucs {R : Type u} (k : ℕ) : Lie R → Lie R := id"),
    ("Filter", "structure", "structure Filter (α : Type u) where\n  sets : Set (Set α)"),
    ("nhds", "def", "def nhds {α : Type u} (a : α) : Filter α := sorry"),
    # `Polynomial.eval (x : R) (p : R[X]) : R`, `Term.realize (v : α → M) : L.Term α → M`
    # (FirstOrder/Language/Semantics.lean), `Chebyshev.T (R) : ℤ → R[X]`
    ("Polynomial.eval", "def", "def Polynomial.eval {R : Type u} (x : R) (p : R[X]) : R := x"),
    ("Polynomial.T", "def", "def Polynomial.T (R : Type u) : ℤ → R[X] := sorry"),
]
NOTATION = ('infixr:25 " ≃+* " => RingEquiv\n'
            'scoped[Polynomial] notation:9000 R "[X]" => Polynomial R\n')
BINDERS = ("{R : Type u} [Semiring R] (I : Ideal R) (p : R[X]) (e : StarEquiv R ℕ) "
           "(f : R → ℕ) (N : Lie R) (a : R)")


def _ctx() -> Context:
    sigs = list(infix_commands(NOTATION)) + list(
        notation_commands('scoped[Topology] notation "𝓝" => nhds\n'))
    table = class_table(LIB, sigs)
    groups = binders_of(parse_binders(BINDERS, BINDERS, 0, len(BINDERS)))
    return Context(table, groups, frozenset({"Topology", "Polynomial"}))


def test_dot_notation_reaches_through_notations_abbrevs_and_parents() -> None:
    ty = _ctx().infer.type_of
    assert ty(parse_term("I.rank")) == parse_term("Nat")  # `Ideal R` unfolds to a `Submodule`
    assert ty(parse_term("p.degree")) == parse_term("Nat")  # `R[X]` is a `Polynomial`
    assert ty(parse_term("e.toRingEquiv")) == parse_term("R ≃+* Nat")  # a notation parent
    assert ty(parse_term("e.toFoo")) is None
    assert ty(parse_term("f.invFun")) == parse_term("Nat → R")  # `Function.invFun`


def test_arrows_of_a_result_type_take_the_receiver_and_tokens_apply() -> None:
    ty = _ctx().infer.type_of
    assert ty(parse_term("N.ucs 0")) == parse_term("Lie R")  # `Lie.ucs 0 N`
    assert print_term(ty(parse_term("Lie.ucs 0"))) == "Lie ? → Lie ?"  # `R` unsolved
    assert ty(parse_term("𝓝 a")) == parse_term("Filter R")  # `nhds a`


def test_a_receiver_takes_its_own_place_and_a_postfix_type_its_arguments() -> None:
    """`q.eval` for `q : R[X]` is `fun x ↦ eval x q`, an `R → R`: the receiver fills
    `p`, not the first explicit binder `x`, whether or not `x` is given; `T ℝ 0` is an
    `ℝ[X]`, `R` substituted under the postfix `[X]`."""
    ty = _ctx().infer.type_of
    assert ty(parse_term("p.eval")) == parse_term("R → R")
    assert ty(parse_term("p.eval a")) == parse_term("R")
    assert print_term(ty(parse_term("Polynomial.T ℕ 0"))) == "ℕ[X]"
    assert print_term(ty(parse_term("(Polynomial.T ℕ 0).eval"))) == "Nat → Nat"
