"""The mutation stage's work split over processes: tasks, forked workers and the global
filters that make the result independent of the number of workers.

`Workload` turns the invocation table into one task per theorem (a row range);
`mutate_all` mutates each theorem on its own, in this process or in forked workers that
inherit the `Mutator` (`core.forkpool.forked_map`), and then applies the cross-theorem
filters (duplicates, rule caps) in task order.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from typing import Any, Callable, Generator, Hashable, Iterable, Iterator, Sequence

import pyarrow as pa

from lean_alchemy.core.collector import no_collections
from lean_alchemy.core.forkpool import forked_map
from lean_alchemy.core.records import Declaration, Invocation, Mutant
from lean_alchemy.index.store import InvocationRows, candidate_runs
from lean_alchemy.mutate.dedup import Deduper
from lean_alchemy.mutate.mutator import Mutator, Row
from lean_alchemy.mutate.stats import MutateStats

Task = Hashable
"""What a worker is told to mutate: small and picklable (a position, a row range); the
`load` function of `mutate_all` turns it into (declaration, invocations) on the worker."""
Load = Callable[[Any], "tuple[Declaration, Sequence[Invocation]]"]


@dataclass(frozen=True)
class Workload:
    """The stage's tasks: one per theorem, (declaration position, invocation row range).

    Why ranges and not records: all of Mathlib has ~10M invocations; decoding and pickling
    them in the parent made it the bottleneck of a parallel run.  Workers (forked after
    this is built) decode only their own theorems' rows from the shared Arrow table, and
    of those only the ones tried before the per-theorem cap (`InvocationRows`).
    """

    decls: Sequence[Declaration]
    table: pa.Table  # with the invocation schema (`index.store.INVOCATION_SCHEMA`)
    tasks: tuple[tuple[int, int, int], ...]
    unknown: int  # invocations whose candidate is not a known theorem

    @classmethod
    def build(cls, decls: Sequence[Declaration], table: pa.Table) -> "Workload":
        pos = {d.full_name: i for i, d in enumerate(decls)}
        tasks: list[tuple[int, int, int]] = []
        unknown = 0
        for name, a, b in candidate_runs(table):
            i = pos.get(name)
            if i is None:
                unknown += b - a
            else:
                tasks.append((i, a, b))
        return cls(decls, table, tuple(tasks), unknown)

    def load(self, task: tuple[int, int, int]) -> tuple[Declaration, Sequence[Invocation]]:
        """The theorem and its invocation rows, decoded lazily (only the ones tried)."""
        i, a, b = task
        return self.decls[i], InvocationRows(self.table, a, b)


Encode = Callable[[Mutant, str], object]
"""How a row is stored: (mutant, its theorem's base body) -> plain data
(`core.rundb.mutant_row`)."""
# What forked workers inherit: the engine, how a task becomes a theorem and its
# invocations, and how a mutant is encoded for the database.
Worker = tuple[Mutator, Load, Encode | None]


def _theorem_rows(mut: Mutator, decl: Declaration, invs: Sequence[Invocation]) -> list[Row]:
    """One theorem's rows with the cross-theorem filter state cleared first: a worker then
    computes the same rows whatever it mutated before, so the result does not depend on
    how a pool happens to schedule theorems (cross-theorem duplicates and the rule cap are
    applied afterwards, in order, by `mutate_all`).  The per-theorem count is cleared too:
    two declarations can share a full name (private theorems), and each has its own cap."""
    mut.dedup.seen.clear()
    mut.dedup.per_rule.clear()
    mut.dedup.per_theorem.clear()
    return list(mut.mutate_theorem(decl, invs))


# What the global filters of `mutate_all` read of a row: (id, rule, source theorem, kind,
# depth), then the row itself, possibly encoded: (key, mutant or encode(mutant), status,
# detail).
Keyed = tuple[tuple[str, str, str, str, int], object, str, str]


def _keyed(rows: list[Row], encode: Encode | None, base_body: str = "") -> list[Keyed]:
    """`base_body`: the theorem's proof as a tactic body (`Mutator.base_body`), which the
    encoder stores once per theorem instead of once per mutant."""
    return [((m.id, m.rule, m.source_theorem, m.kind, m.depth),
             m if encode is None else encode(m, base_body), status, detail)
            for m, status, detail in rows]


def _work(worker: Worker, tasks: list[Task]) -> tuple[list[Keyed], MutateStats]:
    """A chunk of theorems in a forked worker: their keyed rows and the counters' delta."""
    m, load, encode = worker
    rows: list[Keyed] = []
    for task in tasks:
        rows.extend(_keyed(_theorem_rows(m, *load(task)), encode, m.base_body))
    return rows, m.take_stats()


def _chunks(tasks: Iterable[Task], size: int) -> Iterator[list[Task]]:
    chunk: list[Task] = []
    for t in tasks:
        chunk.append(t)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def mutate_chunks(mut: Mutator, tasks: Iterable[Task], load: Load, jobs: int = 1,
                  chunk: int = 32, encode: Encode | None = None,
                  global_filter: Deduper | None = None
                  ) -> Generator[tuple[int, list[tuple]], None, None]:
    """Every stored row, in the order of `tasks` (one theorem each, see `Load`), `chunk`
    tasks at a time: (tasks done in this chunk, its rows).  When a chunk is yielded,
    `mut.stats` counts every task up to its end, whatever `jobs` is: a caller that stores
    the rows of whole chunks can store the counters with them (`mutate/resume.py`).

    Each theorem is mutated on its own (`_theorem_rows`); the global filters (duplicates of
    earlier theorems' mutants, rule caps) are then applied here in task order, so
    `jobs > 1` (theorems mutated in forked worker processes) yields exactly the rows and
    counters of `jobs = 1`.  `global_filter`: their state after the tasks already done by
    an interrupted run (its admitted ids and per-rule counts), so the rest comes out as if
    the run had not stopped.

    Rows are (Mutant, status, detail), or (encode(Mutant), status, detail) with `encode`:
    it runs in the workers, so what they send is plain data that the parent unpickles and
    stores as it is (`core.rundb.mutant_row` for `RunDB.add_mutant_rows`).  Unpickling
    Mutants and encoding them in the parent cost more than the database insert did."""
    if global_filter is None:
        global_filter = Deduper(max_per_rule=mut.opts.max_per_rule)

    def admitted(rows: Iterable[Keyed]) -> list[tuple]:
        out: list[tuple] = []
        for (fid, rule, theorem, kind, depth), row, status, detail in rows:
            if fid in global_filter.seen:
                mut.stats.unstore(kind, depth, status, "duplicate")
                continue
            pending = status == "pending"
            if pending and global_filter.max_per_rule is not None and \
                    global_filter.per_rule[rule] >= global_filter.max_per_rule:
                mut.stats.unstore(kind, depth, status, "rule_cap")
                continue
            global_filter.admit(fid, theorem, rule, counts=pending)
            out.append((row, status, detail))
        return out

    with no_collections():  # the loop makes no cyclic garbage (core/collector.py)
        if jobs <= 1:
            for part in _chunks(tasks, chunk):
                keyed: list[Keyed] = []
                for task in part:
                    keyed.extend(_keyed(_theorem_rows(mut, *load(task)), encode, mut.base_body))
                yield len(part), admitted(keyed)
            return
        worker: Worker = (mut, load, encode)
        with closing(forked_map(_counted_work, worker, _chunks(tasks, chunk), jobs)) as parts:
            for n, rows, delta in parts:
                mut.stats.merge(delta)
                yield n, admitted(rows)


def _counted_work(worker: Worker, tasks: list[Task]) -> tuple[int, list[Keyed], MutateStats]:
    return (len(tasks), *_work(worker, tasks))


def mutate_all(mut: Mutator, tasks: Iterable[Task], load: Load, jobs: int = 1,
               chunk: int = 32, encode: Encode | None = None) -> Iterator[tuple]:
    """`mutate_chunks`, row by row."""
    with closing(mutate_chunks(mut, tasks, load, jobs, chunk, encode)) as parts:
        for _, rows in parts:
            yield from rows


__all__ = ["Task", "Load", "Workload", "Encode", "Worker", "Keyed", "mutate_chunks", "mutate_all"]
