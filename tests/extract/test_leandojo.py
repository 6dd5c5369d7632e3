"""LeanDojo interop: Benchmark 4 files and traced repositories as a source.

Fixtures under tests/fixtures/leandojo/benchmark are written here in the documented
Benchmark 4 format (random/{train,val,test}.json, novel_premises/, corpus.jsonl,
metadata.json); their theorems are those of the bundled sample library, so the agreement
report can be checked against `lean_workspace/` as the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Binder
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract import goal_state
from lean_alchemy.extract import leandojo as ld
from lean_alchemy.extract.options import ExtractOptions
from lean_alchemy.extract.store import read_declarations, read_failures, read_scopes

TESTS = Path(__file__).resolve().parents[1]
BENCH = TESTS / "fixtures" / "leandojo" / "benchmark"
WORKSPACE = TESTS.parent / "lean_workspace"
FAST = ExtractOptions(jobs=1, progress=False, parse=False)


# ------------------------------------------------------------------ goal states


def test_goal_with_several_hypotheses_and_multiline_terms() -> None:
    gs = goal_state.parse_goal_state("α : Type u_1\ninst✝ : Ring α\na b : α\nh :\n  a =\n    b\n"
                             "⊢ a * a =\n    b * b")
    assert [h.names for h in gs.hypotheses] == [("α",), ("inst✝",), ("a", "b"), ("h",)]
    assert gs.hypotheses[3].type == "a = b"
    assert gs.goal == "a * a = b * b"


def test_forall_goal_and_case_tag_and_first_goal_only() -> None:
    gs = goal_state.parse_goal_state("case h\nn : ℕ\n⊢ ∀ (m : ℕ),\n    m + n = n + m\n\n"
                             "case h'\nk : ℕ\n⊢ k = k")
    assert gs.case == "h" and gs.goal == "∀ (m : ℕ), m + n = n + m"
    assert [h.names for h in gs.hypotheses] == [("n",)]


def test_hypothesis_with_colon_inside_brackets() -> None:
    gs = goal_state.parse_goal_state("f : (x : ℕ) → Fin (x + 1)\ns : Set ℕ\n⊢ ∃ x ∈ s, (f x : ℕ) = 0")
    assert gs.hypotheses[0].type == "(x : ℕ) → Fin (x + 1)"
    assert gs.goal == "∃ x ∈ s, (f x : ℕ) = 0"


@pytest.mark.parametrize("state, reason", [
    ("", "empty state"),
    ("no goals", "no goals"),
    ("a : ℕ\nb : ℕ", "no ⊢ goal"),
    ("k : ℕ := 3\n⊢ k = 3", "let-bound"),
    ("this is not a hypothesis\n⊢ True", "cannot read hypothesis"),
    ("⊢ ", "empty goal"),
])
def test_bad_states(state: str, reason: str) -> None:
    with pytest.raises(goal_state.StateError, match=reason):
        goal_state.parse_goal_state(state)


def test_statement_binders_kinds_and_inaccessible_names() -> None:
    binders, concl = goal_state.statement_from_state(
        "α : Type u_1\ninst✝¹ : AddMonoid α\ninst✝ : DecidableEq α\nx✝ x✝¹ : α\n"
        "x_1 : α\nhx : x✝ = x✝¹\n⊢ x✝ + 0 = x✝¹ + x_1")
    assert binders == (
        Binder("α", "implicit", "Type u_1"), Binder("", "inst", "AddMonoid α"),
        Binder("", "inst", "DecidableEq α"), Binder("x_2", "explicit", "α"),
        Binder("x_3", "explicit", "α"), Binder("x_1", "explicit", "α"),
        Binder("hx", "explicit", "x_2 = x_3"))
    assert concl == "x_2 + 0 = x_3 + x_1"
    # binder kinds known from the source tree win
    b2, _ = goal_state.statement_from_state("a b : ℕ\nh : b ≤ a\n⊢ a - b + b = a",
                                    {"a": "implicit", "b": "implicit"})
    assert [b.kind for b in b2] == ["implicit", "implicit", "explicit"]


def test_markup_universes_positions_and_names() -> None:
    assert goal_state.strip_markup("rw [<a>add_comm</a> b, ← <a>Nat.succ_le</a>]") == \
        ("rw [add_comm b, ← Nat.succ_le]", ("add_comm", "Nat.succ_le"))
    assert goal_state.universe_names(["Type u_1", "Sort (max u v)", "α → Type w"]) == \
        ("u_1", "u", "v", "w")
    assert ld._pos([3, 4]) == (3, 4) and ld._pos("Pos(3, 4)") == (3, 4)
    assert ld._pos(SimpleNamespace(line_nb=5, column_nb=1)) == (5, 1)
    assert ld._pos([1]) is None and ld._pos([True, 2]) is None
    assert goal_state.demangle("_private.Mathlib.Data.X.0.Foo.bar") == ("Foo.bar", True)
    assert goal_state.normalize_statement("(a :  ℕ)  :\n fun x ↦ x") == \
        goal_state.normalize_statement("( a : ℕ ) : fun x => x")


@pytest.mark.parametrize("mutate, problem", [
    (lambda r: r.pop("traced_tactics"), "missing key 'traced_tactics'"),
    (lambda r: r.update(start="here"), "'start' must be [line, column]"),
    (lambda r: r.update(file_path="Foo.txt"), "not a .lean file"),
    (lambda r: r.update(full_name=""), "'full_name' must be a non-empty string"),
    (lambda r: r["traced_tactics"][0].pop("state_before"), "misses 'state_before'"),
    (lambda r: r["traced_tactics"][0].update(annotated_tactic="omega"),
     "annotated_tactic must be"),
    (lambda r: r["traced_tactics"][0].update(annotated_tactic=["x", [{"def_path": "y"}]]),
     "provenance #0 has no full_name"),
])
def test_record_validation(mutate, problem: str) -> None:
    rec = json.loads((BENCH / "random" / "train.json").read_text())[0]
    assert ld.record_problem(rec) is None
    mutate(rec)
    assert problem in ld.record_problem(rec)
    assert "expected an object" in ld.record_problem([1, 2])


# ------------------------------------------------------------------ the stage


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    run = RunDir.at(tmp_path_factory.mktemp("ld") / "run")
    return run, ld.run_extract_leandojo(BENCH, run, FAST)


def test_records_from_benchmark_directory(plain) -> None:
    run, stats = plain
    decls = {d.full_name: d for d in read_declarations(run)}
    assert stats.files == 5 and stats.duplicates_skipped == 9  # novel_premises copy
    assert set(decls) == {
        "Sample.my_sub_add_cancel", "Sample.double_eq_two_mul", "Sample.Ring.cube_expand",
        "Sample.mul_self_pos_of_pos", "Sample.Pt.add_comm", "Sample.two_mul_tri",
        "Sample.lt_succ_iff_le'", "Sample.double_pos_aux", "Sample.Extra.add_zero_forall",
        "Sample.Extra.anon_add_zero", "Sample.Extra.good_after_bad"}
    assert all(d.source == "leandojo" and d.kind == "theorem" for d in decls.values())
    cube = decls["Sample.Ring.cube_expand"]
    assert cube.statement == ("{R : Type u} [CommRing R] (a : R) (b : R) : (a + b) ^ 3 = "
                              "a ^ 3 + 3 * a ^ 2 * b + 3 * a * b ^ 2 + b ^ 3")
    assert (cube.module, cube.file, cube.start_line, cube.end_line) == \
        ("Sample.Algebra", "Sample/Algebra.lean", 38, 42)
    assert decls["Sample.Extra.add_zero_forall"].conclusion == "∀ (n : ℕ), n + 0 = n"
    assert decls["Sample.Extra.add_zero_forall"].binders == ()
    assert decls["Sample.Extra.good_after_bad"].statement == \
        "(m : ℕ) (n : ℕ) (h : m < n + 1) : m ≤ n"
    assert decls["Sample.double_pos_aux"].modifiers == ("private",)
    # without a source tree: a scope that imports the module and reopens the namespace
    scopes = read_scopes(run)
    sc = scopes[cube.scope_id]
    assert sc.imports == ("Sample.Algebra",) and sc.namespaces == ("Sample", "Ring")
    assert sc.preamble() == "namespace Sample.Ring\nuniverse u"
    assert sc.postamble() == "end Sample.Ring"
    assert stats.statements_from_state == 11 and stats.statements_from_source == 0


def test_malformed_input_is_reported_and_the_rest_read(plain) -> None:
    run, stats = plain
    errors = stats.format_errors
    assert len(errors) == 2
    assert errors[0].startswith("novel_premises/test.json: the file does not match") and \
        "invalid JSON at line 1" in errors[0]
    assert errors[1] == ("random/val.json: record #0 (Sample.Extra.missing_tactics) does not "
                         "match the LeanDojo Benchmark 4 format: missing key 'traced_tactics' "
                         "(1 more bad records skipped)")
    fails = read_failures(run)
    by_reason = {}
    for f in fails:
        by_reason.setdefault(f.reason, []).append(f)
    assert stats.failures_by_reason == {"leandojo format": 2, "leandojo state": 1,
                                           "no statement": 1}
    assert "let-bound hypothesis k" in by_reason["leandojo state"][0].detail
    assert by_reason["no statement"][0].detail.startswith("Sample.my_zero_add")
    assert by_reason["no statement"][0].line == 86


def test_premise_edges(plain) -> None:
    run, stats = plain
    table = pq.read_table(ld.premises_path(run))
    assert table.schema.equals(ld.PREMISE_SCHEMA)
    rows = table.to_pylist()
    assert stats.premise_edges == len(rows) == 7
    tri = [r for r in rows if r["theorem"] == "Sample.two_mul_tri"]
    assert [(r["premise"], r["written"]) for r in tri] == [
        ("Sample.tri_succ", "tri_succ"), ("mul_add", "mul_add"),
        ("Sample.two_mul_tri", "two_mul_tri")]
    assert tri[1]["def_path"] == "Mathlib/Algebra/Ring/Defs.lean"
    assert (tri[1]["def_line"], tri[1]["def_col"]) == (120, 9)
    assert all(r["source"] == "leandojo" for r in rows)
    assert stats.corpus_files == 2 and stats.corpus_premises == 3
    assert json.loads(run.stats_path("leandojo").read_text())["agreement"] is None
    assert json.loads(run.stats_path("extract").read_text())["theorems"] == 11


@pytest.fixture(scope="module")
def with_source(tmp_path_factory):
    run = RunDir.at(tmp_path_factory.mktemp("ld") / "run")
    return run, ld.run_extract_leandojo(BENCH, run, FAST, source_tree=WORKSPACE)


def test_source_tree_fills_what_leandojo_lacks(with_source) -> None:
    run, stats = with_source
    decls = {d.full_name: d for d in read_declarations(run)}
    thms = {n: d for n, d in decls.items() if d.is_candidate}
    assert len(thms) == 12  # my_zero_add now has a statement from the source
    assert stats.statements_from_source == 2  # no tactics; equation proof
    zero = thms["Sample.my_zero_add"]
    assert zero.conclusion == "∀ n : ℕ, 0 + n = n" and zero.proof_style == "equations"
    # the inner state of an equation proof is not the theorem's statement
    assert thms["Sample.two_mul_tri"].conclusion == "∀ n : ℕ, 2 * tri n = n * (n + 1)"
    cancel = thms["Sample.my_sub_add_cancel"]
    assert cancel.statement == "{a : ℕ} {b : ℕ} (h : b ≤ a) : a - b + b = a"
    assert cancel.proof == "by omega" and cancel.source == "leandojo"
    pos = thms["Sample.mul_self_pos_of_pos"]
    assert pos.statement == "{n : ℕ} (h : 0 < n) : 0 < n * n"
    # the elaborated goal lists the section variables: the scope must not add them again
    scope = read_scopes(run)[pos.scope_id]
    assert not any(k == "variable" for k, _ in scope.commands)
    assert ("namespace", "namespace Sample") in scope.commands
    # non-theorem declarations of the tree are kept by name and kind
    assert decls["Sample.double"].kind == "def" and decls["Sample.double"].source == "source"


def test_agreement_report(with_source) -> None:
    run, stats = with_source
    rep = json.loads(run.stats_path("leandojo").read_text())["agreement"]
    assert rep == stats.agreement
    assert rep["files_only_leandojo"] == ["Sample/Extra.lean"]
    assert rep["files_common"] == 5
    assert rep["only_leandojo"] == 0
    assert "Sample.my_add_comm" in rep["only_source_names"]
    assert "Sample.double_pos_aux" not in rep["only_source_names"]  # private name demangled
    assert rep["theorems_both"] == 9
    assert rep["statements_differ"] == 1 and rep["conclusions_differ"] == 1
    diff = rep["statement_differences"][0]
    assert diff["name"] == "Sample.lt_succ_iff_le'"
    assert diff["leandojo"] == "{m : ℕ} {n : ℕ} : m < n.succ ↔ m ≤ n"
    assert diff["source"] == "{m : ℕ} {n : ℕ} : m < n + 1 ↔ m ≤ n"


def test_only_a_leandojo_theorem_missing_from_source_is_reported(tmp_path: Path) -> None:
    recs = json.loads((BENCH / "random" / "train.json").read_text())
    ghost = json.loads(json.dumps(recs[0]))
    ghost["full_name"] = "Sample.ghost"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.json").write_text(json.dumps([recs[0], ghost]))
    run = RunDir.at(tmp_path / "run")
    stats = ld.run_extract_leandojo(tmp_path / "b", run, FAST, source_tree=WORKSPACE)
    assert stats.agreement["only_leandojo_names"] == ["Sample.ghost"]
    assert stats.agreement["files_common"] == 1


def test_nothing_usable_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"not": "a list"}')
    with pytest.raises(AlchemyError, match=r"bad.json: the file does not match .* top-level "
                                           r"value is a dict.*no usable LeanDojo records"):
        ld.run_extract_leandojo(tmp_path, RunDir.at(tmp_path / "run"), FAST)
    assert not (tmp_path / "run" / "declarations.parquet").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(AlchemyError, match="holds no LeanDojo data"):
        ld.run_extract_leandojo(tmp_path / "empty", RunDir.at(tmp_path / "r2"), FAST)
    with pytest.raises(AlchemyError, match="no such file"):
        ld.run_extract_leandojo(tmp_path / "nope", RunDir.at(tmp_path / "r3"), FAST)


def test_single_json_file_is_accepted(tmp_path: Path) -> None:
    run = RunDir.at(tmp_path / "run")
    stats = ld.run_extract_leandojo(BENCH / "random" / "test.json", run, FAST)
    assert stats.theorems == 2 and stats.corpus_files == 0


def test_statements_parse_with_the_grammar(tmp_path: Path) -> None:
    pytest.importorskip("lean_alchemy.grammar.statements")
    run = RunDir.at(tmp_path / "run")
    src = tmp_path / "b"
    (src / "random").mkdir(parents=True)
    shutil.copy(BENCH / "random" / "train.json", src / "random" / "train.json")
    stats = ld.run_extract_leandojo(src, run, ExtractOptions(jobs=1, progress=False))
    assert stats.parse_status.get("full", 0) >= 8, stats.parse_status
    from lean_alchemy.mutate.mutator import decl_statement

    parsed = [decl_statement(d) for d in read_declarations(run) if d.is_candidate]
    assert sum(p is not None for p in parsed) >= 8


# ------------------------------------------------------------------ traced repositories


def _fake_traced_repo():
    tac = SimpleNamespace(
        tactic="simp [foo]", state_before="x : ℕ\n⊢ foo x = x", state_after="no goals",
        get_annotated_tactic=lambda: ("simp [<a>foo</a>]", [
            {"full_name": "Demo.foo", "def_path": "Demo/Basic.lean", "def_pos": [3, 5],
             "def_end_pos": [3, 8]}]))
    thm = SimpleNamespace(
        theorem=SimpleNamespace(full_name="Demo.foo_self"), file_path=Path("Demo/Basic.lean"),
        start=SimpleNamespace(line_nb=10, column_nb=1), end=SimpleNamespace(line_nb=11,
                                                                             column_nb=12),
        get_traced_tactics=lambda: [tac])
    return SimpleNamespace(repo=SimpleNamespace(url="https://example.org/demo", commit="abc"),
                           get_traced_theorems=lambda: [thm])


def test_traced_repo_objects_become_benchmark_records() -> None:
    recs = list(ld.traced_repo_records(_fake_traced_repo()))
    assert len(recs) == 1 and ld.record_problem(recs[0]) is None
    conv = ld.to_declaration(recs[0], None, None)
    assert conv.decl.statement == "(x : ℕ) : foo x = x"
    assert (conv.decl.start_line, conv.decl.end_line) == (10, 11)
    assert ld.premise_rows(recs[0])[0]["premise"] == "Demo.foo"


def _has_lean_dojo() -> bool:
    try:
        import lean_dojo  # noqa: F401
    except Exception:
        return False
    return True


@pytest.mark.skipif(_has_lean_dojo(), reason="lean-dojo is installed here")
def test_traced_repo_without_lean_dojo_names_the_extra(tmp_path: Path) -> None:
    (tmp_path / ".lake" / "build" / "ir").mkdir(parents=True)
    (tmp_path / ".lake" / "build" / "ir" / "Demo.trace.xml").write_text("<TracedFile/>")
    (tmp_path / "lake-manifest.json").write_text('{"packages": []}')  # not a benchmark file
    with pytest.raises(AlchemyError, match=r"pip install 'lean-alchemy\[leandojo\]'"):
        ld.run_extract_leandojo(tmp_path, RunDir.at(tmp_path / "run"), FAST)


@pytest.mark.skipif(not _has_lean_dojo() or not os.environ.get("LEANDOJO_TRACED_REPO"),
                    reason="needs lean-dojo installed and LEANDOJO_TRACED_REPO pointing at a "
                           "repository traced by LeanDojo (none is vendored)")
def test_real_traced_repository(tmp_path: Path) -> None:
    run = RunDir.at(tmp_path / "run")
    stats = ld.run_extract_leandojo(Path(os.environ["LEANDOJO_TRACED_REPO"]), run, FAST)
    assert stats.theorems > 0
    assert all(d.source == "leandojo" for d in read_declarations(run) if d.is_candidate)


def test_mutation_stage_runs_on_leandojo_records(tmp_path: Path) -> None:
    for mod in ("lean_alchemy.grammar.statements", "lean_alchemy.index.driver",
                "lean_alchemy.core.rundb"):
        pytest.importorskip(mod)
    from lean_alchemy.index.driver import run_index
    from lean_alchemy.index.options import IndexOptions
    from lean_alchemy.mutate.options import MutateOptions
    from lean_alchemy.mutate.pipeline import run_mutate

    run = RunDir.at(tmp_path / "run")
    ld.run_extract_leandojo(BENCH, run, ExtractOptions(jobs=1, progress=False),
                            source_tree=WORKSPACE)
    run_index(run, IndexOptions())
    stats = run_mutate(run, MutateOptions(max_per_theorem=None))
    assert stats.mutants_total > 0
