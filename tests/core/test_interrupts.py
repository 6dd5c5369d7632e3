"""A SIGINT inside `interrupt_deferred` is raised when the block ends, not in its middle."""

from __future__ import annotations

import os
import signal
from typing import Iterator

import pytest

from lean_alchemy.core.interrupts import interrupt_deferred


@pytest.fixture
def python_sigint() -> Iterator[None]:
    """Python's own SIGINT handler for the test (a shell that starts the suite in the
    background leaves SIGINT ignored), the inherited one restored after."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def test_a_sigint_in_the_block_is_raised_after_it(python_sigint: None) -> None:
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupt_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("after the signal")
    assert done == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_signal_the_block_runs_and_nothing_is_raised(python_sigint: None) -> None:
    with interrupt_deferred():
        x = 1
    assert x == 1 and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    # an ignored SIGINT stays ignored
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with interrupt_deferred():
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
