"""Resuming `alchemy mutate`: where an interrupted run stopped, and the state it had there.

Why: on all of Mathlib the stage runs for a quarter of an hour; a Ctrl-C (or a killed
process) used to cost all of it.  `pipeline` stores mutants a batch of whole theorems at a
time, and in the same transaction the `mutate_progress` row of the run database
(`core.rundb`): how many theorems (in task order) are done, and the counters of the stats
file over them.  A re-run with the same key continues after the last stored batch.

What makes the continued run equal to an uninterrupted one: each theorem's rows are a pure
function of the inputs and options (`workers._theorem_rows`); what crosses theorems is the
global filters' state (ids admitted so far, per-rule counts) and the counters.  The
counters are stored; the admitted ids are the ids in the database when the run began on a
database without mutants (`fresh_db`), which is the case of a first `alchemy run`.  A run
that began on a database holding other mutants (re-mutation with new options) cannot tell
its own rows from the earlier ones, so it starts again from the first theorem, as before.

The key covers everything the rows depend on: the options, the stage's input files, and the
code of the stages up to this one; anything else changed starts from the first theorem.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lean_alchemy.core.native import REPO
from lean_alchemy.core.rundb import RunDB
from lean_alchemy.core.rundir import RunDir, tool_version
from lean_alchemy.index.dependency import DEPENDENCIES_FILE
from lean_alchemy.index.store import invocations_path
from lean_alchemy.mutate.dedup import Deduper
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.refute import RefuteOptions
from lean_alchemy.mutate.stats import MutateStats

# The code the rows are a function of (stage packages up to mutate).
CODE_PACKAGES = ("core", "grammar", "extract", "index", "mutate")
# Options that do not change the rows.
RESULT_FREE_OPTIONS = ("jobs", "progress")


def _input_files(run: RunDir) -> list[Path]:
    return [run.declarations, run.scopes, run.rules, run.section_binders, run.notations,
            invocations_path(run), run.root / DEPENDENCIES_FILE]


def run_key(run: RunDir, opts: MutateOptions, refute_opts: RefuteOptions | None) -> str:
    """What a stored batch is valid for: options, input files' bytes, code.  Hashing the
    inputs costs about a second per GB (all of Mathlib's are under that)."""
    h = hashlib.sha256()
    options = {f.name: getattr(opts, f.name) for f in dataclasses.fields(opts)
               if f.name not in RESULT_FREE_OPTIONS}
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    h.update(repr(refute_opts or RefuteOptions()).encode())
    h.update(tool_version().encode())
    for path in _input_files(run):
        h.update(f"\0{path.name}\0".encode())
        if path.exists():
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
    for package in CODE_PACKAGES:
        for source in sorted((REPO / package).rglob("*.py")):
            h.update(str(source.relative_to(REPO)).encode())
            h.update(source.read_bytes())
    return h.hexdigest()


@dataclass
class Start:
    """Where a run begins: after `tasks_done` theorems, with their counters and rows."""

    key: str
    fresh_db: bool  # no mutant was stored when the run began: its ids need no look-up
    tasks_done: int = 0
    stats: MutateStats = field(default_factory=MutateStats)
    new_rows: int = 0
    per_rule: Counter = field(default_factory=Counter)  # kept rows per rule (a rule cap)
    complete: bool = False
    totals: dict = field(default_factory=dict)  # run-level counts of a complete run

    def global_filter(self, db: RunDB, max_per_rule: int | None) -> Deduper:
        """The cross-theorem filters' state after `tasks_done` theorems (see module doc)."""
        out = Deduper(max_per_rule=max_per_rule)
        if self.tasks_done:
            out.seen.update(db.mutant_ids())
            out.per_rule.update(self.per_rule)
        return out


def start(db: RunDB, key: str) -> Start:
    """Resume the stored progress of `key` when it can be resumed exactly, else begin at
    the first theorem (and forget any other run's progress)."""
    row = db.mutate_progress()
    if row is not None and row["key"] == key and row["fresh_db"]:
        state = json.loads(row["state"])
        return Start(key, True, int(row["tasks_done"]),
                     MutateStats.from_counters(state["counters"]), int(state["new_rows"]),
                     Counter(dict(state.get("per_rule", []))), bool(row["complete"]),
                     dict(state.get("totals", {})))
    if row is not None:
        db.clear_mutate_progress()
    return Start(key, not db.has_mutants())


def progress_row(begin: Start, tasks_done: int, tasks_total: int, stats: MutateStats,
                 new_rows: int, per_rule: Counter | None, totals: dict | None) -> dict:
    """The `mutate_progress` row after `tasks_done` theorems; `totals` only on the last."""
    state: dict = {"counters": stats.counters(), "new_rows": new_rows}
    if per_rule is not None:
        state["per_rule"] = sorted(([k, v] for k, v in per_rule.items() if v))
    if totals is not None:
        state["totals"] = dict(sorted(totals.items()))
    return {"key": begin.key, "tasks_done": tasks_done, "tasks_total": tasks_total,
            "fresh_db": int(begin.fresh_db), "complete": int(totals is not None),
            "state": json.dumps(state, sort_keys=True, ensure_ascii=False)}


__all__ = ["CODE_PACKAGES", "RESULT_FREE_OPTIONS", "run_key", "Start", "start", "progress_row"]
