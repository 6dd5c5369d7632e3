"""Glued notations: what the grammar prints is what Lean reads.

Each notation is checked with its source spelling (parses to a node, prints glued, lexes
to the source's tokens) and with the wrong spelling a printer that splits it would
produce (which must lex differently, and parse to something else or not at all).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from lean_alchemy.core.records import NotationDecl, Scope
from lean_alchemy.grammar.ast import (
    App, BinOp, Glued, Ident, Let, Num, Opaque, Quant, has_opaque, loads, dumps,
)
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term
from lean_alchemy.grammar.walk import nodes
from lean_alchemy.grammar.tokens import (
    GLUE, build_token_table, declared_tokens, first_difference, lex, open_namespaces,
    same_tokens,
)

I = Ident

# Declarations written for these tests in the shape of the library's (facts: the tokens)
DECLS = [
    ("global", "", 'notation:max g "^[" k "]" => Nat.iterate g k'),
    ("global", "", 'notation "C(" A ", " B ")" => ContinuousMap A B'),
    ("scoped", "ZeroAtInfty", 'scoped[ZeroAtInfty] notation "C₀(" A ", " B ")" => Z A B'),
    ("global", "", 'macro "ofNat(" t:term ")" : term => `(OfNat.ofNat $t)'),
    ("scoped", "Topology", 'scoped[Topology] notation "𝓝[" s "] " x:100 => nhdsWithin x s'),
    ("scoped", "Topology", 'scoped[Topology] notation3 "𝓝[≠] " x:100 => nhdsNE x'),
    ("scoped", "Topology", 'scoped[Topology] notation3 "𝓝[<] " x:100 => nhdsLT x'),
    ("scoped", "Topology", 'scoped[Topology] notation3 "𝓝[>] " x:100 => nhdsGT x'),
    ("scoped", "Topology", 'scoped[Topology] notation3 "𝓝[≤] " x:100 => nhdsLE x'),
    ("scoped", "Topology", 'scoped[Topology] notation3 "𝓝[≥] " x:100 => nhdsGE x'),
    ("global", "", 'notation "ℤ_[" q "]" => PadicInt q'),
    ("global", "", 'notation "ℚ_[" q "]" => Padic q'),
    ("scoped", "MeasureTheory",
     'scoped[MeasureTheory] notation "MeasurableSet[" m "]" => @MeasurableSet _ m'),
    ("scoped", "MeasureTheory",
     'scoped notation "AEStronglyMeasurable[" m "]" => @AEStronglyMeasurable _ _ _ m'),
    ("scoped", "ProbabilityTheory", 'scoped notation "Var[" Y "; " ν "]" => variance Y ν'),
    ("scoped", "ProbabilityTheory", 'scoped[ProbabilityTheory] notation "𝔼[" Y "]" => E Y'),
    ("scoped", "Manifold", 'scoped elab:max "CMDiffAt[" s:term "]" ppSpace n:term:arg '
                           'ppSpace f:term:arg : term => do pure f'),
    ("scoped", "Manifold", 'scoped elab:max "T% " t:term:arg : term => do pure t'),
    ("scoped", "ProbabilityTheory", 'scoped notation "setBer(" u ", " p ")" => sb u p'),
    ("scoped", "Convolution",
     'scoped[Convolution] notation:67 f " ⋆[" L:67 ", " μ:67 "] " g:66 => conv f g L μ'),
    ("global", "", 'infixl:50 " ≤s " => IsSubgroupOf'),
]
RECORDS = [NotationDecl("M", "M.lean", k, "notation", vis, ns, declared_tokens(text), text)
           for k, (vis, ns, text) in enumerate(DECLS)]
TABLE = build_token_table(RECORDS)
ALL = TABLE.active(["ZeroAtInfty", "Topology", "MeasureTheory", "ProbabilityTheory",
                    "Manifold", "Convolution"])


def toks(s: str) -> list[str]:
    return lex(s, ALL)


def norm(s: str) -> str:
    return "".join(s.split())


# (source spelling, the spelling a splitting printer produced)
CASES = [
    ("(derivative^[m] p).IsRoot t", "(derivative ^ [m] p).IsRoot t"),
    ("deriv^[2] f", "deriv ^ [2] f"),
    ("ofNat(n) + x", "ofNat n + x"),
    ("g = C(X, Y)", "g = C (X, Y)"),
    ("C(I, E)", "C (I, E)"),
    ("C₀(α, β)", "C₀ (α, β)"),
    ("l[i] = a", "l [i] = a"),
    ("l[i]? = a", "l [i]? = a"),
    ("l[i]! = a", "l [i]! = a"),
    ("𝓝[{z : ℂ | 0 ≤ z.im}] z", "𝓝 [{z : ℂ | 0 ≤ z.im}] z"),
    ("𝓝[s] x = 𝓝 x", "𝓝 [s] x = 𝓝 x"),
    ("𝓝[≠] x ≤ 𝓝 x", "𝓝 [≠] x ≤ 𝓝 x"),
    ("𝓝[<] x ≤ 𝓝 x", "𝓝 [<] x ≤ 𝓝 x"),
    ("𝓝[>] x ≤ 𝓝 x", "𝓝 [>] x ≤ 𝓝 x"),
    ("𝓝[≤] x ≤ 𝓝 x", "𝓝 [≤] x ≤ 𝓝 x"),
    ("𝓝[≥] x ≤ 𝓝 x", "𝓝 [≥] x ≤ 𝓝 x"),
    ("(0 : ℤ_[p]) = 0", "(0 : ℤ_ [p]) = 0"),
    ("ℚ_[p]", "ℚ_ [p]"),
    ("MeasurableSet[m] s", "MeasurableSet [m] s"),
    ("AEStronglyMeasurable[m] f μ", "AEStronglyMeasurable [m] f μ"),
    ("μ[f|m] = g", "μ [f|m] = g"),
    ("Var[X; μ] = 0", "Var [X; μ] = 0"),
    ("𝔼[Y] = 0", "𝔼 [Y] = 0"),
    ("CMDiffAt[s] n (T% V) x", "CMDiffAt [s] n (T % V) x"),
    ("setBer(u, p) S = 1", "setBer (u, p) S = 1"),
    ("f ⋆[L, μ] g = h", "f⋆ [L, μ] g = h"),
    ("G ≤s H", "G ≤ s H"),
    ("HahnSeries.single a r ∈ R⟦Γ⟧", "HahnSeries.single a r ∈ R ⟦Γ⟧"),
    ("IsIso (f : X⟦n⟧ ⟶ Y⟦n + 1⟧)", "IsIso (f : X ⟦n⟧ ⟶ Y ⟦n + 1⟧)"),
    ("f⟦n⟧' ≫ (g ≫ h)⟦n⟧' = k", "f ⟦n⟧' ≫ (g ≫ h) ⟦n⟧' = k"),
    ("g.app X⟦n⟧⟦m⟧ = f", "g.app X⟦n⟧ ⟦m⟧ = f"),
]


@pytest.mark.parametrize("src,wrong", CASES)
def test_glued_spelling_round_trips_with_its_tokens(src, wrong):
    t = parse_term(src)
    assert not has_opaque(t), t
    printed = print_term(t)
    assert norm(printed) == norm(src)
    assert parse_term(printed) == t
    assert same_tokens(src, printed, ALL)
    assert loads(dumps(t)) == t


@pytest.mark.parametrize("src,wrong", CASES)
def test_split_spelling_is_another_term(src, wrong):
    assert first_difference(src, wrong, ALL) is not None
    assert parse_term(wrong) != parse_term(src)


def test_nodes():
    assert parse_term("f^[n] x") == App(Glued(I("f"), "^[", (I("n"),)), (I("x"),))
    assert parse_term("l[i]?") == Glued(I("l"), "[", (I("i"),), (), "]?")
    assert parse_term("C(X, Y)") == Glued(I("C"), "(", (I("X"), I("Y")), (",",), ")")
    assert parse_term("Var[X; μ | m]") == Glued(I("Var"), "[", (I("X"), I("μ"), I("m")),
                                                 (";", "|"))
    assert parse_term("MeasurableSet[m] s") == App(Glued(I("MeasurableSet"), "[", (I("m"),)),
                                                   (I("s"),))
    assert parse_term("f [i]") == App(I("f"), (parse_term("[i]"),))
    assert parse_term("T% V") == App(I("T%"), (I("V"),))
    assert parse_term("f ⋆[L, μ] g") == BinOp("⋆[L, μ]", I("f"), I("g"))
    # `R⟦Γ⟧` (HahnSeries), `X⟦n⟧` (a shift); a quotient class starts a term
    assert parse_term("R⟦Γ⟧") == Glued(I("R"), "⟦", (I("Γ"),), (), "⟧")
    assert print_term(parse_term("Rᵃᵒᵖ⟦Γ⟧")) == "Rᵃᵒᵖ⟦Γ⟧"
    assert isinstance(parse_term("f ⟦x⟧"), App)
    assert not any(isinstance(x, Glued) for x in nodes(parse_term("(⟦x⟧ : Q) = ↑⟦y⟧")))


def test_haveI_letI_terms():
    t = parse_term("haveI := prim H; Primrec f")
    assert t == Let("haveI", "", None, App(I("prim"), (I("H"),)),
                    App(I("Primrec"), (I("f"),)))
    assert print_term(t) == "haveI := prim H; Primrec f"
    assert parse_term("haveI := prim H\n  Primrec f") == t
    s = parse_term("letI : Foo := x; P x")
    assert s.kind == "letI" and s.name == "" and print_term(s) == "letI : Foo := x; P x"
    assert parse_term("let _ := 3; x = 1").name == "_"
    # the wrong spelling swallowed the body into the value
    assert parse_term("haveI := (prim H; Primrec f)") != t


def test_unknown_token_is_an_opaque_span_printed_verbatim():
    src = "Summable f L ∧ ∏ᵖ p ∣ n, g p ∈ s"
    t = parse_term(src)
    spans = [o for o in [t] if isinstance(o, Opaque)] or [
        o for o in [getattr(t, "rhs", None)] if isinstance(o, Opaque)]
    assert spans and "∏ᵖ p" in spans[0].text
    assert parse_term(print_term(t)) == t
    assert "∏ᵖ p ∣ n, g" in print_term(t)


def test_the_expectation_operator_is_a_big_operator_and_its_bracket_another_token():
    # `𝔼 i ∈ s, f i` (Mathlib/Algebra/BigOperators/Expect.lean) takes its body at 67, as
    # `∑` does; `𝔼[X]` touches its bracket and stays the glued expectation
    t = parse_term("a • 𝔼 i ∈ s, f i = 𝔼 i ∈ s, a • f i")
    assert isinstance(t, BinOp) and t.op == "="
    assert isinstance(t.rhs, Quant) and t.rhs.op == "𝔼" and print_term(t.rhs.body) == "a • f i"
    assert print_term(t) == "a • 𝔼 i ∈ s, f i = 𝔼 i ∈ s, a • f i"
    assert print_term(parse_term("(𝔼 i ∈ s, f i) * a")) == "(𝔼 i ∈ s, f i) * a"
    # negative: the expectation's bracket is no binder
    assert not any(isinstance(x, Quant) for x in nodes(parse_term("𝔼[X | m] = 𝔼[X]")))


# ------------------------------------------------------------------ the token table

def test_declared_tokens():
    assert declared_tokens('notation:max f "^[" n "]" => Nat.iterate f n') == ("^[", "]")
    assert declared_tokens('infixl:65 " +ᵥ " => HVAdd.hVAdd') == ("+ᵥ",)
    assert declared_tokens('/-- doc "x" -/\nnotation "C(" X ", " Y ")" => M X Y') == \
        ("C(", ",", ")")
    assert declared_tokens('scoped elab:max "T% " t:term:arg : term => do pure t') == ("T%",)
    # identifier-like atoms of a tactic are identifiers, not tokens; `&"x"` is non-reserved
    assert declared_tokens('syntax "replace" term " at " ident : tactic') == ()
    assert declared_tokens('syntax &"only" "!!" term : term') == ("!!",)
    assert declared_tokens("theorem foo : True := trivial") == ()


def test_scoped_tokens_only_where_open():
    assert lex("𝓝[s] x", TABLE.lexicon)[:2] == ["𝓝", GLUE + "["]
    assert lex("𝓝[s] x", TABLE.active(["Topology"]))[0] == "𝓝["
    sc = Scope("M", (), ("Foo",), (("open", "open scoped Topology"),))
    assert "Topology" in open_namespaces(sc)
    assert lex("𝓝[s] x", TABLE.for_scope(sc))[0] == "𝓝["
    inside = Scope("M", (), ("MeasureTheory", "Sub"), ())
    assert lex("MeasurableSet[m] s", TABLE.for_scope(inside))[0] == "MeasurableSet["
    local = Scope("M", (), (), (("notation", 'local notation "⟪" x "⟫ₗ" => f x'),))
    assert "⟫ₗ" in lex("⟪a⟫ₗ", TABLE.for_scope(local))


def test_lexing_rules():
    # the identifier wins only when longer than the token (Lean's identFn/tokenFn rule)
    assert toks("C(X, Y)")[0] == "C(" and toks("Cx (X, Y)")[0] == "Cx"
    assert toks("MeasurableSet.univ")[0] == "MeasurableSet.univ"
    assert toks("f^[n]") == ["f", "^[", "n", "]"]
    assert toks("l[i]?") == ["l", GLUE + "[", "i", "]", GLUE + "?"]
    assert toks("a -- comment\n + /- block -/ b") == ["a", "+", "b"]
    assert toks('"a b" ++ s') == ['"a b"', "++", "s"]


def test_first_difference_rules():
    assert first_difference("((p * q).f).g", "(p * q).f.g", ALL) is None
    assert first_difference("haveI := x\n  P y", "haveI := x; P y", ALL) is None
    assert first_difference("haveI := x P y", "haveI := x; P y", ALL) == (3, "P", ";")
    assert first_difference("a + b", "a + b + c", ALL) == (3, "", "+")


# ------------------------------------------------------------------ property: print, lex

NAMES = ["x", "f", "l", "MeasurableSet", "C", "ofNat", "T%"]
TABLE_TOKENS = {"C(", "ofNat(", "MeasurableSet[", "^["}


def _atoms():
    return st.one_of(st.sampled_from(NAMES).map(I), st.integers(0, 9).map(lambda k: Num(str(k))))


def _glued(children):
    heads = st.sampled_from(["x", "f", "l", "MeasurableSet", "C", "ofNat"]).map(I)
    items = st.lists(children, min_size=1, max_size=3)
    square = st.builds(lambda h, xs: Glued(h, "[", tuple(xs), (",",) * (len(xs) - 1)),
                       heads, items)
    paren = st.builds(lambda h, xs: Glued(h, "(", tuple(xs), (",",) * (len(xs) - 1), ")"),
                      heads, items)
    iterate = st.builds(lambda h, n: Glued(h, "^[", (n,)), children, children)
    app = st.builds(lambda fn, xs: App(fn, tuple(xs)), children,
                    st.lists(children, min_size=1, max_size=2))
    plus = st.builds(lambda a, b: BinOp("+", a, b), children, children)
    return st.one_of(square, paren, iterate, app, plus)


TERMS = st.recursive(_atoms(), _glued, max_leaves=8)


def expected_tokens(t) -> list[str]:
    """The tokens Lean reads for `t`, from the tree alone (parentheses left out)."""
    if isinstance(t, (Ident,)):
        return [t.name]
    if isinstance(t, Num):
        return [t.text]
    if isinstance(t, App):
        return expected_tokens(t.fn) + [x for a in t.args for x in expected_tokens(a)]
    if isinstance(t, BinOp):
        return expected_tokens(t.lhs) + [t.op] + expected_tokens(t.rhs)
    head = expected_tokens(t.head)
    glued = isinstance(t.head, Ident) and head[-1] + t.open in TABLE_TOKENS
    if t.open == "^[":
        opener = ["^["]
    elif glued:
        head, opener = head[:-1], [head[-1] + t.open]
    else:
        opener = [GLUE + "["] if t.open == "[" else []
    body: list[str] = []
    for k, item in enumerate(t.items):
        if k:
            body.append(",")
        body.extend(expected_tokens(item))
    return head + opener + body + ([t.close] if t.close != ")" else [])


@settings(max_examples=300, deadline=None)
@given(TERMS)
def test_property_print_lex_compare(t):
    lexicon = build_token_table([], TABLE_TOKENS | {"+", ",", "]", "(", ")", "[", "?", "!", "T%"}
                                ).lexicon
    printed = print_term(t)
    got = [x for x in lex(printed, lexicon) if x not in ("(", ")")]
    assert got == expected_tokens(t), printed
    again = parse_term(printed)
    assert again == t, printed
    assert same_tokens(printed, print_term(again), lexicon)


@pytest.mark.parametrize("src", ["f = C^∞⟮I, M; 𝕜⟯ ∘ g", "x ∈ C^n⟮I, M; I', M'⟯"])
def test_manifold_map_notation_is_kept_verbatim(src):
    # `C^` is a token of its own (`C^n⟮I, M; 𝕜⟯`): never printed as `C ^ n`
    t = parse_term(src)
    printed = print_term(t)
    assert "C^" in printed and "C ^" not in printed
    assert parse_term(printed) == t
    table = build_token_table([], set(ALL.tokens) | {"C^", "⟮", "⟯"}).lexicon
    assert same_tokens(src, printed, table)
