"""Execution log lines copied into the process log file (see igtk_tui.logfile).

One line each, tagged with the execution id, so an operator can `tail -f` the log on a plant
server; the database remains the record of each execution, so each execution copies at most
`logfile.EXECUTION_SHARE` bytes: one burst of 100,000 lines cannot rotate away the process's own
warnings and the other executions' lines. A sink like the others: it listens to engine events,
which is why it lives here and not in logfile (below the engine). Lines are formatted once
(their text is scrubbed when emitted) and written in one batch per turn of the event loop.
"""

from __future__ import annotations

import asyncio
import logging

from igtk_tui import logfile
from igtk_tui.engine.events import Event, ExecutionFinished, LogRecord
from igtk_tui.logfile import EXECUTION_SHARE, CountingRotatingHandler
from igtk_tui.timefmt import local_time

EXECUTION_LOGGER = "igtk_tui.execution"

class ExecutionLogCopy:
    """Bus subscriber copying execution log lines to the log file, in batches, up to a share.

    Lines are written once per turn of the event loop (at once without a running
    loop) and when the execution finishes, so `tail -f` still follows a run live.
    """

    def __init__(self, handler: CountingRotatingHandler | None = None, *, share: int = EXECUTION_SHARE) -> None:
        self.handler = handler or logfile.current_handler()
        self.share = share
        self._pending: list[str] = []
        self._scheduled = False
        self._copied: dict[str, int] = {}  # execution id -> bytes copied
        self._left_out: dict[str, int] = {}  # execution id -> lines not copied

    def __call__(self, event: Event) -> None:
        if isinstance(event, LogRecord):
            self._line(event)
        elif isinstance(event, ExecutionFinished):
            left = self._left_out.pop(event.execution_id, 0)
            if left:
                self._pending.append(self._format(event.ts, "INFO", f"{event.execution_id[:8]} -",
                                                  f"{left} more log lines of this execution are in its history "
                                                  f"(igtk show {event.execution_id[:8]})"))
            self._copied.pop(event.execution_id, None)
            self.flush()

    def _line(self, event: LogRecord) -> None:
        copied = self._copied.get(event.execution_id, 0)
        if copied >= self.share:
            self._left_out[event.execution_id] = self._left_out.get(event.execution_id, 0) + 1
            return
        line = self._format(event.ts, event.level.upper(), f"{event.execution_id[:8]} {event.step_id or '-'}",
                            event.message)  # scrubbed when emitted
        self._copied[event.execution_id] = copied + len(line)
        self._pending.append(line)
        if not self._scheduled:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
                self._scheduled = True
            except RuntimeError:  # no loop: write now
                self.flush()

    @staticmethod
    def _format(ts: float, level: str, where: str, message: str) -> str:
        stamp = local_time(ts)
        millis = int(ts * 1000) % 1000
        return f"{stamp},{millis:03d} {level:<7} {EXECUTION_LOGGER}: {where} {message}\n"

    def flush(self) -> None:
        self._scheduled = False
        handler = self.handler
        if not self._pending or handler is None:
            self._pending.clear()
            return
        text, self._pending = "".join(self._pending), []
        try:
            handler.write_lines(text)
        except OSError as exc:  # a full disk costs the copy, never the run
            logging.getLogger(__name__).debug("could not copy execution log lines: %s", exc)
