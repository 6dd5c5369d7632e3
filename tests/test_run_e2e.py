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

REPO = Path(__file__).resolve().parents[1]
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

    # Resume: a second run redoes no stage and reports the same stop.
    assert main(["run", str(SAMPLE), "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "skipped, already done: extract, index, mutate" in out
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
        assert row["split"] in ("train", "valid", "test")
        assert row["tier"] in ("easy", "medium", "hard")
    # All mutants of one source theorem land in one split.
    split_of: dict[str, str] = {}
    for row in rows:
        assert split_of.setdefault(row["source_theorem"], row["split"]) == row["split"]
    assert "corpus rows" in out and "verified" in out
    assert (run.corpus_dir / "README.md").exists()
