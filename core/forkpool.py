"""Worker pools whose workers inherit the stage's context by fork instead of by pickling.

Why fork: the index and mutation stages hand their workers hundreds of megabytes to
gigabytes of read-only inputs (declarations, the rule index, the invocation table).
Forked workers share those pages copy-on-write; pickling them to every worker would cost
more than the work.  A pool's worker function receives only its task, so the context must
be reachable from module level in the child: `forked_map` keeps it in the one slot of
this module (`_INHERITED`), set just before the pool forks and cleared after, and calls
`work(context, task)` in the worker.  Worker functions stay plain functions of their
arguments, and no stage module holds state in globals.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import signal
from contextlib import contextmanager
from typing import Any, Callable, Generator, Iterable, Iterator, TypeVar

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

# The context of the pool being run (None between pools).  Workers read it after the fork;
# the parent never reads it.  One slot: the stages run one pool at a time.
_INHERITED: list[Any] = [None]


def _call(job: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    work, task = job
    return work(_INHERITED[0], task)


def _leave_ctrl_c_to_the_parent() -> None:
    """Workers ignore SIGINT: Ctrl-C reaches the whole process group, and workers that
    raised KeyboardInterrupt each printed a traceback while the parent was still stopping.
    The parent's KeyboardInterrupt ends the pool (`terminate`, which also reaps them)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# Collector thresholds while a pool runs (generation 0 every 50,000 net allocations instead
# of 700): see `quiet_collector`.
POOL_GC_THRESHOLDS = (50_000, 20, 100)


@contextmanager
def quiet_collector() -> Iterator[None]:
    """The cyclic garbage collector kept out of a stage's hot loop while it runs.

    Why: the stages allocate millions of short-lived, acyclic objects (terms, matches,
    rows), freed by reference counting; at Python's default thresholds the collector
    still ran every 700 allocations and, every so often, traversed every object the
    process holds, the inherited context included.  Measured on 600 of Mathlib's
    candidates matched against all its rules (one process, compiled): 8.4 CPU-s at the
    default thresholds, 4.2 at these, 4.3 with the collector off.  The heap as it is when
    the pool starts (the context: rules, declarations, tables) is moved out of the
    collector's sight (`gc.freeze`), so neither the parent nor a forked worker traverses it,
    and a worker's traversals no longer write to (and so copy) the pages it shares with the
    parent.  Garbage cycles are still collected, less often; all is restored on exit."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*POOL_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def forked_map(work: Callable[[C, T], R], context: C, tasks: Iterable[T], jobs: int, *,
               ordered: bool = True) -> Generator[R, None, None]:
    """`work(context, task)` for every task: in this process when `jobs <= 1`, else in
    `jobs` forked workers that inherit `context`.  Results come in task order unless
    `ordered` is false (then as they finish).  `work` must be a module-level function (the
    pool sends it by name with each task).  A consumer that stops early should `close()`
    the generator (or use `contextlib.closing`): that ends the pool and its workers at once
    rather than whenever the generator is collected."""
    if jobs <= 1:
        with quiet_collector():
            for task in tasks:
                yield work(context, task)
        return
    if _INHERITED[0] is not None:
        raise RuntimeError("forked_map: a pool is already running in this process")
    _INHERITED[0] = context
    try:
        with quiet_collector(), \
                mp.get_context("fork").Pool(jobs, initializer=_leave_ctrl_c_to_the_parent) as pool:
            jobs_iter = ((work, task) for task in tasks)
            yield from (pool.imap(_call, jobs_iter) if ordered
                        else pool.imap_unordered(_call, jobs_iter))
    finally:
        _INHERITED[0] = None


__all__ = ["forked_map"]
