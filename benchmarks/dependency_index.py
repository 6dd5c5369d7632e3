"""Benchmark the cost of a dependency's rules on `alchemy index` (`--rules-from`).

Indexes one extracted project twice, each time in a fresh copy of its extraction: with
its own rules only, then with the rules of a finished dependency run (e.g. Mathlib's).
Prints ONE JSON object: per variant the wall and CPU seconds (this process and its
forked workers), rules, invocations (by library) and the index's own timings; the ratios
with/without; and the share of invocations that use a dependency's rule.

usage: python benchmarks/dependency_index.py PROJECT_RUN DEPENDENCY_RUN [-j N]
           [--max-dependency-matches N]  (default: the index's default; 0 = no such cap)
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from lean_alchemy.core.rundir import RunDir
from lean_alchemy.index.driver import run_index
from lean_alchemy.index.options import IndexOptions

EXTRACT_FILES = ("declarations.parquet", "scopes.parquet", "notations.parquet",
                 "extract.stats.json", "extract.failures.parquet")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _variant(project: Path, tmp: Path, name: str, opts: IndexOptions) -> dict:
    run = RunDir.at(tmp / name)
    run.root.mkdir()
    for f in EXTRACT_FILES:
        if (project / f).exists():
            shutil.copy(project / f, run.root / f)
    c0, t0 = _cpu(), time.perf_counter()
    stats = run_index(run, opts).as_dict()
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "rules": stats["rules"],
            "invocations": stats["invocations"],
            "invocations_by_library": stats.get("invocations_by_library"),
            "dependency_rules": stats.get("dependency_rules"),
            "dependency_rules_skipped": stats.get("dependency_rules_skipped"),
            "seconds_dependencies": stats.get("seconds_dependencies"),
            "seconds_rules": stats["seconds_rules"], "seconds_match": stats["seconds_match"],
            "theorems": stats["theorems"], "peak_rss_mb": stats["peak_rss_mb"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("project", type=Path, help="run directory with the project's extraction")
    ap.add_argument("dependency", type=Path, help="finished run of the dependency")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--max-dependency-matches", type=int,
                    default=IndexOptions.max_dependency_matches_per_theorem)
    args = ap.parse_args()
    dep_cap = args.max_dependency_matches or None
    with tempfile.TemporaryDirectory(prefix="alchemy-dep-bench-") as d:
        tmp = Path(d)
        own = _variant(args.project, tmp, "own", IndexOptions(jobs=args.jobs))
        dep = _variant(args.project, tmp, "dep", IndexOptions(
            jobs=args.jobs, rules_from=(str(args.dependency),),
            max_dependency_matches_per_theorem=dep_cap))
    by = dep["invocations_by_library"] or {}
    total = sum(by.values())
    print(json.dumps({
        "project": str(args.project), "dependency": str(args.dependency),
        "max_dependency_matches_per_theorem": dep_cap,
        "own_rules_only": own, "with_dependency": dep,
        "ratio_wall": round(dep["wall_s"] / own["wall_s"], 2) if own["wall_s"] else None,
        "ratio_cpu": round(dep["cpu_s"] / own["cpu_s"], 2) if own["cpu_s"] else None,
        "dependency_invocation_share": round((total - by.get("(own)", 0)) / total, 4)
        if total else None,
    }, indent=2))


if __name__ == "__main__":
    main()
