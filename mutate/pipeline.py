"""`alchemy mutate`: invocations of the rule index -> mutants in the run database.

`run_mutate` reads the run directory, hands the theorems to the engine (`mutator.Mutator`)
through the worker pool (`workers.mutate_all`), writes the database in batches and the
stats file (`stats.MutateStats`).  The library statements' fingerprints (the
`library_duplicate` filter) come from `library`.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import pyarrow as pa
from tqdm import tqdm

from lean_alchemy.core.records import Declaration, Rule, Scope
from lean_alchemy.core.rundb import RunDB, mutant_row
from lean_alchemy.core.rundir import RunDir
from lean_alchemy.extract import store as extract_store
from lean_alchemy.index.match.rigid import rigid_names
from lean_alchemy.index.match.rule_index import RuleIndex
from lean_alchemy.index.sections import read_section_binders
from lean_alchemy.index.store import read_invocation_table, read_rules, run_token_table
from lean_alchemy.mutate.library import cached_library_fingerprints
from lean_alchemy.mutate.mutator import Mutator, stored_section_binders
from lean_alchemy.mutate.options import MutateOptions
from lean_alchemy.mutate.refute import RefuteOptions
from lean_alchemy.mutate.stats import MutateStats
from lean_alchemy.mutate.workers import Workload, mutate_all

log = logging.getLogger(__name__)

# Rows per database transaction.  Why this many: ids are content hashes, so every row
# lands on a random page of the two id indexes, and a commit writes each page it dirtied
# (to the WAL, then back at the checkpoint).  With 2,000 rows per commit all of Mathlib's
# mutants (7.8 GB) made the parent write ~52 GB; with 20,000 a page collects many rows
# before it is written.  A killed run loses at most this many rows (a re-run adds them).
BATCH = 20000


@dataclass(frozen=True)
class MutateInputs:
    """What the stage reads from the run directory."""

    decls: list[Declaration]  # theorems and lemmas
    scopes: dict[str, Scope]
    sections: dict[str, str]  # scope id -> serialized section binders the index parsed
    rules: list[Rule]
    invocations: pa.Table  # resident, shared by the forked workers


def read_inputs(run: RunDir) -> MutateInputs:
    run.require(run.declarations, "extract")
    run.require(run.rules, "index")
    decls = list(extract_store.read_declarations(run, kinds=("theorem", "lemma")))
    scopes = extract_store.read_scopes(run) if run.scopes.exists() else {}
    rules = list(read_rules(run))
    sections = read_section_binders(run, scopes)  # {} when the file is missing or stale
    return MutateInputs(decls, scopes, sections, rules, read_invocation_table(run))


def run_mutate(run: RunDir, opts: MutateOptions = MutateOptions(),
               refute_opts: RefuteOptions | None = None, *,
               echo: Callable[[str], None] | None = None) -> MutateStats:
    """Build, filter, refute and store the mutants of a run (see module doc); returns the
    stats written to `RUN/mutate.stats.json`."""
    start = time.perf_counter()
    jobs = opts.jobs or os.cpu_count() or 1
    inputs = read_inputs(run)
    library = cached_library_fingerprints(run, inputs.decls, jobs)
    index = None
    if opts.depth > 1:
        index = RuleIndex.build(inputs.rules, rigid=rigid_names(inputs.decls),
                                generic_evidence=True)
    mut = Mutator(inputs.rules, inputs.scopes, opts, library=library,
                  refute_opts=refute_opts, index=index,
                  section_of=stored_section_binders(inputs.sections),
                  tokens=run_token_table(run))
    work = Workload.build(inputs.decls, inputs.invocations)
    new_rows = _store(run, mut, work, jobs, opts.progress)
    stats = mut.stats
    # counted after the pool: forked workers start from a copy of the parent's counters
    stats.dropped["unknown_candidate"] += work.unknown
    stats.invocations += work.unknown
    stats.library_fingerprints = len(library)
    stats.stored_section_binders = len(inputs.sections)
    stats.new_rows = new_rows
    stats.jobs = jobs
    stats.options = opts
    stats.seconds = round(time.perf_counter() - start, 3)
    stats.peak_rss_mb = round(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
                              / 1024, 1)
    run.write_stats("mutate", stats.as_dict())
    if echo is not None:
        status = stats.status
        echo(f"mutate: {stats.mutants_total} mutants ({status.get('pending', 0)} pending, "
             f"{status.get('refuted', 0)} refuted, {status.get('vacuous', 0)} vacuous) from "
             f"{stats.candidates} theorems in {stats.seconds} s -> {run.db}")
    return stats


def _store(run: RunDir, mut: Mutator, work: Workload, jobs: int, progress: bool) -> int:
    """Mutate every task of `work` and insert the rows into the run database, `BATCH` rows
    a transaction; returns the number of rows the database did not have."""
    db = RunDB.for_run(run)
    bar = tqdm(desc="mutate", unit="thm", total=len(work.tasks), mininterval=0.5) \
        if progress else None

    def tasks() -> Iterator[tuple[int, int, int]]:
        for t in work.tasks:
            if bar is not None:
                bar.update(1)
            yield t

    stored = 0
    batch: list[tuple] = []
    # a database without mutants gets only this run's (unique) ids: no look-ups needed
    fresh = not db.has_mutants()
    for row in mutate_all(mut, tasks(), work.load, jobs, encode=mutant_row):
        batch.append(row)
        if len(batch) >= BATCH:
            stored += db.add_mutant_rows(batch, assume_new=fresh)
            batch = []
    if batch:
        stored += db.add_mutant_rows(batch, assume_new=fresh)
    if bar is not None:
        bar.close()
    return stored


__all__ = ["BATCH", "MutateInputs", "read_inputs", "run_mutate"]
