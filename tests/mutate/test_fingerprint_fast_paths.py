"""The fast paths of fingerprinting and AST loading agree with their reference routes.

`canonical_texts` writes the canonical text directly instead of building the renamed ASTs
of `canonical_statement` and serializing them; `heads` walks with a per-class dispatch;
`from_data` uses generated per-class builders.  Each must give exactly what the reference
gives (fingerprints are stored ids, so a single differing byte would split duplicates),
on parsed Mathlib-style statements and on random ASTs of every node class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import given, settings, strategies as st

from lean_alchemy.core.records import content_hash
from lean_alchemy.grammar.ast import (
    Anon, App, BinderGroup, BinOp, By, Cdot, CdotFun, DotIdent, Enclosed, Explicit, Hole,
    Ident, IfThenElse, Let, ListLit, Lit, NamedArg, Num, Opaque, Postfix, Prefix, Proj, Quant,
    SetBuilder, SetLit, Show, Sort, Subtype, Term, Tuple, Typed, bound_in_child,
    _from_data_generic, children,
    dumps, free_idents, from_data, loads, size, subterms, to_data,
)
from lean_alchemy.grammar.parser import parse_binders, parse_term
from lean_alchemy.grammar.statements import dumps_binders, loads_binders
from lean_alchemy.mutate.fingerprint import (
    _alpha, canonical_statement, canonical_texts, fingerprint_statement,
)
from lean_alchemy.grammar.walk import _collect_heads, _collect_heads_generic, add_heads, field_names, heads, node_count, nodes, serialized

# Statements written for these tests in Mathlib's style: binder predicates, `fun`/`λ`,
# set-builder and subtype binders, `let`/`have`, dependent `if`, integrals with a measure,
# dotted names of bound variables, shadowing, anonymous instances, optional parameters.
STATEMENTS = [
    ("{α : Type*} [CommRing α] (a b : α)", "a * b = b * a"),
    ("(n : ℕ) (h : 0 < n)", "∀ m ≥ n, ∃ k ∈ Finset.range m, k + n = m"),
    ("{s : Set ℕ} (hs : s.Nonempty)", "{x | x ∈ s ∧ x > 0} ⊆ {y : ℕ // y ∈ s}.val ''  Set.univ"),
    ("(f : ℕ → ℕ) (x : ℕ)", "(fun y => f y + x) x = (λ z ↦ f z + x) x"),
    ("(x : ℝ)", "let y := x + 1; have hy : y = x + 1 := rfl; y - 1 = x"),
    ("(p : Prop) [Decidable p] (a b : ℕ)", "(if h : p then a else b) ≤ max a b"),
    ("{μ : Measure ℝ} (f : ℝ → ℝ)", "∫ x in (0 : ℝ)..1, f x ∂μ = ∫ y in (0 : ℝ)..1, f y ∂μ"),
    ("(h : a ≤ b) (a b : ℤ)", "h.le.trans (le_refl b) = h.le"),
    ("(x : α) (x : β)", "∀ x : γ, ∀ x, x = x"),
    ("[Fintype ι] [DecidableEq ι] (s : Finset ι) (f : ι → ℝ)",
     "∑ i ∈ s, f i ≤ ∑ i, |f i| ∧ ∏ _i ∈ s, (1 : ℝ) = 1"),
    ("(n : ℕ) (hn : n ≠ 0 := by omega)", "n.succ.pred = n → n ≥ 1 → 0 < n"),
    ("(l : List ℕ)", "![1, 2] 0 = 1 ∧ [a, b].length = 2 ∧ (·  + 1) 2 = 3 ∧ ⟨1, 2⟩ = (1, 2)"),
    ("(x : ℝ)", "‖x‖ = |x| ∧ ⌊x⌋₊ ≤ ⌈x⌉₊ ∧ x⁻¹ = 1 / x ∧ ¬ (x < 0 ∧ -x < 0)"),
    ("", "∀ ε > 0, ∃ δ > 0, ∀ x, |x| < δ → |f x| < ε"),
    ("(a : ℕ)", "show a = a from rfl"),
    ("", "@Nat.add_comm (n := 1) 2 = .refl _ ∧ ⋃ i, ⋂ j, S i j = ∅ ∧ Sort (max u v) = Type*"),
    ("(x : ℕ)", "weird   notation  ⟪ x ⟫ ⊢ x"),
]


def _parsed() -> list[tuple[tuple[BinderGroup, ...], Term]]:
    return [(parse_binders(b) if b else (), parse_term(c)) for b, c in STATEMENTS]


def _reference_texts(binders, conclusion) -> list[str]:
    bs, concl = canonical_statement(binders, conclusion)
    return [serialized(b) for b in bs] + ["⊢", serialized(concl)]


def test_canonical_texts_equal_the_rebuild_route_on_parsed_statements():
    for binders, conclusion in _parsed():
        assert canonical_texts(binders, conclusion) == _reference_texts(binders, conclusion)
        assert fingerprint_statement(binders, conclusion) == content_hash(
            "stmt", *_reference_texts(binders, conclusion))


def test_fast_serializer_equals_alpha_then_serialize_on_every_subterm():
    from lean_alchemy.mutate.fingerprint import _S
    envs = [{}, {"a": "#0", "x": "#1", "h": "#2", "f": "#3"}]
    for binders, conclusion in _parsed():
        for t in [conclusion, *binders]:
            for _, s, _ in subterms(t):
                for env in envs:
                    for level in (0, 3):
                        assert _S[type(s)](s, env, level) == serialized(_alpha(s, env, level))


def test_a_parsed_statement_keeps_its_fingerprint_through_dumps_and_loads():
    for binders, conclusion in _parsed():
        b2, c2 = loads_binders(dumps_binders(binders)), loads(dumps(conclusion))
        assert (b2, c2) == (binders, conclusion)
        assert fingerprint_statement(b2, c2) == fingerprint_statement(binders, conclusion)


# ------------------------------------------------------------------ random ASTs

NAMES = ["x", "y", "h", "_", "h.le", "Nat.succ", "f", "#0"]
name = st.sampled_from(NAMES)
text = st.sampled_from(["a", " a  b ", "1", "Type*", "'c'"])
kind = st.sampled_from(["explicit", "implicit", "strict", "plain", "inst", "other"])
pred_op = st.sampled_from([None, "∈", ">"])


def _terms(leaf):
    def extend(sub):
        opt = st.none() | sub
        group = st.builds(BinderGroup, st.lists(name, max_size=3).map(tuple), opt, kind,
                          pred_op, opt, opt)
        items = st.lists(sub, min_size=1, max_size=3).map(tuple)
        return st.one_of(
            st.builds(App, sub, items), st.builds(BinOp, st.sampled_from(["+", "→", "="]),
                                                  sub, sub),
            st.builds(Prefix, st.just("¬"), sub), st.builds(Postfix, st.just("⁻¹"), sub),
            st.builds(Proj, sub, st.just("1")), st.builds(Typed, sub, sub),
            st.builds(Tuple, items), st.builds(Anon, items), st.builds(SetLit, items),
            st.builds(ListLit, items, st.booleans()), st.builds(Enclosed, st.just("|"), sub),
            st.builds(Explicit, sub), st.builds(NamedArg, name, sub),
            st.builds(Quant, st.sampled_from(["∀", "∃", "fun", "λ", "∑"]),
                      st.lists(group, max_size=3).map(tuple), sub,
                      st.sampled_from([",", "=>", "↦"]), opt),
            st.builds(SetBuilder, group, sub), st.builds(Subtype, group, sub),
            st.builds(IfThenElse, sub, sub, sub, st.sampled_from([None, "", "h", "x"])),
            st.builds(Let, st.sampled_from(["let", "have"]), name, opt, sub, sub),
            st.builds(Show, sub, sub), st.builds(CdotFun, sub), group,
        )
    return st.recursive(leaf, extend, max_leaves=12)


leaves = st.one_of(
    st.builds(Ident, name), st.builds(Num, text), st.builds(Lit, text),
    st.builds(Hole, text), st.builds(Sort, text), st.builds(DotIdent, name),
    st.builds(By, text), st.builds(Opaque, text), st.just(Cdot()),
)
terms = _terms(leaves)
groups = st.builds(BinderGroup, st.lists(name, max_size=2).map(tuple), st.none() | terms, kind,
                   pred_op, st.none() | terms, st.none() | terms)


@settings(max_examples=300, deadline=None, derandomize=True)  # same cases on every CI run
@given(st.lists(groups, max_size=4).map(tuple), terms)
def test_canonical_texts_equal_the_rebuild_route_on_random_asts(binders, conclusion):
    assert canonical_texts(binders, conclusion) == _reference_texts(binders, conclusion)


@settings(max_examples=300, deadline=None, derandomize=True)  # same cases on every CI run
@given(terms, st.sets(name, max_size=3))
def test_heads_equal_the_reference_walk_and_free_idents(t, bound):
    fast: set[str] = set()
    _collect_heads(t, frozenset(bound), fast)
    assert fast == _reference_heads(t, frozenset(bound))
    generic: set[str] = set()
    _collect_heads_generic(t, frozenset(bound), generic)
    assert generic == fast
    assert heads(t) == frozenset(n.split(".", 1)[0] for n in free_idents(t))
    out = {"seed"}
    add_heads(t, out)
    assert out == {"seed"} | heads(t)


def _reference_heads(t: Term, bound: frozenset[str]) -> set[str]:
    """The walk `heads` had before its dispatch table: generic over fields, binding scopes
    from `ast.bound_in_child`."""
    out: set[str] = set()

    def walk(s: Term, bound: frozenset[str]) -> None:
        if isinstance(s, Ident):
            head = s.name.split(".", 1)[0]
            if head not in bound and s.name not in bound:
                out.add(head)
            return
        for fname, idx, c in children(s):
            extra = bound_in_child(s, fname, idx)
            walk(c, bound | frozenset(extra) if extra else bound)

    walk(t, bound)
    return out


@settings(max_examples=300, deadline=None, derandomize=True)  # same cases on every CI run
@given(terms)
def test_from_data_equals_the_generic_decoder(t):
    data = json.loads(dumps(t))
    fast = from_data(data)
    assert fast == _from_data_generic(data) == t
    assert type(fast) is type(t)
    assert loads(dumps(t)) == t


def test_from_data_fills_defaults_of_fields_missing_from_older_data():
    # a binder group written before `default` existed has five fields
    data = ["BinderGroup", {"t": ["x"]}, ["Ident", "α"], "explicit", None, None]
    assert from_data(data) == BinderGroup(("x",), Ident("α"), "explicit")
    assert from_data(["Ident", "x"]) == Ident("x")
    assert from_data({"t": [["Num", "1"], ["Cdot"]]}) == (Num("1"), Cdot())
    assert from_data("text") == "text" and from_data(None) is None
    assert loads_binders('[ ["BinderGroup", {"t": ["x"]}, null, "implicit", null, null, null] ]'
                         ) == (BinderGroup(("x",), None, "implicit"),)


@dataclass(frozen=True, slots=True)
class _MyApp(App):
    """A node class defined outside `grammar.ast` (the dispatch tables fall back)."""


@dataclass(frozen=True, slots=True)
class _MyQuant(Quant):
    pass


def test_classes_defined_elsewhere_take_the_reference_routes():
    body = _MyApp(Ident("f"), (Ident("x"), Ident("y.le")))
    concl = _MyQuant("λ", (BinderGroup(("x",), Ident("α"), "implicit"),), body)
    binders = (BinderGroup(("y",), None, "explicit"),)
    assert canonical_texts(binders, concl) == _reference_texts(binders, concl)
    assert heads(concl) == frozenset(n.split(".", 1)[0] for n in free_idents(concl))
    assert to_data(body)[0] == "_MyApp"


def test_json_value_is_json_loads():
    import pytest

    from lean_alchemy.grammar.ast import json_value

    for s in ['["Ident","x"]', ' ["Ident", "x"] ', '[1,2]\n', '{"t":[]}', '"a"', "null", "[]"]:
        assert json_value(s) == json.loads(s)
    for bad in ['["Ident","x"] tail', "", "[1,", " "]:
        with pytest.raises(json.JSONDecodeError):
            json_value(bad)
    assert json_value(b'["Num","1"]') == ["Num", "1"]


def _reference_nodes(t: Term) -> list[Term]:
    """The order `nodes` had before its per-class field table."""
    out, stack = [], [t]
    while stack:
        x = stack.pop()
        out.append(x)
        for fname in field_names(type(x)):
            v = getattr(x, fname)
            if isinstance(v, Term):
                stack.append(v)
            elif isinstance(v, tuple) and v and isinstance(v[0], Term):
                stack.extend(reversed(v))
    return out


@settings(max_examples=300, deadline=None, derandomize=True)  # same cases on every CI run
@given(terms)
def test_node_count_and_nodes_follow_the_reference_walks(t):
    assert node_count(t) == size(t)
    got = list(nodes(t))
    want = _reference_nodes(t)
    assert len(got) == len(want) and all(a is b for a, b in zip(got, want))


def test_node_walks_of_a_class_defined_elsewhere():
    t = _MyApp(Ident("f"), (_MyApp(Ident("g"), (Num("1"),)), Ident("x")))
    assert node_count(t) == size(t) == 6
    assert [type(x).__name__ for x in nodes(t)] == [
        type(x).__name__ for x in _reference_nodes(t)]


def test_a_binder_predicate_without_its_set_is_fingerprinted_like_the_reference():
    """Found by the property test: `∀ x ∈ _` whose set is missing opens into `x ∈ None`;
    the fast walks treat the missing child as the reference route does."""
    from lean_alchemy.grammar.ast import BinderGroup, Cdot, Quant

    concl = Quant("∀", (BinderGroup((), None, "explicit", "∈", None, None),), Cdot(), ",", None)
    assert canonical_texts((), concl) == _reference_texts((), concl)
