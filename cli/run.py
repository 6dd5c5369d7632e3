"""`alchemy run`: the whole pipeline in one command, resumable, configured by one TOML file.

Why a driver of its own: users run the pipeline, not its stages.  This module only sequences
the stage entry points (each stage stays usable on its own), decides what is already done,
and turns the stages' stats files into one summary.

Resume rule: a finished stage leaves a line in `RUN/run.state.json` with the hash of its own
configuration table chained with the hashes of the stages before it (and the source path).
A stage whose chained hash is unchanged is skipped; change `[mutate]` and mutation, checking
and the corpus are redone while extraction and the index are kept.  Checking is resumable by
itself (only pending mutants are leased), so it always runs when a toolchain exists.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any, Callable

from lean_alchemy.core.config import Config, load_config
from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import content_hash
from lean_alchemy.core.rundir import RunDir, atomic_write_text

log = logging.getLogger(__name__)

STAGES = ("extract", "index", "mutate", "check", "corpus")
STATE_FILE = "run.state.json"


# ---------------------------------------------------------------------------- state


def _section_hash(cfg: Config, section: str) -> str:
    opts = cfg[section]
    data = {f.name: getattr(opts, f.name) for f in dataclasses.fields(opts)}
    # progress bars and worker counts do not change results: ignore them for resume
    for k in ("progress", "jobs"):
        data.pop(k, None)
    return content_hash(section, json.dumps(data, sort_keys=True, default=str))


def stage_hashes(cfg: Config, src: str) -> dict[str, str]:
    """Chained hash per stage: a change upstream invalidates everything downstream."""
    out: dict[str, str] = {}
    prev = content_hash("src", str(Path(src).resolve()))
    for stage in STAGES:
        parts = [prev, _section_hash(cfg, stage)]
        if stage == "mutate":
            parts.append(_section_hash(cfg, "refute"))
        prev = content_hash(*parts)
        out[stage] = prev
    return out


def read_state(run: RunDir) -> dict[str, Any]:
    p = run.root / STATE_FILE
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        # A damaged state file only costs recomputation, never data: say so and go on.
        log.warning("%s is unreadable (%s); every stage will be re-run", p, e)
        return {}


def write_state(run: RunDir, state: dict[str, Any]) -> None:
    atomic_write_text(run.root / STATE_FILE, json.dumps(state, indent=2, sort_keys=True))


# ---------------------------------------------------------------------------- stages


def _run_extract(src: Path, run: RunDir, cfg: Config) -> dict:
    from lean_alchemy.extract.pipeline import run_extract
    return run_extract(src, run, cfg["extract"]).as_dict()


def _run_index(src: Path, run: RunDir, cfg: Config) -> dict:
    from lean_alchemy.index.driver import run_index
    return run_index(run, cfg["index"]).as_dict()


def _run_mutate(src: Path, run: RunDir, cfg: Config) -> dict:
    from lean_alchemy.mutate.pipeline import run_mutate
    return run_mutate(run, cfg["mutate"], refute_opts=cfg["refute"]).as_dict()


def _run_check(src: Path, run: RunDir, cfg: Config) -> dict:
    from lean_alchemy.jobs.check import run_check
    return run_check(run, cfg["check"]).as_dict()


def _run_corpus(src: Path, run: RunDir, cfg: Config, unchecked: bool = False) -> dict:
    from lean_alchemy.corpus.build import run_corpus
    from lean_alchemy.corpus.statements import run_statements
    out = run_corpus(run, cfg["corpus"], unchecked=unchecked).as_dict()
    open_stats = run_statements(run, cfg["corpus"], unchecked=unchecked)
    if open_stats is not None:
        out["open_statements"] = {"rows": open_stats.rows, "output": open_stats.output}
    return out


RUNNERS: dict[str, Callable[[Path, RunDir, Config], dict]] = {
    "extract": _run_extract,
    "index": _run_index,
    "mutate": _run_mutate,
    "check": _run_check,
    "corpus": _run_corpus,
}


def toolchain_problem(cfg: Config) -> str | None:
    """Why Lean cannot check here (None when it can).  Never raises: a missing toolchain is
    an expected state of this tool, not an error of the run."""
    from lean_alchemy.jobs.toolchain import discover_toolchain, workspace_path
    workspace = workspace_path(cfg["check"].workspace)
    try:
        tc = discover_toolchain(workspace)
    except AlchemyError as e:
        return str(e)
    return None if tc.ready else (tc.problem or "the Lean toolchain is not ready")


def workspace_of(cfg: Config) -> Path:
    """The checker's workspace as an absolute path (printed in the next step)."""
    from lean_alchemy.jobs.toolchain import workspace_path
    return workspace_path(cfg["check"].workspace).resolve()


@dataclasses.dataclass
class RunReport:
    """What happened, stage by stage, for the final summary."""

    ran: list[str] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    stopped: str = ""  # why the run stopped early ("" if it completed)
    next_step: str = ""
    corpus: dict = dataclasses.field(default_factory=dict)


def run_pipeline(src: Path, run: RunDir, cfg: Config, *, stop_after: str = "",
                 force: tuple[str, ...] = (), echo: Callable[[str], None] = print) -> RunReport:
    """Run every stage that is not already done; stop cleanly where Lean is missing."""
    if not src.exists():
        raise AlchemyError(f"{src}: no such directory (give a Lean project or Mathlib checkout)")
    run.ensure()
    atomic_write_text(run.config, cfg.to_toml())
    hashes = stage_hashes(cfg, str(src))
    state = read_state(run)
    report = RunReport()
    if "corpus" in force:  # an export kept because its inputs did not change is redone too
        from lean_alchemy.corpus.marker import clear_mark
        for kind in ("corpus", "unchecked"):
            clear_mark(run, kind)
    invalid = False  # once a stage re-runs, every later stage re-runs too
    for i, stage in enumerate(STAGES, 1):
        done = state.get(stage, {})
        if stage == "check":
            problem = toolchain_problem(cfg)
            if problem:
                echo(f"[{i}/{len(STAGES)}] check: skipped, no Lean toolchain ({problem})")
                echo(f"[{i}/{len(STAGES)}] exporting unchecked candidates to {run.unchecked_dir}")
                t0 = time.perf_counter()
                report.corpus = _run_corpus(src, run, cfg, unchecked=True) or {}
                report.seconds["export-unchecked"] = time.perf_counter() - t0
                if report.corpus.get("reused"):
                    echo(f"[{i}/{len(STAGES)}] unchanged since the last export: kept")
                report.stopped = "no Lean toolchain: mutants were not checked"
                report.next_step = (f"alchemy setup-lean --workspace {workspace_of(cfg)}"
                                    f"  # then: alchemy run {src} --run-dir {run.root}")
                break
        fresh = (not invalid and stage not in force and done.get("hash") == hashes[stage]
                 and stage not in ("check", "corpus"))
        if fresh:
            echo(f"[{i}/{len(STAGES)}] {stage}: already done, skipped")
            report.skipped.append(stage)
        else:
            invalid = invalid or stage not in ("check",)
            echo(f"[{i}/{len(STAGES)}] {stage} ...")
            if stage == "mutate":
                from lean_alchemy.mutate.forecast import forecast_lines
                for line in forecast_lines(run, cfg["mutate"]):
                    echo(f"      {line}")
            t0 = time.perf_counter()
            result = RUNNERS[stage](src, run, cfg) or {}
            dt = time.perf_counter() - t0
            report.ran.append(stage)
            report.seconds[stage] = dt
            if stage == "corpus":
                report.corpus = result
            state[stage] = {"hash": hashes[stage], "seconds": round(dt, 3),
                            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            write_state(run, state)
        if stop_after == stage:
            report.stopped = f"stopped after {stage} as asked"
            break
    return report


# ---------------------------------------------------------------------------- summary


def _fmt_counts(d: Any) -> str:
    if not isinstance(d, dict) or not d:
        return "0"
    total = sum(v for v in d.values() if isinstance(v, (int, float)))
    inner = ", ".join(f"{k} {v}" for k, v in sorted(d.items()) if isinstance(v, (int, float)))
    return f"{int(total)} ({inner})"


def _first(d: dict | None, *keys: str) -> Any:
    for k in keys:
        if d and k in d:
            return d[k]
    return None


def summary_lines(run: RunDir, report: RunReport) -> list[str]:
    """The numbers a user wants after a run, read back from the stages' stats files.  A
    stage that did not run in this invocation nor an earlier one is marked `not run`, not
    shown as zeros."""
    done = set(report.ran) | set(report.skipped)
    no_lean = report.stopped.startswith("no Lean")
    lines = ["", f"Summary of {run.root}"]

    def row(label: str, stage: str, value: Callable[[], str]) -> None:
        lines.append(f"  {label:<17} {value() if stage in done else 'not run'}")

    ex = run.read_stats("extract") or {}
    ix = run.read_stats("index") or {}
    mu = run.read_stats("mutate") or {}
    row("declarations", "extract",
        lambda: _fmt_counts(_first(ex, "declarations_by_kind", "declarations")))
    if ex.get("failures") or ex.get("failures_by_reason"):
        lines.append(f"  extract failures  {_fmt_counts(_first(ex, 'failures_by_reason', 'failures'))}")
    row("rules", "index", lambda: _fmt_counts(_first(ix, "rules_by_kind", "rules")))
    row("invocable edges", "index",
        lambda: _fmt_counts(_first(ix, "invocations_by_kind", "invocations")))
    if ix.get("invocations_by_library") and "index" in done:
        lines.append(f"  rule libraries    {_fmt_counts(ix['invocations_by_library'])}"
                     " invocations")
    if ix.get("edges_by_kind") and "index" in done:
        lines.append(f"  graph edges       {_fmt_counts(ix['edges_by_kind'])}")
    row("mutants", "mutate", lambda: _fmt_counts(_first(mu, "mutants_by_kind", "mutants")))
    why = no_mutants_reason(run, mu) if "mutate" in done else None
    if why:
        lines.append(f"  why no mutants    {why}")
    row("dropped", "mutate", lambda: _fmt_counts(_first(mu, "dropped_by_filter", "dropped")))
    row("refuted", "mutate", lambda: str(mu.get("refuted", 0)))
    row("vacuous", "mutate", lambda: str(mu.get("vacuous", 0)))
    if "mutate" in done:
        lines.extend(_database_lines(run, report))
    c = report.corpus or {}
    tiers = _first(c, "by_tier", "rows_by_tier")
    label = "unchecked rows" if no_lean else "corpus rows"
    out_dir = run.unchecked_dir if no_lean else run.corpus_dir
    if "corpus" in done or no_lean:
        lines.append(f"  {label:<17} {_fmt_counts(tiers) if tiers else c.get('rows', 0)}")
    else:
        lines.append(f"  {label:<17} not run")
    if c.get("open_statements"):
        st = c["open_statements"]
        lines.append(f"  open statements   {st['rows']} -> {st['output']}")
    times = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    lines.append(f"  time              {times or '-'}"
                 + (f"  (skipped, already done: {', '.join(report.skipped)})" if report.skipped else ""))
    if out_dir.exists():
        lines.append(f"  outputs           {out_dir}")
    if report.stopped:
        lines.append(f"  stopped           {report.stopped}")
    if report.next_step:
        lines.append(f"  next step         {report.next_step}")
    return lines


def no_mutants_reason(run: RunDir, mutate_stats: dict) -> str | None:
    """Why mutation made nothing, when it made nothing: theorems proved with `sorry` are
    neither mutated nor used as rules, and a library of them gives no mutant at all."""
    made = _first(mutate_stats, "mutants_by_kind", "mutants")
    if not run.declarations.exists() or (isinstance(made, dict) and sum(made.values())) or (
            isinstance(made, int) and made):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from lean_alchemy.core.leantext import contains_sorry

    decls = pq.read_table(run.declarations, columns=["kind", "proof"])
    theorems = decls.filter(pc.is_in(decls["kind"], value_set=pa.array(["theorem", "lemma"])))
    proofs = [p or "" for p in theorems["proof"].to_pylist()]
    sorried = sum(contains_sorry(p) for p in proofs)
    if proofs and sorried == len(proofs):
        return (f"every theorem of the library ({sorried} of {len(proofs)}) is proved with "
                f"`sorry`; lean-alchemy mutates proved theorems only, unless "
                f"`--open-statements` asks for their mutants as open statements")
    if sorried * 2 >= len(proofs) > 0:
        return (f"{sorried} of {len(proofs)} theorems are proved with `sorry`, and lean-alchemy "
                f"mutates proved theorems only; see `dropped` for the rest")
    if not proofs:
        return "the library has no theorem or lemma"
    return "see `dropped` for what every candidate was dropped for"


SUMMARY_CACHE = "run.summary.json"


def _database_counts(run: RunDir, db) -> tuple[dict[str, int], dict[str, int]]:
    """(mutants by status, verified mutants by kind), kept in `RUN/run.summary.json` for
    the database's `data_version`: counting joins every decided row (seconds to minutes on
    all of Mathlib), and a re-run with nothing to do should not repeat it."""
    key = db.data_version()
    path = run.root / SUMMARY_CACHE
    if key is not None:
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            if cached.get("key") == key:
                return dict(cached["counts"]), dict(cached["verified_by_kind"])
        except (OSError, ValueError, KeyError, AttributeError):
            pass
    counts = db.counts()
    verified_by_kind: dict[str, int] = {}
    for kind, status, _cls, n in db.outcome_counts():
        if status == "verified":
            verified_by_kind[kind] = verified_by_kind.get(kind, 0) + n
    if key is not None:
        try:
            atomic_write_text(path, json.dumps({"key": key, "counts": counts,
                                                "verified_by_kind": verified_by_kind}))
        except OSError:
            pass  # a read-only run directory: counted again next time
    return counts, verified_by_kind


def _database_lines(run: RunDir, report: RunReport) -> list[str]:
    """Checked and verified mutants, from the run database."""
    from lean_alchemy.core.rundb import RunDB

    try:
        with RunDB.for_run(run, mode="read") as db:
            counts, verified_by_kind = _database_counts(run, db)
    except AlchemyError as e:
        return [f"  run database      {e}"]
    final = {k: v for k, v in counts.items()
             if k not in ("pending", "leased", "refuted", "vacuous")}
    checked = "check" in report.ran or final
    lines = [f"  checked           {_fmt_counts(final) if checked else 'not run'}",
             f"  verified          {_fmt_counts(verified_by_kind) if checked else 'not run'}"]
    if counts.get("pending"):
        lines.append(f"  awaiting Lean     {counts['pending']}")
    ix = run.read_stats("index") or {}
    mu = run.read_stats("mutate") or {}
    if ix.get("rules_from") or (mu.get("options") or {}).get("open_statements"):
        with RunDB.for_run(run, mode="read") as db:
            lines.append("  mutants by rule   " + library_share(db.library_counts()))
    return lines


def library_share(counts: dict[tuple[str, str], int]) -> str:
    """Mutants by rule library (the share of a dependency's rules) and open statements."""
    by_lib: dict[str, int] = {}
    for (lib, _st), n in counts.items():
        by_lib[lib or "own"] = by_lib.get(lib or "own", 0) + n
    total = sum(by_lib.values())
    dep = total - by_lib.get("own", 0)
    opened = sum(n for (_lib, st), n in counts.items() if st == "open")
    share = f"{100 * dep / total:.1f} %" if total else "n/a"
    return (f"{_fmt_counts(by_lib)}; from a dependency {dep}/{total} ({share}); "
            f"open statements {opened}")


# ---------------------------------------------------------------------------- CLI


def build_config(args: argparse.Namespace) -> tuple[Config, Path, RunDir]:
    cfg = load_config(args.config)
    overrides = {
        "extract": {"jobs": args.jobs},
        "index": {"rules_from": tuple(args.rules_from) if args.rules_from else None},
        "mutate": {"depth": args.depth, "proof_style": args.proof_style,
                   "open_statements": True if args.open_statements else None},
        "check": {"backend": args.backend, "jobs": args.jobs, "limit": args.limit,
                  "executor": args.executor, "workspace": args.workspace},
    }
    for section in ("extract", "index", "mutate", "check", "corpus"):
        # a bar per long stage (index and mutate take minutes on Mathlib); results do not
        # depend on it, so resume ignores it
        overrides.setdefault(section, {})["progress"] = not args.no_progress
    for section, changes in overrides.items():
        cls_fields = {f.name for f in dataclasses.fields(cfg[section])}
        cfg = cfg.replace(section, **{k: v for k, v in changes.items()
                                      if k in cls_fields and v is not None})
    runopts = cfg["run"]
    src = Path(args.src or runopts.src)
    run = RunDir.at(args.run_dir or runopts.run_dir)
    cfg = cfg.replace("run", src=str(src), run_dir=str(run.root))
    if not cfg["check"].workspace:  # the project's own Lake root, else the bundled one
        from lean_alchemy.jobs.toolchain import workspace_path
        cfg = cfg.replace("check", workspace=str(workspace_path("", src)))
    return cfg, src, run


def cmd_run(args: argparse.Namespace) -> int:
    cfg, src, run = build_config(args)
    if args.print_config:
        print(cfg.to_toml())
        return 0
    stop_after = args.stop_after or cfg["run"].stop_after
    if stop_after and stop_after not in STAGES:
        raise AlchemyError(f"--stop-after must be one of {', '.join(STAGES)}, got {stop_after!r}")
    report = run_pipeline(src, run, cfg, stop_after=stop_after, force=tuple(args.force or ()))
    print("\n".join(summary_lines(run, report)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from lean_alchemy.jobs.check_cli import backend_arg

    p = sub.add_parser("run", help="run the whole pipeline (extract → index → mutate → check → corpus)",
                       description="Run every stage on a Lean project, skipping stages already "
                       "done with the same configuration. Without a Lean toolchain the run stops "
                       "after mutation, exports the unchecked candidates and names the next step.")
    p.add_argument("src", nargs="?", default=None,
                   help="Lean project root or source folder (default: [run] src, lean_workspace)")
    p.add_argument("--run-dir", default=None, help="run directory (default: [run] run_dir, alchemy-run)")
    p.add_argument("--config", type=Path, default=None, help="TOML configuration (see README)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="worker processes for extract and check")
    p.add_argument("--depth", type=int, default=None, help="mutation depth")
    p.add_argument("--proof-style", choices=("merged", "invoke"), default=None)
    p.add_argument("--backend", choices=("lean-json", "repl"), default=None,
                   type=backend_arg,
                   help="Lean checker backend: lean-json (alias: file) batch files, or repl")
    p.add_argument("--executor", choices=("local", "ray"), default=None)
    p.add_argument("--workspace", default=None,
                   help="Lake workspace the checker runs in (default: SRC's Lake root when "
                        "it requires Mathlib, else the bundled lean_workspace)")
    p.add_argument("--rules-from", action="append", default=None, metavar="RUN_DIR",
                   help="a finished run of a library SRC imports (e.g. Mathlib): its rules "
                        "and names join SRC's own ([index] rules_from; repeatable)")
    p.add_argument("--open-statements", action="store_true",
                   help="also mutate theorems proved by `sorry`: exact statements with "
                        "proof `sorry`, exported to RUN/statements/ ([mutate] open_statements)")
    p.add_argument("--limit", type=int, default=None, help="check at most N mutants")
    p.add_argument("--stop-after", choices=STAGES, default=None)
    p.add_argument("--force", action="append", choices=STAGES, default=None,
                   help="re-run this stage even if done (repeatable)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bars (by default each stage shows one on stderr)")
    p.add_argument("--print-config", action="store_true",
                   help="print the effective configuration (a template for --config) and exit")
    p.set_defaults(func=cmd_run)
