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
from collections import Counter, deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from lean_alchemy.core.errors import AlchemyError
from lean_alchemy.core.records import Mutant, Verdict
from lean_alchemy.core.rundir import RunDir

from lean_alchemy.core.rundb import LEASED, PENDING, WORKER_LOST, RunDB
from .executors import BatchOutcome, CheckerFactory, ExecutorError, make_executor, summary_of
from .options import CheckOptions

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


def to_units(mutants: Sequence[Mutant]) -> list:
    """Mutants -> the checkers' CheckUnit (mutant id, declaration name, imports, Lean text)."""
    try:
        from lean_alchemy.jobs.checkers import CheckUnit
    except ImportError:  # the package re-exports it from its base module
        from lean_alchemy.jobs.checkers.base import CheckUnit

    return [CheckUnit(mutant_id=m.id, name=m.name, imports=tuple(m.imports), lean=m.lean)
            for m in mutants]


@dataclass
class _Progress:
    """Counters of this invocation (not of the whole database)."""

    by_status: Counter
    by_error_class: Counter
    retried: int = 0
    lost_batches: int = 0
    bisected: int = 0
    untaken: int = 0

    @property
    def checked(self) -> int:
        return sum(self.by_status.values())


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
              executor_kwargs: dict | None = None) -> dict:
    """Check pending mutants of `run` until none is left (or `opts.limit` were leased).

    Returns the stats written to RUN/check.stats.json.  Raises AlchemyError, before touching
    the database, when no Lean toolchain is usable (naming `alchemy setup-lean`).
    `checker_factory(opts, toolchain) -> Checker` replaces the Lean checkers (tests,
    benchmarks); it must be picklable for process and Ray workers.
    """
    from .toolchain import discover_toolchain, require_toolchain

    start = time.perf_counter()
    if toolchain is None:
        if checker_factory is None:
            toolchain = require_toolchain(Path(opts.workspace), need_repl=opts.backend == "repl")
        else:  # a stand-in checker: Lean is not needed, versions are recorded if found
            toolchain = discover_toolchain(Path(opts.workspace), probe=False)
    if not opts.db_url:
        run.require(run.db, "mutate")
    db = RunDB.for_run(run, opts.db_url or None, max_attempts=opts.max_attempts)
    lean_version = getattr(toolchain, "lean_version", "") or ""
    mathlib_rev = getattr(toolchain, "mathlib_rev", "") or ""
    backend = opts.backend

    owner = new_owner()
    reclaimed = reclaim_dead_leases(db)
    before = db.counts()
    todo = before.get(PENDING, 0) + before.get(LEASED, 0)
    total = todo if opts.limit is None else min(todo, opts.limit)
    workers = opts.jobs or default_jobs()
    if opts.executor == "local":
        workers = max(1, min(workers, -(-total // opts.batch_size) if total else 1))
    logs = _LogSetup(run.logs_dir)
    log.info("check: %d mutants to check (%s), %d %s workers, backend %s, Lean %s, Mathlib %s",
             total, dict(before), workers, opts.executor, backend, lean_version or "?",
             mathlib_rev[:12] or "?")

    prog = _Progress(Counter(), Counter())
    bar = None
    if opts.progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="check", unit="mutant", dynamic_ncols=True,
                   mininterval=0.5, smoothing=0.05)

    inflight: dict[int, list[Mutant]] = {}
    resend: deque[list[Mutant]] = deque()
    next_id = 0
    leased_total = 0
    interrupted = False
    failure: str | None = None
    executor = None

    def stamp(v: Verdict) -> Verdict:
        if v.backend and v.lean_version and v.mathlib_rev:
            return v
        return replace(v, backend=v.backend or backend, lean_version=v.lean_version or lean_version,
                       mathlib_rev=v.mathlib_rev or mathlib_rev)

    def submit(ms: list[Mutant]) -> None:
        nonlocal next_id
        next_id += 1
        inflight[next_id] = ms
        executor.submit(next_id, to_units(ms))

    def handle(out: BatchOutcome) -> str | None:
        """Record one outcome; returns the error that must stop the run, if any."""
        ms = inflight.pop(out.batch_id, None)
        if ms is None:
            return None
        if out.error is not None:
            inflight[out.batch_id] = ms  # its leases are given back when the run stops
            where = (f" (traceback in {run.logs_dir / (out.worker + '.log')})"
                     if opts.executor == "local" else f"\n{out.error.rstrip()}")
            return (f"the checker failed on a batch of {len(ms)} mutants in "
                    f"{out.worker}: {summary_of(out.error)}{where}")
        if out.lost is not None:
            prog.lost_batches += 1
            if len(ms) > 1:  # find the culprit: halves go back out, still under our lease
                prog.bisected += 1
                half = len(ms) // 2
                resend.append(ms[:half])
                resend.append(ms[half:])
            else:
                db.expire([ms[0].id], owner=owner)
            return None
        wanted = {m.id for m in ms}
        got = [stamp(v) for v in out.verdicts or () if v.mutant_id in wanted]
        missing = wanted - {v.mutant_id for v in got}
        taken = db.record_verdicts_detail(got)
        for v in got:
            status = taken.get(v.mutant_id)
            if status is None:
                prog.untaken += 1  # another driver recorded it first
            elif status == PENDING:
                prog.retried += 1
            else:
                prog.by_status[status] += 1
                if status != "verified":
                    prog.by_error_class[v.error_class or "other"] += 1
        if missing:
            log.warning("%s returned no verdict for %d of %d mutants; they will be retried",
                        out.worker, len(missing), len(ms))
            db.expire(sorted(missing), owner=owner)
        if bar is not None:
            n = sum(1 for st in taken.values() if st != PENDING)
            if n:
                bar.update(n)
            done = prog.checked
            bar.set_postfix(accepted=f"{prog.by_status.get('verified', 0) / done:.0%}"
                            if done else "-", refresh=False)
        return None

    def lease_next() -> list[Mutant]:
        nonlocal leased_total
        n = opts.batch_size
        if opts.limit is not None:
            n = min(n, opts.limit - leased_total)
        ms = db.lease(owner, n, opts.lease_seconds) if n > 0 else []
        leased_total += len(ms)
        return ms

    try:
        # Workers start only when there is work: a REPL checker's start costs an
        # `import Mathlib`, which a finished run should not pay to learn it is finished.
        first = lease_next()
        if first:
            resend.append(first)
            executor = make_executor(opts, toolchain, checker_factory, workers=workers,
                                     logs_dir=run.logs_dir, **(executor_kwargs or {}))
            executor.start()
        exhausted = not first
        last_renew = time.monotonic()
        while executor is not None:
            while executor.free() > 0 and (resend or not exhausted):
                if resend:
                    submit(resend.popleft())
                    continue
                ms = lease_next()
                if not ms:
                    exhausted = True
                    break
                submit(ms)
            if exhausted and not inflight and not resend:
                break
            errors = []
            for out in executor.poll(0.5):  # record every outcome before stopping for one
                err = handle(out)
                if err:
                    errors.append(err)
                if opts.limit is None or leased_total < opts.limit:
                    exhausted = False  # retried or expired mutants may be leasable again
            if errors:
                raise ExecutorError(errors[0])
            if time.monotonic() - last_renew > opts.lease_seconds / 3:
                db.renew(owner, opts.lease_seconds)
                last_renew = time.monotonic()
    except KeyboardInterrupt:
        interrupted = True
    except ExecutorError as e:
        failure = str(e)
    finally:
        if executor is not None:
            executor.close(abort=interrupted or failure is not None)
        given_back = db.release(owner, refund=True)  # whatever is still ours was not checked
        if bar is not None:
            bar.close()
        if db.given_up:  # leases that expired with no attempt left, given up by `lease`
            prog.by_status["crashed"] += db.given_up
            prog.by_error_class[WORKER_LOST] += db.given_up
        seconds = time.perf_counter() - start
        after = db.counts()
        stats = {
            "checked": prog.checked,
            "by_status": dict(sorted(prog.by_status.items())),
            "by_error_class": dict(sorted(prog.by_error_class.items())),
            "retried": prog.retried,
            "lost_batches": prog.lost_batches,
            "bisected": prog.bisected,
            "lost_workers": getattr(executor, "lost_workers", 0),
            "already_final": prog.untaken,
            "released": given_back,
            "reclaimed_leases": reclaimed,
            "per_second": round(prog.checked / seconds, 3) if seconds > 0 else 0.0,
            "seconds": round(seconds, 3),
            "backend": backend,
            "executor": opts.executor,
            "workers": workers,
            "batch_size": opts.batch_size,
            "lean_version": lean_version,
            "mathlib_rev": mathlib_rev,
            "database": dict(sorted(after.items())),
            "remaining": after.get(PENDING, 0) + after.get(LEASED, 0),
            "interrupted": interrupted,
            "error": failure,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        run.write_stats("check", stats)
        log.info("check: %d verdicts in %.1f s (%s)", prog.checked, seconds, stats["by_status"])
        logs.close()
        db.close()
    if echo is not None:
        acc = prog.by_status.get("verified", 0)
        echo(f"check: {prog.checked} verdicts in {stats['seconds']} s "
             f"({stats['per_second']}/s); verified {acc}"
             + (f" ({acc / prog.checked:.0%})" if prog.checked else "")
             + f"; {stats['remaining']} left; stats in {run.stats_path('check')}")
    if interrupted:
        raise KeyboardInterrupt
    if failure is not None:
        raise AlchemyError(f"{failure}\nevery verdict made before the failure is kept; fix the "
                           f"cause and re-run `alchemy check` to check the rest "
                           f"(logs: {run.logs_dir})")
    return stats
