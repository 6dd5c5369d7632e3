"""Pure parts of the mutation engine on hand-built ASTs (no parser, no printer needed):
substitution, statement rewriting, fingerprints, proof text, names and dedup."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from lean_alchemy.core.records import Declaration
from lean_alchemy.grammar.ast import App, BinderGroup, BinOp, Num, Quant, Typed
from lean_alchemy.mutate.dedup import Deduper, is_trivial, sampling_order
from lean_alchemy.mutate.fingerprint import fingerprint_statement
from lean_alchemy.mutate.naming import mutant_name, with_suffix
from lean_alchemy.mutate.proofs import (
    bridge, dedent, has_forbidden, invoke_body, merged_body, proof_text, split_proof,
)
from lean_alchemy.mutate.statements import DecodedRule, Skip, apply_invocation
from lean_alchemy.grammar.substitute import beta, replace_all, substitute
from lean_alchemy.grammar.walk import fresh_name

from helpers.builders import make_declaration
from helpers.hand_built_asts import (
    ADD_ZERO, CAND_BINDERS, CAND_CONCL, DIV_MUL_CANCEL, LT_LE, NAT, REAL, TWO_MUL_BWD, TYPE, I,
    add, eq, grp, inv, rule, show,
)


# ------------------------------------------------------------------ substitution

def test_substitute_renames_capturing_binder():
    t = Quant("∀", (grp("x", NAT, "plain"),), eq(add(I("x"), I("a")), I("a")))
    out = substitute(t, {"a": I("x")})
    assert isinstance(out, Quant)
    assert out.binders[0].names == ("x'",)
    assert out.body == eq(add(I("x'"), I("x")), I("x"))


def test_substitute_respects_shadowing_and_dots():
    t = App(I("f"), (Quant("∀", (grp("a", NAT, "plain"),), I("a")), I("a.succ")))
    out = substitute(t, {"a": add(I("n"), Num("1"))})
    assert out.args[0] == Quant("∀", (grp("a", NAT, "plain"),), I("a"))
    from lean_alchemy.grammar.ast import Proj
    assert out.args[1] == Proj(add(I("n"), Num("1")), "succ")
    assert substitute(I("a.succ"), {"a": I("n")}) == I("n.succ")


def test_beta_reduces_substituted_lambda():
    lam = Quant("fun", (grp("y", None, "plain"),), add(I("y"), Num("1")), "↦")
    assert substitute(App(I("f"), (I("x"),)), {"f": lam}) == add(I("x"), Num("1"))
    assert beta(lam, (I("x"), I("z"))) == App(add(I("x"), Num("1")), (I("z"),))


def test_replace_all_occurrences_not_shadowed_ones():
    x0 = add(I("x"), Num("0"))
    t = eq(add(x0, I("y")), Quant("∀", (grp("x", NAT, "plain"),), eq(x0, I("x"))))
    out, n = replace_all(t, x0, I("x"))
    assert n == 1  # the occurrence under `∀ x` is another term
    assert out.lhs == add(I("x"), I("y"))
    out2, n2 = replace_all(eq(x0, add(x0, Num("1"))), x0, I("x"))
    assert n2 == 2 and out2 == eq(I("x"), add(I("x"), Num("1")))


def test_an_application_prefix_is_an_occurrence():
    # Lean's applications are curried: `rw` rewrites `f a` inside `f a b`, not in `f b a`
    from lean_alchemy.grammar.ast import PREFIX, get_at
    from lean_alchemy.grammar.substitute import bound_at

    fa = App(I("f"), (I("a"),))
    t = eq(App(I("f"), (I("a"), I("b"))), App(I("g"), (I("a"), I("b"))))
    out, n = replace_all(t, fa, App(I("h"), (I("c"),)))
    assert n == 1 and out == eq(App(I("h"), (I("c"), I("b"))), t.rhs)
    assert replace_all(t, fa, I("h"))[0].lhs == App(I("h"), (I("b"),))
    assert replace_all(App(I("f"), (I("b"), I("a"))), fa, I("h"))[1] == 0
    assert get_at(t, (("lhs", -1), (PREFIX, 1))) == fa
    assert bound_at(t, (("lhs", -1), (PREFIX, 1))) == frozenset()
    for bad in ((("lhs", -1), (PREFIX, 2)), (("lhs", -1), ("args", 0), (PREFIX, 1))):
        with pytest.raises(IndexError):
            get_at(t, bad)
    # an invocation at a prefix path gives the mutant `rw` would
    f_zero = rule("f_zero", "eq", App(I("F"), (Num("0"),)), I("G"), [])
    concl = eq(App(I("F"), (Num("0"), I("x"))), I("x"))
    i = inv("rw_goal", f_zero, "goal", [("lhs", -1), (PREFIX, 1)], {})
    m = apply_invocation(CAND_BINDERS, concl, i, DecodedRule.of(f_zero))
    assert m.conclusion == eq(App(I("G"), (I("x"),)), I("x"))
    # `F a x` is `⇑(F a) x` when `F a` is a bundled map: a coercion pattern rewrites it
    from lean_alchemy.grammar.ast import Prefix

    coe = Prefix("⇑", App(I("F"), (Num("0"),)))
    assert replace_all(concl, coe, I("G")) == (m.conclusion, 1)
    assert replace_all(concl, Prefix("⇑", App(I("F"), (Num("1"),))), I("G"))[1] == 0
    stale = inv("rw_goal", f_zero, "goal", [("lhs", -1)], {})
    with pytest.raises(Skip):
        apply_invocation(CAND_BINDERS, concl, stale, DecodedRule.of(f_zero))


def test_membership_and_insert_views_are_occurrences():
    # `a ∉ s` is `¬(a ∈ s)` and `{a, b}` is `insert a {b}` in Lean's elaborated terms
    from lean_alchemy.grammar.ast import INSERT, MEM, Prefix, SetLit, get_at

    mem = BinOp("∈", I("a"), I("s"))
    t = BinOp("∧", BinOp("∉", I("a"), I("s")), BinOp("∉", I("b"), I("s")))
    out, n = replace_all(t, mem, BinOp("∈", I("a"), I("t")))
    assert n == 1 and out.lhs == BinOp("∉", I("a"), I("t")) and out.rhs == t.rhs
    assert replace_all(t, mem, eq(I("a"), I("c")))[0].lhs == Prefix("¬", eq(I("a"), I("c")))
    assert get_at(t, (("lhs", -1), (MEM, -1))) == mem
    lit = SetLit((I("x"), I("y"), I("z")))
    ins = App(I("insert"), (I("x"), SetLit((I("y"), I("z")))))
    assert get_at(lit, ((INSERT, -1),)) == ins
    assert replace_all(eq(lit, I("u")), ins, I("v")) == (eq(I("v"), I("u")), 1)
    # negative: another first element, a singleton, a non-membership of another set
    assert replace_all(lit, App(I("insert"), (I("y"), SetLit((I("x"), I("z"))))), I("v"))[1] == 0
    with pytest.raises(IndexError):
        get_at(SetLit((I("x"),)), ((INSERT, -1),))
    assert replace_all(t, BinOp("∈", I("a"), I("t")), I("v"))[1] == 0


def test_alpha_equal_compares_up_to_bound_names():
    from lean_alchemy.grammar.substitute import alpha_equal

    def sum_(v, body, s="s"):
        return Quant("∑", (grp(v, None, "plain"),), body, ",", None) if s is None else \
            Quant("∑", (BinderGroup((v,), None, "plain", "∈", I(s)),), body)

    assert alpha_equal(sum_("i", App(I("f"), (I("i"),))), sum_("j", App(I("f"), (I("j"),))))
    # negative: a free name differs, a bound name meets a free one, another set
    assert not alpha_equal(sum_("i", App(I("f"), (I("i"),))), sum_("j", App(I("g"), (I("j"),))))
    assert not alpha_equal(sum_("i", App(I("f"), (I("i"),))), sum_("j", App(I("f"), (I("i"),))))
    assert not alpha_equal(sum_("i", I("i")), sum_("j", I("j"), "t"))
    # an instance renamed in the candidate still mutates (`rw` sees de Bruijn indices)
    zero_sum = rule("sum_zero", "eq", sum_("i", Num("0")), Num("0"),
                    [("s", "explicit", App(I("Finset"), (NAT,)))])
    concl = eq(sum_("j", Num("0"), "t"), Num("0"))
    i = inv("rw_goal", zero_sum, "goal", [("lhs", -1)], {"s": I("t")})
    m = apply_invocation((grp("t", App(I("Finset"), (NAT,))),), concl, i,
                         DecodedRule.of(zero_sum))
    assert m.conclusion == eq(Num("0"), Num("0"))


def test_fresh_names_are_mathlib_style():
    assert fresh_name("h", set()) == "h"
    assert fresh_name("h", {"h"}) == "h'"
    assert fresh_name("h", {"h", "h'"}) == "h₁"
    assert fresh_name("h", {"h", "h'", "h₁"}) == "h₂"


# ------------------------------------------------------------------ statements

def test_rw_goal_rewrites_every_occurrence_of_the_instance():
    i = inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)], {"a": I("x")})
    m = apply_invocation(CAND_BINDERS, CAND_CONCL, i, DecodedRule.of(ADD_ZERO))
    assert m.conclusion == eq(add(I("x"), I("y")), add(I("y"), I("x")))
    assert m.binders == CAND_BINDERS
    assert m.step.args == (("a", I("x")),) and m.step.occurrences == 2
    assert m.step.original == CAND_CONCL


def test_rw_goal_backward_direction():
    concl = eq(add(I("x"), I("x")), I("y"))
    i = inv("rw_goal", TWO_MUL_BWD, "goal", [("lhs", -1)], {"a": I("x")})
    m = apply_invocation(CAND_BINDERS, concl, i, DecodedRule.of(TWO_MUL_BWD))
    assert m.conclusion == eq(BinOp("*", Num("2"), I("x")), I("y"))
    body = bridge(m.step, ("exact foo",), show)
    assert body == ("have : ((x + x) = y) := foo",
                    "rewrite [← two_mul (a := x)] at this",
                    "exact this")


def test_stale_invocation_is_skipped():
    i = inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1)], {"a": I("x")})
    with pytest.raises(Skip) as e:
        apply_invocation(CAND_BINDERS, CAND_CONCL, i, DecodedRule.of(ADD_ZERO))
    assert e.value.reason == "stale_invocation"


def test_instance_under_binder_is_skipped():
    concl = Quant("∀", (grp("z", NAT, "plain"),), eq(add(I("z"), Num("0")), I("z")))
    i = inv("rw_goal", ADD_ZERO, "goal", [("body", -1), ("lhs", -1)], {"a": I("z")})
    with pytest.raises(Skip) as e:
        apply_invocation((), concl, i, DecodedRule.of(ADD_ZERO))
    assert e.value.reason == "under_binder"


QB = (grp("a b", I("ℚ")),)


def test_rw_hyp_reuses_an_existing_side_condition():
    hb = BinderGroup(("hb",), BinOp("≠", I("b"), Num("0")), "explicit")
    h = BinderGroup(("h",), eq(BinOp("*", BinOp("/", I("a"), I("b")), I("b")), Num("1")),
                    "explicit")
    i = inv("rw_hyp", DIV_MUL_CANCEL, "h", [("lhs", -1)], {"a": I("a"), "b": I("b")})
    m = apply_invocation(QB + (hb, h), eq(I("a"), Num("1")), i, DecodedRule.of(DIV_MUL_CANCEL))
    assert m.binders == QB + (hb, BinderGroup(("h",), eq(I("a"), Num("1")), "explicit"))
    assert m.step.hyp_args == (("h", "hb"),) and m.step.unnamed_hyps == 0
    body = bridge(m.step, ("simpa using h",), show)
    assert body == ("replace h : (((a / b) * b) = 1) := by",
                    "  rewrite [div_mul_cancel₀ (a := a) (b := b) (h := hb)]",
                    "  exact h",
                    "simpa using h")


def test_rw_hyp_adds_a_missing_side_condition_with_a_mathlib_name():
    h = BinderGroup(("h",), eq(BinOp("*", BinOp("/", I("a"), I("b")), I("b")), Num("1")),
                    "explicit")
    i = inv("rw_hyp", DIV_MUL_CANCEL, "h", [("lhs", -1)], {"a": I("a"), "b": I("b")})
    m = apply_invocation(QB + (h,), eq(I("a"), Num("1")), i, DecodedRule.of(DIV_MUL_CANCEL))
    assert m.binders == QB + (BinderGroup(("hb",), BinOp("≠", I("b"), Num("0")), "explicit"),
                              BinderGroup(("h",), eq(I("a"), Num("1")), "explicit"))
    assert m.step.new_binders == ("hb",)


Y_NONNEG = BinOp("≤", Num("0"), I("y"))
SQRT_LE_LEFT = rule("Real.sqrt_le_left", "iff", BinOp("≤", App(I("Real.sqrt"), (I("x"),)), I("y")),
                    BinOp("≤", I("x"), BinOp("^", I("y"), Num("2"))),
                    [("x", "implicit", REAL), ("y", "implicit", REAL),
                     ("hy", "explicit", Y_NONNEG)], side=[Y_NONNEG])


@pytest.mark.parametrize("y, binders, hyp", [
    # matched inside `√(a : ℝ) ≤ Nat.sqrt a + 1`, `Nat.sqrt a + 1` is real; alone, natural
    (add(App(I("Nat.sqrt"), (I("a"),)), Num("1")), (grp("a", NAT),),
     BinOp("≤", Num("0"), Typed(add(App(I("Nat.sqrt"), (I("a"),)), Num("1")), REAL))),
    (Num("2"), (grp("a", NAT),), BinOp("≤", Num("0"), Typed(Num("2"), REAL))),
    # a leaf declared real, or a value with its own type: written as matched
    (add(I("b"), Num("1")), (grp("a", NAT), grp("b", REAL)),
     BinOp("≤", Num("0"), add(I("b"), Num("1")))),
    (I("b"), (grp("a", NAT), grp("b", REAL)), BinOp("≤", Num("0"), I("b"))),
    (App(I("f"), (I("a"),)), (grp("a", NAT), grp("f", BinOp("→", NAT, REAL))),
     BinOp("≤", Num("0"), App(I("f"), (I("a"),)))),
])
def test_new_hypothesis_keeps_the_type_a_value_had_in_the_candidate(y, binders, hyp):
    x = Typed(I("a"), REAL)
    concl = BinOp("≤", App(I("Real.sqrt"), (x,)), y)
    i = inv("rw_goal", SQRT_LE_LEFT, "goal", [], {"x": x, "y": y})
    m = apply_invocation(binders, concl, i, DecodedRule.of(SQRT_LE_LEFT))
    assert m.conclusion == BinOp("≤", x, BinOp("^", y, Num("2")))
    (name,) = m.step.new_binders
    assert m.binders[-1] == BinderGroup((name,), hyp, "explicit")
    # `(y := v)` elaborates at ℝ already (a lone numeral is ascribed there too)
    assert dict(m.step.args)["y"] in (y, Typed(y, REAL)) and m.step.hyp_args == (("hy", name),)


def test_a_natural_number_value_needs_no_ascription():
    """Numerals default to ℕ and nothing is coerced into it: `0 < Multiset.card s + 1`."""
    n_pos = BinOp("<", Num("0"), I("n"))
    r = rule("Nat.succ_pred_of_pos'", "eq", add(App(I("Nat.pred"), (I("n"),)), Num("1")), I("n"),
             [("n", "implicit", NAT), ("hn", "explicit", n_pos)], side=[n_pos])
    n = add(App(I("Multiset.card"), (I("s"),)), Num("1"))
    i = inv("rw_goal", r, "goal", [("lhs", -1)], {"n": n})
    m = apply_invocation((grp("s", App(I("Multiset"), (I("α"),))),),
                         eq(add(App(I("Nat.pred"), (n,)), Num("1")), n), i, DecodedRule.of(r))
    assert m.conclusion == eq(n, n)
    assert m.binders[-1].type == BinOp("<", Num("0"), n)


def test_a_relation_with_a_typed_leaf_needs_no_ascription():
    """`binrel%` elaborates both sides as one unit: `(a : ℝ) ≤ Nat.sqrt a + 1` is real, so
    the new hypothesis is written as matched and still meets its duplicates."""
    x_le_y = BinOp("≤", I("x"), I("y"))
    r = rule("Real.sqrt_le_of_le", "iff", BinOp("≤", App(I("Real.sqrt"), (I("x"),)), I("y")),
             BinOp("≤", I("x"), BinOp("^", I("y"), Num("2"))),
             [("x", "implicit", REAL), ("y", "implicit", REAL), ("h", "explicit", x_le_y)],
             side=[x_le_y])
    x, y = Typed(I("a"), REAL), add(App(I("Nat.sqrt"), (I("a"),)), Num("1"))
    i = inv("rw_goal", r, "goal", [], {"x": x, "y": y})
    m = apply_invocation((grp("a", NAT),), BinOp("≤", App(I("Real.sqrt"), (x,)), y), i,
                         DecodedRule.of(r))
    assert m.binders[-1].type == BinOp("≤", x, y)


def test_rw_hyp_on_a_dependent_hypothesis_is_skipped():
    h = BinderGroup(("h",), eq(BinOp("*", BinOp("/", I("a"), I("b")), I("b")), Num("1")),
                    "explicit")
    i = inv("rw_hyp", DIV_MUL_CANCEL, "h", [("lhs", -1)], {"a": I("a"), "b": I("b")})
    with pytest.raises(Skip) as e:
        apply_invocation(QB + (h,), App(I("P"), (I("h"),)), i, DecodedRule.of(DIV_MUL_CANCEL))
    assert e.value.reason == "dependent_hypothesis"


def test_apply_hyp_introduces_typed_fresh_variable_and_antecedents():
    binders = (grp("x z", REAL), BinderGroup(("h",), BinOp("<", I("x"), I("z")), "explicit"))
    i = inv("apply_hyp", LT_LE, "h", [], {"a": I("x"), "c": I("z")})
    m = apply_invocation(binders, BinOp("≤", I("x"), I("z")), i, DecodedRule.of(LT_LE))
    assert m.binders == (grp("x z", REAL), grp("b", REAL, "implicit"),
                         BinderGroup(("hxb",), BinOp("<", I("x"), I("b")), "explicit"),
                         BinderGroup(("hbz",), BinOp("≤", I("b"), I("z")), "explicit"))
    assert m.step.args == (("a", I("x")), ("b", I("b")), ("c", I("z")))
    assert m.step.hyp_args == (("h₁", "hxb"), ("h₂", "hbz"))
    body = bridge(m.step, ("exact le_of_lt h",), show)
    assert body == ("have h : (x < z) := lt_of_lt_of_le (a := x) (b := b) (c := z) "
                    "(h₁ := hxb) (h₂ := hbz)", "exact le_of_lt h")


def test_apply_hyp_fresh_variable_of_unknown_type_is_skipped():
    binders = (BinderGroup(("h",), BinOp("<", App(I("f"), (I("x"),)), I("z")), "explicit"),)
    i = inv("apply_hyp", LT_LE, "h", [], {"a": App(I("f"), (I("x"),)), "c": I("z")})
    with pytest.raises(Skip) as e:
        apply_invocation(binders, I("True"), i, DecodedRule.of(LT_LE))
    assert e.value.reason == "untyped_fresh_var"


def test_fresh_variable_avoids_candidate_names():
    binders = (grp("x z b", REAL), BinderGroup(("h",), BinOp("<", I("x"), I("z")), "explicit"))
    i = inv("apply_hyp", LT_LE, "h", [], {"a": I("x"), "c": I("z")})
    m = apply_invocation(binders, BinOp("≤", I("b"), I("z")), i, DecodedRule.of(LT_LE))
    assert m.binders[1] == grp("b'", REAL, "implicit")
    assert m.binders[2].names == ("h'",)  # `hxb'` would not be Mathlib style: x < b'


# ------------------------------------------------------------------ fingerprints

def test_fingerprint_normalizations():
    a = fingerprint_statement((grp("a b", NAT),), eq(add(I("a"), I("b")), add(I("b"), I("a"))))
    b = fingerprint_statement((grp("x", NAT), grp("y", NAT, "implicit")),
                              eq(add(I("x"), I("y")), add(I("y"), I("x"))))
    c = fingerprint_statement((), Quant("∀", (grp("m n", NAT, "plain"),),
                                        eq(add(I("m"), I("n")), add(I("n"), I("m")))))
    assert a == b == c
    d = fingerprint_statement((grp("a b", NAT),), eq(add(I("a"), I("b")), add(I("a"), I("b"))))
    assert d != a


def test_fingerprint_ignores_order_of_independent_hypotheses():
    h1 = BinderGroup(("h1",), BinOp("<", I("a"), I("b")), "explicit")
    h2 = BinderGroup(("h2",), BinOp("≠", I("b"), Num("0")), "explicit")
    concl = BinOp("<", I("a"), add(I("b"), I("b")))
    assert (fingerprint_statement((grp("a b", NAT), h1, h2), concl)
            == fingerprint_statement((grp("a b", NAT), h2, h1), concl)
            == fingerprint_statement((grp("a b", NAT), h2),
                                     BinOp("→", BinOp("<", I("a"), I("b")), concl)))


_names = st.sampled_from(["a", "b", "c", "x", "y", "n", "m"])


@st.composite
def _terms(draw, depth=3, bound=("a", "b")):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.one_of(st.sampled_from([I(v) for v in bound]), st.just(Num("1"))))
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return BinOp(draw(st.sampled_from(["+", "*", "-"])), draw(_terms(depth - 1, bound)),
                     draw(_terms(depth - 1, bound)))
    if choice == 1:
        v = draw(_names)
        return Quant("∑", (BinderGroup((v,), None, "plain", "∈", I("s")),),
                     draw(_terms(depth - 1, bound + (v,))))
    return App(I("f"), (draw(_terms(depth - 1, bound)),))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_terms(), _names, _names)
def test_fingerprint_invariant_under_bound_variable_renaming(t, n1, n2):
    from hypothesis import assume
    assume(n1 != n2 and "s" not in (n1, n2) and "f" not in (n1, n2))
    concl = eq(t, t)
    renamed = substitute(concl, {"a": I(n1), "b": I(n2)})
    # make inner binders clash-free first, then compare statements differing only in names
    fa = fingerprint_statement((grp("a b", NAT),), concl)
    fb = fingerprint_statement((grp(f"{n1} {n2}", NAT),), renamed)
    assert fa == fb


# ------------------------------------------------------------------ proofs

def test_split_proof_styles_and_indentation():
    assert split_proof("by\n    simp\n    ring") == ("tactic", ["simp", "ring"])
    assert split_proof("by simp") == ("tactic", ["simp"])
    assert split_proof("fun h =>\n    h.trans\n      foo") == (
        "term", ["fun h =>", "  h.trans", "    foo"])
    for bad in ("| 0 => rfl\n| n+1 => rfl", "by\n  simp\ntermination_by n", "by sorry"):
        with pytest.raises(Skip):
            split_proof(bad)


def declaration_with_proof(proof: str, style: str) -> Declaration:
    return make_declaration("Foo.bar", end_line=3, proof=proof, proof_style=style)


def test_merged_body_term_and_tactic():
    assert merged_body(declaration_with_proof("foo.trans bar", "term")) == ("exact foo.trans bar",)
    assert merged_body(declaration_with_proof("fun h =>\n  h.trans\n    bar", "term")) == (
        "exact", "  fun h =>", "    h.trans", "      bar")
    assert merged_body(declaration_with_proof("by\n  intro h\n  exact h", "tactic")) == (
        "intro h", "exact h")


def test_invoke_body_passes_explicit_arguments_in_order():
    bs = (grp("n", NAT), grp("α", TYPE, "implicit"), BinderGroup((), App(I("Ring"), (I("α"),)), "inst"),
          grp("a b", I("α")), BinderGroup(("h",), BinOp("<", I("a"), I("b")), "explicit"))
    assert invoke_body("Foo.bar", bs) == ("exact Foo.bar n a b h",)


def test_rw_goal_bridge_around_a_tactic_body_and_proof_text():
    i = inv("rw_goal", ADD_ZERO, "goal", [("lhs", -1), ("lhs", -1)], {"a": I("x")})
    m = apply_invocation(CAND_BINDERS, CAND_CONCL, i, DecodedRule.of(ADD_ZERO))
    text = proof_text(bridge(m.step, ("simp only [foo]", "ring"), show))
    assert text == ("by\n"
                    "  have : (((x + 0) + y) = (y + (x + 0))) := by\n"
                    "    simp only [foo]\n"
                    "    ring\n"
                    "  rewrite [add_zero (a := x)] at this\n"
                    "  exact this")
    assert not has_forbidden(text)
    assert has_forbidden("by\n  sorry") and has_forbidden("exact admit") \
        and not has_forbidden("exact sorry_free_lemma")


def test_dedent():
    assert dedent(["", "    a", "      b", ""]) == ["a", "  b"]


# ------------------------------------------------------------------ naming, dedup

def test_names_are_deterministic_and_derived():
    assert mutant_name("add_comm", "rw_goal", "0123456789abcdef") == "add_comm_rw_goal_01234567"
    assert mutant_name("Nat.foo", "apply_hyp", "ffff0000aaaa", 2) == "Nat.foo_d2_apply_hyp_ffff0000"
    assert with_suffix("Foo.«my thm»", "x") == "Foo.«my thm_x»"


def test_dedup_filters_and_caps():
    d = Deduper(library=frozenset({"lib"}), max_per_theorem=2, max_per_rule=None)
    c = eq(I("a"), I("b"))
    assert d.check("p", ("p",), c, "T", "r") == "equal_to_parent"
    assert d.check("lib", (), c, "T", "r") == "library_duplicate"
    assert d.check("x", (), eq(I("a"), I("a")), "T", "r") == "trivial"
    assert d.check("m1", (), c, "T", "r") is None
    d.admit("m1", "T", "r", counts=True)
    assert d.check("m1", (), c, "T", "r") == "duplicate"
    d.admit("m2", "T", "r", counts=True)
    assert d.check("m3", (), c, "T", "r") == "theorem_cap"
    assert dict(d.dropped) == {"equal_to_parent": 1, "library_duplicate": 1, "trivial": 1,
                               "duplicate": 1, "theorem_cap": 1}
    assert is_trivial(BinOp("↔", I("p"), I("p")))


def test_sampling_order_is_seeded():
    items = list(range(20))
    assert sampling_order(items, 0, "T") == sampling_order(items, 0, "T")
    assert sampling_order(items, 0, "T") != sampling_order(items, 1, "T")
    assert sorted(sampling_order(items, 3, "T")) == items


ADD_COMM = rule("add_comm", "eq", add(I("a"), I("b")), add(I("b"), I("a")),
                [("G", "implicit", TYPE), ("", "inst", App(I("AddCommMagma"), (I("G"),))),
                 ("a", "explicit", I("G")), ("b", "explicit", I("G"))])


def test_closed_values_are_ascribed_with_the_resolved_type_or_left_to_unification():
    concl = BinOp("<", add(I("x"), Num("2")), I("y"))
    i = inv("rw_goal", ADD_COMM, "goal", [("lhs", -1)], {"a": I("x"), "b": Num("2")})
    m = apply_invocation((grp("x y", REAL),), concl, i, DecodedRule.of(ADD_COMM))
    from lean_alchemy.grammar.ast import Typed
    assert m.step.args == (("a", I("x")), ("b", Typed(Num("2"), REAL)))
    assert m.conclusion == BinOp("<", add(Num("2"), I("x")), I("y"))
    # nothing fixes the type of `2 + 3`: both arguments are left to unification
    concl2 = BinOp("<", add(Num("3"), Num("2")), I("y"))
    i2 = inv("rw_goal", ADD_COMM, "goal", [("lhs", -1)], {"a": Num("3"), "b": Num("2")})
    m2 = apply_invocation((grp("y", REAL),), concl2, i2, DecodedRule.of(ADD_COMM))
    assert m2.step.args == ()


@settings(max_examples=80, deadline=None, derandomize=True)
@given(_terms())
def test_fast_heads_agree_with_free_idents(t):
    from lean_alchemy.grammar.ast import free_idents
    from lean_alchemy.grammar.walk import heads
    t2 = Quant("∀", (grp("a", NAT, "plain"),), App(I("a.succ"), (t, I("b.le"))))
    for x in (t, t2):
        assert heads(x) == {n.split(".", 1)[0] for n in free_idents(x)}


def test_opaque_mentions_token_check_equals_the_word_regex():
    """The token-set check of `_opaque_mentions` finds exactly what the whole-word regex
    (not after `.`, not inside a longer name) finds, for word-like and other names."""
    import re

    from lean_alchemy.grammar.ast import BinOp, Opaque
    from lean_alchemy.mutate.statements import _opaque_mentions

    texts = ["f x", "x.1 + y", "p.x", "x' + 1", "xy", "μ[f | m] x₁", "a!b", "(x)", "h.le x"]
    for text in texts:
        target = BinOp("=", Opaque(text), I("z"))
        for name in ("x", "y", "x'", "x₁", "f", "m", "a!", "le", "h"):
            want = bool(re.search(rf"(?<![\w.']){re.escape(name)}(?![\w'])", text))
            assert _opaque_mentions(target, I(name)) == want, (text, name)


def test_a_rule_binder_name_declared_twice_is_passed_once():
    """Lean rejects `(a := x) (a := x)` (an argument set twice): a repeated binder name in
    a rule (an index built before section shadowing was handled) yields one named argument."""
    from lean_alchemy.mutate.statements import DecodedRule, _instantiate

    twice = rule("twice_add_zero", "eq", add(I("a"), Num("0")), I("a"),
                 [("a", "implicit", NAT), ("a", "explicit", NAT)])
    inst = _instantiate(DecodedRule.of(twice), {"a": I("x")}, (I("a"),), {"x": NAT},
                        {"x"}, {"x"})
    assert [n for n, _ in inst.args] == ["a"]


def test_unit_frame_is_per_scope_and_memoized_by_identity():
    """The header and closing text of a unit are computed once per scope object; a second,
    equal-looking scope (or None) gets its own frame, never another scope's."""
    from lean_alchemy.core.records import Scope
    from lean_alchemy.mutate.render import render_unit, unit_frame

    a = Scope(module="M", imports=(), namespaces=("Foo",), commands=(
        ("namespace", "namespace Foo"), ("open", "open Nat")))
    b = Scope(module="M", imports=(), namespaces=(), commands=(("section", "section Bar"),))
    header, close = unit_frame(a)
    assert header == "section\nnamespace Foo\nopen Nat\nset_option autoImplicit false"
    assert close == "end Foo\nend\n"
    assert unit_frame(a) == (header, close)
    assert unit_frame(b) == ("section\nsection Bar\nset_option autoImplicit false",
                             "end Bar\nend\n")
    assert unit_frame(None) == ("section\nset_option autoImplicit false", "end\n")
    h, lean = render_unit(a, "theorem t : True := trivial")
    assert h == header and lean == f"{header}\n\ntheorem t : True := trivial\n\nend Foo\nend\n"
