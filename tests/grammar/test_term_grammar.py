"""Unit tests: one per construct and per known ambiguity of the Lean term grammar."""

from __future__ import annotations

import pytest

from lean_alchemy.core.records import Binder, Declaration, Scope
from lean_alchemy.grammar.ast import (
    Anon, App, BinderGroup, BinOp, By, CdotFun, Cdot, DotIdent, Enclosed, Explicit, Hole,
    Ident, IfThenElse, Let, ListLit, NamedArg, Num, Opaque, Postfix, Prefix, Proj, Quant,
    SetBuilder, SetLit, Show, Sort, Subtype, Tuple, Typed, has_opaque, loads,
)
from lean_alchemy.grammar.operators import DEFAULT_TABLE, Op
from lean_alchemy.grammar.parser import parse_binders, parse_statement, parse_term
from lean_alchemy.grammar.printer import print_binders, print_term
from lean_alchemy.grammar.statements import (
    annotate_declaration, decl_binders, decl_conclusion, dumps_binders, loads_binders,
    scope_binders,
)

I = Ident
x, y, a, b, f, g = I("x"), I("y"), I("a"), I("b"), I("f"), I("g")


def rt(s: str):
    """Parse, check no opaque, check print/parse round trip; return the AST."""
    t = parse_term(s)
    assert not has_opaque(t), (s, t)
    assert parse_term(print_term(t)) == t, (s, print_term(t))
    return t


# ------------------------------------------------------------------ identifiers & atoms

@pytest.mark.parametrize("s", ["Nat.succ", "α", "x₁", "h'", "«foo bar»", "_root_.Nat.add",
                               "ℝ", "𝕜", "Foo.{u}", "get!", "find?"])
def test_identifiers(s):
    assert rt(s) == I(s)


def test_explicit_and_holes():
    assert rt("@f _ x") == App(Explicit(f), (Hole("_"), x))
    assert rt("?_") == Hole("?_")


@pytest.mark.parametrize("s", ["2", "0.5", "1e10", "2.5e-3", "0x1F", "1_000"])
def test_numerals(s):
    assert rt(s) == Num(s)


def test_sorts():
    assert rt("Type*") == Sort("Type*")
    assert rt("Sort (max u v)") == Sort("Sort (max u v)")
    assert rt("Type u → Prop") == BinOp("→", Sort("Type u"), Sort("Prop"))


def test_ascription_tuple_anon_lists():
    assert rt("((a : ℝ) : ℂ)") == Typed(Typed(a, I("ℝ")), I("ℂ"))
    assert rt("(a, b)") == Tuple((a, b))
    assert rt("⟨a, b⟩") == Anon((a, b))
    assert rt("[a, b]") == ListLit((a, b))
    assert rt("![a, b]") == ListLit((a, b), True)
    assert rt("{a, b}") == SetLit((a, b))


def test_application_named_args_projections():
    assert rt("f x y") == App(f, (x, y))
    assert rt("f (x := a) y") == App(f, (NamedArg("x", a), y))
    assert rt("h.1") == Proj(I("h"), "1")
    assert rt("h.1.le") == Proj(Proj(I("h"), "1"), "le")
    assert rt("a.gcd b") == App(I("a.gcd"), (b,))
    assert rt("(f x).foo") == Proj(App(f, (x,)), "foo")
    assert rt(".inl x") == App(DotIdent("inl"), (x,))
    assert rt("f ..") == App(f, (Hole(".."),))


# ------------------------------------------------------------------ operators

def test_precedence_and_associativity():
    assert rt("a + b * x") == BinOp("+", a, BinOp("*", b, x))
    assert rt("a - b - x") == BinOp("-", BinOp("-", a, b), x)
    assert rt("a ^ b ^ x") == BinOp("^", a, BinOp("^", b, x))
    assert rt("a → b → x") == BinOp("→", a, BinOp("→", b, x))
    assert rt("a ∧ b ∨ x") == BinOp("∨", BinOp("∧", a, b), x)
    assert rt("a → b ↔ x") == BinOp("↔", BinOp("→", a, b), x)
    assert rt("f ∘ g ∘ x") == BinOp("∘", f, BinOp("∘", g, x))
    assert rt("a • b • x") == BinOp("•", a, BinOp("•", b, x))
    assert rt("s ×ˢ t ∩ u") == BinOp("∩", BinOp("×ˢ", I("s"), I("t")), I("u"))
    assert print_term(BinOp("*", BinOp("+", a, b), x)) == "(a + b) * x"


@pytest.mark.parametrize("op", ["=", "≠", "<", "≤", ">", "≥", "∈", "∉", "⊆", "⊂", "∣", "%",
                                "/", "∩", "∪", "\\", "≃", "→+*", "⟶", "≫", "⧸", "<|", "|>"])
def test_infix_table(op):
    assert rt(f"a {op} b") == BinOp(op, a, b)


def test_prefix_postfix():
    assert rt("¬a") == Prefix("¬", a)
    assert rt("↑n") == Prefix("↑", I("n"))
    assert rt("⇑f x") == App(Prefix("⇑", f), (x,))
    assert rt("↥S") == Prefix("↥", I("S"))
    assert rt("#s") == Prefix("#", I("s"))
    assert rt("x⁻¹") == Postfix("⁻¹", x)
    assert rt("sᶜ") == Postfix("ᶜ", I("s"))
    assert rt("(n + 1)!") == Postfix("!", BinOp("+", I("n"), Num("1")))


def test_bracketed_and_mathlib_operators():
    assert rt("M →ₗ[R] N") == BinOp("→ₗ[R]", I("M"), I("N"))
    assert rt("f =ᶠ[l] g") == BinOp("=ᶠ[l]", f, g)
    assert rt("a ≡ b [MOD n]") == BinOp("≡", a, BinOp("[MOD]", b, I("n")))
    assert rt("R[X]") == Postfix("[X]", I("R"))
    # the Laurent polynomials and series (`notation:9000 R "[T;T⁻¹]"`, `R "⸨X⸩"`), and
    # ENat's floor and ceiling `⌊r⌋ₑ`, `⌈r⌉ₑ`
    assert rt("R[T;T⁻¹] → R⸨X⸩") == BinOp(
        "→", Postfix("[T;T⁻¹]", I("R")), Postfix("⸨X⸩", I("R")))
    assert rt("⌊r⌋ₑ ≤ ⌈r⌉ₑ") == BinOp("≤", Enclosed("⌊ₑ", I("r")), Enclosed("⌈ₑ", I("r")))
    assert print_term(parse_term("⌊r⌋ₑ + ⌊r⌋₊ + ⌊r⌋")) == "⌊r⌋ₑ + ⌊r⌋₊ + ⌊r⌋"
    assert rt("M ⊨ T") == BinOp("⊨", I("M"), I("T"))
    assert rt("x : ℝ≥0") if False else rt("ℝ≥0 → ℕ+") == BinOp("→", I("ℝ≥0"), I("ℕ+"))
    assert rt("e |>.obj x") == BinOp("|>.", I("e"), App(I("obj"), (x,)))


def test_extra_operator_table():
    t = DEFAULT_TABLE.with_extra([Op("⊞⊞", "infixl", 65)])
    assert parse_term("a ⊞⊞ b + x", t) == BinOp("+", BinOp("⊞⊞", a, b), x)
    assert has_opaque(parse_term("a ⊞⊞ b"))
    assert print_term(BinOp("⊞⊞", BinOp("+", a, b), x), t) == "a + b ⊞⊞ x"


# ------------------------------------------------------------------ ambiguities

def test_abs_vs_divides():
    assert rt("|x| ∣ y") == BinOp("∣", Enclosed("|", x), y)
    assert rt("|a| + |b|") == BinOp("+", Enclosed("|", a), Enclosed("|", b))
    assert rt("|a - |b||") == Enclosed("|", BinOp("-", a, Enclosed("|", b)))
    assert rt("{x | p x}") == SetBuilder(BinderGroup(("x",)), App(I("p"), (x,)))


def test_fun_extent():
    assert rt("fun x => f x + 1") == Quant("fun", (BinderGroup(("x",)),),
                                           BinOp("+", App(f, (x,)), Num("1")), "=>")
    assert rt("(fun x ↦ x) = g") == BinOp("=", Quant("fun", (BinderGroup(("x",)),), x, "↦"), g)
    assert print_term(App(f, (Quant("fun", (BinderGroup(("x",)),), x, "=>"), y))) == \
        "f (fun x => x) y"


def test_big_operator_body_extent():
    t = rt("∑ i ∈ s, f i + 1")
    assert isinstance(t, BinOp) and t.op == "+" and isinstance(t.lhs, Quant)
    assert t.lhs.binders == (BinderGroup(("i",), None, "plain", "∈", I("s")),)
    t = rt("∀ x, p x ∧ q")
    assert isinstance(t, Quant) and isinstance(t.body, BinOp)
    assert rt("(∀ x, p x) ∧ q") == BinOp("∧", Quant("∀", (BinderGroup(("x",)),),
                                                   App(I("p"), (x,))), I("q"))


def test_not_eq_and_neg_pow():
    assert rt("¬a = b") == Prefix("¬", BinOp("=", a, b))
    assert rt("¬a ∧ b") == BinOp("∧", Prefix("¬", a), b)
    assert rt("-x^2") == Prefix("-", BinOp("^", x, Num("2")))
    assert rt("(-x) ^ 2") == BinOp("^", Prefix("-", x), Num("2"))
    assert rt("-a * b") == BinOp("*", Prefix("-", a), b)


def test_coercion_and_inverse_arguments():
    assert rt("↑n + 1") == BinOp("+", Prefix("↑", I("n")), Num("1"))
    assert rt("f x⁻¹") == App(f, (Postfix("⁻¹", x),))
    assert rt("(f x)⁻¹") == Postfix("⁻¹", App(f, (x,)))
    assert rt("↑x⁻¹") == Prefix("↑", Postfix("⁻¹", x))
    assert rt("(↑x)⁻¹") == Postfix("⁻¹", Prefix("↑", x))


def test_application_vs_factorial():
    assert rt("n!") == I("n!")  # Lean's lexer: `!` continues an identifier
    assert rt("n !") == Postfix("!", I("n"))
    assert rt("f n !") == App(f, (Postfix("!", I("n")),))
    assert rt("2 * n !") == BinOp("*", Num("2"), Postfix("!", I("n")))


# ------------------------------------------------------------------ binding notations

def test_quantifiers():
    assert rt("∀ x ∈ s, p x").binders == (BinderGroup(("x",), None, "plain", "∈", I("s")),)
    assert rt("∃ x > 0, x < 1").binders == (BinderGroup(("x",), None, "plain", ">", Num("0")),)
    assert rt("∃! x, p x").op == "∃!"
    t = rt("∀ {α : Type*} [Ring α] (a b : α), a = b")
    assert [g.kind for g in t.binders] == ["implicit", "inst", "explicit"]
    assert t.binders[2].names == ("a", "b")
    assert rt("∀ x y : ℕ, x = y").binders == (BinderGroup(("x", "y"), I("ℕ")),)
    assert rt("∀ᶠ x in l, p x").binders[0].pred_op == "in"
    assert rt("∀ᵐ x ∂μ, p x").extra == I("μ")


@pytest.mark.parametrize("op", ["∑", "∏", "⋃", "⋂", "⨆", "⨅"])
def test_big_operators(op):
    t = rt(f"{op} i, f i")
    assert isinstance(t, Quant) and t.op == op


def test_integral():
    t = rt("∫ x in a..b, f x ∂μ")
    assert t.binders[0].pred == BinOp("..", a, b) and t.extra == I("μ")
    assert rt("∫ x, f x").extra is None


def test_set_builder_and_subtype():
    assert rt("{x : ℕ | 0 < x}") == SetBuilder(BinderGroup(("x",), I("ℕ")),
                                               BinOp("<", Num("0"), x))
    assert rt("{x ∈ s | p x}").binder.pred_op == "∈"
    assert rt("{x // 0 < x}") == Subtype(BinderGroup(("x",)), BinOp("<", Num("0"), x))


def test_enclosers():
    assert rt("‖x‖") == Enclosed("‖", x)
    assert rt("‖x‖₊") == Enclosed("‖₊", x)
    assert rt("⌊x⌋") == Enclosed("⌊", x)
    assert rt("⌈x⌉₊") == Enclosed("⌈₊", x)


def test_if_let_show_by_cdot():
    assert rt("if h : a = b then x else y") == IfThenElse(BinOp("=", a, b), x, y, "h")
    assert rt("if a then x else y") == IfThenElse(a, x, y)
    assert rt("let z := a; z + z") == Let("let", "z", None, a, BinOp("+", I("z"), I("z")))
    assert rt("have h : p := hp; q") == Let("have", "h", I("p"), I("hp"), I("q"))
    assert rt("show p from hp") == Show(I("p"), I("hp"))
    assert rt("show p by simp") == Show(I("p"), By("simp"))
    assert rt("f (by simp [a, b]) = 1") == BinOp("=", App(f, (By("simp [a, b]"),)), Num("1"))
    assert rt("(· + 1)") == CdotFun(BinOp("+", Cdot(), Num("1")))
    assert rt("f <| g x") == BinOp("<|", f, App(g, (x,)))
    assert rt("f $ g x") == BinOp("$", f, App(g, (x,)))


def test_dependent_arrow_binders():
    t = rt("{n : ℕ} → n = n")
    assert t == BinOp("→", BinderGroup(("n",), I("ℕ"), "implicit"), BinOp("=", I("n"), I("n")))


def test_comments_are_ignored():
    assert parse_term("a + -- note\n b") == BinOp("+", a, b)
    assert parse_term("a /- c -/ + b") == BinOp("+", a, b)


# ------------------------------------------------------------------ opaque fallback

def test_unknown_construct_is_smallest_opaque():
    t = parse_term("f { x := 1 } = y")
    assert t == BinOp("=", App(f, (Opaque("{ x := 1 }"),)), y)
    t = parse_term("g (match n with | 0 => a | _ => b) = y")
    assert isinstance(t, BinOp) and isinstance(t.lhs, App)
    assert isinstance(t.lhs.args[0], Opaque) and t.lhs.args[0].text.startswith("match")
    assert parse_term(print_term(t)) == t


def test_parse_never_raises():
    for s in ["", ")", "∀ ,", "fun => =>", "a +", "⟨a,", "|x"]:
        assert parse_term(s) is not None


# ------------------------------------------------------------------ binders & statements

def test_parse_binders_and_print():
    text = "{α : Type*} [Ring α] (a b : α) (h : a ≠ 0) ⦃x : α⦄ [inst : Foo α] (n : ℕ := 0)"
    gs = parse_binders(text)
    assert [g.kind for g in gs] == ["implicit", "inst", "explicit", "explicit", "strict",
                                    "inst", "explicit"]
    assert gs[1] == BinderGroup((), App(I("Ring"), (I("α"),)), "inst")
    assert gs[6].default == Num("0")
    assert print_binders(gs) == text
    assert parse_binders(print_binders(gs)) == gs


def test_parse_binders_fallback_keeps_names():
    gs = parse_binders("(x : α) (h : { weird := 1 }) (y : α)")
    assert [g.names for g in gs] == [("x",), ("h",), ("y",)]
    assert isinstance(gs[1].type, Opaque)


def test_parse_statement():
    bs, c = parse_statement("(a b : ℕ)", "a + b = b + a")
    assert bs[0].names == ("a", "b") and c == BinOp("=", BinOp("+", a, b), BinOp("+", b, a))


def _decl(binders, concl):
    return Declaration(full_name="T.foo", name="foo", kind="theorem", module="M", file="M.lean",
                       start_line=1, end_line=1, binders=binders, conclusion=concl)


def test_annotate_declaration_full_partial_failed():
    d = annotate_declaration(_decl((Binder("a", "explicit", "ℕ"), Binder("b", "explicit", "ℕ"),
                                    Binder("", "inst", "Fact (1 < 2)")), "a + b = b + a"))
    assert d.parse_status == "full" and d.parse_error is None
    gs = decl_binders(d)
    assert gs[0].names == ("a", "b") and gs[1].kind == "inst"
    assert decl_conclusion(d) == loads(d.conclusion_ast)
    p = annotate_declaration(_decl((), "f { x := 1 } = 2"))
    assert p.parse_status == "partial" and "x := 1" in p.parse_error
    assert annotate_declaration(_decl((), None)).parse_status == "failed"
    h = annotate_declaration(_decl((Binder("h", "explicit", "0 ≤ a := by positivity"),), "True"))
    assert decl_binders(h)[0].default == By("positivity")


def test_binder_serialization_and_scope():
    gs = parse_binders("{α : Type*} [Ring α] (x : α)")
    assert loads_binders(dumps_binders(gs)) == gs
    sc = Scope(module="M", imports=(), namespaces=("N",),
               commands=(("namespace", "namespace N"),
                         ("variable", "variable {α : Type*} [Ring α]"),
                         ("open", "open Nat"), ("variable", "variable (x : α)")))
    assert scope_binders(sc) == gs


# ------------------------------------------------------------------ ranges, ellipses and more notations

def test_range_vs_ellipsis():
    # `a..b` is a range (integral bounds); `f ..` (ending its group) is the arg ellipsis
    t = rt("∫ x in a i..b, f x")
    assert t.binders[0].pred == BinOp("..", App(a, (I("i"),)), b)
    assert rt("(h ..).symm") == Proj(App(I("h"), (Hole(".."),)), "symm")
    assert rt("⟨1, foo ..⟩") == Anon((Num("1"), App(I("foo"), (Hole(".."),))))


def test_bool_ops_and_list_relations():
    assert rt("a || b && c") == BinOp("||", a, BinOp("&&", b, I("c")))
    assert rt("l₁ <+: l₂ ∧ l₂ <:+: l₃") == BinOp(
        "∧", BinOp("<+:", I("l₁"), I("l₂")), BinOp("<:+:", I("l₂"), I("l₃")))


def test_more_mathlib_operators():
    assert rt("x ::ᵥ v ::ᵥ w") == BinOp("::ᵥ", x, BinOp("::ᵥ", I("v"), I("w")))
    assert rt("f ::: g") == BinOp(":::", f, g)
    assert rt("u ↓∩ s") == BinOp("↓∩", I("u"), I("s"))
    assert rt("(E⁄K).map f = E⁄L") == BinOp(
        "=", App(Proj(BinOp("⁄", I("E"), I("K")), "map"), (f,)), BinOp("⁄", I("E"), I("L")))
    # `⁄` binds tighter than application: `d⁄dX R f` applies `d⁄dX` to `R f`
    assert rt("coeff n (d⁄dX R f)") == App(I("coeff"), (I("n"), App(BinOp("⁄", I("d"), I("dX")),
                                                                  (I("R"), f))))
    # Boolean `!` takes its body at precedence 40, like `¬`; postfix `n !` stays factorial
    assert rt("!(p x) = b") == Prefix("!", BinOp("=", App(I("p"), (x,)), b))
    assert rt("(!p x) = b") == BinOp("=", Prefix("!", App(I("p"), (x,))), b)
    assert rt("n ! = 2") == BinOp("=", Postfix("!", I("n")), Num("2"))
    assert rt("-(.id _ _)") == Prefix("-", App(DotIdent("id"), (Hole("_"), Hole("_"))))
    assert rt("(x : ℝ*)") == Typed(x, I("ℝ*"))
    assert rt("Gᵐ⁰") == Postfix("ᵐ⁰", I("G"))


def test_inner_simplex_quotient_enclosers():
    assert rt("re ⟪x, y⟫ = ⟪x, y⟫_ℝ") == BinOp(
        "=", App(I("re"), (Enclosed("⟪", Tuple((x, y))),)), Enclosed("⟪_ℝ", Tuple((x, y))))
    assert rt("-⟪v, w⟫") == Prefix("-", Enclosed("⟪", Tuple((I("v"), I("w")))))
    assert rt("op ⦋n⦌ ⟶ op ⦋m⦌₂") == BinOp(
        "⟶", App(I("op"), (Enclosed("⦋", I("n")),)), App(I("op"), (Enclosed("⦋₂", I("m")),)))
    assert rt("X _⦋0⦌ = Y") == BinOp("=", App(I("X"), (Enclosed("_⦋", Num("0")),)), I("Y"))
    assert rt("⟦a⟧ = ⟦b⟧") == BinOp("=", Enclosed("⟦", a), Enclosed("⟦", b))
    assert rt("R⟦X⟧") == Postfix("⟦X⟧", I("R"))  # power series: the postfix, not a quotient


def test_nested_bracket_operators():
    assert rt("f =ᶠ[𝓝[s] a] g") == BinOp("=ᶠ[𝓝[s] a]", f, g)
    assert rt("(fun x ↦ x) =O[𝓝[>] 1] (· - 1)").op == "=O[𝓝[>] 1]"
    assert rt("M ≃ₘ^n⟮I, J⟯ N") == BinOp("≃ₘ^n⟮I, J⟯", I("M"), I("N"))


def test_cdot_in_tuple_binds_at_the_tuple():
    assert rt("map (1, ·) l") == App(I("map"), (CdotFun(Tuple((Num("1"), Cdot()))), I("l")))
    assert print_term(rt("⟨(x, ·), h⟩")) == "⟨(x, ·), h⟩"


def test_trailing_fun_and_not_arguments():
    # `fun`/`¬` (max precedence) may end an application; their bodies extend to the right
    assert rt("Finset.sum s fun i => f i + 1") == App(
        I("Finset.sum"), (I("s"), Quant("fun", (BinderGroup(("i",)),),
                                        BinOp("+", App(f, (I("i"),)), Num("1")), "=>")))
    assert rt("Decidable ¬p ∧ q") == BinOp("∧", App(I("Decidable"), (Prefix("¬", I("p")),)), I("q"))
    assert isinstance(parse_term("a = b = c"), Opaque)  # non-associative, as in Lean


def test_prop_binders_are_typed_by_the_sort():
    # `(p q : Prop)`: one group, type the sort `Prop` (the refuter treats it as a Prop variable)
    assert parse_binders("(p q : Prop)") == (BinderGroup(("p", "q"), Sort("Prop"), "explicit"),)


def test_printer_parenthesizes_what_the_grammar_would_regroup():
    # found by the Mathlib round-trip benchmark
    for s in ["∫ y, (∫ x in a..b, f x y) ∂μ", "∫ y, g y + (∫ x, f x) ∂μ",
              "Injective (e : (M ≃ₘ^n⟮I, J⟯ N) → M ≃ N)", "↑(fun x => x) = g",
              "|(|x| + 1)| = y", "(p.comp (-(.id _ _))).radius = r"]:
        t = rt(s)
        assert print_term(t) == s


# ------------------------------------------------------------------ property: round trip

from hypothesis import example, given, settings, strategies as st  # noqa: E402

_NAMES = st.sampled_from(["x", "y", "f", "n", "Nat.succ", "h.le", "α", "s₁"])
_INFIX = st.sampled_from(["+", "-", "*", "/", "^", "=", "≠", "<", "≤", "∧", "∨", "→", "↔", "∈",
                          "∘", "•", "∣", "∩", "∪", "×ˢ", "⁻¹'", "::", "||", "<•", "≃+*", "⁄"])


def _terms():
    leaf = st.one_of(_NAMES.map(Ident), st.sampled_from(["0", "1", "2", "0.5"]).map(Num))

    def grow(sub):
        return st.one_of(
            st.tuples(_INFIX, sub, sub).map(lambda t: BinOp(*t)),
            st.tuples(sub, st.lists(sub, min_size=1, max_size=2)).map(
                lambda t: App(t[0], tuple(t[1]))),
            st.tuples(st.sampled_from(["¬", "-", "↑", "!"]), sub).map(lambda t: Prefix(*t)),
            sub.map(lambda t: Prefix("-", App(DotIdent("id"), (t,)))),
            st.tuples(st.sampled_from(["⁻¹", "ᶜ"]), sub).map(lambda t: Postfix(*t)),
            st.tuples(st.sampled_from(["∀", "∃", "∑", "⋃"]), sub).map(
                lambda t: Quant(t[0], (BinderGroup(("i",)),), t[1])),
            sub.map(lambda b: Quant("fun", (BinderGroup(("i",)),), b, "↦")),
            st.tuples(st.sampled_from(["|", "‖", "⌊", "⟦", "⦋"]), sub).map(lambda t: Enclosed(*t)),
            st.tuples(sub, sub).map(lambda t: Enclosed("⟪", Tuple(t))),
            st.tuples(sub, sub).map(lambda t: Tuple(t)),
            st.tuples(sub, sub).map(lambda t: Typed(*t)),
            st.tuples(sub, sub, sub).map(lambda t: IfThenElse(*t)),
            sub.map(lambda t: Proj(t, "1")),
            st.tuples(st.sampled_from(["∫", "∫⁻"]), sub, st.one_of(st.none(), _NAMES.map(Ident))
                      ).map(lambda t: Quant(t[0], (BinderGroup(("i",)),), t[1], ",", t[2])),
        )

    return st.recursive(leaf, grow, max_leaves=8)


# Derandomized so that CI is reproducible; run with `--hypothesis-seed=N` to explore further.
@settings(max_examples=300, deadline=None, derandomize=True)
@given(_terms())
@example(BinOp("⁄", Ident("x"), Proj(Num("0"), "1")))  # once printed `x⁄(0).1`: read as (x⁄0).1
def test_roundtrip_property(t):
    s = print_term(t)
    back = parse_term(s)
    assert not has_opaque(back), (t, s, back)
    assert back == t, (t, s, back)  # (an App in function position prints parenthesized)


# ------------------------------------------------------------------ speed paths agree

# statements in Mathlib style touching binders, placeholders (`by`), fallbacks and defaults
_SPEED_CASES = [
    ((Binder("α", "implicit", "Type*"), Binder("", "inst", "CommRing α"),
      Binder("x", "explicit", "α"), Binder("y", "explicit", "α")), "x * y = y * x"),
    ((Binder("α", "implicit", "Type*"), Binder("", "inst", "CommRing α")),
     "∀ x ∈ s, ∑ i ∈ Finset.range n, f i + 1 ≤ |x - y|"),
    ((Binder("h", "explicit", "0 ≤ a := by positivity"),), "√a * √a = a"),
    ((Binder("s", "explicit", "Set α"),), "f { x := 1 } = 2"),
    ((Binder("n", "strict", "ℕ"), Binder("", "inst", "Fact (1 < n)")),
     "(fun x => x + 1) '' s = {y | ∃ x ∈ s, x + 1 = y}"),
    ((), "show a = a by rfl"),
    ((), "a = b = c"),
]


def _uncached_term(text: str):
    """The pre-memo path: prescan + fallback parse with a fresh placeholder table, no cache."""
    from lean_alchemy.grammar import parser as P
    ctx = P.Ctx()
    s = P.prescan(text, ctx)
    return P._partial(s, ctx, DEFAULT_TABLE) if s.strip() else Opaque(text.strip())


def test_memoized_annotation_equals_uncached_parse():
    from lean_alchemy.grammar import statements as S
    from lean_alchemy.grammar.ast import dumps
    S._GROUP_MEMO.clear()
    S._CONCL_MEMO.clear()
    for binders, concl in _SPEED_CASES * 2:  # second round: every group/conclusion memoized
        d = annotate_declaration(_decl(binders, concl))
        assert loads(d.conclusion_ast) == _uncached_term(concl)
        assert d.conclusion_ast == dumps(_uncached_term(concl))
        expected = []
        for names, kind, ty in S._merge(binders):
            default = None
            if ty is not None and ":=" in ty:
                ty, dflt = ty.split(":=", 1)
                default = _uncached_term(dflt)
            expected.append(BinderGroup(names, _uncached_term(ty) if ty else None, kind,
                                        None, None, default))
        assert decl_binders(d) == tuple(expected)
        assert d.binders_ast == dumps_binders(tuple(expected))
    assert len(S._GROUP_MEMO) == len({g for b, _ in _SPEED_CASES for g in S._merge(b)})


def test_fast_driver_equals_lark_parse():
    """`fastlalr.FastLalr` gives Lark's own results and rejects what Lark rejects."""
    from lark.exceptions import LarkError
    from lean_alchemy.grammar import parser as P
    lark, fast = P.get_parser(), P.get_fast()
    assert getattr(fast, "__self__", None).__class__.__name__ == "FastLalr"
    texts = [c for _, c in _SPEED_CASES if "by" not in c] + [
        "∫ x in a..b, f x ∂μ", "‖x‖₊ ≤ ⌈y⌉₊", "a ≡ b [MOD n]", "(h ..).symm",
        "f =ᶠ[𝓝 x] g", "if h : p then 1 else 0", "let x := 1; x + x", "{x : ℕ // 0 < x}",
        "x.gcd y ∣ ![1, 2] 0", "(· + 1)", "fun ⟨a, b⟩ => a", "a +", ")", "",
    ]
    for s in texts:
        P.STATE.ctx, P.STATE.cdots = P.Ctx(), 0
        try:
            want = lark.parse(s, start="start")
        except LarkError:
            with pytest.raises(LarkError):
                fast(s, "start")
            continue
        except ValueError:  # a callback rejects the shape: the fast driver must too
            with pytest.raises(ValueError):
                fast(s, "start")
            continue
        P.STATE.ctx, P.STATE.cdots = P.Ctx(), 0
        assert fast(s, "start") == want, s
    for s in ["{α : Type*} [Ring α] (a b : α)", "(x : ℕ := 0) ⦃y⦄", "", "(x : "]:
        try:
            want = lark.parse(s, start="binders")
        except LarkError:
            with pytest.raises(LarkError):
                fast(s, "binders")
            continue
        assert fast(s, "binders") == want, s


def test_printer_memo_gives_the_text_of_a_fresh_printer():
    """The printer memoizes text by (node, context); shared sub-terms printed in different
    contexts (operand of `*`, top level, under `^`) keep their own parenthesization."""
    from lean_alchemy.grammar.printer import Printer

    shared = parse_term("a + b")
    terms = [BinOp("*", shared, Ident("c")), shared, BinOp("^", Ident("c"), shared),
             BinOp("=", shared, BinOp("*", Ident("c"), shared))]
    memo = Printer()
    for _ in range(2):
        for t in terms:
            assert memo.print_at(t) == Printer().print_at(t)
    assert memo.print_at(terms[0]) == "(a + b) * c" and memo.print_at(shared) == "a + b"
