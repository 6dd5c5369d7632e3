"""Where batches of check units run: a local process pool or a Ray cluster.

Why executors are separate from `jobs.check`: the driver (leases, verdicts, the database)
is the same wherever Lean runs; an executor only moves a batch of `CheckUnit`s to a worker
that owns one long-lived `Checker` and brings back either the verdicts or the news that the
worker was lost.  Both executors run the same `check_batch` function.

Failure kinds an executor reports, because the driver treats them differently:
  lost   the worker died (killed, out of memory, node lost): an infrastructure failure; the
         batch's leases are expired so the mutants are retried (attempts counted)
  error  the checker raised: a bug or an environment problem, not a verdict on the mutants;
         the driver stops the run and keeps everything already recorded
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, replace
from typing import Callable, Protocol, Sequence

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Verdict

CheckerFactory = Callable[..., object]  # (CheckOptions, Toolchain) -> Checker


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What came back for one submitted batch (exactly one of verdicts/lost/error is set)."""

    batch_id: int
    worker: str
    verdicts: tuple[Verdict, ...] | None = None
    lost: str | None = None
    error: str | None = None  # the traceback
    seconds: float = 0.0
    message: str = ""  # with `error`: the exception's own message, whole


class Executor(Protocol):
    workers: int
    lost_workers: int  # workers that died and were replaced

    def start(self) -> None: ...

    def free(self) -> int:
        """How many more batches can be submitted now (idle, ready workers)."""
        ...

    def submit(self, batch_id: int, units: Sequence) -> None: ...

    def poll(self, timeout: float) -> list[BatchOutcome]: ...

    def close(self, *, abort: bool = False) -> None: ...


def default_checker_factory(opts, toolchain):
    """`lean_alchemy.jobs.checkers.make_checker`, imported in the worker that calls it."""
    from lean_alchemy.jobs.checkers import make_checker

    return make_checker(opts, toolchain)


class ExecutorError(AlchemyError):
    """The executor cannot go on (a checker failed to start, workers keep dying, the
    cluster is unreachable).  The driver releases its leases and reports it."""


class DeferredErrorPoll:
    """The `poll` both executors share: outcomes collected before a fatal error are handed
    over first and the error is raised by the next call, so a verdict already produced is
    never dropped.  Subclasses implement `_poll_into(out, timeout)` and set `_error = None`."""

    _error: "ExecutorError | None" = None

    def poll(self, timeout: float) -> list[BatchOutcome]:
        if self._error is not None:
            raise self._error
        out: list[BatchOutcome] = []
        try:
            self._poll_into(out, timeout)
        except ExecutorError as e:
            if not out:
                raise
            self._error = e
        return out

    def _poll_into(self, out: list[BatchOutcome], timeout: float) -> None:
        raise NotImplementedError


def summary_of(tb: str, message: str = "") -> str:
    """What a user needs to know of a checker failure, on one line: the exception's whole
    `message` (its lines joined), else the last line of the traceback `tb`; the traceback
    itself is in the worker's log."""
    if message.strip():
        return " ".join(ln.strip() for ln in message.strip().splitlines() if ln.strip())
    lines = [ln for ln in tb.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else tb


def check_batch(checker, batch_id: int, units: Sequence, worker: str) -> BatchOutcome:
    """Run one batch on a worker's checker.  Never raises: a checker exception becomes an
    `error` outcome carrying the traceback, so the driver can say what went wrong."""
    t0 = time.perf_counter()
    try:
        verdicts = tuple(checker.check(list(units)))
        backend = getattr(checker, "backend", "")
        if backend:  # the checker knows which backend judged; the driver only the option
            verdicts = tuple(v if v.backend else replace(v, backend=backend) for v in verdicts)
    except Exception as e:  # noqa: BLE001 - reported to the driver, which stops the run
        return BatchOutcome(batch_id, worker, error=traceback.format_exc(limit=20),
                            seconds=time.perf_counter() - t0, message=str(e))
    return BatchOutcome(batch_id, worker, verdicts=verdicts, seconds=time.perf_counter() - t0)


def make_executor(opts, toolchain, factory: CheckerFactory | None, *, workers: int,
                  logs_dir=None, **kw) -> Executor:
    """The executor named by `opts.executor`."""
    factory = factory or default_checker_factory
    if opts.executor == "ray":
        from .ray import RayExecutor

        return RayExecutor(opts, toolchain, factory, workers=workers, **kw)
    from .local import LocalExecutor

    return LocalExecutor(opts, toolchain, factory, workers=workers, logs_dir=logs_dir, **kw)
