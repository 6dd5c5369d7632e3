"""Run a producer a few items ahead of its consumer, on a thread.

Why: the corpus export reads database pages with a driver that releases the GIL (ADBC
SQLite), so the read of the next page can run on the second core while the export works on
this one.  Bounded (`depth` items), so memory stays a few pages whatever the table's size.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


def prefetched(produce: Callable[[], Iterable[T]], depth: int = 2,
               name: str = "prefetch") -> Iterator[T]:
    """The items of `produce()`, made on a worker thread up to `depth` ahead.

    An error of the producer is raised here, at the item where it happened; when the consumer
    stops early (break, error, `close`), the producer stops at its next item and its iterator
    is closed on its own thread (so a database cursor is released where it was opened).
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        it = iter(produce())
        try:
            for item in it:
                if not put(item):
                    break
            else:
                put(_DONE)
        except BaseException as e:  # handed to the consumer, raised there
            put(_Failed(e))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()
