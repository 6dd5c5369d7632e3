"""`alchemy check`: give every pending mutant one Lean verdict, in parallel, resumably.

Why a driver that alone writes the database: workers (local processes or Ray actors) may be
killed at any moment; if only the driver records verdicts, a verdict is either in the
database or was never produced, and the database needs no cross-machine locking.  The
driver leases a batch (`pending -> leased`, one attempt counted), ships it to a free worker,
and records the verdicts as each batch comes back.

What survives what:
  - a worker dies mid-batch: the batch is split in halves and re-sent (the culprit ends up
    alone); a lone mutant's lease is expired, so it is retried up to `max_attempts` times and
    then given up as `crashed` / `worker lost`.  Nothing already recorded is touched.
  - Ctrl-C: workers are stopped, the leases in flight are given back (attempt refunded),
    every verdict already recorded stays.
  - the driver is SIGKILLed: its leases stay in the database; the next `alchemy check` on
    this host sees that their owner process is gone and retries them at once (attempt
    counted).  Elsewhere they are retried when the lease expires.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import resource
import socket
import time
import uuid
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

from lean_alchemy.core.interrupts import interrupt_deferred
from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.core.rundb import LEASED, PENDING, WORKER_LOST, RunDB
from lean_alchemy.core.rundir import RunDir

from .check_stats import CheckStats
from .checkers.base import CheckUnit
from .executors import BatchOutcome, CheckerFactory, ExecutorError, make_executor, summary_of
from .options import CheckOptions
from .toolchain import discover_toolchain, require_toolchain, workspace_path

log = logging.getLogger(__name__)

# A worker holding `import Mathlib` resides at ~6.5 GB (see LEAN_NOTES.md); budget a bit more.
JOB_MEMORY_MB = 7 * 1024


def default_jobs(memory_mb_per_job: int = JOB_MEMORY_MB) -> int:
    """Workers for `-j 0`: one per core, but no more than memory allows."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        mem_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return max(1, cores)
    return max(1, min(cores, mem_mb // memory_mb_per_job))


def new_owner() -> str:
    """host:pid:nonce, so that a later driver on this host can tell the owner is dead."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reclaim_dead_leases(db: RunDB, host: str | None = None) -> int:
    """Expire the leases of drivers on this host whose process is gone (a SIGKILLed or
    crashed `alchemy check`), so their mutants are retried now, not after `lease_seconds`."""
    host = host or socket.gethostname()
    n = 0
    for owner in db.lease_owners():
        h, _, rest = (owner or "").partition(":")
        pid = rest.split(":", 1)[0]
        if h == host and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            n += db.expire(None, owner=owner)
    if n:
        log.info("retrying %d mutants leased by drivers that are no longer running", n)
    return n


def to_units(mutants: Sequence[Mutant]) -> list[CheckUnit]:
    """Mutants -> the checkers' CheckUnit (mutant id, declaration name, imports, Lean text)."""
    return [CheckUnit(mutant_id=m.id, name=m.name, imports=tuple(m.imports), lean=m.lean,
                      open_statement=m.proof_status == "open")
            for m in mutants]


def _worker_log_handler(fh: logging.Handler) -> logging.Handler:
    """A multiprocessing-logging handler whose records from the driver itself go straight to
    `fh`; only forked workers send theirs through its queue.

    Why: a worker SIGKILLed while writing a record holds the queue's lock forever.  A driver
    that had queued its own records then hung at exit, joining the queue's feeder thread
    (seen after the killed-worker tests); the driver never needs the queue.
    """
    from multiprocessing_logging import MultiProcessingHandler

    class DriverDirect(MultiProcessingHandler):
        def __init__(self) -> None:
            super().__init__("alchemy-check-log", sub_handler=fh)
            self.driver_pid = os.getpid()

        def emit(self, record: logging.LogRecord) -> None:
            if os.getpid() == self.driver_pid:
                self.sub_handler.handle(record)
            else:
                super().emit(record)

    return DriverDirect()


class _LogSetup:
    """RUN/logs/check.log for the driver and (via multiprocessing-logging, when workers are
    forked) for every worker; each worker also writes RUN/logs/worker-<i>.log."""

    def __init__(self, logs_dir: Path) -> None:
        logs_dir.mkdir(parents=True, exist_ok=True)
        self.logger = logging.getLogger("lean_alchemy")
        fh = logging.FileHandler(logs_dir / "check.log", encoding="utf-8")
        fh.setFormatter(logging.Formatter(
            "%(asctime)s %(processName)s[%(process)d] %(levelname)s %(name)s: %(message)s"))
        fh.setLevel(logging.INFO)
        self.handler: logging.Handler = fh
        if mp.get_start_method(allow_none=False) == "fork":
            self.handler = _worker_log_handler(fh)
        self.old_level = self.logger.level
        if self.logger.getEffectiveLevel() > logging.INFO:
            self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self.handler)

    def close(self) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.old_level)
        self.handler.close()


def run_check(run: RunDir, opts: CheckOptions = CheckOptions(), toolchain=None, *,
              checker_factory: CheckerFactory | None = None,
              echo: Callable[[str], None] | None = None,
              executor_kwargs: dict | None = None) -> CheckStats:
    """Check pending mutants of `run` until none is left (or `opts.limit` were leased).

    Returns the stats also written to RUN/check.stats.json.  Raises AlchemyError when the
    run database is missing, damaged or read-only, and, before changing it, when no Lean
    toolchain is usable (naming `alchemy setup-lean`).
    `checker_factory(opts, toolchain) -> Checker` replaces the Lean checkers (tests,
    benchmarks); it must be picklable for process and Ray workers.
    """
    start = time.perf_counter()
    db = RunDB.for_run(run, opts.db_url or None, mode="write", max_attempts=opts.max_attempts)
    # unset: the extracted project's own Lake root when it requires Mathlib, else the
    # bundled workspace (`toolchain.workspace_path`)
    workspace = workspace_path(opts.workspace, (run.read_stats("extract") or {}).get("root"))
    try:
        if toolchain is None and checker_factory is None:
            toolchain = require_toolchain(workspace, need_repl=opts.backend == "repl")
        elif toolchain is None:  # a stand-in checker: versions are recorded if found
            toolchain = discover_toolchain(workspace, probe=False)
    except BaseException:
        db.close()
        raise
    driver = CheckDriver(run, opts, toolchain, db, checker_factory=checker_factory,
                         executor_kwargs=executor_kwargs or {}, started=start)
    stats = driver.run()
    if echo is not None:
        acc = stats.by_status.get("verified", 0)
        echo(f"check: {stats.checked} verdicts in {round(stats.seconds, 3)} s "
             f"({stats.per_second}/s); verified {acc}"
             + (f" ({acc / stats.checked:.0%})" if stats.checked else "")
             + f"; {stats.remaining} left; stats in {run.stats_path('check')}")
    if stats.interrupted:
        raise KeyboardInterrupt
    if stats.error is not None:
        raise AlchemyError(f"{stats.error}\nevery verdict made before the failure is kept; fix "
                           f"the cause and re-run `alchemy check` to check the rest "
                           f"(logs: {run.logs_dir})")
    return stats


class CheckDriver:
    """One invocation of the check loop: lease a batch, submit it to a free worker, handle
    each outcome as it returns (verdicts, a lost worker, a checker failure), and at the end
    give back what is still leased and write the stats.  It alone writes the database."""

    def __init__(self, run: RunDir, opts: CheckOptions, toolchain, db: RunDB, *,
                 checker_factory: CheckerFactory | None, executor_kwargs: dict,
                 started: float) -> None:
        self.run_dir, self.opts, self.toolchain, self.db = run, opts, toolchain, db
        self.checker_factory = checker_factory
        self.executor_kwargs = executor_kwargs
        self.started = started
        self.owner = new_owner()
        self.stats = CheckStats(
            backend=opts.backend, executor=opts.executor, batch_size=opts.batch_size,
            lean_version=toolchain.lean_version or "", mathlib_rev=toolchain.mathlib_rev or "")
        self.inflight: dict[int, list[Mutant]] = {}  # batch id -> its mutants
        self.resend: deque[list[Mutant]] = deque()  # halves of lost batches, still leased
        self.last_batch_id = 0
        self.leased_total = 0
        self.executor = None
        self.bar = None
        self.total = 0

    # ------------------------------------------------------------------ the loop

    def run(self) -> CheckStats:
        self.stats.reclaimed_leases = reclaim_dead_leases(self.db)
        before = self.db.counts()
        todo = before.get(PENDING, 0) + before.get(LEASED, 0)
        self.total = todo if self.opts.limit is None else min(todo, self.opts.limit)
        workers = self.opts.jobs or default_jobs()
        if self.opts.executor == "local":
            batches = -(-self.total // self.opts.batch_size) if self.total else 1
            workers = max(1, min(workers, batches))
        self.stats.workers = workers
        logs = _LogSetup(self.run_dir.logs_dir)
        log.info("check: %d mutants to check (%s), %d %s workers, backend %s, Lean %s, "
                 "Mathlib %s", self.total, dict(before), workers, self.opts.executor,
                 self.opts.backend, self.stats.lean_version or "?",
                 self.stats.mathlib_rev[:12] or "?")
        if self.opts.progress:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc="check", unit="mutant", dynamic_ncols=True,
                            mininterval=0.5, smoothing=0.05)
        try:
            self._loop()
        except KeyboardInterrupt:
            self.stats.interrupted = True
        except ExecutorError as e:
            self.stats.error = str(e)
        finally:
            self.finish()
            logs.close()
            self.db.close()
        return self.stats

    def _loop(self) -> None:
        # Workers start only when there is work: a REPL checker's start costs an
        # `import Mathlib`, which a finished run should not pay to learn it is finished.
        first = self.lease()
        if not first:
            return
        self.resend.append(first)
        self.executor = make_executor(self.opts, self.toolchain, self.checker_factory,
                                      workers=self.stats.workers,
                                      logs_dir=self.run_dir.logs_dir, **self.executor_kwargs)
        self.executor.start()
        exhausted = False
        last_renew = time.monotonic()
        while True:
            while self.executor.free() > 0 and (self.resend or not exhausted):
                ms = self.resend.popleft() if self.resend else self.lease()
                if not ms:
                    exhausted = True
                    break
                self.submit(ms)
            if exhausted and not self.inflight and not self.resend:
                return
            errors = []
            for out in self.executor.poll(0.5):  # record every outcome before stopping
                err = self.handle(out)
                if err:
                    errors.append(err)
                if self.opts.limit is None or self.leased_total < self.opts.limit:
                    exhausted = False  # retried or expired mutants may be leasable again
            if errors:
                raise ExecutorError(errors[0])
            if time.monotonic() - last_renew > self.opts.lease_seconds / 3:
                self.db.renew(self.owner, self.opts.lease_seconds)
                last_renew = time.monotonic()

    # ------------------------------------------------------------------ steps

    def lease(self) -> list[Mutant]:
        """The next batch of pending mutants, leased to this driver (within `limit`)."""
        n = self.opts.batch_size
        if self.opts.limit is not None:
            n = min(n, self.opts.limit - self.leased_total)
        ms = self.db.lease(self.owner, n, self.opts.lease_seconds) if n > 0 else []
        self.leased_total += len(ms)
        return ms

    def submit(self, ms: list[Mutant]) -> None:
        self.last_batch_id += 1
        self.inflight[self.last_batch_id] = ms
        self.executor.submit(self.last_batch_id, to_units(ms))

    def handle(self, out: BatchOutcome) -> str | None:
        """Record one outcome; returns the error that must stop the run, if any."""
        ms = self.inflight.pop(out.batch_id, None)
        if ms is None:
            return None
        if out.error is not None:
            self.inflight[out.batch_id] = ms  # its leases are given back when the run stops
            where = (f" (traceback in {self.run_dir.logs_dir / (out.worker + '.log')})"
                     if self.opts.executor == "local" else f"\n{out.error.rstrip()}")
            return (f"the checker failed on a batch of {len(ms)} mutants in "
                    f"{out.worker}: {summary_of(out.error, out.message)}{where}")
        if out.lost is not None:
            self._handle_lost(ms)
        else:
            self._record(out, ms)
        return None

    def _handle_lost(self, ms: list[Mutant]) -> None:
        """A worker died on this batch: halves go back out under our lease until the culprit
        is alone; the culprit's lease is expired (an attempt is counted)."""
        self.stats.lost_batches += 1
        if len(ms) > 1:
            self.stats.bisected += 1
            half = len(ms) // 2
            self.resend.append(ms[:half])
            self.resend.append(ms[half:])
        else:
            self.db.expire([ms[0].id], owner=self.owner)

    def _record(self, out: BatchOutcome, ms: list[Mutant]) -> None:
        wanted = {m.id for m in ms}
        got = [self._stamp(v) for v in out.verdicts or () if v.mutant_id in wanted]
        missing = wanted - {v.mutant_id for v in got}
        with interrupt_deferred():  # the stats must count what the database holds
            taken = self.db.record_verdicts_detail(got)
            for v in got:
                status = taken.get(v.mutant_id)
                if status is None:
                    self.stats.already_final += 1
                elif status == PENDING:
                    self.stats.retried += 1
                else:
                    self.stats.count_verdict(status, v.error_class)
        if missing:
            log.warning("%s returned no verdict for %d of %d mutants; they will be retried",
                        out.worker, len(missing), len(ms))
            self.db.expire(sorted(missing), owner=self.owner)
        if self.bar is not None:
            n = sum(1 for st in taken.values() if st != PENDING)
            if n:
                self.bar.update(n)
            done = self.stats.checked
            self.bar.set_postfix(accepted=f"{self.stats.by_status.get('verified', 0) / done:.0%}"
                                 if done else "-", refresh=False)

    def _stamp(self, v: Verdict) -> Verdict:
        """The verdict with the toolchain's backend and versions where the checker left
        them empty."""
        if v.backend and v.lean_version and v.mathlib_rev:
            return v
        s = self.stats
        return replace(v, backend=v.backend or s.backend,
                       lean_version=v.lean_version or s.lean_version,
                       mathlib_rev=v.mathlib_rev or s.mathlib_rev)

    def finish(self) -> None:
        """Stop the workers, give back every lease still ours (attempt refunded: those
        mutants were not checked), fill in the final counts and write the stats."""
        failed = self.stats.interrupted or self.stats.error is not None
        if self.executor is not None:
            self.executor.close(abort=failed)
            self.stats.lost_workers = self.executor.lost_workers
        self.stats.released = self.db.release(self.owner, refund=True)
        if self.bar is not None:
            self.bar.close()
        if self.db.given_up:  # leases that expired with no attempt left, given up by `lease`
            self.stats.by_status["crashed"] += self.db.given_up
            self.stats.by_error_class[WORKER_LOST] += self.db.given_up
        self.stats.seconds = time.perf_counter() - self.started
        after = self.db.counts()
        self.stats.database = dict(after)
        self.stats.remaining = after.get(PENDING, 0) + after.get(LEASED, 0)
        self.stats.peak_rss_mb = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        self.run_dir.write_stats("check", self.stats.as_dict())
        log.info("check: %d verdicts in %.1f s (%s)", self.stats.checked, self.stats.seconds,
                 dict(sorted(self.stats.by_status.items())))
