"""Times and durations as text (one module for tables, logs, reports and file names), and
--since back to a time."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from igtk_tui.errors import InvalidInput
from igtk_tui.textfile import backup_path
from igtk_tui.timefmt import clock, duration, file_stamp, iso_utc, local_time, now_utc, parse_since


def test_iso_is_utc_with_milliseconds_or_seconds() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(1_700_000_000.1234) == "2023-11-14T22:13:20.123Z"
    assert iso_utc(1_700_000_000.1234, timespec="seconds") == "2023-11-14T22:13:20Z"
    assert iso_utc(None) is None
    assert parse_since(now_utc()) == pytest.approx(time.time(), abs=2)


@pytest.mark.parametrize(("text", "seconds"), [("2h", 7200), ("3d", 259200), ("90m", 5400), ("1w", 604800),
                                                ("45s", 45), (" 2H ", 7200)])
def test_since_ages(text: str, seconds: int) -> None:
    assert parse_since(text, now=1_000_000.0) == 1_000_000.0 - seconds


def test_since_iso_dates_and_times() -> None:
    assert parse_since("2023-11-14T22:13:20Z") == 1_700_000_000.0
    assert parse_since("2023-11-14T23:13:20+01:00") == 1_700_000_000.0
    local = datetime(2024, 5, 1, 8, 30).astimezone().timestamp()
    assert parse_since("2024-05-01T08:30") == local  # naive means the operator's local clock
    with pytest.raises(InvalidInput, match="--since"):
        parse_since("last tuesday")


@pytest.mark.parametrize(
    ("seconds", "options", "text"),
    [
        (None, {}, "-"), (None, {"missing": ""}, ""),
        (1.234, {}, "1.23s"), (1.234, {"compact": True}, "1.2s"), (12.6, {"compact": True}, "13s"),
        (12.6, {"live": True}, "12s"), (125, {}, "2m05s"), (125, {"compact": True}, "2m05s"),
        (3 * 3600 + 65, {}, "3h01m"),
    ],
)
def test_durations(seconds: float | None, options: dict[str, bool], text: str) -> None:
    assert duration(seconds, **options) == text


def test_local_and_file_stamps() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5).timestamp()  # local time
    assert local_time(at) == "2026-01-02 03:04:05" and local_time(None) == "-"
    assert clock(at) == "03:04:05" and clock(0, utc=True) == "00:00:00"
    assert file_stamp(at) == "20260102-030405" and file_stamp(at, sep="_") == "20260102_030405"


def test_a_backup_never_overwrites_an_earlier_one(tmp_path: Path) -> None:
    at = datetime(2026, 1, 2, 3, 4, 5).timestamp()
    pb = tmp_path / "pb.yaml"
    first = backup_path(pb, at)
    assert first.name == "pb.backup.20260102-030405.yaml"
    first.write_text("x")
    assert backup_path(pb, at).name == "pb.backup.20260102-030405-2.yaml"
