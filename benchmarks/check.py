"""Overhead of the checking orchestration per mutant, with a zero-latency stand-in checker.

What it measures: everything `alchemy check` does around Lean — leasing batches from the run
database (SQLite, WAL) and rendering their Lean text from the stored parts, shipping them to worker processes, recording verdicts, progress and
stats — with a checker that answers `verified` instantly.  Lean's own time is added on top
of this on a real run, so the figure says how much the orchestration costs per mutant.

Prints one JSON object: mutants, per_second, overhead_ms (wall time per mutant of the check
stage), cpu_ms_per_mutant (CPU time of the driver and its workers per mutant: on a shared
machine wall time also counts other jobs), peak_rss_mb (the driver), plus the insert cost
and the settings used.

    .venv/bin/python benchmarks/check.py                 # 20,000 mutants
    .venv/bin/python benchmarks/check.py --mutants 100000 -j 2 --batch-size 64
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.jobs.check import run_check
from lean_alchemy.core.lean_parts import render_unit
from lean_alchemy.core.rundb import RunDB, mutant_row
from lean_alchemy.jobs.options import CheckOptions
from lean_alchemy.jobs.toolchain import Toolchain


class InstantChecker:
    """Verifies everything at once: the benchmark measures our overhead, not Lean's."""

    backend = "instant"

    def check(self, units):
        return [Verdict(u.mutant_id, "verified") for u in units]

    def close(self) -> None:
        pass


def instant_factory(opts, toolchain) -> InstantChecker:
    return InstantChecker()


BASE_BODY = ("have h₁ : a * b = b * a := mul_comm a b\nsimp only [mul_comm, mul_left_comm] at *"
             "\nrw [h₁] at *\nexact le_of_eq h₁.symm")


def synthetic(i: int) -> Mutant:
    """A mutant of realistic size (~0.8 kB of Lean) in one of 200 modules, in the layout of
    `mutate.render` (its original proof, `BASE_BODY`, is stored once per theorem)."""
    mod = f"Mathlib.Algebra.Group{i % 200}"
    short = f"mul_comm_of_le_rw_goal_{i:08x}"
    stmt = f"{{G : Type*}} [CommGroup G] (a b : G) (h{i} : a * b ≤ b * a) : b * a = a * b"
    body = "\n".join("    " + ln for ln in BASE_BODY.split("\n"))
    proof = (f"by\n  have : a * b ≤ b * a := by\n{body}\n"
             "  rewrite [mul_comm (a := a) (b := b)] at this\n  exact this")
    header = ("section\nnamespace Foo\nopen Function\nvariable {M : Type*} [Monoid M]\n"
              "set_option autoImplicit false")
    decl = f"set_option maxHeartbeats 400000 in\ntheorem {short} {stmt} := {proof}"
    return Mutant(id=f"{i:016x}", name=f"Foo.{short}", parent="Foo.mul_comm_of_le",
                  source_theorem=f"Foo.mul_comm_of_le{i % 3000}", source_module=mod,
                  rule="mul_comm", kind="rw_goal", direction="fwd", location="goal", depth=1,
                  proof_style="merged", statement=stmt, proof=proof,
                  imports=(mod,), header=header,
                  lean=render_unit(header, decl, "end Foo\nend\n"),
                  scope_id="s", features=(("size", 31.0), ("depth", 1.0)))


def _cpu_seconds() -> float:
    """User + system time of this process and its waited-for children (the workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mutants", type=int, default=20_000)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="alchemy-bench-check-") as tmp:
        run = RunDir.at(Path(tmp) / "run").ensure()
        db = RunDB.for_run(run)
        t0 = time.perf_counter()
        chunk = 5000
        for lo in range(0, args.mutants, chunk):
            db.add_mutant_rows((mutant_row(synthetic(i), BASE_BODY), "pending", None)
                               for i in range(lo, min(args.mutants, lo + chunk)))
        insert_s = time.perf_counter() - t0
        db.close()
        tc = Toolchain(workspace=Path(tmp), lake=None, lean=None, lean_version="bench",
                       mathlib_rev="bench", repl_path=None, ready=True, problem=None)
        opts = CheckOptions(jobs=args.jobs, batch_size=args.batch_size, progress=False)
        cpu0 = _cpu_seconds()
        stats = run_check(run, opts, tc, checker_factory=instant_factory)
        cpu = _cpu_seconds() - cpu0
        assert stats.checked == args.mutants, stats
        db_bytes = run.db.stat().st_size
    seconds = stats.seconds
    out = {
        "mutants": args.mutants,
        "per_second": round(args.mutants / seconds, 1),
        "overhead_ms": round(1000 * seconds / args.mutants, 4),
        "cpu_ms_per_mutant": round(1000 * cpu / args.mutants, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "insert_ms_per_mutant": round(1000 * insert_s / args.mutants, 4),
        "check_seconds": seconds,
        "db_mb": round(db_bytes / 2**20, 1),
        "jobs": args.jobs,
        "batch_size": args.batch_size,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(json.dumps(out, sort_keys=True))
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
