"""`alchemy check`, `alchemy status` and `alchemy setup-lean`: command-line wiring.

Why `status` lives with `check`: both read the run database, and `status` is what a user
runs in a second terminal while `check` works (SQLite in WAL mode lets it read meanwhile).
Heavy imports (SQLAlchemy, the checkers) happen inside the commands so that `--help` and
argument errors stay instant.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from lean_alchemy.core.rundir import RunDir

from .options import CheckOptions


def backend_arg(text: str) -> str:
    """`--backend`: `file` is the issue's name for the batch-file backend `lean-json`."""
    return "lean-json" if text == "file" else text


def register(sub: argparse._SubParsersAction) -> None:
    d = CheckOptions()
    p = sub.add_parser(
        "check", help="Lean-check the pending mutants of a run (resumable)",
        description="Give every pending mutant of RUN/run.sqlite one Lean verdict (verified, "
                    "rejected, timeout, crashed), in parallel. Re-running checks only what is "
                    "left; Ctrl-C keeps every verdict already made.")
    p.add_argument("--run-dir", default=None, metavar="DIR", help="run directory (default ./alchemy-run)")
    p.add_argument("--config", type=Path, default=None,
                   help="TOML configuration; its [check] table gives defaults for the flags below")
    p.add_argument("--backend", choices=("lean-json", "repl"), default=None, type=backend_arg,
                   help=f"checker: batch files through `lake env lean --json` (alias: file), or "
                        f"a pool of REPL processes (default {d.backend})")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="workers (0 = from cores and memory; default %s)" % d.jobs)
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="check at most N mutants in this invocation")
    p.add_argument("--batch-size", type=int, default=None, metavar="N",
                   help=f"mutants per batch (default {d.batch_size})")
    p.add_argument("--timeout", dest="timeout_s", type=float, default=None, metavar="SECONDS",
                   help=f"wall-clock limit per batch file / REPL command (default {d.timeout_s:g})")
    p.add_argument("--max-heartbeats", type=int, default=None, metavar="N",
                   help="maxHeartbeats per declaration (0 = keep the mutant's)")
    p.add_argument("--memory-limit-mb", type=int, default=None, metavar="MB",
                   help=f"address-space cap of each Lean process (default {d.memory_limit_mb})")
    p.add_argument("--max-attempts", type=int, default=None, metavar="N",
                   help=f"give a mutant up after N lost workers / timeouts (default {d.max_attempts})")
    p.add_argument("--lease-seconds", type=float, default=None, metavar="SECONDS",
                   help=f"how long a lease lasts before another driver may retry it "
                        f"(default {d.lease_seconds:g})")
    p.add_argument("--executor", choices=("local", "ray"), default=None,
                   help=f"where workers run (default {d.executor})")
    p.add_argument("--ray-address", "--address", dest="ray_address", default=None, metavar="ADDR",
                   help="Ray cluster address: 'auto' (this machine's cluster), 'local' (start a "
                        "private one), or host:port (default auto)")
    p.add_argument("--workspace", default=None, metavar="DIR",
                   help="Lake workspace with Mathlib and the REPL (default: the extracted "
                        "project's Lake root when it requires Mathlib, else the bundled "
                        "lean_workspace next to the installed sources)")
    p.add_argument("--db", dest="db_url", default=None, metavar="URL",
                   help="SQLAlchemy URL of the run database (default RUN/run.sqlite)")
    p.add_argument("--no-progress", dest="progress", action="store_false", default=True,
                   help="no progress bar")
    p.set_defaults(func=cmd_check)

    s = sub.add_parser("status", help="counts of the run database by status and error class",
                       description="Show how far checking got: mutants by status, rejected/"
                                   "timeout/crashed ones by error class, the rate of the last "
                                   "check and the time left at that rate.")
    s.add_argument("--run-dir", default=None, metavar="DIR", help="run directory (default ./alchemy-run)")
    s.add_argument("--db", dest="db_url", default=None, metavar="URL",
                   help="SQLAlchemy URL of the run database (default RUN/run.sqlite)")
    s.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    s.set_defaults(func=cmd_status)

    from .setup_lean import register_setup_lean

    register_setup_lean(sub)


# ------------------------------------------------------------------------------ check


def options_from_args(args: argparse.Namespace) -> CheckOptions:
    base = CheckOptions()
    if getattr(args, "config", None) is not None:
        from lean_alchemy.core.config import load_config

        base = load_config(args.config)["check"]
    changes = {f.name: getattr(args, f.name) for f in dataclasses.fields(CheckOptions)
               if getattr(args, f.name, None) is not None}
    return dataclasses.replace(base, **changes)  # validated by CheckOptions.__post_init__


def cmd_check(args: argparse.Namespace) -> int:
    from .check import run_check

    opts = options_from_args(args)
    run = RunDir.at(args.run_dir)
    stats = run_check(run, opts, echo=print)
    return 1 if stats.error else 0


# ------------------------------------------------------------------------------ status


def status_report(run: RunDir, db_url: str | None = None) -> dict:
    """Everything `alchemy status` shows, as data."""
    from lean_alchemy.core.rundb import LEAN_STATUSES, RunDB

    db = RunDB.for_run(run, db_url, mode="read")
    try:
        counts = db.counts()
        errors = db.error_class_counts()
        lo, hi, n_lean = db.check_window()
        owners = db.lease_owners()
    finally:
        db.close()
    last = run.read_stats("check") or {}
    remaining = counts.get("pending", 0) + counts.get("leased", 0)
    rate = float(last.get("per_second") or 0.0)
    rate_source = "last check"
    if not rate and lo is not None and hi is not None and hi > lo and n_lean > 1:
        rate, rate_source = n_lean / (hi - lo), "verdict timestamps"
    verified = counts.get("verified", 0)
    return {
        "database": db_url or str(run.db),
        "counts": dict(sorted(counts.items())),
        "total": sum(counts.values()),
        "error_classes": {s: dict(sorted(e.items(), key=lambda kv: -kv[1])) for s, e in sorted(errors.items())},
        "lean_verdicts": sum(counts.get(s, 0) for s in LEAN_STATUSES),
        "acceptance": round(verified / n_lean, 4) if n_lean else None,
        "remaining": remaining,
        "lease_owners": owners,
        "rate_per_second": round(rate, 3) if rate else None,
        "rate_source": rate_source if rate else None,
        "eta_seconds": round(remaining / rate, 1) if rate and remaining else (0.0 if not remaining else None),
        "last_check": {k: last.get(k) for k in ("lean_version", "mathlib_rev", "backend", "executor",
                                                 "workers", "seconds", "interrupted") if k in last},
        "last_activity": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(hi)) if hi else None,
    }


def _duration(s: float) -> str:
    s = max(1, int(round(s)))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if not (d or h or m):
        return f"{s} s"
    return (f"{d}d " if d else "") + (f"{h}h " if h or d else "") + f"{m}m {s:02d}s"


ORDER = ("pending", "leased", "verified", "statement_ok", "rejected", "timeout", "crashed", "refuted", "vacuous")


def format_status(rep: dict) -> str:
    counts, total = rep["counts"], rep["total"]
    lines = [f"run database  {rep['database']}", "", f"{'status':<12} {'mutants':>10} {'share':>7}"]
    for st in sorted(counts, key=lambda s: (ORDER.index(s) if s in ORDER else len(ORDER), s)):
        n = counts[st]
        lines.append(f"{st:<12} {n:>10} {n / total:>7.1%}" if total else f"{st:<12} {n:>10}")
    lines.append(f"{'total':<12} {total:>10}")
    if rep["error_classes"]:
        lines += ["", f"{'status':<12} {'error class':<28} {'mutants':>8}"]
        for st, classes in rep["error_classes"].items():
            for i, (ec, n) in enumerate(classes.items()):
                lines.append(f"{st if i == 0 else '':<12} {ec:<28} {n:>8}")
    lines.append("")
    if rep["acceptance"] is not None:
        lines.append(f"acceptance    {rep['acceptance']:.1%} verified of {rep['lean_verdicts']} "
                     f"Lean verdicts")
    if rep["rate_per_second"]:
        lines.append(f"rate          {rep['rate_per_second']:g} mutants/s ({rep['rate_source']})")
    if rep["remaining"]:
        eta = rep["eta_seconds"]
        lines.append(f"left          {rep['remaining']} mutants"
                     + (f", about {_duration(eta)} at that rate" if eta else ""))
    else:
        lines.append("left          nothing: every mutant has a verdict")
    if rep["lease_owners"]:
        lines.append("leased by     " + ", ".join(f"{o} ({n})" for o, n in rep["lease_owners"].items()))
    lc = rep["last_check"]
    if lc.get("lean_version") or lc.get("mathlib_rev"):
        lines.append(f"checked with  Lean {lc.get('lean_version') or '?'}, Mathlib "
                     f"{(lc.get('mathlib_rev') or '?')[:12]}, backend {lc.get('backend', '?')}")
    if rep["last_activity"]:
        lines.append(f"last verdict  {rep['last_activity']}")
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    run = RunDir.at(args.run_dir)
    rep = status_report(run, args.db_url)
    if args.json:
        print(json.dumps(rep, indent=2, sort_keys=True))
    else:
        print(format_status(rep))
    return 0

