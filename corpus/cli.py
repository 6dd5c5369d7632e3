"""`alchemy corpus` and `alchemy stats`: flags map one-to-one onto `CorpusOptions`.

The stage, pyarrow and the run configuration are imported inside the commands, not here:
`alchemy` imports this module to build its parser at start-up.
"""

from __future__ import annotations

import argparse
import sys
import dataclasses
import json
import tomllib
from pathlib import Path

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.rundir import RunDir

from .options import CorpusOptions


def _csv(s: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in s.split(",") if x.strip())


def register(sub: argparse._SubParsersAction) -> None:
    d = CorpusOptions()
    p = sub.add_parser("corpus", help="export verified mutants as a Parquet dataset",
                       description="Export the verified mutants of a run as a sharded Parquet "
                       "dataset with splits, dedup, decontamination, tiers, a dataset card and "
                       "statistics (RUN/corpus/). With --unchecked, export the candidates still "
                       "awaiting Lean into RUN/unchecked/ instead, clearly labelled.")
    p.add_argument("--run-dir", default=None, help="run directory (default ./alchemy-run)")
    p.add_argument("--config", type=Path, default=None, help="TOML config ([corpus] table)")
    p.add_argument("--unchecked", action="store_true",
                   help="export pending (not yet checked) mutants into RUN/unchecked/")
    p.add_argument("--tiers", type=_csv, default=None,
                   help="export only these tiers, e.g. hard,medium")
    p.add_argument("--shard-rows", type=int, default=None, help=f"rows per shard ({d.shard_rows})")
    p.add_argument("--include-originals", action="store_true", default=None,
                   help="also export the library theorems as rows of kind `original`")
    p.add_argument("--fractions", type=_csv, default=None, metavar="TRAIN,VALID,TEST",
                   help=f"split fractions ({d.train_fraction},{d.validation_fraction},{d.test_fraction})")
    p.add_argument("--split-seed", default=None, help=f"split hash seed ({d.split_seed!r})")
    p.add_argument("--exclude", action="append", default=None, metavar="NAME",
                   help="theorem name kept out of training (repeatable)")
    p.add_argument("--exclude-file", default=None, help="file of such names, one per line")
    p.add_argument("--exclude-split", choices=("test", "validation", "drop"), default=None,
                   help=f"where excluded theorems go ({d.exclude_split})")
    p.add_argument("--no-dedup", dest="dedup", action="store_false", default=None,
                   help="keep repeated fingerprints")
    p.add_argument("--no-dedup-library", dest="dedup_library", action="store_false",
                   default=None, help="keep mutants equal to library theorems")
    p.add_argument("--decontam", action="append", default=None, metavar="FILE",
                   help="benchmark statements (.lean or .jsonl, or a folder); repeatable")
    p.add_argument("--ngram-n", type=int, default=None, help=f"n-gram length ({d.ngram_n})")
    p.add_argument("--ngram-threshold", type=float, default=None,
                   help=f"n-gram overlap that drops a row ({d.ngram_threshold})")
    p.add_argument("--tier-method", choices=("rules", "quantiles"), default=None,
                   help=f"how tiers are assigned ({d.tier_method})")
    p.add_argument("--tier-rule", action="append", default=None, metavar="'TIER: COND'",
                   help="ordered tier rule, repeatable (replaces the defaults)")
    p.add_argument("--tier-quantiles", type=_csv, default=None, metavar="Q1,Q2",
                   help=f"quantile cut points ({','.join(map(str, d.tier_quantiles))})")
    p.add_argument("--progress", action="store_true", default=None,
                   help="progress bar over the rows read, on stderr")
    p.add_argument("--no-stats", dest="stats", action="store_false", default=None,
                   help="skip stats.json, plots and report.html")
    p.set_defaults(func=cmd_corpus)

    s = sub.add_parser("stats", help="corpus statistics: tables, stats.json, plots, HTML report",
                       description="Print tables of one run's corpus (by kind, rule, area, tier, "
                       "depth; acceptance and error classes per kind) and write stats.json, "
                       "plots/*.png and report.html. With two or more runs, compare them.")
    s.add_argument("runs", nargs="*", help="run directories (default ./alchemy-run)")
    s.add_argument("--out", type=Path, default=None,
                   help="output folder (default RUN/corpus for one run, ./alchemy-compare for "
                   "several)")
    s.add_argument("--json", action="store_true", help="print stats.json instead of tables")
    s.add_argument("--unchecked", action="store_true",
                   help="describe RUN/unchecked (the candidates exported without Lean); "
                        "chosen by itself when RUN/corpus has no dataset")
    s.set_defaults(func=cmd_stats)


def options_from_args(args: argparse.Namespace) -> CorpusOptions:
    base = CorpusOptions()
    if args.config is not None:
        from lean_alchemy.core.config import SECTIONS, load_config

        try:
            data = tomllib.loads(Path(args.config).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AlchemyError(f"config file {args.config} does not exist") from None
        except tomllib.TOMLDecodeError as e:
            raise AlchemyError(f"{args.config}: not valid TOML: {e}") from None
        # validate the sections the file has (a run's full config.toml is accepted)
        names = tuple(dict.fromkeys(["corpus"] + [k for k in data if k in SECTIONS or k == "run"]))
        base = load_config(args.config, sections=names)["corpus"]
    ch: dict = {}
    if args.fractions is not None:
        if len(args.fractions) != 3:
            raise AlchemyError("--fractions needs three numbers TRAIN,VALIDATION,TEST")
        try:
            ch["train_fraction"], ch["validation_fraction"], ch["test_fraction"] = map(
                float, args.fractions)
        except ValueError:
            raise AlchemyError(f"--fractions: not numbers: {','.join(args.fractions)}") from None
    if args.tier_quantiles is not None:
        try:
            ch["tier_quantiles"] = tuple(float(x) for x in args.tier_quantiles)
        except ValueError:
            raise AlchemyError("--tier-quantiles: not numbers") from None
    simple = {"tiers": args.tiers, "shard_rows": args.shard_rows,
              "include_originals": args.include_originals, "split_seed": args.split_seed,
              "exclude_file": args.exclude_file, "exclude_split": args.exclude_split,
              "dedup": args.dedup, "dedup_library": args.dedup_library,
              "ngram_n": args.ngram_n, "ngram_threshold": args.ngram_threshold,
              "tier_method": args.tier_method, "stats": args.stats,
              "progress": args.progress}
    ch.update({k: v for k, v in simple.items() if v is not None})
    if args.exclude:
        ch["exclude_names"] = tuple(base.exclude_names) + tuple(args.exclude)
    if args.decontam:
        ch["decontam_files"] = tuple(base.decontam_files) + tuple(args.decontam)
    if args.tier_rule:
        ch["tier_rules"] = tuple(args.tier_rule)
    return dataclasses.replace(base, **ch).validate()


def cmd_corpus(args: argparse.Namespace) -> int:
    from .build import run_corpus

    run = RunDir.at(args.run_dir)
    opts = options_from_args(args)
    stats = run_corpus(run, opts, unchecked=args.unchecked)
    what = "unchecked candidates" if args.unchecked else "verified rows"
    splits = ", ".join(f"{k} {v}" for k, v in stats.by_split.items())
    dropped = ", ".join(f"{k} {v}" for k, v in sorted(stats.dropped.items())) or "none"
    print(f"{stats.rows} {what} -> {stats.output} ({splits}); dropped: {dropped}")
    from .statements import run_statements

    open_stats = run_statements(run, opts, unchecked=args.unchecked)
    if open_stats is not None:
        dropped = ", ".join(f"{k} {v}" for k, v in sorted(open_stats.dropped.items())) or "none"
        print(f"{open_stats.rows} open statements"
              f"{' (unchecked)' if args.unchecked else ''} -> {open_stats.output}; "
              f"dropped: {dropped}")
    if not args.unchecked:
        note = awaiting_lean_note(run)
        if note:
            print(note)
    return 0


def awaiting_lean_note(run: RunDir) -> str | None:
    """One line on the mutants that have no Lean verdict yet, and where their unchecked
    export is (or how to make it); None when none waits."""
    from . import sources

    counts = sources.db_counts(run).get("counts", {})
    waiting = counts.get("pending", 0) + counts.get("leased", 0)
    if not waiting:
        return None
    where = (f"their unchecked export is {run.unchecked_dir}"
             if (run.unchecked_dir / "data").exists() else
             f"`alchemy corpus --unchecked --run-dir {run.root}` exports them unchecked to "
             f"{run.unchecked_dir}")
    return (f"{waiting} mutants await Lean: `alchemy check --run-dir {run.root}` checks them; "
            f"{where}")


def cmd_stats(args: argparse.Namespace) -> int:
    from . import sources
    from .stats import compare, format_compare, format_stats, run_stats, write_outputs

    runs = [RunDir.at(r) for r in (args.runs or [None])]
    stats, datasets, notes = [], [], []
    for run in runs:
        corpus = dataset_of(run, args.unchecked)
        datasets.append(corpus)
        stats.append(run_stats(corpus, sources.db_counts(run), sources.outcome_counts(run),
                               name=str(run.root)))
        note = awaiting_lean_note(run)
        if note:
            notes.append(note if len(runs) == 1 else f"{run.root}: {note}")
    comparison = compare(stats[0], stats[1]) if len(stats) >= 2 else None
    out = args.out or (datasets[0] if len(runs) == 1 else Path("alchemy-compare"))
    title = f"lean-alchemy corpus: {stats[0]['name']}" if comparison is None else (
        "lean-alchemy corpus comparison")
    doc = write_outputs(Path(out), stats, comparison, title)
    if args.json:
        print(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        for st in stats:
            print(format_stats(st))
            print()
        if comparison is not None:
            print(format_compare(comparison))
        print(f"\nwrote {out}/stats.json, {out}/plots/, {out}/report.html")
        for note in notes:
            print(note)
    return 0


def dataset_of(run: RunDir, unchecked: bool) -> Path:
    """The exported dataset `alchemy stats` describes: RUN/corpus, or RUN/unchecked when
    asked or when it is the only export (a run without Lean)."""
    if not unchecked and not (run.corpus_dir / "data").exists() \
            and (run.unchecked_dir / "data").exists():
        print(f"{run.corpus_dir} has no dataset: describing the unchecked candidates in "
              f"{run.unchecked_dir} (Lean has not checked them)", file=sys.stderr)
        unchecked = True
    folder = run.unchecked_dir if unchecked else run.corpus_dir
    if not (folder / "data").exists():
        flag = " --unchecked" if unchecked else ""
        raise AlchemyError(f"{folder} has no dataset: run `alchemy corpus{flag} --run-dir "
                           f"{run.root}` first")
    return folder
