"""The process log file (`<logs_dir>/igtk.log`), rotated, with every record scrubbed.

Execution log lines are copied here too by `sinks.process_log` (a bus
subscriber, batched, at most `EXECUTION_SHARE` bytes per execution), so an
operator can `tail -f` it on a plant server.

Why the handler counts bytes: the stdlib rotating handler stats the file for
every record; a burst of execution lines paid ~70 µs a line.
"""

from __future__ import annotations

import logging
import os
from io import TextIOWrapper
from pathlib import Path

from igtk_tui import redact

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
MAX_BYTES = 5_000_000
BACKUPS = 3
# What one execution may copy into the log file (a fifth of one file).
EXECUTION_SHARE = MAX_BYTES // 5


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


class CountingRotatingHandler(logging.FileHandler):
    """Rotates on the bytes it wrote since opening (one stat at open, none per record).

    A FileHandler with its own rotation rather than logging.handlers' RotatingFileHandler:
    that module imports pickle, queue and socket for handlers igtk never uses, at every
    `igtk run`'s start-up, and stats the file per record."""

    def __init__(self, path: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
        self.size = 0
        self.max_bytes = max_bytes
        self.backups = backups
        super().__init__(path, mode="a", encoding="utf-8")

    def _open(self) -> TextIOWrapper:
        stream = super()._open()
        self.size = stream.tell()  # opened for appending: at the end
        return stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._append(self.format(record) + self.terminator)  # Handler.handle holds the lock
        except Exception:  # noqa: BLE001 - the stdlib contract: report, never raise
            self.handleError(record)

    def write_lines(self, text: str) -> None:
        """One batch of formatted lines, rotating first when the file is full."""
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__, never None
            self._append(text)

    def _append(self, text: str) -> None:
        if self.size >= self.max_bytes:
            self.rotate()
        if self.stream is None:
            self.stream = self._open()
        self.stream.write(text)
        self.stream.flush()
        self.size += len(text) if text.isascii() else len(text.encode("utf-8"))

    def rotate(self) -> None:
        """igtk.log -> igtk.log.1 -> ... -> igtk.log.<backups> (the oldest dropped), then a new igtk.log."""
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        base = self.baseFilename
        for i in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{i}"):
                os.replace(f"{base}.{i}", f"{base}.{i + 1}")
        if os.path.exists(base):
            os.replace(base, f"{base}.1")
        self.stream = self._open()


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


def current_handler() -> CountingRotatingHandler | None:
    """The file handler `setup` attached (None before), for writers that batch their own lines."""
    return _handler

