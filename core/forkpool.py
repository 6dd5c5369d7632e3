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

import multiprocessing as mp
import signal
from typing import Any, Callable, Generator, Iterable, TypeVar

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


def forked_map(work: Callable[[C, T], R], context: C, tasks: Iterable[T], jobs: int, *,
               ordered: bool = True) -> Generator[R, None, None]:
    """`work(context, task)` for every task: in this process when `jobs <= 1`, else in
    `jobs` forked workers that inherit `context`.  Results come in task order unless
    `ordered` is false (then as they finish).  `work` must be a module-level function (the
    pool sends it by name with each task).  A consumer that stops early should `close()`
    the generator (or use `contextlib.closing`): that ends the pool and its workers at once
    rather than whenever the generator is collected."""
    if jobs <= 1:
        for task in tasks:
            yield work(context, task)
        return
    if _INHERITED[0] is not None:
        raise RuntimeError("forked_map: a pool is already running in this process")
    _INHERITED[0] = context
    try:
        with mp.get_context("fork").Pool(jobs, initializer=_leave_ctrl_c_to_the_parent) as pool:
            jobs_iter = ((work, task) for task in tasks)
            yield from (pool.imap(_call, jobs_iter) if ordered
                        else pool.imap_unordered(_call, jobs_iter))
    finally:
        _INHERITED[0] = None


__all__ = ["forked_map"]
