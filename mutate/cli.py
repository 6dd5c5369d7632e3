"""`alchemy mutate`: build mutants from the rule index's invocations (see mutate/pipeline).

The stage is imported inside `main`, not here: `alchemy` imports this module to build its
parser at start-up, which must not pay for pyarrow, SQLAlchemy and the grammar.
"""

from __future__ import annotations

import argparse
import dataclasses

from lean_alchemy.core.rundir import DEFAULT_RUN_DIR, RunDir
from lean_alchemy.mutate.options import MutateOptions


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "mutate", help="new theorems from rw/apply invocations, with proofs (-> run.sqlite)",
        description="Turn every invocation found by `alchemy index` into a mutant theorem "
                    "with a proof built from the original, filter duplicates, refute false "
                    "ones by evaluation, and store them in RUN/run.sqlite.")
    p.add_argument("--run-dir", default=DEFAULT_RUN_DIR, help="run directory (default: %(default)s)")
    p.add_argument("--depth", type=int, help="mutation steps chained (default 1)")
    p.add_argument("--proof-style", choices=("merged", "invoke"),
                   help="merged: bridge + original proof (default); invoke: bridge + the "
                        "original theorem by name")
    p.add_argument("--max-per-theorem", type=int,
                   help="kept mutants per library theorem (seeded sample; default 64)")
    p.add_argument("--max-per-rule", type=int, help="kept mutants per rule lemma (default: no cap)")
    p.add_argument("--seed", type=int, help="sampling seed (default 0)")
    p.add_argument("--max-heartbeats", type=int,
                   help="`set_option maxHeartbeats N in` for each mutant (default 400000)")
    p.add_argument("--samples", type=int, help="refutation assignments per mutant (default 96)")
    p.add_argument("--no-refute", action="store_true",
                   help="skip refutation by evaluation (every mutant stays pending)")
    p.add_argument("--jobs", type=int, help="worker processes (default 0 = one per core)")
    p.add_argument("--progress", action="store_true", help="progress bar on stderr")
    p.add_argument("--open-statements", action="store_true",
                   help="also mutate theorems proved by `sorry` (or whose proof cannot be "
                        "reused): exact statements with proof `sorry`, exported apart")
    p.set_defaults(func=main)


def options_from_args(args: argparse.Namespace) -> MutateOptions:
    changes = {
        "depth": args.depth, "proof_style": args.proof_style,
        "max_per_theorem": args.max_per_theorem, "max_per_rule": args.max_per_rule,
        "seed": args.seed, "max_heartbeats": args.max_heartbeats, "samples": args.samples,
        "jobs": args.jobs,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    if args.no_refute:
        changes["refute"] = False
    if args.progress:
        changes["progress"] = True
    if args.open_statements:
        changes["open_statements"] = True
    return dataclasses.replace(MutateOptions(), **changes)


def main(args: argparse.Namespace) -> int:
    from lean_alchemy.mutate.pipeline import run_mutate

    run = RunDir.at(args.run_dir)
    opts = options_from_args(args)
    run_mutate(run, opts, echo=print)
    return 0
