"""End to end: `alchemy run` on the bundled sample, with the stand-in Lean and without any Lean.

These drive the real CLI entry point in-process (argument parsing, config, every stage, the
summary), so they break when any stage's contract with the driver breaks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from lean_alchemy.core.rundir import RunDir
from lean_alchemy.cli.main import main

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "lean_workspace"


def _corpus_table(path: Path):
    return pads.dataset(str(path / "data"), format="parquet").to_table()


def _no_lean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PATH without any `lake`/`lean`, and an empty ELAN_HOME."""
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "lake").exists() and not (Path(d) / "lean").exists()]
    monkeypatch.setenv("PATH", os.pathsep.join(keep))
    monkeypatch.setenv("ELAN_HOME", str(tmp_path / "no-elan"))


def test_run_without_lean_stops_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    _no_lean_env(monkeypatch, tmp_path)
    run_dir = tmp_path / "run"
    assert main(["run", str(SAMPLE), "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "stopped           no Lean toolchain" in out
    assert "next step         alchemy setup-lean" in out
    forecast = out.index("forecast: ~")  # printed before mutating
    assert out.index("mutate ...") < forecast < out.index("[4/5]")
    run = RunDir.at(run_dir)
    from lean_alchemy.core.rundb import RunDB

    counts = RunDB.for_run(run).counts()
    assert counts.get("pending", 0) > 0
    assert not counts.get("verified") and not counts.get("rejected")
    # The candidates are exported, clearly labelled, and nothing enters the corpus proper.
    table = _corpus_table(run.unchecked_dir)
    assert table.num_rows == counts["pending"]
    assert set(table.column("checked").to_pylist()) == {False}
    assert not list(run.corpus_dir.glob("**/*.parquet"))
    assert (run_dir / "config.toml").exists()

    # Resume: a second run redoes no stage, exports nothing and reports the same stop.
    shards = sorted(run.unchecked_dir.rglob("*.parquet"))
    stamps = [p.stat().st_mtime_ns for p in shards]
    assert main(["run", str(SAMPLE), "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "skipped, already done: extract, index, mutate" in out
    assert "unchanged since the last export: kept" in out and "forecast" not in out
    assert [p.stat().st_mtime_ns for p in shards] == stamps
    assert "next step         alchemy setup-lean" in out


def test_run_with_standin_lean_builds_the_corpus(tmp_path: Path, standin_toolchain,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # The stand-in rejects every mutant whose text uses `Sample.double_eq_two_mul`; all
    # others verify.  So the corpus must hold exactly the other checked mutants.
    monkeypatch.setenv("STANDIN_REJECT", r"Sample\.double_eq_two_mul")
    run_dir = tmp_path / "run"
    rc = main(["run", str(SAMPLE), "--run-dir", str(run_dir), "-j", "1",
               "--workspace", str(standin_toolchain.workspace)])
    assert rc == 0
    out = capsys.readouterr().out
    assert "no Lean toolchain" not in out
    run = RunDir.at(run_dir)
    from lean_alchemy.core.rundb import RunDB

    db = RunDB.for_run(run)
    counts = db.counts()
    assert counts.get("pending", 0) == 0 and counts.get("leased", 0) == 0
    assert counts.get("verified", 0) > 0 and counts.get("rejected", 0) > 0
    verified = {m.id: (m, v) for m, v in db.iter_results(statuses=("verified",))}
    rejected = [m for m, _ in db.iter_results(statuses=("rejected",))]
    assert all("Sample.double_eq_two_mul" in m.lean for m in rejected)
    assert all("Sample.double_eq_two_mul" not in m.lean for m, _ in verified.values())

    table = _corpus_table(run.corpus_dir)
    rows = table.to_pylist()
    # Only verified mutants, each at most once (corpus dedup may drop repeats of a fingerprint).
    assert 0 < len(rows) <= len(verified)
    for row in rows:
        m, v = verified[row["id"]]
        assert row["checked"] is True
        assert row["source_theorem"] == m.source_theorem
        assert row["mutation"]["rule"] == m.rule and row["mutation"]["kind"] == m.kind
        assert row["lean_version"] == standin_toolchain.lean_version
        assert row["mathlib_rev"] == standin_toolchain.mathlib_rev
        assert row["tool_version"]
        assert row["text"].startswith("import ")
        short = row["formal_statement"].split()[1]
        assert row["name"] == m.name and m.name.endswith(short)
        assert f"theorem {short} " in row["text"]
        assert "sorry" not in row["proof"]
        assert row["split"] in ("train", "validation", "test")
        assert row["tier"] in ("easy", "medium", "hard")
    # All mutants of one source theorem land in one split.
    split_of: dict[str, str] = {}
    for row in rows:
        assert split_of.setdefault(row["source_theorem"], row["split"]) == row["split"]
    assert "corpus rows" in out and "verified" in out
    assert (run.corpus_dir / "README.md").exists()


@pytest.mark.parametrize("table, bad", [("corpus", "shard_rows = 0"), ("extract", "jobs = -1"),
                                        ("check", 'backend = "lean4"')])
def test_every_config_table_is_validated_before_any_stage_runs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, bad: str) -> None:
    cfg = tmp_path / "alchemy.toml"
    cfg.write_text(f"[{table}]\n{bad}\n")
    run_dir = tmp_path / "run"
    assert main(["run", str(SAMPLE), "--run-dir", str(run_dir), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"[{table}]" in err and "\n" not in err
    assert not (run_dir / "declarations.parquet").exists()


def test_stages_that_did_not_run_are_marked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _no_lean_env(monkeypatch, tmp_path)
    run_dir = tmp_path / "run"
    assert main(["run", str(SAMPLE), "--run-dir", str(run_dir), "--stop-after", "index"]) == 0
    out = capsys.readouterr().out
    assert "mutants           not run" in out and "corpus rows       not run" in out
    assert "checked           not run" not in out  # no database: no database lines at all
    assert "outputs" not in out and "mutants           0" not in out
    assert "rules             not run" not in out


def test_next_step_names_the_workspace_by_absolute_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _no_lean_env(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)  # anywhere but the source checkout
    assert main(["run", str(SAMPLE), "--run-dir", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert f"next step         alchemy setup-lean --workspace {SAMPLE}  #" in out


def test_a_library_proved_with_sorry_says_why_it_has_no_mutant(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _no_lean_env(monkeypatch, tmp_path)
    lib = tmp_path / "lib" / "Lib"
    lib.mkdir(parents=True)
    (lib / "Basic.lean").write_text(
        "namespace Lib\n\n"
        "theorem add_zero' (n : Nat) : n + 0 = n := by\n  sorry\n\n"
        "theorem zero_add' (n : Nat) : 0 + n = n := by\n  sorry\n\n"
        "theorem bar (a : Nat) : a + 0 + 0 = a := by\n  sorry\n\nend Lib\n")
    assert main(["run", str(tmp_path / "lib"), "--run-dir", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "mutants           0" in out
    assert ("why no mutants    every theorem of the library (3 of 3) is proved with `sorry`"
            in out)


def test_run_shows_progress_for_index_and_mutate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _no_lean_env(monkeypatch, tmp_path)
    assert main(["run", str(SAMPLE), "--run-dir", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "index:" in err and "mutate:" in err and "thm" in err
    assert main(["run", str(SAMPLE), "--run-dir", str(tmp_path / "quiet"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "index:" not in err and "mutate:" not in err


UNSOUND_LIBRARY = """namespace Lib

axiom oracle (n : Nat) : n * 1 = n

theorem unproved (n : Nat) : n + 0 = n := by
  sorry

theorem from_unproved (n : Nat) : 0 + n = n := by
  rw [← unproved (0 + n)]
  exact Nat.zero_add (n + 0)

theorem from_oracle (n : Nat) : n * 1 * 1 = n := by
  rw [oracle, oracle]

theorem c1 (a b : Nat) (h : a + 0 = b) : b = a := by
  omega

theorem c2 (a : Nat) : 0 + a * 1 = a := by
  simp

theorem c3 (a b : Nat) (h : a * 1 * 1 = b) : a = b := by
  simpa using h

end Lib
"""
UNPROVED = {"Lib.oracle", "Lib.unproved", "Lib.from_unproved", "Lib.from_oracle"}


def test_nothing_resting_on_sorry_or_an_axiom_is_verified_or_exported(
        tmp_path: Path, standin_toolchain, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A sorry'd lemma, a lemma proved from it and a custom axiom: a mutant using any of
    them is rejected by Lean's axioms (the stand-in reads the library it imports), and
    `--include-originals` exports only the proved theorems."""
    lib = tmp_path / "lib"
    (lib / "Lib").mkdir(parents=True)
    (lib / "Lib" / "Basic.lean").write_text(UNSOUND_LIBRARY)
    monkeypatch.setenv("STANDIN_SOURCES", str(lib))
    run_dir = tmp_path / "run"
    assert main(["run", str(lib), "--run-dir", str(run_dir), "-j", "1", "--no-progress",
                 "--workspace", str(standin_toolchain.workspace)]) == 0
    from lean_alchemy.core.rundb import RunDB

    results = list(RunDB.for_run(RunDir.at(run_dir), mode="read").iter_results(statuses=None))
    assert results and not any(v.status in ("pending", "leased") for _m, v in results)
    for m, v in results:
        if m.rule in UNPROVED:
            assert (v.status, v.error_class) == ("rejected", "uses sorry"), m.name
            assert set(v.axioms) & {"sorryAx", "Lib.oracle"}
        else:
            assert v.status == "verified", (m.name, v.first_error)
    capsys.readouterr()
    assert main(["corpus", "--run-dir", str(run_dir), "--include-originals"]) == 0
    rows = _corpus_table(run_dir / "corpus").to_pylist()
    originals = {r["source_theorem"] for r in rows if r["mutation"]["kind"] == "original"}
    assert originals == {"Lib.c1", "Lib.c2", "Lib.c3"}
    assert not {r["mutation"]["rule"] for r in rows} & UNPROVED


def test_a_downstream_project_with_rules_from_a_dependency_and_open_statements(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`alchemy run SRC --rules-from DEP --open-statements` on a Lake project that requires
    Mathlib, without Lean: the summary reports the share of mutants using a dependency's
    rule and the open statements, and the next step prepares the project's own root."""
    from helpers.downstream import DEPENDENCY, PROJECT, write_tree

    _no_lean_env(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)
    dep_run = tmp_path / "dep-run"
    assert main(["run", str(write_tree(tmp_path / "dep", DEPENDENCY)), "--run-dir",
                 str(dep_run), "--stop-after", "index"]) == 0
    proj = write_tree(tmp_path / "proj", PROJECT)
    (proj / "lean-toolchain").write_text("leanprover/lean4:v4.33.0-rc1\n")
    (proj / "lakefile.toml").write_text(
        'name = "proj"\n\n[[require]]\nname = "mathlib"\n'
        'git = "https://github.com/leanprover-community/mathlib4"\n\n'
        '[[lean_lib]]\nname = "Proj"\n')
    capsys.readouterr()
    assert main(["run", str(proj), "--run-dir", str(tmp_path / "run"), "--rules-from",
                 str(dep_run), "--open-statements", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"next step         alchemy setup-lean --workspace {proj.resolve()}  #" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("  mutants by rule"))
    assert "from a dependency" in line and "open statements" in line
    opened = int(line.rsplit(" ", 1)[1])
    assert opened > 0
    assert f"open statements   {opened} -> {tmp_path / 'run' / 'statements_unchecked'}" in out
