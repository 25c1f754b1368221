"""The process log file (`<logs_dir>/igtk.log`), rotated, with every record scrubbed.

Execution log lines are copied here too by `sinks.process_log` (a bus
subscriber), so an operator can `tail -f` it on a plant server.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from igtk_tui import redact

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


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


def setup(logs_dir: Path, level: int = logging.INFO) -> Path:
    """Attach the rotating file handler to the `igtk_tui` logger (idempotent)."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / "igtk.log"
    logger = logging.getLogger("igtk_tui")
    for handler in logger.handlers:
        if getattr(handler, "baseFilename", None) == str(path):
            return path
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(level)
    return path

