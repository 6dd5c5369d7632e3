"""Benchmark `alchemy extract` on a Lean project (e.g. a Mathlib checkout).

Prints ONE JSON object: files, declarations (theorem/lemma records), baseline (a grep of
column-0 lines that start a command with optional attributes/modifiers then
`theorem`/`lemma`), coverage (= baseline lines that fall inside an extracted theorem's span / baseline),
name_agreement (share of those whose record name equals the name grep reads on that line),
seconds (wall time of the extraction), peak_rss_mb (upper bound of the concurrent peak:
the parent's peak plus `jobs` times the largest worker's peak).

usage: python benchmarks/extract.py PATH [--no-parse] [-j N] [--run-dir DIR] [--sample K]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract.fileparse import BASELINE
from lean_alchemy.extract.options import ExtractOptions
from lean_alchemy.extract.pipeline import run_extract
from lean_alchemy.extract.project import find_project
from lean_alchemy.extract.store import read_declarations, read_failures


_NAME_AFTER = re.compile(r"[ \t]+([^\s:({\[⦃]+)")


def baseline_lines(root: Path, files) -> dict[str, list[tuple[int, str]]]:
    """file -> [(line, name written after the keyword on that line, or "")]."""
    out: dict[str, list[tuple[int, str]]] = {}
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        hits = []
        for m in BASELINE.finditer(text):
            n = _NAME_AFTER.match(text, m.end())
            name = n.group(1).rstrip(".") if n else ""
            hits.append((text.count("\n", 0, m.start()) + 1, name))
        if hits:
            out[f.relative_to(root).as_posix()] = hits
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--no-parse", dest="parse", action="store_false")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--run-dir", default=None)
    ap.add_argument("--sample", type=int, default=0,
                    help="also print K random records (to stderr) for spot checks")
    a = ap.parse_args(argv)
    run = RunDir.at(a.run_dir or tempfile.mkdtemp(prefix="alchemy-extract-bench-"))
    t0 = time.perf_counter()
    stats = run_extract(Path(a.path), run, ExtractOptions(jobs=a.jobs, parse=a.parse,
                                                          progress=False)).as_dict()
    seconds = time.perf_counter() - t0
    # ru_maxrss of the children is the largest single worker: the concurrent peak is at
    # most the parent plus `jobs` such workers
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rss = parent_mb + max(1, a.jobs) * worker_mb
    project = find_project(Path(a.path))
    base = baseline_lines(project.root, project.files)
    decls = read_declarations(run, kinds=("theorem", "lemma"))
    spans: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for d in decls:
        spans[d.file].append((d.start_line, d.end_line, d.name))
    hit = 0
    total = 0
    named = 0
    name_ok = 0
    for file, lines in base.items():
        sp = sorted(spans.get(file, ()))
        for ln, name in lines:
            total += 1
            found = next((n for s, e, n in sp if s <= ln <= e), None)
            if found is not None:
                hit += 1
                if name:
                    named += 1
                    name_ok += found == name
    out = {
        "files": stats["files"],
        "declarations": len(decls),
        "all_declarations": stats["declarations"],
        "baseline": total,
        "baseline_matched": hit,
        "coverage": round(hit / total, 5) if total else None,
        "name_agreement": round(name_ok / named, 5) if named else None,
        "failures": len(read_failures(run)),
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(rss, 1),
        "parent_rss_mb": round(parent_mb, 1),
        "worker_rss_mb": round(worker_mb, 1),
        "parse": a.parse,
        "parse_status": stats.get("parse_status", {}),
        "jobs": a.jobs,
    }
    if a.sample:
        for d in random.Random(0).sample(decls, min(a.sample, len(decls))):
            print(json.dumps({"file": d.file, "lines": [d.start_line, d.end_line],
                              "full_name": d.full_name, "binders": len(d.binders),
                              "conclusion": d.conclusion[:80],
                              "proof_style": d.proof_style}, ensure_ascii=False),
                  file=sys.stderr)
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
