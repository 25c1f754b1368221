"""`--json`: one JSON object per line, each with an `event` field, secrets redacted."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from igtk_tui import redact
from igtk_tui.engine.events import Event


class JsonLines:
    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout

    def __call__(self, event: Event) -> None:
        self.write(event.to_dict())

    def write(self, obj: dict[str, Any]) -> None:
        line = json.dumps(redact.scrub_obj(obj), default=str, ensure_ascii=False)
        self.stream.write(line + "\n")
        self.stream.flush()
