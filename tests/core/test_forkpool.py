"""`core.forkpool.forked_map`: workers inherit the context, results keep task order, and the
context slot is free again afterwards."""

from __future__ import annotations

import os

import pytest

from lean_alchemy.core import forkpool
from lean_alchemy.core.forkpool import forked_map


def scaled(context: dict, task: int) -> tuple[int, int]:
    return task * context["factor"], os.getpid()


def nested(context: dict, task: int) -> list:
    return list(forked_map(scaled, context, [task], 2))


def test_forked_workers_see_the_context_and_results_keep_task_order() -> None:
    tasks = list(range(20))
    here = [r for r, _ in forked_map(scaled, {"factor": 3}, tasks, 1)]
    forked = list(forked_map(scaled, {"factor": 3}, tasks, 2))
    assert here == [r for r, _ in forked] == [3 * t for t in tasks]
    assert os.getpid() not in {pid for _, pid in forked}
    unordered = forked_map(scaled, {"factor": 3}, tasks, 2, ordered=False)
    assert sorted(r for r, _ in unordered) == here
    assert forkpool._INHERITED[0] is None


def test_a_pool_inside_a_worker_is_refused() -> None:
    with pytest.raises(RuntimeError, match="already running"):
        list(forked_map(nested, {"factor": 1}, [1, 2], 2))
    assert forkpool._INHERITED[0] is None


def collector_state(context: list, task: int) -> tuple[tuple[int, int, int], bool, bool]:
    """The collector's thresholds in the worker, whether the inherited context is frozen
    (out of the collector's sight) and whether an object made here is."""
    import gc

    fresh = [task]
    return gc.get_threshold(), gc.is_tracked(context) and _frozen(context), _frozen(fresh)


def _frozen(obj: object) -> bool:
    import gc

    return not any(obj is o for gen in range(3) for o in gc.get_objects(gen))


def test_workers_run_with_the_collector_quiet_and_the_context_frozen() -> None:
    import gc

    before = gc.get_threshold()
    context = [object()]
    for jobs in (1, 2):
        (got,) = list(forked_map(collector_state, context, [1], jobs))
        assert got == (forkpool.POOL_GC_THRESHOLDS, True, False), jobs
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    assert not _frozen(context)
