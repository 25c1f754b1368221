"""The process log file (`<logs_dir>/igtk.log`), rotated, with every record scrubbed.

Execution log lines are copied here too (one line each, tagged with the
execution id) so an operator can `tail -f` it on a plant server; the database
remains the record of each execution, so each execution copies at most
`EXECUTION_SHARE` bytes: one burst of 100,000 lines cannot rotate away the
process's own warnings and the other executions' lines.

Why not one `logging` call per line: a record costs a LogRecord, a caller
lookup, two formats and a flush, and the stdlib rotating handler stats the
file for every record; a burst paid ~70 µs a line. Execution lines are
formatted once (their text is scrubbed when emitted) and written in batches
per turn of the event loop, and the handler counts the bytes it writes.
"""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import time
from pathlib import Path

from igtk_tui import redact
from igtk_tui.engine.events import Event, ExecutionFinished, LogRecord

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
MAX_BYTES = 5_000_000
BACKUPS = 3
# What one execution may copy into the log file (a fifth of one file).
EXECUTION_SHARE = MAX_BYTES // 5
EXECUTION_LOGGER = "igtk_tui.execution"


class RedactingFilter(logging.Filter):
    """Formats the record once and scrubs the result, so args cannot smuggle a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact.scrub(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info:
            import traceback

            record.exc_text = redact.scrub("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


class CountingRotatingHandler(logging.handlers.RotatingFileHandler):
    """Rotates on the bytes it wrote since opening (one stat at open, none per record)."""

    def __init__(self, path: Path) -> None:
        self.size = 0
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")

    def _open(self):  # type: ignore[no-untyped-def]
        stream = super()._open()
        self.size = stream.tell()  # opened for appending: at the end
        return stream

    def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802 - stdlib name
        return self.size >= self.maxBytes

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.shouldRollover(record):
                self.doRollover()
            text = self.format(record) + self.terminator
            self.write_text(text)
        except Exception:  # noqa: BLE001 - the stdlib contract: report, never raise
            self.handleError(record)

    def write_text(self, text: str) -> None:
        """Append already formatted lines (the caller holds the handler lock)."""
        if self.stream is None:
            self.stream = self._open()
        self.stream.write(text)
        self.stream.flush()
        self.size += len(text.encode("utf-8")) if not text.isascii() else len(text)

    def write_lines(self, text: str) -> None:
        """One batch of formatted lines, rotating first when the file is full."""
        with self.lock:  # type: ignore[union-attr]
            if self.size >= self.maxBytes:
                self.doRollover()
            self.write_text(text)


_handler: CountingRotatingHandler | None = None


def setup(logs_dir: Path, level: int = logging.INFO) -> Path:
    """Attach the rotating file handler to the `igtk_tui` logger (idempotent)."""
    global _handler
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / "igtk.log"
    logger = logging.getLogger("igtk_tui")
    for handler in logger.handlers:
        if getattr(handler, "baseFilename", None) == str(path):
            return path
    _handler = CountingRotatingHandler(path)
    _handler.setFormatter(logging.Formatter(LOG_FORMAT))
    _handler.addFilter(RedactingFilter())
    logger.addHandler(_handler)
    logger.setLevel(level)
    return path


class ExecutionLogCopy:
    """Bus subscriber copying execution log lines to the log file, in batches, up to a share.

    Lines are written once per turn of the event loop (at once without a running
    loop) and when the execution finishes, so `tail -f` still follows a run live.
    """

    def __init__(self, handler: CountingRotatingHandler | None = None, *, share: int = EXECUTION_SHARE) -> None:
        self.handler = handler or _handler
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
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
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
