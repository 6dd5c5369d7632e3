"""What the typed match filter costs in the index's matching pass, on a seeded sample of a
whole library's candidates matched against all of its rules.

    python benchmarks/typed_cost.py RUN_DIR [--sample N] [--seed S] [--signatures FILE]

RUN_DIR is a run extracted and indexed at the defaults (rules and receivers stored).  The
sample's candidates are matched twice in one process, as the index's second pass does,
once without the filter and once with it, each with a fresh rule index (both compile the
rules they meet), after the rules and the class table are read (reported apart): on a folder of a library the
filter's table lacks the rest of the library, so only a sample of the whole measures it.
Prints JSON: CPU seconds of each matching pass, invocations, and the filter's drops.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract.store import read_declarations, read_scopes
from lean_alchemy.index.explain import Library, rematch
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.index.store import read_rules
from lean_alchemy.index.typing.classes import ClassTable
from lean_alchemy.index.typing.scoped import resolution_namespaces
from lean_alchemy.index.typing.signatures import run_signatures


def _sample(lib: Library, decls: list, size: int, seed: int) -> list:
    """`size` seeded candidates."""
    names = sorted(d.full_name for d in decls if d.is_candidate)
    return [lib.decl(n) for n in sorted(random.Random(seed).sample(names, min(size, len(names))))]


def _match(lib: Library, ix: RuleIndex, work: list) -> tuple[float, int]:
    """CPU seconds and invocations of matching `work` against `ix` (`explain.rematch`:
    as the index's second pass; statements not parsed or misread get none)."""
    t0 = time.process_time()
    total = sum(len(rematch(lib, ix, d) or ()) for d in work)
    return time.process_time() - t0, total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir")
    ap.add_argument("--sample", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--signatures", help="the run's signature table (default "
                    "RUN_DIR/signatures.parquet; built and written there when absent)")
    args = ap.parse_args(argv)
    try:
        run = RunDir.at(args.run_dir)
        run.require(run.rules, "index")
        decls = read_declarations(run)
        scopes = read_scopes(run)
        lib = Library(run, decls)
        t0 = time.process_time()
        sigs = run_signatures(run.root, decls,
                              Path((run.read_stats("extract") or {}).get("root") or "."),
                              Path(args.signatures) if args.signatures else None)
        table = ClassTable.build(sigs)
        rules = list(read_rules(run))
        setup = time.process_time() - t0
    except AlchemyError as e:
        print(f"typed_cost: {e}", file=sys.stderr)
        return 2
    work = _sample(lib, decls, args.sample, args.seed)
    gc.freeze()  # the library's records live throughout, as in the index's workers
    out: dict = {"run": args.run_dir, "candidates": len(work), "seed": args.seed,
                 "setup_cpu_s": round(setup, 1)}
    for typed in (False, True):
        ix = RuleIndex.build(rules, max_per_theorem=lib.cap, rigid=lib.rigid,
                             generic_evidence=lib.generic_evidence)
        ix.receivers = lib.receivers
        if typed:
            ix.use_typing(table, lambda d: resolution_namespaces(
                scopes.get(d.scope_id or ""), d.full_name))
        cpu, invs = _match(lib, ix, work)
        key = "typed" if typed else "plain"
        out[f"{key}_cpu_s"] = round(cpu, 1)
        out[f"{key}_invocations"] = invs
        if typed:
            out["dropped"] = {k: ix.stats.filtered[k]
                              for k in ("instance_missing", "type_clash")}
    out["filter_cpu_s_per_1000"] = round(
        1000 * (out["typed_cpu_s"] - out["plain_cpu_s"]) / max(1, len(work)), 2)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
