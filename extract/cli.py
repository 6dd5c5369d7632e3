"""`alchemy extract`: command-line wiring for the extract stage (side effects live here).

The stage is imported inside `run_cli`, not here: `alchemy` imports this module to build
its parser at start-up, which must not pay for pyarrow and the grammar.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.rundir import RunDir

from .options import ExtractOptions


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "extract", help="Lean project -> declaration records (declarations.parquet)",
        description="Read a Lean project's sources (a folder of .lean files or a Lake root "
                    "such as a Mathlib checkout) and write one record per theorem/lemma, "
                    "plus other declarations by name and kind, to RUN/declarations.parquet.")
    p.add_argument("src", nargs="?", metavar="SRC",
                   help="Lean project root, folder of .lean files, or one .lean file")
    p.add_argument("--run-dir", default=None, metavar="DIR",
                   help="run directory (default ./alchemy-run)")
    p.add_argument("-j", "--jobs", type=int, default=ExtractOptions.jobs, metavar="N",
                   help="worker processes (0 = one per CPU; default %(default)s)")
    p.add_argument("--no-parse", dest="parse", action="store_false",
                   help="do not parse statements with the grammar (faster)")
    p.add_argument("--library", dest="libraries", action="append", default=[], metavar="NAME",
                   help="library folder / lean_lib under the root to walk (repeatable)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar")
    p.add_argument("--from-leandojo", dest="from_leandojo", default=None, metavar="PATH",
                   help="read a LeanDojo trace instead of the sources (SRC optional)")
    p.set_defaults(func=run_cli)


def options_from_args(args: argparse.Namespace) -> ExtractOptions:
    if args.jobs < 0:
        raise AlchemyError(f"-j/--jobs must be >= 0, got {args.jobs}")
    return ExtractOptions(jobs=args.jobs, libraries=tuple(args.libraries), parse=args.parse,
                          progress=args.progress)


def run_cli(args: argparse.Namespace) -> int:
    opts = options_from_args(args)
    run = RunDir.at(args.run_dir)
    if args.from_leandojo:
        from .leandojo import run_extract_leandojo

        stats = run_extract_leandojo(Path(args.from_leandojo), run, opts,
                                     source_tree=Path(args.src) if args.src else None)
    else:
        if not args.src:
            raise AlchemyError("SRC is required (or give --from-leandojo PATH)")
        from .pipeline import run_extract

        stats = run_extract(Path(args.src), run, opts)
    counts = stats.as_dict()
    summary = {k: counts[k] for k in ("files", "declarations", "theorems", "failures",
                                      "seconds")}
    print(json.dumps(summary, sort_keys=True))
    print(f"wrote {run.declarations}")
    return 0
