"""JSON columns: compact and redacted."""

from __future__ import annotations

from igtk_tui import redact
from igtk_tui.store.codec import dumps, loads


def test_json_columns_are_compact_and_scrubbed() -> None:
    redact.register("hunter2-secret")
    try:
        text = dumps({"a": "x hunter2-secret y", "n": 1.5, "ok": True, "none": None, "ü": "ä"})
        assert "hunter2" not in text and "••••" in text and '"ü":"ä"' in text
        assert loads(text)["n"] == 1.5 and loads("not json", {}) == {} and loads(None, []) == []
    finally:
        redact.REDACTOR.clear()
