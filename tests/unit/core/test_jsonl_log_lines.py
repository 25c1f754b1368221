"""`--json` writes log events through a fast path: each line must be exactly what the generic
path (to_dict, scrub_obj, the encoder) writes, secrets masked the same way."""

from __future__ import annotations

import json

from igtk_tui import redact
from igtk_tui.engine.events import LogRecord
from igtk_tui.sinks.jsonl import _ENCODER, log_line


def generic(event: LogRecord) -> str:
    return _ENCODER.encode(redact.scrub_obj(event.to_dict()))


def test_log_lines_match_the_generic_encoding() -> None:
    events = [
        LogRecord("e1" * 16, step_id="burst", level="info", message="reading counter 7: value=49 units/h"),
        LogRecord("e2" * 16, step_id=None, level="warning", message='quotes " and \\\\ back\\nslash\ttab'),
        LogRecord("e3" * 16, step_id="ünï", level="error", message="°C — 温度 \u2028 \x00\x1f end"),
        LogRecord("e4" * 16, step_id="s", level="debug", message=""),
    ]
    for event in events:
        line = log_line(event)
        assert line == generic(event)
        assert json.loads(line)["message"] == event.message


def test_a_secret_registered_later_is_masked_as_the_generic_path_masks_it() -> None:
    event = LogRecord("e5" * 16, step_id="login", level="info", message="token jsonl-canary-7731 sent")
    redact.register("jsonl-canary-7731")
    line = log_line(event)
    assert "jsonl-canary-7731" not in line
    assert line == generic(event)
