"""Waiting on a condition from a test's own thread: poll it against a generous deadline (a machine
under load is slow, not broken), never a sleep standing in for the event. (In a Textual Pilot test:
tests.support.tui.wait_until; on engine events: tests.support.engine.Recorder.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
DEADLINE = 90.0  # seconds before a wait gives up (a failing test, not a synchronisation)


def poll_until(predicate: Callable[[], T], *, what: str, timeout: float = DEADLINE) -> T:
    """The predicate's first true value, checked every 50 ms; AssertionError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)
