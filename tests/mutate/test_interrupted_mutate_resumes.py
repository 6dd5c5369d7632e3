"""An interrupted `alchemy mutate` continues where it stopped and ends with the rows, states
and counters of a run that was never interrupted; a finished one is not redone; Ctrl-C
stops it with one line, exit 130 and no worker left.

The runs mutate the bundled sample library (`lean_workspace/`), extracted and indexed once.
Interruptions are made deterministic by raising KeyboardInterrupt right after the N-th
batch is stored (what a Ctrl-C between two batches does), and by a real SIGINT to a
subprocess whose mutation is slowed down.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lean_alchemy.cli.main import main
from lean_alchemy.core.rundb import RunDB
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.mutate import pipeline, workers
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.pipeline import run_mutate

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "lean_workspace"
# Fields of the stats file that depend on the machine or on the clock, not on the rows.
RUN_LEVEL = ("seconds", "peak_rss_mb", "jobs", "versions")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample library, extracted and indexed (the inputs of every run here)."""
    root = tmp_path_factory.mktemp("resume") / "indexed"
    assert main(["run", str(SAMPLE), "--run-dir", str(root), "--stop-after", "index"]) == 0
    return root


def _copy(indexed: Path, tmp_path: Path, name: str) -> RunDir:
    shutil.copytree(indexed, tmp_path / name)
    return RunDir.at(tmp_path / name)


def _tables(run: RunDir) -> dict[str, list[tuple]]:
    """Every row of the run database by id (each batch is stored in id order, so the
    order of insertion depends on where batches end), without the clock's columns."""
    con = sqlite3.connect(run.db)
    out = {}
    for table in ("mutants", "states", "mutate_progress"):
        cols = [r[1] for r in con.execute(f"pragma table_info('{table}')")
                if r[1] not in ("created_at", "checked_at")]
        key = "key" if table == "mutate_progress" else "id"
        out[table] = con.execute(f"select {', '.join(cols)} from {table} order by {key}").fetchall()
    con.close()
    return out


def _stats(run: RunDir) -> dict:
    stats = json.loads(run.stats_path("mutate").read_text())
    return {k: v for k, v in stats.items() if k not in RUN_LEVEL}


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, batches: int) -> None:
    """Small batches, and a KeyboardInterrupt right after the `batches`-th is stored."""
    monkeypatch.setattr(pipeline, "BATCH", 25)
    monkeypatch.setattr(pipeline, "CHUNK", 8)
    monkeypatch.setattr(pipeline, "COMMIT_SECONDS", 1e9)
    stored = RunDB.add_mutant_rows
    seen = [0]

    def add_then_stop(self, rows, **kw):
        n = stored(self, rows, **kw)
        seen[0] += 1
        if seen[0] == batches:
            raise KeyboardInterrupt
        return n

    monkeypatch.setattr(RunDB, "add_mutant_rows", add_then_stop)


def _count_theorems(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Theorems mutated in this process (with one job): each task reads its invocation
    rows once.  Patched where the stage looks the class up, which also works when the
    stage's modules are compiled (`core/native.py`), unlike a patched method."""
    calls = [0]
    rows = workers.InvocationRows

    def counted(*a, **kw):
        calls[0] += 1
        return rows(*a, **kw)

    monkeypatch.setattr(workers, "InvocationRows", counted)
    return calls


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_interrupted_run_resumes_to_the_rows_of_an_uninterrupted_one(
        indexed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    whole = _copy(indexed, tmp_path, "whole")
    run_mutate(whole, MutateOptions(jobs=1))

    cut = _copy(indexed, tmp_path, "cut")
    with monkeypatch.context() as m:
        _interrupt_after(m, batches=3)
        with pytest.raises(KeyboardInterrupt):
            run_mutate(cut, MutateOptions(jobs=jobs))
    progress = RunDB.for_run(cut).mutate_progress()
    assert progress is not None and not progress["complete"]
    done, total = progress["tasks_done"], progress["tasks_total"]
    assert 0 < done < total
    assert not cut.stats_path("mutate").exists()

    calls = _count_theorems(monkeypatch)
    resumed = run_mutate(cut, MutateOptions(jobs=1))
    assert calls[0] == total - done  # the stored theorems were not mutated again
    assert resumed.candidates == total
    assert _tables(cut) == _tables(whole)
    assert _stats(cut) == _stats(whole)


def test_a_finished_run_is_not_redone(indexed: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    run = _copy(indexed, tmp_path, "run")
    first = run_mutate(run, MutateOptions(jobs=1))
    before = _tables(run)
    calls = _count_theorems(monkeypatch)
    again = run_mutate(run, MutateOptions(jobs=2))  # worker count: not a result
    assert calls[0] == 0 and _tables(run) == before
    assert again.new_rows == 0 < first.new_rows
    assert {k: v for k, v in again.as_dict().items() if k not in RUN_LEVEL + ("new_rows",)} \
        == {k: v for k, v in first.as_dict().items() if k not in RUN_LEVEL + ("new_rows",)}
    changed = run_mutate(run, MutateOptions(jobs=1, seed=7))  # new options: mutated again
    assert calls[0] == changed.candidates > 0


def test_progress_of_other_options_is_not_resumed(indexed: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A run stopped with one seed and re-run with another starts from the first theorem."""
    run = _copy(indexed, tmp_path, "run")
    with monkeypatch.context() as m:
        _interrupt_after(m, batches=2)
        with pytest.raises(KeyboardInterrupt):
            run_mutate(run, MutateOptions(jobs=1, seed=3))
    calls = _count_theorems(monkeypatch)
    stats = run_mutate(run, MutateOptions(jobs=1))
    assert calls[0] == stats.candidates
    assert RunDB.for_run(run).mutate_progress()["complete"] == 1


# A driver process: the real CLI, with mutation slowed down so that a SIGINT lands mid-run.
DRIVER = """
import sys, time
sys.argv = ["alchemy"] + {argv!r}
from lean_alchemy.mutate import pipeline, workers
pipeline.BATCH = 10
pipeline.CHUNK = 4
pipeline.COMMIT_SECONDS = 0.2
rows = workers.InvocationRows
def slow_rows(*a, **kw):
    time.sleep(0.05)
    return rows(*a, **kw)
workers.InvocationRows = slow_rows
from lean_alchemy.cli.main import main
sys.exit(main())
"""


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(p.name))
            except (OSError, ValueError, IndexError):
                pass
    return out


def _alive(pid: int) -> bool:
    try:
        return "Z" not in (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:1])
    except OSError:
        return False


def test_ctrl_c_stops_cleanly_and_the_rerun_completes(indexed: Path, tmp_path: Path) -> None:
    whole = _copy(indexed, tmp_path, "whole")
    run_mutate(whole, MutateOptions(jobs=1))
    run = _copy(indexed, tmp_path, "run")
    argv = ["mutate", "--run-dir", str(run.root), "--jobs", "2"]
    # SIGINT back to its default, as in a terminal (a background test run ignores it)
    proc = subprocess.Popen([sys.executable, "-c", DRIVER.format(argv=argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        workers = workers or _children(proc.pid)
        if run.db.exists() and workers:
            try:
                if RunDB.for_run(run).mutate_progress() is not None:
                    break
            except Exception:  # noqa: BLE001 - the database is being created
                pass
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it was interrupted: {proc.stderr.read()}"
    proc.send_signal(signal.SIGINT)
    for w in workers:  # a terminal sends Ctrl-C to the whole foreground group
        try:
            os.kill(w, signal.SIGINT)
        except ProcessLookupError:
            pass
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip().splitlines() == [
        "alchemy mutate: interrupted; work already recorded is kept"], err
    assert workers and not [w for w in workers if _alive(w)]
    progress = RunDB.for_run(run).mutate_progress()
    assert progress is not None and not progress["complete"] and progress["tasks_done"] > 0

    assert main(["mutate", "--run-dir", str(run.root), "--jobs", "2"]) == 0
    assert _tables(run) == _tables(whole)
    assert _stats(run) == _stats(whole)
