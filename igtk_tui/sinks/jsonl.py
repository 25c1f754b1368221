"""`--json`: one JSON object per line, each with an `event` field, secrets redacted."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from igtk_tui import redact
from igtk_tui.engine.events import Event, ExecutionFinished
from igtk_tui.sinks.stream import LineStream

_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)  # built once, not per line


class JsonLines:
    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self.out = LineStream(self.stream)

    def __call__(self, event: Event) -> None:
        self.write(event.to_dict())
        if isinstance(event, ExecutionFinished):
            self.out.flush()  # the process may leave before the loop turns again

    def write(self, obj: dict[str, Any]) -> None:
        self.out.write(_ENCODER.encode(redact.scrub_obj(obj)))
