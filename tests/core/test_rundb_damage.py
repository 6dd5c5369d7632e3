"""A damaged, missing or read-only run database is reported as such, never taken for an
empty one: every command checks the file before trusting it (`core/rundb_check.py`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lean_alchemy.cli.main import main
from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.core.rundb import RunDB
from lean_alchemy.core.rundir import RunDir

from helpers.builders import make_mutant

MUTANTS = 300
VERDICTS = 200


def long_proof_mutant(i: int) -> Mutant:
    """Mutant `i` whose check unit holds a twelve-line proof comment."""
    body = "\n".join(f"  -- line {k} of a long proof of mutant {i}" for k in range(12))
    return make_mutant(i, name=f"Foo.t{i}", parent="Foo.t", source_theorem="Foo.t",
                       source_module="Foo", statement="(a : ℕ) : a = a", proof="rfl",
                       imports=("Foo",), header="",
                       lean=f"theorem t{i} (a : ℕ) : a = a := by\n{body}\n  rfl")


@pytest.fixture(scope="module")
def checked_run(tmp_path_factory) -> RunDir:
    """A run whose mutate stage finished and which was partly checked."""
    run = RunDir.at(tmp_path_factory.mktemp("checked") / "run").ensure()
    with RunDB.for_run(run) as db:
        db.add_mutants([(long_proof_mutant(i), "pending", None) for i in range(MUTANTS)])
        db.record_verdicts([Verdict(f"m{i:05d}", "verified", axioms=())
                            for i in range(VERDICTS)])
        counts = db.counts()
    run.write_stats("mutate", {"mutants_total": MUTANTS, "mutants": {"rw_goal": MUTANTS}})
    run.write_stats("check", {"database": counts})
    (run.root / "run.state.json").write_text(json.dumps({"mutate": {"hash": "x"}}))
    return run


def copy_of(run: RunDir, tmp_path: Path) -> RunDir:
    dest = tmp_path / "copy"
    shutil.copytree(run.root, dest)
    return RunDir.at(dest)


def one_line_error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


COMMANDS = (["status"], ["check", "--no-progress"], ["corpus"])


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_zero_length_database_is_not_recreated(checked_run, tmp_path, capsys, command) -> None:
    run = copy_of(checked_run, tmp_path)
    run.db.write_bytes(b"")
    err = one_line_error(capsys, [*command, "--run-dir", str(run.root)])
    assert "is damaged: it is empty (0 bytes)" in err
    assert f"it held the {MUTANTS} mutants of `alchemy mutate` and {VERDICTS} Lean verdicts" in err
    assert ".recover" in err and "alchemy mutate --run-dir" in err
    assert run.db.stat().st_size == 0  # nothing was created in its place


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_truncated_tail_is_detected(checked_run, tmp_path, capsys, command) -> None:
    run = copy_of(checked_run, tmp_path)
    size = run.db.stat().st_size
    with run.db.open("r+b") as f:
        f.truncate(size - 3 * 4096)
    err = one_line_error(capsys, [*command, "--run-dir", str(run.root)])
    assert "is damaged: it is truncated" in err


@pytest.mark.parametrize("where", ["middle", "tail"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_overwritten_pages_are_detected(checked_run, tmp_path, capsys, command, where) -> None:
    run = copy_of(checked_run, tmp_path)
    pages = run.db.stat().st_size // 4096
    with run.db.open("r+b") as f:
        f.seek((pages // 2 if where == "middle" else pages - 1) * 4096)
        f.write(b"\xa5" * 4096)
    err = one_line_error(capsys, [*command, "--run-dir", str(run.root)])
    assert "is damaged" in err
    assert "integrity check failed" in err or "SQLite cannot read it" in err


def test_missing_database_after_mutate_and_empty_database(checked_run, tmp_path, capsys) -> None:
    run = copy_of(checked_run, tmp_path)
    run.db.unlink()
    err = one_line_error(capsys, ["status", "--run-dir", str(run.root)])
    assert "the file is missing although `alchemy mutate` finished" in err
    RunDB(f"sqlite:///{run.db}").close()  # a valid database without a mutant
    err = one_line_error(capsys, ["corpus", "--run-dir", str(run.root)])
    assert "is damaged: it holds no mutant" in err and f"{MUTANTS} mutants" in err


def test_run_dir_that_is_a_file(tmp_path, capsys) -> None:
    f = tmp_path / "not-a-dir"
    f.write_text("x")
    for command in (["status"], ["check"], ["corpus"], ["mutate"], ["run", "lean_workspace"]):
        err = one_line_error(capsys, [*command, "--run-dir", str(f)])
        assert f"{f} is a file, not a run directory" in err


def _can_mount_read_only() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs none /mnt"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_read_only(), reason="needs user namespaces (unshare -rm)")
def test_read_only_run_status_reads_and_check_says_read_only(checked_run, tmp_path) -> None:
    run = copy_of(checked_run, tmp_path)

    def alchemy_read_only(*argv: str) -> subprocess.CompletedProcess:
        script = (f'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && '
                  f'exec "$@"')
        return subprocess.run(
            ["unshare", "-rm", "sh", "-c", script, "sh", str(run.root), sys.executable, "-m",
             "lean_alchemy.cli.main", *argv, "--run-dir", str(run.root)],
            capture_output=True, text=True, env={**os.environ, "LEAN_ALCHEMY_NATIVE": "0"})

    status = alchemy_read_only("status", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["counts"] == {"pending": MUTANTS - VERDICTS,
                                                    "verified": VERDICTS}
    check = alchemy_read_only("check", "--no-progress")
    assert check.returncode == 2
    assert f"the run directory {run.root} is read-only" in check.stderr
    assert "not a readable run database" not in check.stderr and "mutate" not in check.stderr
