"""How the stages tune Python's cycle collector for their hot loops.

Why: the mutation and index stages allocate millions of short-lived AST nodes that die by
reference counting, while memo tables and the inputs (declarations, rules, the invocation
table) stay alive for the whole run.  With the default thresholds the collector rescans
those survivors over and over; on Mathlib that was about a fifth of the workers' CPU.
Young collections still run (less often) and cyclic garbage is still reclaimed, just later.

The mutation workers' loop goes further (`no_collections`): it makes no cyclic garbage
(tested: `tests/mutate/test_no_cyclic_garbage.py`), so a collection there only rescans the
objects it keeps, the memo tables growing as theorems come; about a tenth of a worker's CPU
on Mathlib.  The collector is off there; reference counting frees everything it drops.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

YOUNG = 200_000  # allocations between two youngest-generation collections
OLDER = 1_000  # collections of a generation between two of the next one


@contextlib.contextmanager
def few_collections(freeze: bool = True) -> Iterator[None]:
    """Within the block: everything alive now is moved out of the collector's sight
    (`freeze`; forked workers inherit that and share those pages), and collections run
    rarely.  The previous thresholds are restored and frozen objects unfrozen after."""
    old = gc.get_threshold()
    if freeze:
        gc.freeze()
    gc.set_threshold(max(old[0], YOUNG), max(old[1], OLDER), max(old[2], OLDER))
    try:
        yield
    finally:
        gc.set_threshold(*old)
        if freeze:
            gc.unfreeze()


@contextlib.contextmanager
def no_collections() -> Iterator[None]:
    """Within the block: everything alive now is frozen (as `few_collections`) and the
    automatic collector is off.  Only for loops that make no reference cycles (a nested
    function that calls itself makes one per call): their cyclic garbage would stay until
    the block ends.  The collector's previous state is restored after."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()
