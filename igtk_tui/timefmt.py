"""Times and durations as text, and back: one module, so a duration reads `1m05s` and a
timestamp `2026-01-31 12:00:00` (or ISO 8601 UTC in files) in every table, log, report and
file name igtk writes.

Local time for what operators read (their own clock), UTC for what machines read.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import overload

from igtk_tui.errors import InvalidInput


def duration(seconds: float | None, *, compact: bool = False, live: bool = False, missing: str = "-") -> str:
    """`12.34s`, `1m05s`, `2h03m`. `compact` (a narrow column): `1.2s` under 10 s, `12s` above;
    `live` (a counter still running): whole seconds, so it changes once a second, not four times."""
    if seconds is None:
        return missing
    if seconds < 60:
        if live:
            return f"{int(seconds)}s"
        if compact:
            return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
        return f"{seconds:.2f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


@overload
def iso_utc(ts: float, *, timespec: str = ...) -> str: ...
@overload
def iso_utc(ts: None, *, timespec: str = ...) -> None: ...
@overload
def iso_utc(ts: float | None, *, timespec: str = ...) -> str | None: ...
def iso_utc(ts: float | None, *, timespec: str = "milliseconds") -> str | None:
    """Unix seconds -> `2026-01-31T12:00:00.123Z` (`timespec="seconds"`: `2026-01-31T12:00:00Z`);
    None stays None (a time not reached yet)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def now_utc() -> str:
    """This second, as ISO 8601 UTC (`2026-01-31T12:00:00Z`): when a record was made."""
    return iso_utc(time.time(), timespec="seconds")


def local_time(ts: float | None) -> str:
    """Compact local time for human tables and logs: `2026-01-31 12:00:00`."""
    if ts is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def clock(ts: float, *, utc: bool = False) -> str:
    """`HH:MM:SS` of a timestamp, local (or UTC: deterministic snapshots)."""
    return time.strftime("%H:%M:%S", (time.gmtime if utc else time.localtime)(ts))


def file_stamp(ts: float | None = None, *, sep: str = "-") -> str:
    """`20260131-120000` (local time) for file names that sort by time."""
    return time.strftime(f"%Y%m%d{sep}%H%M%S", time.localtime(time.time() if ts is None else ts))


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
    """The Unix time `days` days before `now`."""
    return (time.time() if now is None else now) - days * 86400.0
