"""The scheduler's "now": the real wall clock, or a clock file (a test and diagnostic hook).

Why a file and not a faked system clock: the fire-time rules (DST, clock jumps,
catch-up after downtime) must be tested on a REAL agent process without
touching the clock of the machine, of the engine, of SQLite or of uvicorn.
With IGTK_CLOCK_FILE=PATH set in the agent's environment, the scheduler, and it
alone, reads the wall time from PATH (a Unix time in seconds, written by the
test) and re-reads it every CLOCK_FILE_POLL seconds; everything else uses the
real clock. Without the variable, this is `time.time()`. docs/schedules.md.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

ENV = "IGTK_CLOCK_FILE"
REAL_CLOCK_WAKE = 2.0  # seconds: the scheduler re-reads the wall clock at least this often
CLOCK_FILE_POLL = 0.1  # seconds: how often a moved clock file is noticed


class SchedulerClock:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._last = time.time()
        self._warned = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SchedulerClock:
        value = (os.environ if env is None else env).get(ENV)
        return cls(Path(value)) if value else cls()

    @property
    def faked(self) -> bool:
        return self.path is not None

    @property
    def max_sleep(self) -> float:
        """The longest the scheduler sleeps before looking at the clock again."""
        return CLOCK_FILE_POLL if self.path is not None else REAL_CLOCK_WAKE

    def now(self) -> float:
        if self.path is None:
            return time.time()
        try:
            self._last = float(self.path.read_text(encoding="ascii").strip())
            self._warned = False
        except (OSError, ValueError) as exc:  # a half-written file: keep the last value read
            if not self._warned:
                log.warning("clock file %s unreadable (%s); keeping %s", self.path, exc, self._last)
                self._warned = True
        return self._last
