"""Python-side cost of the lean-json checker per mutant: everything but Lean itself.

What it measures, on synthetic units of realistic size (~0.6 kB of Lean each):
- `sorry_us`: the sorry/admit screen (a tenth of the units mention `sorry` in a comment, so
  that the lexing path is exercised too);
- `batch_us`: laying out a batch file (imports union, scope blocks, end markers);
- `attribute_us`: parsing `lean --json` output (one error per third unit, the end markers)
  and giving every message to its unit by line range;
- `verdict_us`: turning attributed messages into verdicts (classification included).
`overhead_us` is their sum per mutant; the target is well under a millisecond so that the
checker never matters next to Lean (tens of milliseconds to seconds per mutant).

    .venv/bin/python benchmarks/checkers.py [--mutants 100000] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time

from lean_alchemy.core.leantext import contains_sorry
from lean_alchemy.jobs.checkers.base import CheckUnit, VerdictMaker
from lean_alchemy.jobs.checkers.lean_json import attribute, build_batch
from lean_alchemy.jobs.checkers.limits import Output


def unit(i: int) -> CheckUnit:
    lean = ("section\nnamespace Foo\nopen Function\nvariable {M : Type*} [Monoid M]\n"
            "set_option autoImplicit false\n\nset_option maxHeartbeats 400000 in\n"
            f"theorem Foo.mul_comm_of_le_mut{i} {{G : Type*}} [CommGroup G] (a b : G)\n"
            f"    (h{i} : a * b ≤ b * a) : b * a = a * b := by\n"
            "  have h : a * b = b * a := mul_comm a b -- the original proof, unchanged"
            f"{' (no sorry)' if i % 10 == 0 else ''}\n"
            "  rw [h] at *\n  exact h.symm\n\nend Foo\nend\n")
    return CheckUnit(f"{i:016x}", f"Foo.mul_comm_of_le_mut{i}",
                     (f"Mathlib.Algebra.Group{i % 7}", "Mathlib.Order.Basic"), lean)


def fake_output(batch, units) -> Output:
    """What `lean --json` prints for the batch: the markers, an error in every third unit."""
    lines = []
    t = 0.0

    def msg(line: int, sev: str, data: str) -> str:
        return json.dumps({"fileName": "/tmp/Batch.lean", "pos": {"line": line, "column": 2},
                           "endPos": {"line": line, "column": 9}, "keepFullRange": False,
                           "severity": sev, "isSilent": False, "caption": "", "data": data,
                           "kind": "[anonymous]"}, separators=(",", ":"))

    lines.append((t, msg(batch.header_end, "information", batch.marker("header"))))
    for k, (a, b) in enumerate(batch.ranges):
        t += 0.01
        if k % 3 == 0:
            goal = "unsolved goals\nG : Type u_1\n⊢ b * a = a * b"
            lines.append((t, msg(a + 9, "error", goal)))
        lines.append((t, msg(b, "information", batch.marker(k))))
    return Output(lines=lines, returncode=1, elapsed=t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mutants", type=int, default=100_000)
    ap.add_argument("--batch-size", type=int, default=64)
    a = ap.parse_args()
    units = [unit(i) for i in range(a.mutants)]
    maker = VerdictMaker("lean-json", "4.33.0-rc1", "f4a75053ba65")
    t_sorry = t_batch = t_attr = t_verdict = 0.0
    rejected = 0
    for s in range(0, len(units), a.batch_size):
        chunk = units[s: s + a.batch_size]
        t0 = time.perf_counter()
        for u in chunk:
            contains_sorry(u.lean)
        t1 = time.perf_counter()
        batch = build_batch(chunk, 200000)
        t2 = time.perf_counter()
        out = fake_output(batch, chunk)
        t3 = time.perf_counter()
        run = attribute(batch, out)
        t4 = time.perf_counter()
        prev = run.header_at or 0.0
        for k, u in enumerate(chunk):
            v = maker.from_messages(u, run.per_unit[k], batch.first_lines[k],
                                    (run.done_at[k] or prev) - prev)
            rejected += v.status == "rejected"
            prev = run.done_at[k] or prev
        t5 = time.perf_counter()
        t_sorry += t1 - t0
        t_batch += t2 - t1
        t_attr += t4 - t3
        t_verdict += t5 - t4
    n = len(units)
    per = {k: round(v / n * 1e6, 2) for k, v in (("sorry_us", t_sorry), ("batch_us", t_batch),
                                                  ("attribute_us", t_attr),
                                                  ("verdict_us", t_verdict))}
    print(json.dumps({
        "mutants": n, "batch_size": a.batch_size, **per,
        "overhead_us": round(sum(per.values()), 2),
        "rejected": rejected,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }))


if __name__ == "__main__":
    main()
