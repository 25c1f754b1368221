"""Timestamps out (ISO 8601 UTC), --since in, JSON columns redacted."""

from __future__ import annotations

from datetime import datetime

import pytest

from igtk_tui import redact
from igtk_tui.errors import InvalidInput
from igtk_tui.store.codec import dumps, human_duration, iso, loads, parse_since


def test_iso_is_utc_with_milliseconds() -> None:
    assert iso(0) == "1970-01-01T00:00:00.000Z"
    assert iso(1_700_000_000.1234) == "2023-11-14T22:13:20.123Z"
    assert iso(None) is None


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


def test_json_columns_are_compact_and_scrubbed() -> None:
    redact.register("hunter2-secret")
    try:
        text = dumps({"a": "x hunter2-secret y", "n": 1.5, "ok": True, "none": None, "ü": "ä"})
        assert "hunter2" not in text and "••••" in text and '"ü":"ä"' in text
        assert loads(text)["n"] == 1.5 and loads("not json", {}) == {} and loads(None, []) == []
    finally:
        redact.REDACTOR.clear()


def test_human_durations() -> None:
    assert human_duration(None) == "-"
    assert human_duration(1.234) == "1.23s"
    assert human_duration(125) == "2m05s"
    assert human_duration(3 * 3600 + 65) == "3h01m"
