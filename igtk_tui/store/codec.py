"""Values in and out of the history database: JSON columns.

Why here: every JSON column passes through `dumps`, which scrubs registered
secrets once more before anything reaches the file (docs/secrets.md: the database is
a sink like any other). Timestamps leave as ISO 8601 UTC through igtk_tui.timefmt.
"""

from __future__ import annotations

import json
from typing import Any

from igtk_tui import redact

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
