"""Crash reports: the traceback, scrubbed of every registered secret, written
to `paths.crash_dir`; the terminal gets the same scrubbed text (never the
local variables Textual would print by default)."""

from __future__ import annotations

import os
import platform
import sys
import traceback
from pathlib import Path

from rich.text import Text

from igtk_tui import __version__, redact
from igtk_tui.timefmt import file_stamp, now_utc


def write_crash_report(crash_dir: Path, error: BaseException) -> Path | None:
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    header = (f"igtk {__version__} crash report\n"
              f"time: {now_utc()}\n"
              f"python: {sys.version.split()[0]} on {platform.platform()}\n"
              f"TERM={os.environ.get('TERM', '')} COLORTERM={os.environ.get('COLORTERM', '')}\n\n")
    try:
        crash_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(crash_dir, 0o700)
        path = crash_dir / f"crash-{file_stamp()}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(redact.scrub(header + text))
        return path
    except OSError:
        return None


def scrubbed_traceback_text(error: BaseException | None, report: Path | None) -> Text:
    exc = error or sys.exc_info()[1]
    body = "".join(traceback.format_exception(exc)) if exc is not None else "igtk stopped on an unexpected error\n"
    out = Text(redact.scrub(body), style="red")
    if report is not None:
        out.append(f"\ncrash report (secrets removed): {report}\n", style="bold")
    return out
