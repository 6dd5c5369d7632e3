"""Lean semantics of the refutation evaluator, on hand-built ASTs.

Each expected value below is what Lean 4 / Mathlib computes (`#eval` / `decide`), e.g.
`(-7 : ℤ) / 2 = -4` and `(-7 : ℤ) % 2 = 1` (Int.ediv/Int.emod), `(5 : ℕ) - 7 = 0`.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from lean_alchemy.grammar.ast import (
    App, BinderGroup, BinOp, Enclosed, Ident, IfThenElse, Num, Postfix, Prefix, Quant, Sort,
    Typed,
)
from lean_alchemy.mutate.refute import NEVER_SATISFIED, TOO_BIG, RefuteOptions, refute_statement
from lean_alchemy.mutate.refute import values as V
from lean_alchemy.mutate.refute.evaluate import Compiler, NotEvaluable

I = Ident


def n(x: int):
    return Num(str(x)) if x >= 0 else Prefix("-", Num(str(-x)))


def op(o, a, b):
    return BinOp(o, a, b)


def ty(t: str) -> Ident:
    return Ident(t)


def var(names: str, t: str, kind: str = "explicit") -> BinderGroup:
    return BinderGroup(tuple(names.split()), Ident(t), kind)


def hyp(prop, name: str = "h") -> BinderGroup:
    return BinderGroup((name,), prop, "explicit")


def closed(term, at: str):
    """Evaluate a closed term at a type."""
    c = Compiler()
    f = c.comp(term, {}, at)
    return f([None] * c.nslots)


def status(binders, concl, **kw):
    return refute_statement(binders, concl, RefuteOptions(**kw))


# ---------------------------------------------------------------- values


@pytest.mark.parametrize("a,b,q,r", [
    (7, 2, 3, 1), (-7, 2, -4, 1), (7, -2, -3, 1), (-7, -2, 4, 1), (5, 0, 0, 5), (-5, 0, 0, -5),
    (0, 3, 0, 0), (-6, 3, -2, 0), (6, -3, -2, 0),
])
def test_int_div_mod_is_euclidean(a, b, q, r):
    assert closed(op("/", Typed(n(a), ty("ℤ")), n(b)), "ℤ") == q
    assert closed(op("%", Typed(n(a), ty("ℤ")), n(b)), "ℤ") == r
    assert V.int_ediv(a, b) * b + V.int_emod(a, b) == a


def test_int_other_roundings():
    assert V.int_tdiv(-7, 2) == -3 and V.int_tmod(-7, 2) == -1
    assert V.int_fdiv(7, -2) == -4 and V.int_fmod(7, -2) == -1
    assert V.int_tdiv(3, 0) == 0 and V.int_fmod(3, 0) == 3


def test_nat_truncation_and_zero_division():
    assert closed(op("-", n(5), n(7)), "ℕ") == 0
    assert closed(op("/", n(5), n(0)), "ℕ") == 0
    assert closed(op("%", n(5), n(0)), "ℕ") == 5
    assert closed(op("/", n(7), n(2)), "ℕ") == 3
    # the same subtraction at ℤ is not truncated
    assert closed(op("-", n(5), n(7)), "ℤ") == -2


def test_field_division_by_zero_and_inverse():
    assert closed(op("/", n(1), n(0)), "ℚ") == 0
    assert closed(op("/", n(1), n(3)), "ℝ") == Fraction(1, 3)
    assert closed(Postfix("⁻¹", n(0)), "ℚ") == 0
    assert closed(Postfix("⁻¹", n(4)), "ℚ") == Fraction(1, 4)
    assert closed(Num("0.5"), "ℚ") == Fraction(1, 2)
    with pytest.raises(NotEvaluable):
        closed(Num("0.5"), "ℕ")
    with pytest.raises(NotEvaluable):
        closed(op("%", n(1), n(2)), "ℚ")


def test_powers():
    assert closed(op("^", n(2), n(10)), "ℕ") == 1024
    assert closed(op("^", n(-2), n(3)), "ℤ") == -8
    # zpow in a field: x ^ (-1) = x⁻¹ and 0 ^ (-1) = 0
    assert closed(op("^", n(2), Typed(n(-1), ty("ℤ"))), "ℚ") == Fraction(1, 2)
    assert closed(op("^", n(0), Typed(n(-1), ty("ℤ"))), "ℚ") == 0
    with pytest.raises(NotEvaluable):  # no zpow on ℤ
        closed(op("^", n(2), Typed(n(-1), ty("ℤ"))), "ℤ")
    with pytest.raises(NotEvaluable):  # no negation in ℕ
        closed(n(-1), "ℕ")


def test_functions():
    assert closed(App(I("Nat.gcd"), (n(12), n(18))), "ℕ") == 6
    assert closed(App(I("Nat.lcm"), (n(4), n(6))), "ℕ") == 12
    assert closed(App(I("Int.gcd"), (n(-4), n(6))), "ℕ") == 2
    assert closed(Postfix("!", n(5)), "ℕ") == 120
    assert closed(App(I("Nat.choose"), (n(5), n(2))), "ℕ") == 10
    assert closed(App(I("Nat.choose"), (n(2), n(5))), "ℕ") == 0
    assert closed(App(I("min"), (n(3), n(-1))), "ℤ") == -1
    assert closed(App(I("max"), (n(3), n(1))), "ℕ") == 3
    assert closed(Enclosed("|", n(-3)), "ℤ") == 3
    assert closed(Enclosed("⌊", Typed(Num("2.5"), ty("ℚ"))), "ℤ") == 2
    assert closed(Enclosed("⌈", Typed(Num("-2.5"), ty("ℚ"))), "ℤ") == -2
    assert closed(Enclosed("⌊₊", Typed(n(-3), ty("ℚ"))), "ℕ") == 0
    assert closed(App(I("Int.natAbs"), (n(-3),)), "ℕ") == 3
    assert closed(App(I("Int.toNat"), (n(-3),)), "ℕ") == 0
    assert closed(App(I("Nat.Prime"), (n(97),)), "Prop") is True
    assert closed(App(I("Nat.Prime"), (n(1),)), "Prop") is False
    assert closed(App(I("Even"), (n(0),)), "Prop") is True
    assert closed(App(I("Odd"), (Typed(n(-3), ty("ℤ")),)), "Prop") is True
    assert closed(IfThenElse(op("<", n(1), n(2)), n(7), n(8)), "ℕ") == 7
    with pytest.raises(NotEvaluable):
        closed(Enclosed("|", n(3)), "ℕ")  # no abs on ℕ


def test_divisibility():
    assert closed(op("∣", n(0), n(0)), "Prop") is True
    assert closed(op("∣", n(0), n(3)), "Prop") is False
    assert closed(op("∣", n(3), n(12)), "Prop") is True
    assert closed(op("∣", Typed(n(-3), ty("ℤ")), n(12)), "Prop") is True


def test_sums_products_and_bounded_quantifiers():
    rng = App(I("Finset.range"), (n(5),))
    s = Quant("∑", (BinderGroup(("i",), None, "plain", "∈", rng),), I("i"))
    assert closed(s, "ℕ") == 10
    p = Quant("∏", (BinderGroup(("i",), None, "plain", "∈", App(I("Finset.Icc"), (n(1), n(4)))),),
              I("i"))
    assert closed(p, "ℕ") == 24
    empty = Quant("∑", (BinderGroup(("i",), None, "plain", "∈", App(I("Finset.range"), (n(0),))),), I("i"))
    assert closed(empty, "ℤ") == 0
    fa = Quant("∀", (BinderGroup(("x",), None, "plain", "<", n(4)),), op("<", I("x"), n(4)))
    assert closed(fa, "Prop") is True
    ex = Quant("∃", (BinderGroup(("x",), None, "plain", "∈", rng),), op("=", op("*", I("x"), I("x")), n(9)))
    assert closed(ex, "Prop") is True
    ex2 = Quant("∃", (BinderGroup(("x",), None, "plain", "∈", rng),), op("=", op("*", I("x"), I("x")), n(5)))
    assert closed(ex2, "Prop") is False
    assert closed(op("∈", n(3), App(I("Finset.Icc"), (n(1), n(3)))), "Prop") is True
    assert closed(op("∉", n(3), App(I("Finset.range"), (n(3),))), "Prop") is True


def test_casts_follow_binop_elaboration():
    b = [var("n m", "ℕ")]
    # (n - m : ℤ) is ↑n - ↑m, so `(n - m : ℤ) + m = n` is true ...
    t = op("=", op("+", Typed(op("-", I("n"), I("m")), ty("ℤ")), I("m")), I("n"))
    assert status(b, t).status == "holds"
    # ... but ((n - m : ℕ) : ℤ) + m = n is false (truncation)
    t2 = op("=", op("+", Typed(Typed(op("-", I("n"), I("m")), ty("ℕ")), ty("ℤ")), I("m")), I("n"))
    r = status(b, t2)
    assert r.status == "refuted"
    cex = dict(r.counterexample)
    assert int(cex["n"]) < int(cex["m"])
    # ↑n takes its type from the other side of the relation
    t3 = op("=", Prefix("↑", op("-", I("n"), I("m"))), op("-", Typed(I("n"), ty("ℤ")), I("m")))
    assert status(b, t3).status == "refuted"
    # ((n : ℤ) : ℚ) / 2 is exact
    t4 = op("=", op("*", op("/", Typed(Typed(I("n"), ty("ℤ")), ty("ℚ")), n(2)), n(2)), I("n"))
    assert status(b, t4).status == "holds"
    t5 = op("=", op("*", op("/", I("n"), n(2)), n(2)), I("n"))  # ℕ division truncates
    assert status(b, t5).status == "refuted"


def test_true_false_vacuous_and_hypotheses():
    b = [var("a b", "ℕ")]
    assert status(b, op("=", op("+", I("a"), I("b")), op("+", I("b"), I("a")))).status == "holds"
    r = status(b, op("=", op("+", op("-", I("a"), I("b")), I("b")), I("a")))
    assert r.status == "refuted" and r.counterexample is not None
    # with the side condition b ≤ a it holds
    b2 = b + [hyp(op("≤", I("b"), I("a")))]
    assert status(b2, op("=", op("+", op("-", I("a"), I("b")), I("b")), I("a"))).status == "holds"
    # a closed false hypothesis
    r = status(b + [hyp(op("=", n(0), n(1)))], op("=", I("a"), I("b")))
    assert r.status == "vacuous"
    # hypotheses never satisfiable in ℕ
    r = status(b + [hyp(op("<", I("a"), n(0)))], op("=", I("a"), I("b")))
    assert r.status == "holds" and r.reason == NEVER_SATISFIED
    # conclusion with ∀ and → is opened
    c = Quant("∀", (BinderGroup(("x",), Ident("ℤ"), "explicit"),),
              op("→", op("<", n(0), I("x")), op("<", n(0), op("*", I("x"), I("x")))))
    assert status([], c).status == "holds"
    c2 = Quant("∀", (BinderGroup(("x",), Ident("ℤ"), "explicit"),), op("<", n(0), op("*", I("x"), I("x"))))
    assert status([], c2).status == "refuted"


def test_rationals_and_reals():
    b = [var("x y", "ℝ")]
    assert status(b, op("≤", n(0), op("*", I("x"), I("x")))).status == "holds"
    r = status(b, op("=", op("*", op("/", I("x"), I("y")), I("y")), I("x")))
    assert r.status == "refuted" and dict(r.counterexample)["y"] == "0"
    assert status(b + [hyp(op("≠", I("y"), n(0)))],
                  op("=", op("*", op("/", I("x"), I("y")), I("y")), I("x"))).status == "holds"
    assert status(b, op("≤", Enclosed("|", op("+", I("x"), I("y"))),
                        op("+", Enclosed("|", I("x")), Enclosed("|", I("y"))))).status == "holds"


def test_dot_notation():
    b = [var("a b", "ℕ")]
    # a.gcd b = b.gcd a
    t = op("=", App(I("a.gcd"), (I("b"),)), App(I("b.gcd"), (I("a"),)))
    assert status(b, t).status == "holds"
    t2 = op("=", I("a.succ"), op("+", I("a"), n(1)))
    assert status(b, t2).status == "holds"
    t3 = op("∣", I("a"), I("a.factorial"))
    r = status(b, t3)
    assert r.status == "refuted" and dict(r.counterexample)["a"] == "0"
    # h.le is a hypothesis projection: not evaluable
    assert status(b + [hyp(op("<", I("a"), I("b")))], App(I("h.le"), ())).status == "not_evaluable"


def test_not_evaluable_is_never_guessed():
    alpha = BinderGroup(("α",), Sort("Type*"), "implicit")
    ring = BinderGroup((), App(I("Ring"), (I("α"),)), "inst")
    x = var("x", "α")
    assert status([alpha, ring, x], op("=", I("x"), I("x"))).status == "not_evaluable"
    # unknown identifiers / functions
    b = [var("x", "ℝ")]
    assert status(b, op("≤", n(0), App(I("Real.sqrt"), (I("x"),)))).status == "not_evaluable"
    assert status(b, op("<", n(0), I("π"))).status == "not_evaluable"
    # mixed-type function arguments
    b2 = [var("n", "ℕ"), var("z", "ℤ")]
    assert status(b2, op("=", App(I("min"), (I("n"), I("z"))), I("z"))).status == "not_evaluable"
    # an unused type variable and its classes are dropped
    assert status([alpha, ring, var("n", "ℕ")], op("=", I("n"), I("n"))).status == "holds"
    # numerals alone default to ℕ; `↑x` with nothing to fix its type is refused
    assert status([], op("=", op("-", n(2), n(3)), n(0))).status == "holds"
    assert status([var("n", "ℕ")], op("=", Prefix("↑", I("n")), n(0))).status == "not_evaluable"


def test_instance_hypotheses_and_bool_prop():
    b = [var("p", "ℕ"), BinderGroup((), App(I("Fact"), (App(I("Nat.Prime"), (I("p"),)),)), "inst")]
    assert status(b, op("≤", n(2), I("p"))).status == "holds"
    assert status(b, op("≠", op("%", I("p"), n(2)), n(0))).status == "refuted"  # p = 2
    bp = [var("p q", "Prop")]
    assert status(bp, op("↔", op("∧", I("p"), I("q")), op("∧", I("q"), I("p")))).status == "holds"
    assert status(bp, op("↔", op("→", I("p"), I("q")), op("→", I("q"), I("p")))).status == "refuted"
    bb = [var("b", "Bool")]
    assert status(bb, op("=", Prefix("!", Prefix("!", I("b"))), I("b"))).status == "holds"


def test_deterministic():
    b = [var("a b c", "ℤ")]
    t = op("≠", op("*", I("a"), I("b")), op("+", I("c"), n(1)))
    r1 = status(b, t, seed=3)
    r2 = status(b, t, seed=3)
    assert r1 == r2 and r1.status == "refuted"


def test_expected_type_propagation_is_not_guessed():
    b = [var("n m", "ℕ")]
    # (if c then n - m else 0 : ℤ) is `↑n - ↑m` in Lean: computing at ℕ would be wrong
    ite = IfThenElse(op("<", I("n"), n(5)), op("-", I("n"), I("m")), n(0))
    t = op("≤", n(0), Typed(ite, ty("ℤ")))
    assert status(b, t).status == "not_evaluable"
    # as a binop% leaf it is elaborated at ℕ and cast: 0 ≤ ↑(ite) holds
    t2 = op("≤", Typed(n(0), ty("ℤ")), ite)
    assert status(b, t2).status == "holds"


def test_bounded_quantifier_over_bool_and_never_satisfied_flag():
    q = Quant("∀", (BinderGroup(("b",), Ident("Bool"), "plain"),),
              op("∨", op("=", I("b"), I("true")), op("=", I("b"), I("false"))))
    assert closed(q, "Prop") is True
    r = status([var("p", "ℕ"), hyp(op("∧", App(I("Nat.Prime"), (I("p"),)), op("<", I("p"), n(2))))],
               op("=", I("p"), n(0)))
    assert r.status == "holds" and r.reason == NEVER_SATISFIED
    # NeZero gives a hypothesis
    r = status([var("k", "ℕ"), BinderGroup((), App(I("NeZero"), (I("k"),)), "inst")],
               op("=", op("/", I("k"), I("k")), n(1)))
    assert r.status == "holds" and r.reason is None


def test_unused_type_variables_with_unsatisfiable_classes_are_not_dropped():
    alpha = BinderGroup(("α",), Sort("Sort*"), "explicit")
    inf = BinderGroup((), App(I("Infinite"), (I("α"),)), "inst")
    fin = BinderGroup((), App(I("Finite"), (I("α"),)), "inst")
    assert status([alpha, inf, fin], I("False")).status == "not_evaluable"
    # `¬ p` written `p → False` with p closed and false is true, not vacuous
    r = status([], op("→", App(I("Nat.Prime"), (n(1),)), I("False")))
    assert r.status == "holds"


def test_equation_hypotheses_define_variables():
    # (h : n = a + b) is met by computing n; the false conclusion is then refuted
    b = [var("a b n", "ℕ"), hyp(op("=", I("n"), op("+", op("*", I("a"), n(7)), op("*", I("b"), n(13)))))]
    r = status(b, op("≠", I("n"), n(20)))
    assert r.status == "refuted"
    cex = dict(r.counterexample)
    assert int(cex["n"]) == 7 * int(cex["a"]) + 13 * int(cex["b"]) == 20
    # the same hypothesis with a true conclusion
    assert status(b, op("≤", I("a"), I("n"))).status == "holds"


def test_section_variables_are_included_only_when_used():
    from lean_alchemy.mutate.refute import used_section_variables
    alpha = BinderGroup(("α",), Sort("Type*"), "implicit")
    ring = BinderGroup((), App(I("Finite"), (I("α"),)), "inst")
    sec = [alpha, ring, var("n m", "ℕ"), hyp(op("<", I("n"), n(0)), "hn")]
    used = used_section_variables(sec, [], op("=", op("+", I("n"), n(0)), I("n")))
    assert used == (var("n", "ℕ"),)
    r = refute_statement([], op("=", op("-", I("n"), n(1)), op("+", I("n"), n(1))),
                         section=sec)
    assert r.status == "refuted" and r.counterexample == (("n", "0"),)


def test_monomorphic_functions_do_not_take_the_expected_type():
    b = [var("a b", "ℕ")]
    # (Nat.gcd (a - b) a : ℤ) computes the gcd in ℕ (truncated a - b) and casts it
    t = op("=", Typed(App(I("Nat.gcd"), (op("-", I("a"), I("b")), I("a"))), ty("ℤ")),
           App(I("Nat.gcd"), (op("-", I("a"), I("b")), I("a"))))
    assert status(b, t).status == "holds"


def test_evaluation_is_bounded():
    import time
    rng = App(I("Finset.range"), (n(4000),))
    inner = Quant("∑", (BinderGroup(("j",), None, "plain", "∈", rng),), op("*", I("i"), I("j")))
    outer = Quant("∑", (BinderGroup(("i",), None, "plain", "∈", rng),), inner)
    t0 = time.perf_counter()
    r = status([var("x", "ℕ")], op("≤", I("x"), outer))
    assert time.perf_counter() - t0 < 5
    assert r.status == "holds" and r.reason == TOO_BIG  # every assignment skipped
    assert closed(op("^", n(3), n(100)), "ℕ") == 3 ** 100
    with pytest.raises(V.TooBig):
        closed(op("^", op("^", n(3), n(100)), n(4000)), "ℕ")


def test_fast_rejection_agrees_with_the_full_plan():
    """`_outside_fragment` answers `not_evaluable` before the section variables are
    selected; it may only do so where the full plan would reject the statement too."""
    from lean_alchemy.grammar.ast import App, BinderGroup, BinOp, Ident, Num, Sort
    from lean_alchemy.mutate.refute.api import _outside_fragment, _plan
    from lean_alchemy.mutate.refute.evaluate import NotEvaluable as NE

    nat, r = Ident("ℕ"), Ident("R")
    goal = BinOp("=", BinOp("+", Ident("n"), Num("0")), Ident("n"))
    cases = [
        (BinderGroup(("R",), Sort("Type*"), "implicit"), BinderGroup(("",), App(Ident("TopologicalSpace"), (r,)), "inst")),
        (BinderGroup(("n",), nat, "explicit"), BinderGroup(("",), App(Ident("Fact"), (BinOp("<", Num("0"), Ident("n")),)), "inst")),
        (BinderGroup(("n",), nat, "explicit"), BinderGroup(("",), App(Ident("DecidableEq"), (nat,)), "inst")),
        (BinderGroup(("n",), None, "explicit"),),
        (BinderGroup(("n",), nat, "explicit"),),
    ]
    fast = []
    for binders in cases:
        quick = _outside_fragment(binders)
        fast.append(quick)
        if quick:
            with pytest.raises(NE):
                _plan(binders, goal)
            assert refute_statement(binders, goal).status == "not_evaluable"
    assert fast == [True, False, False, True, False]
    assert refute_statement(cases[-1], goal).status == "holds"
