"""A pool of worker processes on this machine, each owning one long-lived Checker.

Why not `concurrent.futures.ProcessPoolExecutor`: one killed worker breaks that whole pool
(every other in-flight batch fails and every worker's Checker, with its `import Mathlib`,
is thrown away), and its shared result queue can deadlock when a worker is SIGKILLed while
holding the queue's lock.  Here each worker has its own pipe: a dead worker only loses its
own batch (reported as `lost`), is replaced, and the others carry on.

Each worker logs to `RUN/logs/worker-<i>.log`; records also reach the driver's
multiprocessing-logging handler (`RUN/logs/check.log`) when the start method is fork.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import sys
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Sequence

from . import (BatchOutcome, CheckerFactory, DeferredErrorPoll, ExecutorError, check_batch,
               summary_of)

log = logging.getLogger(__name__)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to SIGTERM this worker when the driver dies (e.g. SIGKILL), so that its
    checker is closed and its Lean processes do not outlive the run.  Best effort."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the driver died before prctl took effect
        sys.exit(0)


def _worker_main(conn: Connection, slot: int, factory: CheckerFactory, opts, toolchain,
                 log_path: str | None, parent: int) -> None:
    """Entry point of a worker process: build the checker, then check batches until told
    to stop (None) or until the driver's end of the pipe closes."""
    # Ctrl-C belongs to the driver, which stops workers itself; SIGTERM closes the checker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _die_with_parent(parent)
    name = f"worker-{slot}"
    if log_path:
        h = logging.FileHandler(log_path, encoding="utf-8")
        h.setFormatter(logging.Formatter(
            f"%(asctime)s {name}[%(process)d] %(levelname)s %(name)s: %(message)s"))
        lg = logging.getLogger("lean_alchemy")
        lg.addHandler(h)
        if lg.getEffectiveLevel() > logging.INFO:
            lg.setLevel(logging.INFO)
        # per-batch chatter goes to the log files (this one, and check.log through the
        # driver's multiprocessing handler inherited by fork), not to the user's terminal
        lg.propagate = False
    wlog = logging.getLogger("lean_alchemy.jobs.worker")
    try:
        checker = factory(opts, toolchain)
    except BaseException as e:  # noqa: BLE001 - reported to the driver
        tb = traceback.format_exc(limit=20)
        wlog.error("checker could not start:\n%s", tb)
        try:
            conn.send(("init_error", tb, str(e)))
        except OSError:
            pass
        return
    wlog.info("ready (pid %d, backend %s)", os.getpid(), getattr(checker, "backend", "?"))
    try:
        conn.send(("ready", os.getpid()))
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                break  # the driver is gone
            if msg is None:
                break
            batch_id, units = msg
            out = check_batch(checker, batch_id, units, name)
            if out.error:
                wlog.error("batch %d: checker raised:\n%s", batch_id, out.error)
            else:
                wlog.info("batch %d: %d units in %.2f s", batch_id, len(units), out.seconds)
            try:
                conn.send(("done", out))
            except (BrokenPipeError, OSError):
                break
    finally:
        try:
            checker.close()
        except Exception:  # noqa: BLE001 - closing must not hide the real outcome
            wlog.exception("checker.close() failed")


@dataclass(eq=False)
class _Worker:
    slot: int
    proc: mp.process.BaseProcess
    conn: Connection
    ready: bool = False
    batch: int | None = None  # the batch in flight
    units: Sequence = field(default_factory=tuple)


class LocalExecutor(DeferredErrorPoll):
    """`workers` processes, one batch in flight each."""

    def __init__(self, opts, toolchain, factory: CheckerFactory, *, workers: int,
                 logs_dir: Path | None = None, start_method: str | None = None,
                 max_deaths: int | None = None) -> None:
        self.opts, self.toolchain, self.factory = opts, toolchain, factory
        self.workers = max(1, workers)
        self.logs_dir = Path(logs_dir) if logs_dir else None
        self.ctx = mp.get_context(start_method)
        # consecutive worker deaths without a finished batch before we give up
        self.max_deaths = max_deaths if max_deaths is not None else 3 + 2 * self.workers
        self._pool: dict[int, _Worker] = {}
        self._pending: list[BatchOutcome] = []
        self._deaths = 0
        self.lost_workers = 0
        self._closing = False
        self._error: ExecutorError | None = None

    # -------------------------------------------------------------- lifecycle

    def _spawn(self, slot: int) -> None:
        parent, child = self.ctx.Pipe(duplex=True)
        log_path = str(self.logs_dir / f"worker-{slot}.log") if self.logs_dir else None
        proc = self.ctx.Process(
            target=_worker_main, name=f"alchemy-check-{slot}", daemon=True,
            args=(child, slot, self.factory, self.opts, self.toolchain, log_path, os.getpid()))
        proc.start()
        child.close()
        self._pool[slot] = _Worker(slot, proc, parent)

    def start(self) -> None:
        if self.logs_dir:
            self.logs_dir.mkdir(parents=True, exist_ok=True)
        for slot in range(self.workers):
            self._spawn(slot)

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self._pool.values() if w.proc.pid]

    def close(self, *, abort: bool = False) -> None:
        """Stop every worker: politely (None, then join) or, on abort, SIGTERM at once
        (workers close their checker on SIGTERM); SIGKILL whoever lingers."""
        self._closing = True
        for w in self._pool.values():
            if not abort and w.proc.is_alive():
                try:
                    w.conn.send(None)
                except OSError:
                    pass
        for w in self._pool.values():
            if abort and w.proc.is_alive():
                w.proc.terminate()
            w.proc.join(timeout=10 if not abort else 5)
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(timeout=5)
            w.conn.close()
        self._pool.clear()

    # -------------------------------------------------------------- work

    def free(self) -> int:
        return sum(1 for w in self._pool.values() if w.ready and w.batch is None)

    def submit(self, batch_id: int, units: Sequence) -> None:
        w = next((w for w in self._pool.values() if w.ready and w.batch is None), None)
        if w is None:
            raise RuntimeError("submit() without a free worker (check free() first)")
        w.batch, w.units = batch_id, units
        try:
            w.conn.send((batch_id, list(units)))
        except (BrokenPipeError, OSError):
            self._on_death(w)

    def _poll_into(self, out: list[BatchOutcome], timeout: float) -> None:
        out.extend(self._pending)
        self._pending = []
        if out:
            timeout = 0.0
        by_conn = {w.conn: w for w in self._pool.values()}
        by_sentinel = {w.proc.sentinel: w for w in self._pool.values()}
        if not by_conn:
            return
        ready = wait(list(by_conn) + list(by_sentinel), timeout=timeout)
        dead: list[_Worker] = []
        for obj in ready:
            if obj in by_conn:
                w = by_conn[obj]
                if not self._receive(w, out):
                    dead.append(w)
            else:
                dead.append(by_sentinel[obj])
        for w in dict.fromkeys(dead):  # de-duplicated, in order
            if self._pool.get(w.slot) is w:
                # a worker may have sent its verdicts just before it exited: take them first
                while self._pool.get(w.slot) is w and _poll(w.conn) and self._receive(w, out):
                    pass
                if self._pool.get(w.slot) is w:
                    self._on_death(w)
        out.extend(self._pending)
        self._pending = []

    def _receive(self, w: _Worker, out: list[BatchOutcome]) -> bool:
        """Handle one message from `w`; False when its pipe is closed (the worker died)."""
        try:
            msg = w.conn.recv()
        except (EOFError, OSError):
            return False
        except Exception as e:  # noqa: BLE001 - a truncated message from a killed worker
            log.warning("worker-%d sent an unreadable message (%s)", w.slot, e)
            return False
        kind = msg[0]
        if kind == "ready":
            w.ready = True
        elif kind == "init_error":
            raise ExecutorError(f"the checker could not start in worker-{w.slot}: "
                                f"{summary_of(msg[1], msg[2])}"
                                + (f" (traceback in {self.logs_dir}/worker-{w.slot}.log)"
                                   if self.logs_dir else f"\n{msg[1]}"))
        elif kind == "done":
            outcome: BatchOutcome = msg[1]
            w.batch, w.units = None, ()
            if outcome.error is None:
                self._deaths = 0
            out.append(outcome)
        return True

    def _on_death(self, w: _Worker) -> None:
        code = w.proc.exitcode
        w.proc.join(timeout=1)
        code = w.proc.exitcode if code is None else code
        w.conn.close()
        del self._pool[w.slot]
        self.lost_workers += 1
        self._deaths += 1
        why = f"worker-{w.slot} (pid {w.proc.pid}) died" + (
            f" with exit code {code}" if code is not None else "")
        if code is not None and code < 0:
            try:
                why += f" ({signal.Signals(-code).name})"
            except ValueError:
                pass
        log.warning("%s%s", why, f" while checking batch {w.batch}" if w.batch is not None else "")
        if w.batch is not None:
            self._pending.append(BatchOutcome(w.batch, f"worker-{w.slot}", lost=why))
        elif not w.ready and not self._closing:
            # died before it could even start its checker
            if self._deaths >= 3:
                raise ExecutorError(f"{why} before its checker was ready, {self._deaths} times "
                                    f"in a row" + (f": see {self.logs_dir}" if self.logs_dir else ""))
        if self._deaths >= self.max_deaths:
            raise ExecutorError(f"{self._deaths} worker processes died in a row without "
                                f"finishing a batch (last: {why})"
                                + (f"; see {self.logs_dir}" if self.logs_dir else ""))
        if not self._closing:
            self._spawn(w.slot)


def _poll(conn: Connection) -> bool:
    try:
        return conn.poll(0)
    except (EOFError, OSError):
        return False
