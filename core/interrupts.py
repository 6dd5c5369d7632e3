"""Ctrl-C held back over a few statements that must happen together.

Why: the check driver stores a batch of verdicts and then counts them in its stats; a
Ctrl-C between the two left the stats file short of what the database holds (the
database is right, the summary was not).  Within `interrupt_deferred()` a SIGINT is
noted and raised as `KeyboardInterrupt` when the block ends, so the block runs whole.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator


@contextlib.contextmanager
def interrupt_deferred() -> Iterator[None]:
    """Run the block whole, then raise the `KeyboardInterrupt` of a SIGINT that arrived
    during it.  Outside the main thread (where no signal handler can be set) and when
    SIGINT is not Python's default handler (a caller that ignores or handles it itself),
    the block runs as it is."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    arrived: list[int] = []

    def note(signum: int, _frame: object) -> None:
        arrived.append(signum)

    signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if arrived:
        raise KeyboardInterrupt


__all__ = ["interrupt_deferred"]
