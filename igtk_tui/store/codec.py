"""Values in and out of the history database: JSON columns and timestamps.

Why here: every JSON column passes through `dumps`, which scrubs registered
secrets once more before anything reaches the file (docs/secrets.md: the database is
a sink like any other), and every timestamp leaves as ISO 8601 UTC.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from igtk_tui import redact
from igtk_tui.errors import InvalidInput

_encode = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":")).encode


def dumps(obj: Any) -> str:
    """Compact JSON of a redacted copy (one shared encoder: this runs for every step)."""
    if redact.REDACTOR.active:
        obj = redact.scrub_obj(obj)
    return _encode(obj)


def scrub(text: str | None) -> str | None:
    return redact.scrub(text) if text else text


def loads(text: str | None, default: Any = None) -> Any:
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def iso(ts: float | None) -> str | None:
    """Unix seconds -> `2026-01-31T12:00:00.123Z`."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_time(ts: float | None) -> str:
    """Compact local time for human tables (operators read their own clock)."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


_AGO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, *, now: float | None = None) -> float:
    """`2h`, `3d`, `90m`, or an ISO date/time (naive = local time) -> Unix seconds."""
    now = time.time() if now is None else now
    match = _AGO.match(text)
    if match:
        return now - float(match.group(1)) * _UNITS[match.group(2).lower()]
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"--since {text!r}: expected an ISO date/time (2026-01-31, "
                           "2026-01-31T08:00) or an age like 30m, 2h, 3d, 1w") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive: the operator's local clock
    return moment.timestamp()


def age_cutoff(days: float, *, now: float | None = None) -> float:
    return (time.time() if now is None else now) - timedelta(days=days).total_seconds()
