"""Benchmark `alchemy index` on an extraction (e.g. all of Mathlib).

Prints ONE JSON object: rules (total, by kind), dropped rules by reason, candidates,
invocations (total, by kind), matches filtered by reason, edges by kind, unresolved and
ambiguous names, seconds (wall time of the index stage), peak_rss_mb (the largest of the
parent's and the workers' peaks) and, with `--examples K`, K random invocable edges for a
spot check by eye (rule lemma, direction, location, the matched instance, the candidate's
statement).

usage: python benchmarks/index.py RUN_DIR [-j N] [--max-matches N] [--examples K]
       python benchmarks/index.py --src PATH [--run-dir DIR] ...   (extract first)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from lean_alchemy.core.rundir import RunDir
from lean_alchemy.index.driver import run_index
from lean_alchemy.index.store import iter_invocations, read_rules
from lean_alchemy.index.options import IndexOptions


def examples(run: RunDir, k: int, seed: int = 0) -> list[dict]:
    """K random invocations (reservoir sample) with their rule and candidate statement."""
    from lean_alchemy.extract.store import read_declarations

    rng = random.Random(seed)
    sample = []
    for n, inv in enumerate(iter_invocations(run)):
        if len(sample) < k:
            sample.append(inv)
        else:
            j = rng.randrange(n + 1)
            if j < k:
                sample[j] = inv
    rules = {r.id: r for r in read_rules(run)}
    want = {i.candidate for i in sample}
    decls = {d.full_name: d for d in read_declarations(run, kinds=("theorem", "lemma"))
             if d.full_name in want}
    out = []
    for inv in sample:
        r = rules[inv.rule_id]
        d = decls.get(inv.candidate)
        out.append({"candidate": inv.candidate, "statement": d.statement if d else None,
                    "rule": r.lemma, "kind": inv.kind, "direction": r.direction,
                    "location": inv.location, "instance": inv.instance})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir", nargs="?")
    ap.add_argument("--src", default=None, help="extract this Lean project first")
    ap.add_argument("--run-dir", dest="run_dir_opt", default=None)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--max-matches", type=int, default=IndexOptions.max_matches_per_theorem)
    ap.add_argument("--external-names", default=None)
    ap.add_argument("--examples", type=int, default=0)
    a = ap.parse_args(argv)
    run_dir = a.run_dir or a.run_dir_opt
    if run_dir is None:
        if a.src is None:
            ap.error("give RUN_DIR, or --src PATH to extract first")
        import tempfile

        run_dir = tempfile.mkdtemp(prefix="alchemy-index-bench-")
    run = RunDir.at(run_dir)
    seconds_extract = None
    if a.src is not None:
        from lean_alchemy.extract.options import ExtractOptions
        from lean_alchemy.extract.pipeline import run_extract

        t0 = time.perf_counter()
        run_extract(Path(a.src), run, ExtractOptions(jobs=a.jobs, progress=False))
        seconds_extract = round(time.perf_counter() - t0, 1)
    opts = IndexOptions(jobs=a.jobs, max_matches_per_theorem=a.max_matches or None,
                        external_names=a.external_names)
    stats = run_index(run, opts).as_dict()
    keys = ("rules", "rules_by_kind", "dropped", "theorems", "candidates",
            "candidates_with_invocations", "unparsed", "invocations", "invocations_by_kind",
            "pairs_retrieved", "pairs_tried", "matches_found", "matches_estimated", "matches_filtered", "capped", "edges_by_kind", "edges", "nodes",
            "names_unresolved", "names_ambiguous", "name_occurrences", "top_unresolved",
            "seconds_rules", "seconds_match", "seconds", "peak_rss_mb", "jobs")
    out = {k: stats[k] for k in keys}
    out["edges_invocable"] = {k: stats["edges_by_kind"].get(k, 0)
                              for k in ("rw_goal", "rw_hyp", "apply_hyp")}
    out["max_matches_per_theorem"] = opts.max_matches_per_theorem
    if seconds_extract is not None:
        out["seconds_extract"] = seconds_extract
    if a.examples:
        out["examples"] = examples(run, a.examples)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
