"""Speed, memory and yield of `alchemy mutate` on a real run directory.

Usage: python benchmarks/mutate.py RUN_DIR [--index [--typed-filter]] [--proof-style merged|invoke]
       [--max-per-theorem N] [--no-refute] [--examples K] [--seed S] [--jobs N]

RUN_DIR must hold an extraction (declarations.parquet, scopes.parquet) and, unless
`--index` is given, the rule index.  With `--index` the index stage is run (and timed)
first, so `seconds_total` is the index+mutate figure (target: <= 15 minutes for all of
Mathlib on 2 cores).  Mutants are written to RUN_DIR/run.sqlite as by `alchemy mutate`
(idempotent: a re-run adds no rows).  Prints one JSON object with `mutants` (by kind),
`dropped` (by filter), `status`, `seconds` (mutate), `seconds_index`, `seconds_total`,
`peak_rss_mb`, `jobs`, `library_fingerprints`, `per_second` (invocations handled per
second), `cpu_seconds` (user + system time of this process and its workers, per stage),
`machine` (cores, CPU model, Python) and `examples`: K random rendered mutants of
different kinds from the database.

Why CPU seconds and the machine: the same code has taken 18.6 and 8.5 minutes on two 2-core
machines of one kind.  Wall time says whether a machine meets the target; CPU seconds
compare code across machines of the same kind.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path


def _examples(run, k: int, seed: int) -> list[dict]:
    """k stored mutants, kinds in turn, sampled through the database's id order (ids are
    fingerprints) from a seed-derived start: millions of rows are never all read."""
    if k <= 0:
        return []
    from lean_alchemy.core.records import content_hash
    from lean_alchemy.core.rundb import RunDB

    db = RunDB.for_run(run)
    kinds = db.kinds()
    if not kinds:
        return []
    start = content_hash("examples", str(seed))
    pools = {kind: db.sample(kind, k, start) for kind in kinds}
    out = []
    i = 0
    while len(out) < k and any(pools.values()):
        pool = pools[kinds[i % len(kinds)]]
        i += 1
        if pool:
            m = pool.pop(0)
            out.append({"kind": m.kind, "rule": m.rule, "direction": m.direction,
                        "source": m.source_theorem, "imports": list(m.imports), "lean": m.lean})
    return out


def _cpu_seconds() -> float:
    """User + system time of this process and of its children that have been waited for
    (a stage's worker pool is joined before the stage returns)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total


def _machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--index", action="store_true", help="run and time the index stage first")
    ap.add_argument("--typed-filter", action="store_true",
                    help="index with the typed match filter on (`[index] typed_filter`; "
                    "off by default), the signature table built in the timed stage")
    ap.add_argument("--proof-style", default="merged", choices=("merged", "invoke"))
    ap.add_argument("--max-per-theorem", type=int, default=None)
    ap.add_argument("--no-refute", action="store_true")
    ap.add_argument("--examples", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (0 = one per core)")
    args = ap.parse_args(argv)

    from lean_alchemy.core.rundir import RunDir
    from lean_alchemy.mutate.options import MutateOptions
    from lean_alchemy.mutate.pipeline import run_mutate

    run = RunDir.at(args.run_dir)
    seconds_index = 0.0
    cpu0 = _cpu_seconds()
    if args.index:
        from lean_alchemy.index.driver import run_index
        from lean_alchemy.index.options import IndexOptions
        t0 = time.perf_counter()
        run_index(run, IndexOptions(typed_filter=args.typed_filter))
        seconds_index = time.perf_counter() - t0
    kw = {"proof_style": args.proof_style, "refute": not args.no_refute, "seed": args.seed,
          "jobs": args.jobs}
    if args.max_per_theorem is not None:
        kw["max_per_theorem"] = args.max_per_theorem
    cpu1 = _cpu_seconds()
    stats = run_mutate(run, MutateOptions(**kw)).as_dict()
    cpu2 = _cpu_seconds()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "mutants": stats["mutants"],
        "mutants_total": stats["mutants_total"],
        "status": stats["status"],
        "dropped": stats["dropped"],
        "invocations": stats["invocations"],
        "candidates": stats["candidates"],
        "seconds": stats["seconds"],
        "seconds_index": round(seconds_index, 1),
        "seconds_total": round(seconds_index + stats["seconds"], 1),
        "jobs": stats["jobs"],
        "library_fingerprints": stats["library_fingerprints"],
        "per_second": round(stats["invocations"] / stats["seconds"], 1) if stats["seconds"] else None,
        "peak_rss_mb": round(peak, 1),
        "cpu_seconds": {"index": round(cpu1 - cpu0, 1), "mutate": round(cpu2 - cpu1, 1),
                        "total": round(cpu2 - cpu0, 1)},
        "machine": _machine(),
        "examples": _examples(run, args.examples, args.seed),
    }
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
