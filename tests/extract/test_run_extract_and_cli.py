"""Project walking, the Parquet store, the pipeline and the `alchemy extract` CLI."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.extract.stats import LeanDojoStats
from lean_alchemy.core.records import Binder, Declaration, ExtractFailure, Scope
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract import pipeline, store
from lean_alchemy.extract.options import ExtractOptions
from lean_alchemy.extract.pipeline import run_extract
from lean_alchemy.extract.project import find_project
from lean_alchemy.cli.main import main as alchemy

ALGEBRA = """\
import Lib.Order

namespace Lib

variable {G : Type*} [Group G]

@[simp] theorem mul_one' (a : G) : a * 1 = a := mul_one a

lemma inv_inv' (a : G) : a⁻¹⁻¹ = a := by simp

def twice (n : ℕ) : ℕ := 2 * n

end Lib
"""
ORDER = """\
open Function in
theorem Lib.le_refl' {α : Type*} [Preorder α] (a : α) : a ≤ a := le_rfl

theorem Lib.broken : True
"""


def make_project(root: Path) -> Path:
    (root / "Lib").mkdir(parents=True)
    (root / "lakefile.toml").write_text('name = "lib"\n[[lean_lib]]\nname = "Lib"\n')
    (root / "Lib" / "Algebra.lean").write_text(ALGEBRA)
    (root / "Lib" / "Order.lean").write_text(ORDER)
    (root / "Lib" / "Bad.lean").write_bytes(b"theorem t : True := trivial\n\xff\n")
    (root / "Lib.lean").write_text("import Lib.Algebra\nimport Lib.Order\n")
    # build products and other libraries are not walked
    (root / ".lake" / "packages" / "dep").mkdir(parents=True)
    (root / ".lake" / "packages" / "dep" / "Dep.lean").write_text("theorem dep : True := trivial\n")
    (root / "Scratch").mkdir()
    (root / "Scratch" / "Try.lean").write_text("theorem scratch : True := trivial\n")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def test_find_project_uses_lean_lib_roots(project: Path):
    p = find_project(project)
    rel = sorted(f.relative_to(p.root).as_posix() for f in p.files)
    assert rel == ["Lib.lean", "Lib/Algebra.lean", "Lib/Bad.lean", "Lib/Order.lean"]
    assert p.libraries == ("Lib",)
    p2 = find_project(project, ("Scratch",))
    assert [f.name for f in p2.files] == ["Try.lean"]
    with pytest.raises(AlchemyError, match="Nope"):
        find_project(project, ("Nope",))


def test_not_a_lean_project(tmp_path: Path):
    (tmp_path / "README.md").write_text("hello")
    with pytest.raises(AlchemyError, match="not a Lean project"):
        find_project(tmp_path)
    with pytest.raises(AlchemyError, match="no such file"):
        find_project(tmp_path / "missing")


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_extract_writes_outputs(project: Path, tmp_path: Path, jobs: int):
    run = RunDir.at(tmp_path / f"run{jobs}")
    stats = run_extract(project, run, ExtractOptions(jobs=jobs, progress=False, parse=False))
    assert stats.files == 4
    assert stats.declarations_by_kind == {"def": 1, "lemma": 1, "theorem": 2}
    assert stats.failures_by_reason == {
        "no proof delimiter (':=', '|' or 'where')": 1, "undecodable": 1}
    assert len(stats.failed_files) == 1
    assert stats.parse_status == {"unparsed": 3}
    assert json.loads(run.stats_path("extract").read_text())["files"] == 4
    decls = store.read_declarations(run)
    assert [d.full_name for d in decls] == ["Lib.mul_one'", "Lib.inv_inv'", "Lib.twice",
                                           "Lib.le_refl'"]
    thms = store.read_declarations(run, kinds=("theorem", "lemma"))
    assert len(thms) == 3
    scopes = store.read_scopes(run)
    le = thms[-1]
    assert scopes[le.scope_id].commands == (("open", "open Function"),)
    assert scopes[le.scope_id].imports == ()
    assert scopes[thms[0].scope_id].imports == ("Lib.Order",)
    assert scopes[thms[0].scope_id].namespaces == ("Lib",)
    fails = store.read_failures(run)
    assert sorted((f.file, f.line) for f in fails) == [("Lib/Bad.lean", 2), ("Lib/Order.lean", 4)]
    assert pq.read_schema(run.declarations).equals(store.DECLARATION_SCHEMA)
    assert not list(run.root.glob(".*.tmp"))


def test_store_round_trip_is_exact(tmp_path: Path):
    d = Declaration(
        full_name="A.b", name="b", kind="theorem", module="A", file="A.lean", start_line=3,
        end_line=5, start_byte=10, end_byte=99, modifiers=("private",),
        attributes=("simp", "to_additive"), docstring="doc",
        binders=(Binder("x", "implicit", "α"), Binder("", "inst", "Group α"),
                 Binder("y", "explicit", None)),
        conclusion="x = x", proof="rfl", proof_style="term", scope_id="abc",
        parse_status="full", binders_ast="[]", conclusion_ast="{}")
    other = Declaration(full_name="A.c", name="c", kind="def", module="A", file="A.lean",
                        start_line=7, end_line=7)
    store.write_declarations(tmp_path / "d.parquet", [d, other])
    assert store.read_declarations(tmp_path / "d.parquet") == [d, other]
    assert store.read_declarations(tmp_path / "d.parquet", kinds=("def",)) == [other]
    s = Scope("A", ("Mathlib",), ("A",), (("namespace", "namespace A"), ("open", "open B")), True)
    store.write_scopes(tmp_path / "s.parquet", [s])
    assert store.read_scopes(tmp_path / "s.parquet") == {s.id: s}
    # a file of another version: a column it lacks takes the field's default, a column
    # this version does not know is ignored (the records are then built by keyword)
    t = store.declarations_table([d, other]).drop_columns(["docstring", "conclusion_ast"])
    t = t.append_column("future_field", pa.array(["x", "y"]))
    got = store.declarations_from_table(t)
    assert got == [dataclasses.replace(d, docstring=None, conclusion_ast=None), other]
    f = ExtractFailure("A.lean", 4, "no proof", "theorem x")
    store.write_failures(tmp_path / "f.parquet", [f])
    assert store.read_failures(tmp_path / "f.parquet") == [f]


def test_schema_covers_every_declaration_field():
    names = {f.name for f in dataclasses.fields(Declaration)}
    assert names == set(store.DECLARATION_SCHEMA.names)


def test_annotation_hook_runs_in_worker(project: Path, tmp_path: Path, monkeypatch):
    calls = []

    def annotate_declaration(decl, scope):
        calls.append((decl.full_name, scope is not None))
        if decl.name == "inv_inv'":
            raise ValueError("grammar bug")
        return dataclasses.replace(decl, parse_status="full", conclusion_ast="{}")

    monkeypatch.setattr(pipeline, "annotate_declaration", annotate_declaration)
    run = RunDir.at(tmp_path / "run")
    stats = run_extract(project, run, ExtractOptions(jobs=1, progress=False))
    assert sorted(calls) == [("Lib.inv_inv'", True), ("Lib.le_refl'", True),
                             ("Lib.mul_one'", True)]
    assert stats.parse_status == {"failed": 1, "full": 2}
    bad = [d for d in store.read_declarations(run) if d.parse_status == "failed"]
    assert bad[0].parse_error == "ValueError: grammar bug"
    # --no-parse skips the grammar entirely
    calls.clear()
    run_extract(project, RunDir.at(tmp_path / "run2"),
                ExtractOptions(jobs=1, progress=False, parse=False))
    assert calls == []


def test_cli_extract_and_errors(project: Path, tmp_path: Path, capsys):
    rd = tmp_path / "clirun"
    assert alchemy(["extract", str(project), "--run-dir", str(rd), "-j", "1", "--no-parse",
                    "--no-progress", "--library", "Lib"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out.splitlines()[0])["theorems"] == 3
    assert (rd / "declarations.parquet").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert alchemy(["extract", str(empty), "--run-dir", str(rd)]) == 2
    assert "not a Lean project" in capsys.readouterr().err
    assert alchemy(["extract", "--run-dir", str(rd)]) == 2


def test_cli_from_leandojo_hook(tmp_path: Path, monkeypatch, capsys):
    seen = {}

    def run_extract_leandojo(path, run, opts, source_tree=None):
        seen.update(path=path, run=run, opts=opts, source_tree=source_tree)
        return LeanDojoStats()

    mod = types.ModuleType("lean_alchemy.extract.leandojo")
    mod.run_extract_leandojo = run_extract_leandojo
    monkeypatch.setitem(sys.modules, "lean_alchemy.extract.leandojo", mod)
    assert alchemy(["extract", "--from-leandojo", str(tmp_path / "trace"), "--run-dir",
                    str(tmp_path / "r"), "-j", "3"]) == 0
    assert seen["path"] == tmp_path / "trace" and seen["source_tree"] is None
    assert seen["opts"].jobs == 3 and seen["run"].root == tmp_path / "r"


def test_extractor_bug_on_one_file_is_a_failure(project: Path, tmp_path: Path, monkeypatch):
    real = pipeline.extract_file

    def flaky(path, root, theorem_keywords=()):
        if path.name == "Order.lean":
            raise RuntimeError("boom")
        return real(path, root, theorem_keywords)

    monkeypatch.setattr(pipeline, "extract_file", flaky)
    stats = run_extract(project, RunDir.at(tmp_path / "r"), ExtractOptions(jobs=1, progress=False))
    assert stats.failures_by_reason["internal error"] == 1
    assert stats.theorems == 2


def test_lakefile_lean_libraries(tmp_path: Path):
    root = tmp_path / "ws"
    (root / "Sample").mkdir(parents=True)
    (root / "lakefile.lean").write_text(
        "import Lake\nopen Lake DSL\n\npackage sample\n\nrequire mathlib from git\n"
        "  \"https://github.com/leanprover-community/mathlib4\"\n\n"
        "lean_lib «Sample» where\n  -- options\n")
    (root / "Sample" / "A.lean").write_text("theorem a : True := trivial\n")
    (root / "Other.lean").write_text("theorem o : True := trivial\n")
    p = find_project(root)
    assert p.libraries == ("Sample",) and [f.name for f in p.files] == ["A.lean"]
    assert p.is_lake


COMPETITION = '''import Lib.Order

syntax "problem " ident declSig declVal : command
syntax "determine " ident declSig declVal : command

namespace Competition

problem p1 (n : Nat) (h : 0 < n) : 1 ≤ n := by
  omega

determine answer : Nat := 42

theorem t1 (a : Nat) : a + 0 = a := by
  simp

problem p2 (a b : Nat) : a + b = b + a := Nat.add_comm a b

end Competition
'''


def test_unknown_commands_are_counted_and_theorem_keywords_declare_them(tmp_path: Path):
    root = tmp_path / "comp"
    (root / "Comp").mkdir(parents=True)
    (root / "Comp" / "Problems.lean").write_text(COMPETITION)
    stats = run_extract(root, RunDir.at(tmp_path / "r1"), ExtractOptions(jobs=1, progress=False))
    assert stats.failures_by_reason == {"unknown command: determine": 1,
                                           "unknown command: problem": 2}
    failures = pq.read_table(tmp_path / "r1" / "extract.failures.parquet").to_pylist()
    assert sorted((f["line"], f["reason"]) for f in failures) == [
        (8, "unknown command: problem"), (11, "unknown command: determine"),
        (16, "unknown command: problem")]
    names = {d.full_name: d.kind for d in store.read_declarations(tmp_path / "r1" / "declarations.parquet")}
    assert names == {"Competition.t1": "theorem"}

    opts = ExtractOptions(jobs=1, progress=False, theorem_keywords=("problem",))
    stats = run_extract(root, RunDir.at(tmp_path / "r2"), opts)
    assert stats.failures_by_reason == {"unknown command: determine": 1}
    decls = {d.full_name: d for d in store.read_declarations(tmp_path / "r2" / "declarations.parquet")}
    assert {k: d.kind for k, d in decls.items()} == {
        "Competition.p1": "theorem", "Competition.t1": "theorem", "Competition.p2": "theorem"}
    assert decls["Competition.p1"].conclusion.strip() == "1 ≤ n"
    assert decls["Competition.p2"].proof.strip() == "Nat.add_comm a b"


def test_theorem_keywords_must_be_keywords():
    with pytest.raises(AlchemyError, match=r"\[extract\] theorem_keywords"):
        ExtractOptions(theorem_keywords=("pro blem",))


def test_a_keyword_glued_to_its_string_is_read_as_the_keyword(tmp_path: Path):
    """`notation3"∫⁻ "…` has no space between the keyword and its string; it is the known
    command `notation3`, not an unknown command named `notation3"`."""
    from lean_alchemy.extract.fileparse import command_keyword

    assert command_keyword('notation3"∫⁻') == "notation3"
    assert command_keyword("problem") == "problem"
    assert command_keyword("#eval") == ""
    root = tmp_path / "glued"
    (root / "Glued").mkdir(parents=True)
    (root / "Glued" / "N.lean").write_text(
        'def lint (f : Nat → Nat) : Nat := f 0\n\n'
        'notation3"∫⁻ "(...)", "r:60:(scoped f => lint f) => r\n\n'
        'theorem t (n : Nat) : n = n := rfl\n')
    stats = run_extract(root, RunDir.at(tmp_path / "r"), ExtractOptions(jobs=1, progress=False))
    assert stats.failures_by_reason == {}
