"""`run_check` and `alchemy check/status` with a stand-in checker (tests/helpers/fake_checker.py).

The stand-in is a Checker (the contract of `lean_alchemy.jobs.checkers`) that judges a unit
by its declaration name: `ok*` verified, `bad*` rejected, `slow*` verified after a delay,
`killonce*` SIGKILLs its own worker the first time it is seen, `killalways*` every time,
`raise*` raises (a checker bug).  What is tested here is the orchestration: leases,
retries, worker deaths, resumption, the database as the only truth.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.jobs.check import reclaim_dead_leases, run_check
from lean_alchemy.core.rundb import RunDB

from helpers.builders import make_mutant
from helpers.fake_checker import TC, FakeFactory, check_options

TESTS = Path(__file__).resolve().parents[1]


def scripted_mutant(i: int, name: str) -> Mutant:
    """Mutant `i` named `<name><i>`: the name prefix tells the fake checker what to do."""
    mod = f"Mathlib.M{i % 3}"
    return make_mutant(i, name=f"{name}{i}", source_module=mod, statement="(a : ℕ) : a = a",
                       proof="rfl", imports=(mod,), header="",
                       lean=f"theorem {name}{i} : True := trivial")


def make_run(tmp_path: Path, names: list[str], extra=()) -> RunDir:
    run = RunDir.at(tmp_path / "run").ensure()
    db = RunDB.for_run(run)
    db.add_mutants([(scripted_mutant(i, n), "pending", None) for i, n in enumerate(names)] + list(extra))
    db.close()
    return run


def checks(log: Path) -> Counter:
    return Counter(line.split()[1] for line in log.read_text().splitlines()) if log.exists() else Counter()


def test_every_mutant_gets_one_verdict_and_rerun_does_nothing(tmp_path: Path) -> None:
    names = ["ok"] * 20 + ["bad"] * 5
    run = make_run(tmp_path, names, extra=[(scripted_mutant(99, "refuted"), "refuted", "counterexample")])
    log = tmp_path / "checks.log"
    lines: list[str] = []
    stats = run_check(run, check_options(tmp_path), TC, checker_factory=FakeFactory(str(log)),
                      echo=lines.append)
    assert stats.checked == 25 and stats.by_status == {"verified": 20, "rejected": 5}
    assert stats.by_error_class == {"type mismatch": 5}
    assert stats.remaining == 0 and stats.lean_version == "4.99.0"
    assert stats.database == {"refuted": 1, "rejected": 5, "verified": 20}
    written = json.loads(run.stats_path("check").read_text())
    assert written.pop("versions") and written == stats.as_dict()
    assert set(written) == {
        "checked", "by_status", "by_error_class", "retried", "lost_batches", "bisected",
        "lost_workers", "already_final", "released", "reclaimed_leases", "per_second",
        "seconds", "backend", "executor", "workers", "batch_size", "lean_version",
        "mathlib_rev", "database", "remaining", "interrupted", "error", "peak_rss_mb"}
    assert json.loads(run.stats_path("check").read_text())["checked"] == 25
    assert lines and "25 verdicts" in lines[-1]
    assert set(checks(log).values()) == {1} and len(checks(log)) == 25
    db = RunDB.for_run(run)
    for m, v in db.iter_results(statuses=("verified", "rejected")):
        assert (v.backend, v.lean_version, v.mathlib_rev) == ("fake", "4.99.0", "0123456789abcdef")
    # the workers logged to RUN/logs
    assert (run.logs_dir / "check.log").exists() and (run.logs_dir / "worker-0.log").exists()
    again = run_check(run, check_options(tmp_path), TC, checker_factory=FakeFactory(str(log)))
    assert again.checked == 0 and len(checks(log)) == 25 and sum(checks(log).values()) == 25


def test_stats_of_two_invocations_merge(tmp_path: Path) -> None:
    run = make_run(tmp_path, ["ok"] * 20 + ["bad"] * 10)
    first = run_check(run, check_options(tmp_path, limit=12, jobs=1), TC, checker_factory=FakeFactory())
    rest = run_check(run, check_options(tmp_path, jobs=1), TC, checker_factory=FakeFactory())
    both = first.merge(rest)
    assert both.checked == 30 and both.by_status == {"verified": 20, "rejected": 10}
    assert both.by_error_class == {"type mismatch": 10}
    assert both.remaining == 0 and both.database == rest.database
    assert both.seconds == pytest.approx(first.seconds + rest.seconds, abs=0.01)
    assert both.peak_rss_mb == max(first.peak_rss_mb, rest.peak_rss_mb)


def test_limit_then_resume(tmp_path: Path) -> None:
    run = make_run(tmp_path, ["ok"] * 30)
    first = run_check(run, check_options(tmp_path, limit=10, jobs=1), TC, checker_factory=FakeFactory())
    assert first.checked == 10 and first.remaining == 20
    rest = run_check(run, check_options(tmp_path, jobs=1), TC, checker_factory=FakeFactory())
    assert rest.checked == 20 and rest.database == {"verified": 30}


def test_a_killed_worker_loses_nothing(tmp_path: Path) -> None:
    """A worker SIGKILLed mid-batch: its batch is split and retried, the culprit alone."""
    markers = tmp_path / "markers"
    markers.mkdir()
    names = ["ok"] * 12 + ["killonce"] + ["ok"] * 12 + ["killalways"] + ["bad"] * 3
    run = make_run(tmp_path, names)
    log = tmp_path / "checks.log"
    stats = run_check(run, check_options(tmp_path, batch_size=8, max_attempts=3), TC,
                      checker_factory=FakeFactory(str(log), marker_dir=str(markers)))
    db = RunDB.for_run(run)
    assert db.counts() == {"verified": 25, "rejected": 3, "crashed": 1}
    st = db.state("m00025")  # killalways
    assert st["error_class"] == "worker lost" and st["attempts"] == 3
    assert db.state("m00012")["attempts"] == 1  # killonce: retried within its lease
    assert stats.lost_workers >= 4 and stats.bisected >= 2
    assert stats.by_status == {"verified": 25, "rejected": 3, "crashed": 1}
    # the innocent neighbours of the culprit were not charged an attempt for it
    assert max(db.attempt_counts()) == 3 and db.attempt_counts()[1] == 28
    # neighbours checked before the kill in a lost batch are checked again (their verdicts
    # never reached the driver); every one of them has a verdict in the end
    assert set(checks(log)) == {f"m{i:05d}" for i in range(len(names))} - {"m00025"}


def test_checker_exception_stops_the_run_and_keeps_verdicts(tmp_path: Path) -> None:
    run = make_run(tmp_path, ["ok"] * 8 + ["raise"] + ["ok"] * 3)
    with pytest.raises(AlchemyError, match="stand-in checker bug") as e:
        run_check(run, check_options(tmp_path, jobs=1, batch_size=4), TC, checker_factory=FakeFactory())
    assert "re-run `alchemy check`" in str(e.value)
    db = RunDB.for_run(run)
    counts = db.counts()
    assert counts.get("verified", 0) == 8 and "leased" not in counts  # leases given back
    assert db.state("m00008")["attempts"] == 0  # refunded: the mutant was not at fault
    stats = json.loads(run.stats_path("check").read_text())
    assert "stand-in checker bug" in stats["error"]


class ScriptedExecutor:
    """Takes two batches, then reports both at once: the first failed, the second verified."""

    workers = 2
    lost_workers = 0

    def __init__(self, *args, **kwargs) -> None:
        self.subs: list = []

    def start(self) -> None:
        pass

    def free(self) -> int:
        return 1 if len(self.subs) < 2 else 0

    def submit(self, batch_id, units) -> None:
        self.subs.append((batch_id, units))

    def poll(self, timeout):
        from lean_alchemy.jobs.executors import BatchOutcome

        (b1, _), (b2, units) = self.subs
        return [BatchOutcome(b1, "worker-0", error="Traceback ...\nRuntimeError: boom"),
                BatchOutcome(b2, "worker-1", verdicts=tuple(Verdict(u.mutant_id, "verified")
                                                             for u in units))]

    def close(self, *, abort: bool = False) -> None:
        pass


def test_verdicts_arriving_with_an_error_are_kept(tmp_path: Path, monkeypatch) -> None:
    import lean_alchemy.jobs.check as check_mod

    monkeypatch.setattr(check_mod, "make_executor", ScriptedExecutor)
    run = make_run(tmp_path, ["ok"] * 12)
    with pytest.raises(AlchemyError, match="RuntimeError: boom"):
        run_check(run, check_options(tmp_path, batch_size=4), TC, checker_factory=FakeFactory())
    assert RunDB.for_run(run).counts() == {"verified": 4, "pending": 8}


def failing_factory(opts, toolchain):
    raise RuntimeError("no Lean process could be started here")


def test_checker_that_cannot_start_stops_the_run(tmp_path: Path) -> None:
    run = make_run(tmp_path, ["ok"] * 5)
    with pytest.raises(AlchemyError, match="could not start.*no Lean process") as e:
        run_check(run, check_options(tmp_path), TC, checker_factory=failing_factory)
    assert "worker-" in str(e.value)  # names the worker log to read
    db = RunDB.for_run(run)
    assert db.counts() == {"pending": 5} and db.attempt_counts() == {0: 5}


def test_missing_toolchain_changes_nothing(tmp_path: Path) -> None:
    run = make_run(tmp_path, ["ok"] * 3)
    before = run.db.read_bytes()
    with pytest.raises(AlchemyError, match="alchemy setup-lean"):
        run_check(run, check_options(tmp_path))
    assert run.db.read_bytes() == before and not run.stats_path("check").exists()


def test_no_database_names_the_stage(tmp_path: Path) -> None:
    with pytest.raises(AlchemyError, match="alchemy mutate"):
        run_check(RunDir.at(tmp_path / "empty"), check_options(tmp_path), TC, checker_factory=FakeFactory())


DRIVER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from helpers.fake_checker import FakeFactory, TC, check_options
    from pathlib import Path
    from lean_alchemy.core.rundir import RunDir
    from lean_alchemy.jobs.check import run_check
    run_check(RunDir.at({run!r}), check_options(Path({tmp!r}), batch_size=2), TC,
              checker_factory=FakeFactory({log!r}, delay=0.05))
""")


# Mutants of the interrupted runs: at 0.05 s a check on 2 workers, ~5 s of work remain when
# the signal is sent, so a loaded machine cannot finish the run before it arrives (with 40,
# a busy CI machine once did, and the driver exited 0).
SLOW_RUN = 200


def _start_driver(tmp_path: Path, run: RunDir, log: Path) -> subprocess.Popen:
    code = DRIVER.format(tests=str(TESTS), run=str(run.root), tmp=str(tmp_path), log=str(log))
    # SIGINT back to its default in the driver, as in a terminal: a test suite started as a
    # background job (`make test &`, nohup) inherits SIGINT ignored, and Python then never
    # raises KeyboardInterrupt, so the driver would run to the end and exit 0
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_verdicts(run: RunDir, n: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    db = RunDB.for_run(run)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.counts().get("verified", 0) >= n:
            return
        if proc.poll() is not None:
            pytest.fail(f"driver ended early: {proc.stderr.read()}")
        time.sleep(0.05)
    pytest.fail("no progress")


def _gone(pids: list[int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists()
                 and "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def test_resume_after_the_driver_is_sigkilled(tmp_path: Path) -> None:
    """Every mutant ends with exactly one verdict; none verified before the kill is checked
    again; the dead driver's leases are retried at once by the next run."""
    run = make_run(tmp_path, ["ok"] * SLOW_RUN)
    log = tmp_path / "checks.log"
    proc = _start_driver(tmp_path, run, log)
    _wait_for_verdicts(run, 8, proc)
    workers = [int(line.split()[0]) for line in log.read_text().splitlines()]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _gone(sorted(set(workers) - {proc.pid})), "workers outlived their driver"
    db = RunDB.for_run(run)
    done_before = {m.id for m, _ in db.iter_results(statuses=None)}
    assert 8 <= len(done_before) < SLOW_RUN and db.lease_owners()  # leases of a dead driver
    stats = run_check(run, check_options(tmp_path, batch_size=2), TC, checker_factory=FakeFactory(str(log)))
    assert stats.reclaimed_leases >= 1
    assert db.counts() == {"verified": SLOW_RUN}
    seen = checks(log)
    assert all(seen[i] == 1 for i in done_before)  # never checked again after success
    assert set(seen) == {f"m{i:05d}" for i in range(SLOW_RUN)}


def test_ctrl_c_keeps_verdicts_and_gives_leases_back(tmp_path: Path) -> None:
    run = make_run(tmp_path, ["ok"] * SLOW_RUN)
    log = tmp_path / "checks.log"
    proc = _start_driver(tmp_path, run, log)
    _wait_for_verdicts(run, 6, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    db = RunDB.for_run(run)
    counts = db.counts()
    assert "leased" not in counts and counts["verified"] >= 6
    assert counts["verified"] + counts.get("pending", 0) == SLOW_RUN
    stats = json.loads(run.stats_path("check").read_text())
    assert stats["interrupted"] is True and stats["checked"] == counts["verified"]
    assert reclaim_dead_leases(db) == 0


@pytest.mark.ray
def test_ray_executor_local_mode_with_a_killed_worker(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray", reason="the optional `ray` extra is not installed")
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    markers = tmp_path / "markers"
    markers.mkdir()
    names = ["ok"] * 10 + ["killonce"] + ["ok"] * 5 + ["bad"] * 2
    run = make_run(tmp_path, names)
    stats = run_check(run, check_options(tmp_path, executor="ray", ray_address="local", batch_size=6), TC,
                      checker_factory=FakeFactory(marker_dir=str(markers)),
                      executor_kwargs={"init_kwargs": {"num_cpus": 2}})
    assert stats.by_status == {"verified": 16, "rejected": 2}
    assert stats.lost_workers >= 1 and stats.executor == "ray"
    assert not ray.is_initialized()  # we started it, we shut it down
    assert RunDB.for_run(run).counts() == {"verified": 16, "rejected": 2}


def test_ray_missing_is_one_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    run = make_run(tmp_path, ["ok"])
    with pytest.raises(AlchemyError, match=r"lean-alchemy\[ray\]"):
        run_check(run, check_options(tmp_path, executor="ray"), TC, checker_factory=FakeFactory())
    assert RunDB.for_run(run).counts() == {"pending": 1}


# ------------------------------------------------------------------------------ CLI


def test_cli_status_table_and_json(tmp_path: Path, capsys) -> None:
    from lean_alchemy.cli.main import main

    run = make_run(tmp_path, ["ok"] * 6 + ["bad"] * 2 + ["pend"] * 2,
                   extra=[(scripted_mutant(50, "r"), "refuted", "cex")])
    db = RunDB.for_run(run)
    ms = db.lease("x", 8, 60)
    db.record_verdicts([Verdict(m.id, "rejected" if m.name.startswith("bad") else "verified",
                                "unknown identifier" if m.name.startswith("bad") else None)
                        for m in ms])
    assert main(["status", "--run-dir", str(run.root)]) == 0
    out = capsys.readouterr().out
    assert "verified" in out and "unknown identifier" in out and "refuted" in out
    row = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip()}
    assert row["verified"] == "6" and row["pending"] == "2" and row["total"] == "11"
    assert "75.0% verified of 8 Lean verdicts" in out and "left          2 mutants" in out
    assert main(["status", "--run-dir", str(run.root), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["counts"]["rejected"] == 2 and rep["error_classes"] == {
        "rejected": {"unknown identifier": 2}} and rep["remaining"] == 2


def test_cli_check_errors(tmp_path: Path, capsys) -> None:
    from lean_alchemy.cli.main import main

    assert main(["status", "--run-dir", str(tmp_path / "none")]) == 2
    assert "alchemy mutate" in capsys.readouterr().err
    run = make_run(tmp_path, ["ok"])
    assert main(["check", "--run-dir", str(run.root), "--workspace", str(tmp_path / "ws")]) == 2
    assert "alchemy setup-lean" in capsys.readouterr().err
    assert main(["check", "--run-dir", str(run.root), "--batch-size", "0"]) == 2
    assert "batch_size must be >= 1" in capsys.readouterr().err


def test_cli_flags_mirror_options(tmp_path: Path) -> None:
    from lean_alchemy.jobs.check_cli import options_from_args
    from lean_alchemy.cli.main import build_parser

    args = build_parser(only="check").parse_args(
        ["check", "--backend", "repl", "-j", "3", "--limit", "7", "--batch-size", "16",
         "--timeout", "30", "--executor", "ray", "--ray-address", "10.0.0.1:6379",
         "--workspace", "ws", "--db", "sqlite:////tmp/x.db", "--no-progress", "--max-attempts", "5"])
    o = options_from_args(args)
    assert (o.backend, o.jobs, o.limit, o.batch_size, o.timeout_s, o.executor, o.ray_address,
            o.workspace, o.db_url, o.progress, o.max_attempts) == (
        "repl", 3, 7, 16, 30.0, "ray", "10.0.0.1:6379", "ws", "sqlite:////tmp/x.db", False, 5)
    assert options_from_args(build_parser(only="check").parse_args(["check"])).progress is True
    file_alias = build_parser(only="check").parse_args(["check", "--backend", "file"])
    assert options_from_args(file_alias).backend == "lean-json"


# ------------------------------------------------------------------------------ real checkers


def lean_mutant(i: int, directive: str = "") -> Mutant:
    body = f"  -- standin: {directive}\n" if directive else ""
    lean = f"namespace T{i}\ntheorem t{i} : True := by\n{body}  trivial\nend T{i}"
    return replace_lean(scripted_mutant(i, "t"), lean, name=f"T{i}.t{i}")


def replace_lean(m: Mutant, lean: str, name: str | None = None) -> Mutant:
    from dataclasses import replace

    return replace(m, lean=lean, imports=("Mathlib",), name=name or m.name)


@pytest.mark.parametrize("backend", ["lean-json", "repl"])
def test_real_checkers_through_the_standin_lean(tmp_path: Path, standin_toolchain,
                                                backend: str) -> None:
    """The default checker factory (`make_checker`) and toolchain discovery, with the
    stand-in Lean: messages attributed per mutant, a hang and a crash isolated."""
    plan = {3: "error type mismatch", 7: "hang", 11: "kill9", 12: "warn-sorry"}
    run = RunDir.at(tmp_path / "run").ensure()
    db = RunDB.for_run(run)
    db.add_mutants([(lean_mutant(i, plan.get(i, "")), "pending", None) for i in range(16)])
    o = check_options(tmp_path, backend=backend, batch_size=8, timeout_s=3.0, max_attempts=1,
             workspace=str(standin_toolchain.workspace), memory_limit_mb=0)
    stats = run_check(run, o)
    final = {m.id: v for m, v in db.iter_results(statuses=None)}
    assert len(final) == 16 and stats.remaining == 0
    assert final["m00003"].status == "rejected" and final["m00003"].error_class == "type mismatch"
    assert final["m00007"].status == "timeout"
    assert final["m00011"].status == "crashed"
    assert final["m00012"].status == "rejected" and final["m00012"].error_class == "uses sorry"
    ok = [v for k, v in final.items() if int(k[1:]) not in plan]
    assert len(ok) == 12 and all(v.status == "verified" for v in ok)
    assert all(v.backend == backend and v.mathlib_rev == standin_toolchain.mathlib_rev
               and v.lean_version == standin_toolchain.lean_version for v in final.values())
    assert run_check(run, o).checked == 0


def test_driver_log_records_bypass_the_worker_queue(tmp_path):
    """The driver writes its own records to the file directly: it never starts the queue's
    feeder thread, which hung the driver at exit once a worker died holding the queue lock.
    Records of a forked worker still arrive through the queue."""
    import logging
    import multiprocessing as mp

    from lean_alchemy.jobs.check import _worker_log_handler

    fh = logging.FileHandler(tmp_path / "check.log", encoding="utf-8")
    h = _worker_log_handler(fh)
    log = logging.getLogger("lean_alchemy.test_driver_log")
    log.addHandler(h)
    log.setLevel(logging.INFO)
    try:
        log.info("from the driver")
        assert h.queue._thread is None  # no feeder thread in the driver
        child = mp.get_context("fork").Process(target=log.info, args=("from a worker",))
        child.start()
        child.join(10)
        assert child.exitcode == 0
    finally:
        log.removeHandler(h)
        h.close()
    text = (tmp_path / "check.log").read_text(encoding="utf-8")
    assert "from the driver" in text and "from a worker" in text


@pytest.mark.parametrize("backend", ["lean-json", "repl"])
def test_lean_crashing_at_a_fifth_of_its_starts_does_not_stop_the_check(
        tmp_path: Path, standin_toolchain, monkeypatch, backend: str) -> None:
    """A panic before Lean reads its header says nothing about the mutants: the start is
    retried, and one `alchemy check` judges every mutant."""
    monkeypatch.setenv("STANDIN_START_CRASH", "0.2")
    monkeypatch.setenv("STANDIN_START_STATE", str(tmp_path / "starts"))
    run = RunDir.at(tmp_path / "run").ensure()
    db = RunDB.for_run(run)
    db.add_mutants([(lean_mutant(i, "error type mismatch" if i % 7 == 0 else ""), "pending",
                     None) for i in range(40)])
    o = check_options(tmp_path, backend=backend, batch_size=4, jobs=2, timeout_s=20.0,
             repl_max_commands=3, workspace=str(standin_toolchain.workspace), memory_limit_mb=0)
    stats = run_check(run, o)
    assert stats.remaining == 0 and stats.checked == 40
    assert stats.by_status == {"verified": 34, "rejected": 6}
    starts = (tmp_path / "starts").read_text()
    assert len(starts) > 12  # enough starts that some crashed (the sequence is fixed)


def test_lean_that_never_starts_stops_the_run_with_the_whole_message(
        tmp_path: Path, standin_toolchain, monkeypatch) -> None:
    monkeypatch.setenv("STANDIN_START_CRASH", "1")
    run = RunDir.at(tmp_path / "run").ensure()
    RunDB.for_run(run).add_mutants([(lean_mutant(i), "pending", None) for i in range(4)])
    o = check_options(tmp_path, jobs=1, start_attempts=3, workspace=str(standin_toolchain.workspace),
             memory_limit_mb=0)
    with pytest.raises(AlchemyError) as e:
        run_check(run, o)
    first_line = str(e.value).split("\n")[0]
    assert "Lean failed to start 3 times in a row" in first_line
    assert "INTERNAL PANIC: the standin was told to crash at start (STANDIN_START_CRASH)" \
        in first_line
    assert RunDB.for_run(run).counts() == {"pending": 4}
