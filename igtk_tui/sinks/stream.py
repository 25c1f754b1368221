"""Lines to a terminal or a pipe, flushed once per turn of the event loop.

Why: a flush per line is a write system call per line; a burst of 100,000 log
lines spent more on that than on anything else in the sink. Flushing when the
loop next turns still shows every line at once to `tail -f`, a pager or cron
mail: nothing waits longer than the event loop's current turn.
"""

from __future__ import annotations

import asyncio
from typing import IO


class LineStream:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._flush_due = False

    def write(self, line: str) -> None:
        self.stream.write(line + "\n")
        if self._flush_due:
            return
        try:
            asyncio.get_running_loop().call_soon(self.flush)
            self._flush_due = True
        except RuntimeError:  # no running loop: nobody would flush later
            self.stream.flush()

    def flush(self) -> None:
        self._flush_due = False
        self.stream.flush()
