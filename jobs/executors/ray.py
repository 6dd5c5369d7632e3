"""Ray actors, each owning one Checker, for checking on a cluster (`--executor ray`).

Why actors and not tasks: a Checker is expensive to start (a REPL imports Mathlib once) and
cheap to reuse, so it must live as long as its worker.  The driver stays the only writer of
the run database; actors only receive batches and return verdicts.

Failures: an actor that dies (its process killed, out of memory, its node lost) is an
infrastructure failure: its batch is reported `lost` (the driver splits and retries it) and
the actor is replaced, up to a bound of consecutive deaths.  An exception inside the checker
is an application error reported as such.  `ray` is an optional extra, imported here only.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Sequence

from lean_alchemy.core.errors import AlchemyError

from . import BatchOutcome, CheckerFactory, DeferredErrorPoll, ExecutorError, check_batch

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'lean-alchemy[ray]'"


def import_ray():
    """The `ray` module, or one clear error saying how to get it."""
    try:
        import ray
    except ImportError as e:
        raise AlchemyError(f"--executor ray needs Ray, an optional dependency ({e}): "
                           f"{INSTALL_HINT}, or use --executor local") from None
    return ray


class _CheckerActor:
    """The body of each actor (wrapped with `ray.remote` at run time, so that importing this
    module never needs Ray)."""

    def __init__(self, factory: CheckerFactory, opts, toolchain, name: str) -> None:
        self.name = name
        self.checker = factory(opts, toolchain)

    def ready(self) -> int:
        return os.getpid()

    def check(self, batch_id: int, units: Sequence) -> BatchOutcome:
        return check_batch(self.checker, batch_id, units, self.name)

    def close(self) -> None:
        self.checker.close()


@dataclass(eq=False)
class _Slot:
    index: int
    actor: Any
    ready_ref: Any = None
    ready: bool = False
    pid: int | None = None
    batch: int | None = None
    ref: Any = None


class RayExecutor(DeferredErrorPoll):
    """`workers` Ray actors, one batch in flight each.

    `ray_address`: "auto" joins the cluster this machine belongs to (`ray start`), "local"
    starts a private one for this run, anything else is passed to `ray.init(address=...)`.
    When Ray is already initialized in this process (the user connected to a cluster), that
    connection is used as it is and never shut down here.
    """

    def __init__(self, opts, toolchain, factory: CheckerFactory, *, workers: int,
                 init_kwargs: dict | None = None, actor_options: dict | None = None,
                 max_deaths: int | None = None) -> None:
        self.ray = import_ray()
        self.opts, self.toolchain, self.factory = opts, toolchain, factory
        self.workers = max(1, workers)
        self.init_kwargs = dict(init_kwargs or {})
        self.actor_options = {"num_cpus": 1, "max_restarts": 0, **(actor_options or {})}
        self.max_deaths = max_deaths if max_deaths is not None else 3 + 2 * self.workers
        self._owns_ray = False
        self._slots: dict[int, _Slot] = {}
        self._deaths = 0
        self.lost_workers = 0
        self._cls = None
        self._closing = False
        self._error: ExecutorError | None = None

    # -------------------------------------------------------------- lifecycle

    def _init_ray(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            log.info("using the Ray connection this process already has")
            return
        address = self.opts.ray_address or "auto"
        kwargs = {"log_to_driver": False, **self.init_kwargs}
        try:
            if address == "local":
                kwargs.setdefault("include_dashboard", False)
                ray.init(**kwargs)
            else:
                ray.init(address=address, **kwargs)
        except ConnectionError as e:
            raise ExecutorError(
                f"no Ray cluster at {address!r} ({e}): start one with `ray start --head`, "
                f"pass --ray-address host:port, or --ray-address local for a private "
                f"cluster on this machine") from None
        self._owns_ray = True

    def _spawn(self, index: int) -> None:
        if self._cls is None:
            self._cls = self.ray.remote(_CheckerActor)
        actor = self._cls.options(**self.actor_options).remote(
            self.factory, self.opts, self.toolchain, f"ray-worker-{index}")
        self._slots[index] = _Slot(index, actor, ready_ref=actor.ready.remote())

    def start(self) -> None:
        self._init_ray()
        for i in range(self.workers):
            self._spawn(i)

    def pids(self) -> list[int]:
        return [s.pid for s in self._slots.values() if s.pid]

    def close(self, *, abort: bool = False) -> None:
        self._closing = True
        ray = self.ray
        if not abort:
            refs = [s.actor.close.remote() for s in self._slots.values() if s.ready]
            try:
                ray.wait(refs, num_returns=len(refs), timeout=30)
            except Exception:  # noqa: BLE001 - a dead actor has nothing left to close
                pass
        for s in self._slots.values():
            try:
                ray.kill(s.actor)
            except Exception:  # noqa: BLE001
                pass
        self._slots.clear()
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    # -------------------------------------------------------------- work

    def free(self) -> int:
        return sum(1 for s in self._slots.values() if s.ready and s.batch is None)

    def submit(self, batch_id: int, units: Sequence) -> None:
        s = next((s for s in self._slots.values() if s.ready and s.batch is None), None)
        if s is None:
            raise RuntimeError("submit() without a free worker (check free() first)")
        s.batch = batch_id
        s.ref = s.actor.check.remote(batch_id, list(units))

    def _poll_into(self, out: list[BatchOutcome], timeout: float) -> None:
        ray = self.ray
        waiting: dict[Any, tuple[_Slot, str]] = {}
        for s in self._slots.values():
            if not s.ready and s.ready_ref is not None:
                waiting[s.ready_ref] = (s, "ready")
            elif s.ref is not None:
                waiting[s.ref] = (s, "check")
        if not waiting:
            return
        refs = list(waiting)
        done, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        if done:
            done, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        for ref in done:
            s, what = waiting[ref]
            if self._slots.get(s.index) is not s:
                continue
            try:
                value = ray.get(ref)
            except ray.exceptions.RayTaskError as e:
                if what == "ready" or isinstance(e, ray.exceptions.RayActorError):
                    self._on_death(s, e, out)
                else:  # an exception escaped check_batch: report it, do not retry it
                    out.append(BatchOutcome(s.batch or 0, f"ray-worker-{s.index}", error=str(e)))
                    s.batch, s.ref = None, None
                continue
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError,
                    ray.exceptions.ObjectLostError, ray.exceptions.RaySystemError) as e:
                self._on_death(s, e, out)
                continue
            if what == "ready":
                s.ready, s.pid, s.ready_ref = True, int(value), None
                log.info("ray-worker-%d ready (pid %s)", s.index, value)
            else:
                s.batch, s.ref = None, None
                if value.error is None:
                    self._deaths = 0
                out.append(value)

    def _on_death(self, s: _Slot, e: BaseException, out: list[BatchOutcome]) -> None:
        ray = self.ray
        del self._slots[s.index]
        self.lost_workers += 1
        self._deaths += 1
        why = f"ray-worker-{s.index} was lost ({type(e).__name__}: {str(e).splitlines()[0][:300]})"
        log.warning("%s%s", why, f" while checking batch {s.batch}" if s.batch is not None else "")
        try:
            ray.kill(s.actor)
        except Exception:  # noqa: BLE001 - already gone
            pass
        if s.batch is not None:
            out.append(BatchOutcome(s.batch, f"ray-worker-{s.index}", lost=why))
        elif not s.ready:
            # died before its checker was ready: an error in the checker's construction
            # (Ray says "creation task") is not worth retrying; a lost node is, a little
            if "creation task" in str(e) or self._deaths >= 3:
                raise ExecutorError(f"the checker could not start in a Ray actor: {e}")
        if self._deaths >= self.max_deaths:
            raise ExecutorError(f"{self._deaths} Ray workers were lost in a row without "
                                f"finishing a batch (last: {why})")
        if not self._closing:
            self._spawn(s.index)
