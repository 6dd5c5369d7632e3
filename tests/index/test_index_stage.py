"""The index stage: name resolution, rule derivation, matching, outputs and the CLI.

Snippets are written here in Mathlib's style; expected pairs were checked by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Declaration, Scope
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.index.options import IndexOptions
from lean_alchemy.index.names import (
    NameTable, Resolver, ScopeView, parse_open, read_external_names, written_external_names,
)
from lean_alchemy.index.rules import RuleStats, derive_rules, looks_prop
from lean_alchemy.grammar.ast import Ident, loads
from lean_alchemy.grammar.parser import parse_term
from lean_alchemy.grammar.printer import print_term

from helpers.lean_text import extract, extracted_run

LIB = """\
import Mathlib.Algebra.Group.Basic

namespace Demo

def double (n : ℕ) : ℕ := n + n

theorem double_eq (n : ℕ) : double n = n + n := rfl

theorem add_zero' (a : ℕ) : a + 0 = a := Nat.add_zero a

theorem mul_zero' (a : ℕ) : a * 0 = 0 := Nat.mul_zero a

theorem sub_self' (a : ℕ) : a - a = 0 := Nat.sub_self a

theorem real_add_zero (x : ℝ) : x + 0 = x := by simp

theorem le_of_lt' {a b : ℕ} (h : a < b) : a ≤ b := Nat.le_of_lt h

theorem sub_add_cancel' {n m : ℕ} (h : m ≤ n) : n - m + m = n := Nat.sub_add_cancel h

theorem not_lt_iff {a b : ℕ} : ¬a < b ↔ b ≤ a := Nat.not_lt

private theorem secret (a : ℕ) : a + 1 = Nat.succ a := rfl

@[deprecated add_zero' (since := "2026-01-01")]
theorem old_add_zero (a : ℕ) : a + 0 = a := Nat.add_zero a

theorem sum_zero' (s : Finset ℕ) : ∑ i ∈ s, (0 : ℕ) = 0 := by simp

theorem sum_const' (s : Finset ℕ) (c : ℕ) : ∑ i ∈ s, c = s.card * c := by simp

theorem use_double (k : ℕ) (hk : double k + 0 = 4) : double k = 4 := by
  rw [add_zero'] at hk
  exact hk

theorem goal_case (x y : ℕ) : (x + 0) * y = x * y := by
  rw [add_zero']

theorem hyp_case (x y : ℕ) (hxy : x < y) : x ≤ y := le_of_lt' hxy

theorem bound_case : ∀ z : ℕ, z + 0 = z := fun z => add_zero' z

theorem repeat_case (p q : ℕ) : p - p + (p - q) = p - q := by omega

theorem typed_case (r : ℝ) : r + 0 = r := real_add_zero r

theorem alpha_case (t : Finset ℕ) : ∑ j ∈ t, (0 : ℕ) = 0 := sum_zero' t

theorem capture_case (t : Finset ℕ) : ∑ j ∈ t, j = ∑ j ∈ t, j := rfl

end Demo

namespace Other

open Demo

theorem opened (m : ℕ) : double m = m + m := double_eq m

theorem written_full (m : ℕ) : Demo.double m = m + m := Demo.double_eq m

end Other
"""


@pytest.fixture(scope="module")
def lib():
    decls, scopes = extract(LIB)
    return decls, scopes


def _view(decl: Declaration, scopes) -> ScopeView:
    return ScopeView.of(scopes.get(decl.scope_id or ""))


# --------------------------------------------------------------------------- names

def test_parse_open_variants():
    assert [o.namespace for o in parse_open("open Nat Finset")] == ["Nat", "Finset"]
    (o,) = parse_open("open Nat (succ pred)")
    assert o.only == ("succ", "pred")
    (o,) = parse_open("open Nat hiding succ")
    assert o.hiding == ("succ",)
    assert parse_open("open scoped Real") == ()
    (o,) = parse_open("open Nat renaming succ → S")
    assert o.renaming == (("S", "Nat.succ"),)


def _resolver(*names: str, protected: tuple[str, ...] = ()) -> Resolver:
    t = NameTable(set(names), set(protected))
    return Resolver(t)


def test_resolution_innermost_namespace_first_and_ambiguity():
    # Lean's `resolveGlobalName`: the innermost namespace that has the name gives the only
    # reading; the root and the opens are overloads, each a reading
    r = _resolver("bar", "Foo.bar", "Foo.Baz.bar", "Foo.qux", "Qux.bar", "Foo.Qux.bar")
    view = ScopeView(("Foo.Baz", "Foo"), ())
    assert r.resolve_name(view, "bar") == ("Foo.Baz.bar", "resolved")
    assert r.candidates(view, "bar") == ["Foo.Baz.bar"]
    opened = ScopeView((), parse_open("open Qux"))
    assert r.resolve_name(opened, "bar") == ("bar", "ambiguous")
    assert r.candidates(opened, "bar") == ["bar", "Qux.bar"]
    # a dotted name that exists as written is itself, before the opens
    assert r.candidates(ScopeView((), parse_open("open Foo")), "Qux.bar") == ["Qux.bar"]
    assert r.resolve_name(view, "qux") == ("Foo.qux", "resolved")
    assert r.resolve_name(view, "_root_.bar") == ("bar", "resolved")
    assert r.resolve_name(view, "nope") == ("nope", "unresolved")


def test_protected_names_need_their_namespace():
    r = _resolver("Nat.sub_le", "sub_le", "Nat.foo", protected=("Nat.sub_le",))
    inside = ScopeView(("Nat",), ())
    assert r.resolve_name(inside, "sub_le") == ("sub_le", "resolved")
    assert r.resolve_name(inside, "Nat.sub_le") == ("Nat.sub_le", "resolved")
    opened = ScopeView((), parse_open("open Nat"))
    assert r.resolve_name(opened, "sub_le") == ("sub_le", "resolved")
    assert r.resolve_name(opened, "foo") == ("Nat.foo", "resolved")


def test_open_only_hiding_and_projections():
    r = _resolver("Foo.a", "Foo.b", "Foo.lemma_iff")
    only = ScopeView((), parse_open("open Foo (a)"))
    assert r.resolve_name(only, "a")[0] == "Foo.a"
    assert r.resolve_name(only, "b") == ("b", "unresolved")
    hiding = ScopeView((), parse_open("open Foo hiding a"))
    assert r.resolve_name(hiding, "a") == ("a", "unresolved")
    assert r.resolve_name(hiding, "b")[0] == "Foo.b"
    # a constant followed by a projection keeps the projection
    assert r.resolve_name(hiding, "lemma_iff.mp") == ("Foo.lemma_iff.mp", "resolved")


def test_an_overloaded_candidate_name_matches_each_of_its_readings():
    """`IsBounded s` under `open Filter Bornology` (Mathlib/Topology/MetricSpace/Bounded.lean
    opens both) is the root-less overload `Filter.IsBounded` / `Bornology.IsBounded`, which
    Lean settles by elaborating each: a rule about either reading may match it.  A name
    that one namespace of the scope declares has that reading alone."""
    from lean_alchemy.index.passes import const_eq_for

    r = _resolver("Filter.IsBounded", "Bornology.IsBounded", "Metric.IsBounded",
                  "Set.IsBounded")
    opened = ScopeView((), parse_open("open Filter Bornology"))
    eq = const_eq_for(r, opened)
    written = Ident("IsBounded")
    first = Ident(r.resolve_name(opened, "IsBounded")[0])
    assert first.name == "Filter.IsBounded"
    assert eq("Bornology.IsBounded", written, first)
    assert not eq("Set.IsBounded", written, first)  # not a reading here
    inside = ScopeView(("Metric",), parse_open("open Filter Bornology"))
    assert r.resolve_name(inside, "IsBounded") == ("Metric.IsBounded", "resolved")
    assert not const_eq_for(r, inside)("Bornology.IsBounded", written,
                                       Ident("Metric.IsBounded"))


def _scope(namespaces: tuple[str, ...], *opens: str) -> Scope:
    commands = tuple(("namespace", f"namespace {n}") for n in namespaces)
    return Scope("Demo.File", (), namespaces, commands + tuple(("open", o) for o in opens))


def test_an_open_is_read_relative_to_earlier_opens_and_namespaces():
    # Lean's `open` resolves its namespace as `resolveNamespace` does: `open Limits` after
    # `open CategoryTheory` opens `CategoryTheory.Limits` (Mathlib/RepresentationTheory/
    # Rep/Res.lean writes `IsZero M` so), and inside `namespace CategoryTheory` too.
    r = _resolver("CategoryTheory.Limits.IsZero", "Rep.res", "Foo.Limits.bar", "Limits.bar")
    known = r.table.namespaces
    after_open = ScopeView.of(_scope(("Rep",), "open CategoryTheory", "open Limits"),
                              known=known)
    assert r.resolve_name(after_open, "IsZero") == ("CategoryTheory.Limits.IsZero", "resolved")
    inside = ScopeView.of(_scope(("CategoryTheory",), "open Limits"), known=known)
    assert r.resolve_name(inside, "IsZero") == ("CategoryTheory.Limits.IsZero", "resolved")
    # without the enclosing open, or read as written (no namespaces known), it stays unknown
    alone = ScopeView.of(_scope(("Rep",), "open Limits"), known=known)
    assert r.resolve_name(alone, "IsZero") == ("IsZero", "unresolved")
    as_written = ScopeView.of(_scope(("Rep",), "open CategoryTheory", "open Limits"))
    assert r.resolve_name(as_written, "IsZero") == ("IsZero", "unresolved")
    # a namespace prefix that has it wins over the root, which Lean then does not open
    prefixed = ScopeView.of(_scope(("Foo",), "open Limits"), known=known)
    assert [o.namespace for o in prefixed.opens] == ["Foo.Limits"]
    assert r.resolve_name(prefixed, "bar") == ("Foo.Limits.bar", "resolved")
    rooted = ScopeView.of(_scope(("Rep",), "open Limits"), known=known)
    assert r.resolve_name(rooted, "bar") == ("Limits.bar", "resolved")


def test_an_open_above_a_namespace_is_read_where_it_stands():
    # Mathlib/Topology/Homeomorph/Defs.lean: `open Set` at line 38, `namespace Homeomorph`
    # at line 55.  Lean resolved `Set` at the root, although the library also has a
    # namespace `Homeomorph.Set`; read from inside the namespace it opened nothing that
    # exists, and `image`/`preimage` stayed unresolved.
    r = _resolver("Set.image", "Homeomorph.Set.univ")
    known = r.table.namespaces
    above = Scope("Demo.File", (), ("Homeomorph",), (("open", "open Set"),
                                                      ("namespace", "namespace Homeomorph")))
    view = ScopeView.of(above, known=known)
    assert [o.namespace for o in view.opens] == ["Set"]
    assert r.resolve_name(view, "image") == ("Set.image", "resolved")
    below = ScopeView.of(_scope(("Homeomorph",), "open Set"), known=known)
    assert [o.namespace for o in below.opens] == ["Homeomorph.Set"]


def test_resolve_term_leaves_locals_and_bound_variables():
    r = _resolver("Foo.f", "Foo.x")
    view = ScopeView(("Foo",), ())
    t = parse_term("∀ x, f x = f y ∧ h.le")
    out = r.resolve_term(t, view, frozenset({"y", "h"}))
    assert print_term(out) == "∀ x, Foo.f x = Foo.f y ∧ h.le"
    assert r.counts["resolved"] == 2


def test_a_statement_never_names_its_own_declaration():
    # `theorem Ideal.IsHomogeneous.sSup … : (sSup ℐ).IsHomogeneous 𝒜`: Lean elaborates the
    # statement before the theorem exists, so `sSup` is the root constant
    r = _resolver("sSup", "Ideal.IsHomogeneous.sSup", "Ideal.IsHomogeneous.iSup")
    view = ScopeView(("Ideal.IsHomogeneous", "Ideal"), ())
    own = "Ideal.IsHomogeneous.sSup"
    for text, want in (("sSup s = t", "sSup s = t"), ("sSup.le s = t", "sSup.le s = t")):
        assert print_term(r.resolve_term(parse_term(text), view, own=own)) == want
    # another declaration's statement still sees the theorem, and so do other names
    assert print_term(r.resolve_term(parse_term("sSup s = iSup t"), view,
                                     own="Ideal.IsHomogeneous.iSup")) == (
        "Ideal.IsHomogeneous.sSup s = iSup t")
    assert print_term(r.resolve_term(parse_term("iSup t"), view, own=own)) == (
        "Ideal.IsHomogeneous.iSup t")


def test_possible_names_of_an_unresolved_identifier():
    r = _resolver()
    view = ScopeView(("A.B", "A"), parse_open("open Nat"))
    assert r.possible(view, "succ") == {"succ", "A.B.succ", "A.succ", "Nat.succ"}
    assert r.possible(view, "_root_.succ") == {"succ"}


def test_names_written_in_full_but_never_declared():
    """Names of Lean core the library writes in full (`List.Nodup`, twice) count; a
    spelling written once, a projection on a binder (`M.IsCocircuit`), the tail of a
    declared name (`Measure.pi`, for `MeasureTheory.Measure.pi` under an `open`), a
    projection of a counted name or of such a tail (`List.Nodup.cons`, `Measure.pi.foo`)
    and a first component that is no
    namespace of the library (`Std.Symm`) do not."""
    rows = [
        ("List.length_pos", [], "0 < l.length"),
        ("MeasureTheory.Measure.pi", [], "Measure α"),
        ("Measure.ext_of_foo", [], "True"),  # `Measure` is a namespace too, as in Mathlib
        ("List.foo", ["l"], "List.Nodup l ∧ Measure.pi μ = μ ∧ List.Nodup.cons h = h"),
        ("List.bar", ["l", "M"], "List.Nodup (List.ofFn f) ∧ Measure.pi μ = μ ∧ "
                                 "M.IsCocircuit K ∧ Std.Symm r ∧ List.Nodup.cons h = h"),
        ("Other.baz", ["M"], "M.IsCocircuit K ∧ Std.Symm r ∧ Measure.pi.foo = 0"),
        ("Other.qux", [], "Measure.pi.foo = 0"),
    ]
    assert written_external_names(rows) == ["List.Nodup"]
    assert written_external_names(rows + [("List.qux", [], "List.ofFn g = g")]) == \
        ["List.Nodup", "List.ofFn"]


def test_external_names_file(tmp_path: Path):
    p = tmp_path / "core.txt"
    p.write_text("# Lean core\nNat.succ\n\nList.map\n")
    assert read_external_names(p) == ["Nat.succ", "List.map"]
    with pytest.raises(AlchemyError, match="does not exist"):
        read_external_names(tmp_path / "missing.txt")


# --------------------------------------------------------------------------- rules

def _rules(lib, name: str, stats: RuleStats | None = None):
    decls, scopes = lib
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    d = decls[name]
    table = NameTable.from_declarations(decls.values())
    res = Resolver(table)
    view = _view(d, scopes)
    return derive_rules(d, tuple(decl_binders(d)), decl_conclusion(d),
                        resolve=lambda t, loc: res.resolve_term(t, view, loc), stats=stats)


def test_equation_gives_two_directed_rules_with_resolved_constants(lib):
    fwd, bwd = _rules(lib, "double_eq")
    assert (fwd.kind, fwd.direction, bwd.direction) == ("eq", "fwd", "bwd")
    assert print_term(loads(fwd.pattern)) == "Demo.double n"
    assert print_term(loads(fwd.replacement)) == "n + n"
    assert loads(bwd.pattern) == loads(fwd.replacement)
    assert fwd.binder_names == ("n",) and fwd.binder_kinds == ("explicit",)
    assert fwd.pattern_vars == ("n",) and fwd.lemma == "Demo.double_eq"
    assert fwd.head == "Demo.double/1"


def test_conditional_rewrite_and_implication(lib):
    rules = _rules(lib, "sub_add_cancel'")
    kinds = sorted((r.kind, r.direction) for r in rules)
    assert kinds == [("eq", "fwd"), ("imp", "fwd")]  # the bare `n` is no pattern
    fwd = next(r for r in rules if r.kind == "eq" and r.direction == "fwd")
    assert [print_term(loads(s)) for s in fwd.side_conditions] == ["m ≤ n"]
    (imp,) = _rules(lib, "le_of_lt'")
    assert imp.kind == "imp" and print_term(loads(imp.pattern)) == "a ≤ b"
    assert [print_term(loads(a)) for a in imp.antecedents] == ["a < b"]
    assert imp.binder_names == ("a", "b", "h")
    assert imp.binder_kinds == ("implicit", "implicit", "explicit")


def test_iff_rules(lib):
    rules = _rules(lib, "not_lt_iff")
    assert {(r.kind, print_term(loads(r.pattern))) for r in rules} == {
        ("iff", "¬a < b"), ("iff", "b ≤ a")}


def test_drop_reasons_are_counted(lib):
    st = RuleStats.new()
    assert [r.direction for r in _rules(lib, "add_zero'", st)] == ["fwd"]
    assert st.dropped["bare_variable"] == 1
    # `0` cannot determine `a`, a named and typed variable: kept, filled when matching
    assert [r.direction for r in _rules(lib, "mul_zero'", st)] == ["fwd", "bwd"]
    assert st.dropped["unbound_replacement_vars"] == 0
    decls, _ = extract("theorem mul_zero_eq (a) (b) : a * 0 = b * 0 := by simp\n")
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    d = decls["mul_zero_eq"]
    assert derive_rules(d, tuple(decl_binders(d)), decl_conclusion(d), stats=st) == []
    assert st.dropped["unbound_replacement_vars"] == 2  # neither side determines the other,
    # and without a declared type no candidate variable can be chosen for it
    assert _rules(lib, "secret", st) == [] and st.dropped["private"] == 1
    assert _rules(lib, "old_add_zero", st) == [] and st.dropped["deprecated"] == 1
    d = Declaration("Demo.x", "x", "theorem", "M", "M.lean", 1, 1, conclusion=None)
    assert derive_rules(d, (), None, stats=st) == [] and st.dropped["no_conclusion"] == 1


def test_looks_prop():
    assert looks_prop(parse_term("a ≤ b"))
    assert looks_prop(parse_term("¬p"))
    assert looks_prop(parse_term("P"), "h")
    assert not looks_prop(parse_term("ℕ"), "h")
    assert not looks_prop(parse_term("Finset ℕ"), "s")


# --------------------------------------------------------------------------- the stage

@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    from lean_alchemy.index.driver import run_index

    run = extracted_run(tmp_path_factory.mktemp("index"), LIB)
    stats = run_index(run, IndexOptions(jobs=1, max_matches_per_theorem=None))
    return run, stats


def _invs(run):
    from lean_alchemy.index.store import iter_invocations, read_rules

    rules = {r.id: r for r in read_rules(run)}
    return [(i, rules[i.rule_id]) for i in iter_invocations(run)], rules


def _pairs(run, candidate: str):
    invs, _ = _invs(run)
    return {(r.lemma, r.direction, i.kind, i.location, i.instance)
            for i, r in invs if i.candidate == candidate}


def test_outputs_and_stats(indexed):
    run, stats = indexed
    for p in (run.rules, run.root / "invocations.parquet", run.graph_dir / "nodes.parquet",
              run.graph_dir / "edges.parquet", run.stats_path("index")):
        assert p.exists(), p
    on_disk = json.loads(run.stats_path("index").read_text())
    for key in ("rules", "rules_by_kind", "dropped", "candidates", "invocations",
                "invocations_by_kind", "edges_by_kind", "names_unresolved",
                "names_ambiguous", "seconds", "peak_rss_mb"):
        assert key in on_disk, key
    assert json.loads(json.dumps(stats.as_dict())) == \
        {k: v for k, v in on_disk.items() if k != "versions"}
    assert stats.dropped["private"] == 1 and stats.dropped["deprecated"] == 1
    assert stats.invocations == sum(stats.invocations_by_kind.values())
    assert set(stats.invocations_by_kind) == {"rw_goal", "rw_hyp", "apply_hyp"}


def test_goal_rewrites_both_directions(indexed):
    run, _ = indexed
    pairs = _pairs(run, "Demo.goal_case")
    assert ("Demo.add_zero'", "fwd", "rw_goal", "goal", "x + 0") in pairs
    # `x * y` is no instance of `a * 0`; backwards, `0` becomes `a * 0` with `a` filled
    assert {p[1:] for p in pairs if p[0] == "Demo.mul_zero'"} == {
        ("bwd", "rw_goal", "goal", "0")}
    assert ("Demo.double_eq", "bwd", "rw_goal", "goal", "x + x") not in pairs


def test_hypothesis_rewrite_and_implication(indexed):
    run, _ = indexed
    pairs = _pairs(run, "Demo.use_double")
    assert ("Demo.add_zero'", "fwd", "rw_hyp", "hk", "double k + 0") in pairs
    assert ("Demo.double_eq", "fwd", "rw_hyp", "hk", "double k") in pairs
    assert ("Demo.double_eq", "fwd", "rw_goal", "goal", "double k") in pairs
    pairs = _pairs(run, "Demo.hyp_case")
    assert ("Demo.le_of_lt'", "fwd", "rw_goal", "goal", "x ≤ y") not in pairs
    # `x < y` is the hypothesis; `le_of_lt'`'s conclusion `a ≤ b` does not match it, but
    # `sub_add_cancel'`'s does not either: no apply_hyp on hxy
    assert not any(p[2] == "apply_hyp" for p in pairs)


def test_apply_hyp_matches_whole_hypothesis(indexed):
    run, _ = indexed
    invs, _ = _invs(run)
    got = {(i.candidate, r.lemma, i.location) for i, r in invs if i.kind == "apply_hyp"}
    # hk : double k + 0 = 4 is an instance of sub_add_cancel''s conclusion `n - m + m = n`?
    # no (`+ 0` is not `- m + m`); `x ≤ y` style hypotheses do not exist here except via
    # le_of_lt' whose conclusion is `a ≤ b`
    assert all(loc != "goal" for _, _, loc in got)
    for i, r in invs:
        if i.kind == "apply_hyp":
            assert json.loads(i.path) == [] and r.kind == "imp"


def test_no_match_under_binders_and_no_capture(indexed):
    run, stats = indexed
    # `z + 0` mentions the bound `z`: rw cannot rewrite it
    assert not any(p[0] == "Demo.add_zero'" for p in _pairs(run, "Demo.bound_case"))
    assert stats.matches.filtered.get("under_binder", 0) >= 1
    # `∑ i ∈ s, c` would need c := j, a variable bound inside the instance
    assert not any(p[0] == "Demo.sum_const'" for p in _pairs(run, "Demo.capture_case"))
    # alpha-equivalent binders match (Lean compares terms up to bound names), and the
    # mutation engine accepts the instance up to them (`alpha_equal`)
    assert ("Demo.sum_zero'", "fwd", "rw_goal", "goal", "∑ j ∈ t, (0 : ℕ)") in _pairs(
        run, "Demo.alpha_case")
    assert stats.matches.filtered.get("alpha_renamed", 0) == 0


def test_repeated_pattern_variables(indexed):
    run, _ = indexed
    got = {p[4] for p in _pairs(run, "Demo.repeat_case") if p[0] == "Demo.sub_self'"}
    assert got == {"p - p"}


def test_type_check_filters_number_type_mismatch(indexed):
    run, stats = indexed
    assert not any(p[0] == "Demo.add_zero'" for p in _pairs(run, "Demo.typed_case"))
    assert ("Demo.real_add_zero", "fwd", "rw_goal", "goal", "r + 0") in _pairs(
        run, "Demo.typed_case")
    assert stats.matches.filtered["type_mismatch"] >= 1


def test_resolution_across_open_and_full_names(indexed):
    run, _ = indexed
    for cand in ("Other.opened", "Other.written_full"):
        assert ("Demo.double_eq", "fwd", "rw_goal", "goal",
                "double m" if cand == "Other.opened" else "Demo.double m") in _pairs(run, cand)


def test_invocations_are_grouped_and_accepted_by_the_mutation_engine(indexed, lib):
    from lean_alchemy.mutate.statements import DecodedRule, Skip, apply_invocation
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    run, _ = indexed
    invs, _ = _invs(run)
    order = [i.candidate for i, _ in invs]
    seen: list[str] = []
    for c in order:
        if not seen or seen[-1] != c:
            assert c not in seen, f"{c} is not contiguous"
            seen.append(c)
    decls, _ = lib
    by_full = {d.full_name: d for d in decls.values()}
    built = 0
    for inv, rule in invs:
        d = by_full[inv.candidate]
        try:
            apply_invocation(tuple(decl_binders(d)), decl_conclusion(d), inv,
                             DecodedRule.of(rule))
            built += 1
        except Skip as e:
            # the index's instance must be exactly what the engine finds at the path
            assert e.reason != "stale_invocation", (inv, e)
    assert built > 10


def test_respelling_makes_the_instance_literal(indexed, lib):
    """Inside `namespace Demo` the candidate writes `double k`; the rule says
    `Demo.double n`: the invocation maps the constant to the candidate's spelling."""
    run, _ = indexed
    invs, _ = _invs(run)
    inv = next(i for i, r in invs if i.candidate == "Demo.use_double"
               and r.lemma == "Demo.double_eq" and r.direction == "fwd" and i.location == "hk")
    subst = dict(inv.subst)
    assert loads(subst["Demo.double"]) == Ident("double")
    assert loads(subst["n"]) == Ident("k")


def test_graph_round_trip(indexed):
    from lean_alchemy.index.graph import load_graph

    run, stats = indexed
    g = load_graph(run)
    assert g.nodes["Demo.double_eq"]["kind"] == "theorem"
    assert g.nodes["Demo.Basic"]["kind"] == "module"
    kinds = {k for _, _, k in g.edges(data="kind")}
    assert {"statement_uses", "proof_uses", "imports", "rw_goal", "rw_hyp"} <= kinds
    assert g.has_edge("Demo.double_eq", "Demo.double")  # statement uses
    assert g.has_edge("Demo.le_of_lt'", "Demo.le_of_lt'") is False
    uses = {v for _, v, k in g.out_edges("Demo.hyp_case", data="kind") if k == "proof_uses"}
    assert uses == {"Demo.le_of_lt'"}
    inv = [(u, v, d) for u, v, d in g.out_edges("Demo.goal_case", data=True)
           if d["kind"] == "rw_goal"]
    assert any(v == "Demo.add_zero'" and d["location"] == "goal" for _, v, d in inv)
    assert g.number_of_edges() == stats.edges
    only = load_graph(run, kinds=["imports"])
    assert {k for _, _, k in only.edges(data="kind")} == {"imports"}


def test_premise_edges_from_leandojo_table(indexed, tmp_path):
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.graph import load_graph

    run, _ = indexed
    copy = RunDir.at(tmp_path / "run")
    shutil.copytree(run.root, copy.root)
    pq.write_table(pa.table({"theorem": ["Demo.goal_case"], "premise": ["Demo.add_zero'"],
                             "written": ["add_zero'"], "def_path": ["Demo/Basic.lean"]}),
                   copy.root / "premises.parquet")
    stats = run_index(copy, IndexOptions(jobs=1))
    assert stats.edges_by_kind["premise"] == 1
    g = load_graph(copy, kinds=["premise"])
    assert list(g.edges()) == [("Demo.goal_case", "Demo.add_zero'")]


def test_per_theorem_cap_is_a_deterministic_sample(indexed, tmp_path):
    import shutil

    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.store import iter_invocations

    run, full = indexed
    copy = RunDir.at(tmp_path / "run")
    shutil.copytree(run.root, copy.root)
    a = run_index(copy, IndexOptions(jobs=1, max_matches_per_theorem=1))
    first = [(i.candidate, i.rule_id, i.path) for i in iter_invocations(copy)]
    run_index(copy, IndexOptions(jobs=1, max_matches_per_theorem=1))
    assert [(i.candidate, i.rule_id, i.path) for i in iter_invocations(copy)] == first
    assert a.invocations == a.candidates_with_invocations < full.invocations
    assert a.matches.capped > 0 and full.matches.capped == 0


def test_missing_extraction_names_the_step(tmp_path):
    from lean_alchemy.index.driver import run_index

    with pytest.raises(AlchemyError, match="alchemy extract"):
        run_index(RunDir.at(tmp_path / "empty"), IndexOptions())


def test_options_validation():
    with pytest.raises(AlchemyError, match="max_matches_per_theorem"):
        IndexOptions(max_matches_per_theorem=0)
    with pytest.raises(AlchemyError, match="jobs"):
        IndexOptions(jobs=-1)
    with pytest.raises(AlchemyError, match="nothing to index"):
        IndexOptions(rewrite=False, apply=False)


def test_config_table_builds_index_options(tmp_path):
    from lean_alchemy.core.config import load_config

    p = tmp_path / "run.toml"
    p.write_text("[index]\nmax_matches_per_theorem = 10\njobs = 1\n")
    cfg = load_config(p)
    assert cfg["index"] == IndexOptions(max_matches_per_theorem=10, jobs=1)


# --------------------------------------------------------------------------- CLI

def test_cli_index_and_graph(indexed, tmp_path, capsys):
    import shutil

    from lean_alchemy.cli.main import main

    run, _ = indexed
    copy = tmp_path / "run"
    shutil.copytree(run.root, copy)
    assert main(["index", "--run-dir", str(copy), "-j", "1", "--no-apply"]) == 0
    out = capsys.readouterr().out
    assert "rules" in out and "invocations" in out
    stats = json.loads((copy / "index.stats.json").read_text())
    assert "apply_hyp" not in stats["invocations_by_kind"]
    assert stats["options"]["generic_evidence"] is True
    assert main(["index", "--run-dir", str(copy), "-j", "1", "--no-generic-evidence"]) == 0
    capsys.readouterr()
    stats = json.loads((copy / "index.stats.json").read_text())
    assert stats["options"]["generic_evidence"] is False
    assert "untyped_generic" not in stats["matches_filtered"]
    assert main(["graph", "--run-dir", str(copy), "stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["edges_by_kind"]["rw_goal"] > 0 and data["most_used_rules"]
    assert main(["graph", "--run-dir", str(copy), "show", "Demo.double_eq"]) == 0
    out = capsys.readouterr().out
    assert "Demo.double" in out and "invoked_on" in out
    assert main(["graph", "--run-dir", str(copy), "Demo.goal_case", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any(e["name"] == "Demo.add_zero'" for e in data["invocable_rules"]["edges"])
    assert main(["graph", "--run-dir", str(copy), "show", "double_eq"]) == 2
    assert "did you mean Demo.double_eq" in capsys.readouterr().err


def test_cli_errors(tmp_path, capsys):
    from lean_alchemy.cli.main import main

    assert main(["graph", "--run-dir", str(tmp_path / "none")]) == 2
    assert "alchemy index" in capsys.readouterr().err
    assert main(["index", "--run-dir", str(tmp_path / "none")]) == 2
    assert "alchemy extract" in capsys.readouterr().err


def test_variable_head_patterns_are_dropped():
    decls, _ = extract("theorem apply_add_zero (f : ℕ → ℕ) (x : ℕ) : f x = f x + 0 := by simp\n")
    from lean_alchemy.grammar.statements import decl_binders, decl_conclusion

    d = decls["apply_add_zero"]
    st = RuleStats.new()
    rules = derive_rules(d, tuple(decl_binders(d)), decl_conclusion(d), stats=st)
    assert [r.direction for r in rules] == ["bwd"] and st.dropped["variable_head"] == 1



def test_rule_binders_name_each_section_variable_once():
    """A name declared by two `variable` commands, or by a section and the lemma itself,
    is one argument in Lean: the rule lists it once (else a mutant's proof would pass
    `(p := s) (p := s)`, which Lean rejects), the later declaration winning."""
    from lean_alchemy.index.rules import used_section_groups
    from lean_alchemy.grammar.parser import parse_binders

    section = tuple(parse_binders("{α : Type*} {p : Set α} [DecidableEq α] {p : Finset α} {s : Set α}"))
    own = tuple(parse_binders("(s : Finset α) (h : p ⊆ s)"))
    used = used_section_groups(section, own, parse_term("p.card ≤ s.card"))
    assert [(g.kind, g.names) for g in used] == [
        ("implicit", ("α",)), ("inst", ()), ("implicit", ("p",))]  # `[DecidableEq α]` with α
    assert used[2].type == section[3].type  # the later `{p : Finset α}`
    alone = used_section_groups(section, (), parse_term("∀ x : α, x = x"))
    assert [g.kind for g in alone] == ["implicit", "inst"]


def test_section_binders_file_is_trusted_only_when_exact(indexed, tmp_path, monkeypatch):
    """`RUN/section_binders.parquet` rows whose scope's `variable` commands changed are left
    out, and a file written by another grammar (or a missing one) gives nothing, so the
    readers parse again."""
    import dataclasses

    from lean_alchemy.index import sections
    from lean_alchemy.extract import store
    from lean_alchemy.grammar.statements import dumps_binders, loads_binders, scope_binders

    run, _ = indexed
    scopes = store.read_scopes(run)
    stored = sections.read_section_binders(run, scopes)
    assert stored and all(loads_binders(js) == scope_binders(scopes[k])
                          for k, js in stored.items())
    some = next(iter(stored))
    changed = dict(scopes)
    changed[some] = dataclasses.replace(scopes[some], commands=scopes[some].commands + (
        ("variable", "variable (extra : Nat)"),))
    assert set(sections.read_section_binders(run, changed)) == set(stored) - {some}
    assert sections.read_section_binders(RunDir.at(tmp_path / "none"), scopes) == {}
    copy = RunDir.at(tmp_path / "copy").ensure()
    sections.write_section_binders(copy, stored, scopes)
    assert sections.read_section_binders(copy, scopes) == stored
    monkeypatch.setattr(sections, "_GRAMMAR_KEY", "another grammar")
    assert sections.read_section_binders(copy, scopes) == {}
    assert dumps_binders(scope_binders(scopes[some])) == stored[some]


def test_pass_two_decodes_the_section_binders_pass_one_parsed(indexed, monkeypatch):
    """Pass 1 returns the section binders it parsed; a pass 2 context filled with them
    (as the parent does before forking) never parses one and finds the same invocations."""
    from lean_alchemy.extract import store
    from lean_alchemy.index.names import NameTable, Resolver
    from lean_alchemy.index import passes
    from lean_alchemy.index.match.rule_index import RuleIndex
    from lean_alchemy.index.match.rigid import rigid_names
    from lean_alchemy.index.store import read_rules

    run, _ = indexed
    decls, scopes = store.read_declarations(run), store.read_scopes(run)
    theorems = [i for i, d in enumerate(decls) if d.is_candidate]
    rules = list(read_rules(run))

    def context():
        index = RuleIndex.build(rules, rigid=rigid_names(decls), generic_evidence=True)
        return passes.IndexContext(
            decls, scopes, Resolver(NameTable.from_declarations(decls, frozenset())),
            IndexOptions(), index)

    def pass2(ctx):
        return passes.match_chunk(ctx, theorems).invocations.to_pylist()

    parsing = context()
    part = passes.derive_chunk(parsing, theorems)
    assert part.sections and len({k for k, _ in part.sections}) == len(part.sections)
    assert parsing.fresh_sections == []  # handed over once
    want = pass2(context())
    filled = context()
    filled.section_json.update(part.sections)

    def no_parse(scope):
        raise AssertionError("pass 2 parsed section binders")

    monkeypatch.setattr(passes, "scope_binders", no_parse)
    assert pass2(filled) == want



def test_resident_invocation_table_decodes_to_the_streamed_invocations(indexed):
    """The mutation stage's resident table (read with another allocator) holds exactly the
    invocations, theorem range by theorem range, and the default pool is left as it was."""
    import pyarrow as pa

    from lean_alchemy.index.store import (
        InvocationRows, candidate_runs, iter_invocations, read_invocation_table,
    )

    run, _ = indexed
    before = pa.default_memory_pool().backend_name
    table = read_invocation_table(run)
    assert pa.default_memory_pool().backend_name == before
    runs = candidate_runs(table)
    assert len(runs) > 3 and len({name for name, _, _ in runs}) == len(runs)
    assert [inv for _, a, b in runs for inv in InvocationRows(table, a, b)] == \
        list(iter_invocations(run))


def test_candidate_runs_spans_chunks_and_handles_empty_tables():
    """Runs are found across chunk boundaries (a theorem's rows can straddle two row
    groups) and an empty table has none."""
    import pyarrow as pa

    from lean_alchemy.index.store import candidate_runs

    col = pa.chunked_array([["a", "a", "b"], ["b", "c"], [], ["c", "c", "a"]])
    assert candidate_runs(pa.table({"candidate": col})) == \
        [("a", 0, 2), ("b", 2, 4), ("c", 4, 7), ("a", 7, 8)]
    empty = pa.table({"candidate": pa.chunked_array([], pa.string())})
    assert candidate_runs(empty) == []


def test_rule_schema_lists_the_record_fields_in_order():
    """`read_rules` builds records positionally from the schema's columns."""
    import dataclasses

    from lean_alchemy.core.records import Rule
    from lean_alchemy.index.store import RULE_SCHEMA

    assert RULE_SCHEMA.names == [f.name for f in dataclasses.fields(Rule)]
