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
