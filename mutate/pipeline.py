"""`alchemy mutate`: invocations of the rule index -> mutants in the run database.

`run_mutate` reads the run directory, hands the theorems to the engine (`mutator.Mutator`)
through the worker pool (`workers.mutate_chunks`), writes the database in batches of whole
theorems, each with its progress marker (`resume`: a re-run continues after the last batch),
and the stats file (`stats.MutateStats`).  The library statements' fingerprints (the
`library_duplicate` filter) come from `library`.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from contextlib import closing
from dataclasses import dataclass, field
from typing import Callable

import pyarrow as pa
from tqdm import tqdm

from lean_alchemy.core.collector import few_collections
from lean_alchemy.core.records import Declaration, Rule, Scope
from lean_alchemy.core.rundb import RunDB, mutant_row
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract import store as extract_store
from lean_alchemy.index.match.rigid import rigid_names
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.index.sections import read_section_binders
from lean_alchemy.index.store import read_invocation_table, read_rules
from lean_alchemy.mutate.dependencies import DependencyInputs, read_dependency_inputs
from lean_alchemy.mutate.forecast import forecast_lines
from lean_alchemy.mutate.library import cached_library_fingerprints
from lean_alchemy.mutate.mutator import Mutator, stored_section_binders
from lean_alchemy.mutate.name_scope import NameIndex, NameScope, notation_words
from lean_alchemy.mutate.notation_scope import rule_scopes
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.refute import RefuteOptions
from lean_alchemy.mutate.stats import MutateStats
from lean_alchemy.mutate import resume
from lean_alchemy.mutate.workers import Workload, mutate_chunks

log = logging.getLogger(__name__)

# Rows per database transaction.  Why this many: ids are content hashes, so every row
# lands on a random page of the two id indexes, and a commit writes each page it dirtied
# (to the WAL, then back at the checkpoint).  With 2,000 rows per commit all of Mathlib's
# mutants (7.8 GB) made the parent write ~52 GB; with 20,000 a page collects many rows
# before it is written.  A killed run loses at most this many rows, or COMMIT_SECONDS of
# work, whichever is less: a re-run continues after the last stored batch (`resume`).
BATCH = 20000
COMMIT_SECONDS = 5.0
CHUNK = 32  # theorems per worker task; a batch is a whole number of chunks


@dataclass(frozen=True)
class MutateInputs:
    """What the stage reads from the run directory."""

    decls: list[Declaration]  # theorems and lemmas
    scopes: dict[str, Scope]
    sections: dict[str, str]  # scope id -> serialized section binders the index parsed
    rules: list[Rule]
    invocations: pa.Table  # resident, shared by the forked workers
    deps: DependencyInputs = field(default_factory=DependencyInputs)


def read_inputs(run: RunDir) -> MutateInputs:
    run.require(run.declarations, "extract")
    run.require(run.rules, "index")
    decls = list(extract_store.read_declarations(run, kinds=("theorem", "lemma")))
    scopes = extract_store.read_scopes(run) if run.scopes.exists() else {}
    rules = list(read_rules(run))
    sections = read_section_binders(run, scopes)  # {} when the file is missing or stale
    invocations = read_invocation_table(run)
    deps = read_dependency_inputs(run, invocations)
    return MutateInputs(decls, scopes, sections, rules + deps.rules, invocations, deps)


def run_mutate(run: RunDir, opts: MutateOptions = MutateOptions(),
               refute_opts: RefuteOptions | None = None, *,
               echo: Callable[[str], None] | None = None) -> MutateStats:
    """Build, filter, refute and store the mutants of a run (see module doc); returns the
    stats written to `RUN/mutate.stats.json`.  An interrupted run continues where it
    stopped, and a finished one is not redone (`resume`)."""
    t0 = time.perf_counter()
    jobs = opts.jobs or os.cpu_count() or 1
    db = RunDB.for_run(run)
    try:
        begin = resume.start(db, resume.run_key(run, opts, refute_opts))
        if begin.complete:
            # the rows are those of the run that finished; this call added none
            stats = _finish(run, begin.stats, begin.totals, 0, opts, jobs, t0)
            if echo is not None:
                echo(f"mutate: already done ({stats.mutants_total} mutants) -> {run.db}")
            return stats
        if echo is not None:
            for line in forecast_lines(run, opts):
                echo(line)
        mut, work, inputs, library = _engine(run, opts, refute_opts, jobs)
        totals = {"unknown_candidate": work.unknown, "library_fingerprints": len(library),
                  "stored_section_binders": len(inputs.sections)}
        counters, new_rows = _store(db, mut, work, jobs, opts.progress, begin, totals)
    finally:
        db.close()
    stats = _finish(run, counters, totals, new_rows, opts, jobs, t0)
    if echo is not None:
        status = stats.status
        resumed = f" (resumed after {begin.tasks_done})" if begin.tasks_done else ""
        echo(f"mutate: {stats.mutants_total} mutants ({status.get('pending', 0)} pending, "
             f"{status.get('refuted', 0)} refuted, {status.get('vacuous', 0)} vacuous) from "
             f"{stats.candidates} theorems{resumed} in {stats.seconds} s -> {run.db}")
    return stats


def _engine(run: RunDir, opts: MutateOptions, refute_opts: RefuteOptions | None, jobs: int
            ) -> tuple[Mutator, Workload, MutateInputs, frozenset[str]]:
    """The run's inputs read, the engine built on them, and its tasks.  Everything made
    here lives for the whole stage: the cycle collector would only rescan it."""
    with few_collections(freeze=False):
        inputs = read_inputs(run)
        library = cached_library_fingerprints(run, inputs.decls, jobs)
        index = None
        if opts.depth > 1:
            index = RuleIndex.build(inputs.rules, rigid=rigid_names(inputs.decls),
                                    generic_evidence=True)
        rule_scope = rule_scopes(
            {**inputs.deps.scope_ids, **{d.full_name: d.scope_id or "" for d in inputs.decls}},
            {**inputs.deps.scopes, **inputs.scopes})
        tokens = inputs.deps.tokens(run)
        mut = Mutator(inputs.rules, inputs.scopes, opts, library=library,
                      refute_opts=refute_opts, index=index,
                      section_of=stored_section_binders(inputs.sections),
                      tokens=tokens, rule_scope=rule_scope, rule_library=inputs.deps.library,
                      names=NameScope(NameIndex.read(run), rule_scope,
                                      notation_words(tokens)))
        return mut, Workload.build(inputs.decls, inputs.invocations), inputs, library


def _finish(run: RunDir, stats: MutateStats, totals: dict, new_rows: int,
            opts: MutateOptions, jobs: int, t0: float) -> MutateStats:
    """The stats file: the counters of every theorem plus the run-level fields."""
    # counted after the pool: forked workers start from a copy of the parent's counters
    stats.dropped["unknown_candidate"] += totals["unknown_candidate"]
    stats.invocations += totals["unknown_candidate"]
    stats.library_fingerprints = totals["library_fingerprints"]
    stats.stored_section_binders = totals["stored_section_binders"]
    stats.new_rows = new_rows
    stats.jobs = jobs
    stats.options = opts
    stats.seconds = round(time.perf_counter() - t0, 3)
    stats.peak_rss_mb = round(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
                              / 1024, 1)
    run.write_stats("mutate", stats.as_dict())
    return stats


def _store(db: RunDB, mut: Mutator, work: Workload, jobs: int, progress: bool,
           begin: resume.Start, totals: dict) -> tuple[MutateStats, int]:
    """Mutate the tasks of `work` after `begin.tasks_done` and insert the rows into the run
    database a batch of whole theorems at a time (`BATCH` rows, or `COMMIT_SECONDS`), each
    batch with its `mutate_progress` row; returns the counters of every task and the number
    of rows the database did not have."""
    done = begin.tasks_done
    base = begin.stats  # counters of the tasks done before; `mut.stats` counts the rest
    new_rows = begin.new_rows
    cap = mut.opts.max_per_rule
    gfilter = begin.global_filter(db, cap)
    bar = tqdm(desc="mutate", unit="thm", total=len(work.tasks), initial=done,
               mininterval=0.5) if progress else None

    def commit(rows: list[tuple], final: bool) -> None:
        nonlocal new_rows
        so_far = MutateStats()
        so_far.merge(base)
        so_far.merge(mut.stats)

        def row(new: int) -> dict:
            return resume.progress_row(begin, done, len(work.tasks), so_far, new_rows + new,
                                       gfilter.per_rule if cap is not None else None,
                                       totals if final else None)
        new_rows += db.add_mutant_rows(rows, assume_new=begin.fresh_db, progress=row)

    batch: list[tuple] = []
    last = time.monotonic()
    try:
        with closing(mutate_chunks(mut, iter(work.tasks[done:]), work.load, jobs, CHUNK,
                                   encode=mutant_row, global_filter=gfilter)) as parts:
            for n, rows in parts:
                done += n
                if bar is not None:  # counted here: a pool reads its tasks ahead of the work
                    bar.update(n)
                batch.extend(rows)
                if len(batch) >= BATCH or time.monotonic() - last >= COMMIT_SECONDS:
                    commit(batch, final=False)
                    batch, last = [], time.monotonic()
        commit(batch, final=True)
    finally:
        if bar is not None:
            bar.close()
    base.merge(mut.stats)
    return base, new_rows


__all__ = ["BATCH", "COMMIT_SECONDS", "CHUNK", "MutateInputs", "read_inputs", "run_mutate"]
