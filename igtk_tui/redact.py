"""The one place secrets are scrubbed, by value, for every sink.

Every secret value loaded in the process (vault fields, `secret: true`
parameters, credential-typed parameters) is registered here; logs, step
outputs, the database, JSON lines, JUnit, reports, crash dumps and widgets all
pass text through `scrub` before it leaves memory.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MASK = "••••"
# Very short values would mask ordinary text ("a", "1"); they are still never
# logged by us, but scrubbing them everywhere would destroy output.
MIN_SECRET_LENGTH = 3


class Redactor:
    """A thread-safe registry of secret values and the scrubber built from it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        # Bumped whenever the set of secrets changes, so callers may cache scrubbed values.
        self.version = 0

    def register(self, value: object) -> None:
        """Remember a secret; it and its common encodings are masked from now on."""
        if value is None:
            return
        text = str(value)
        if len(text) < MIN_SECRET_LENGTH:
            return
        variants = {text}
        # JSON and repr() escaping would otherwise let a secret through. JSON both ways:
        # json.dumps escapes non-ASCII by default, JSON.stringify (a page's script) does not.
        import json

        variants.add(json.dumps(text)[1:-1])
        variants.add(json.dumps(text, ensure_ascii=False)[1:-1])
        variants.add(repr(text)[1:-1])
        from urllib.parse import quote, quote_plus

        variants.add(quote(text, safe=""))
        variants.add(quote_plus(text))
        with self._lock:
            before = len(self._secrets)
            self._secrets.update(v for v in variants if len(v) >= MIN_SECRET_LENGTH)
            if len(self._secrets) != before:
                self._pattern = None
                self.version += 1

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._pattern = None
            self.version += 1

    @property
    def active(self) -> bool:
        return bool(self._secrets)

    def _compiled(self) -> re.Pattern[str] | None:
        pattern = self._pattern  # the common case, read without taking the lock
        if pattern is not None:
            return pattern
        with self._lock:
            if self._pattern is None and self._secrets:
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(s) for s in ordered))
            return self._pattern

    def scrub(self, text: str) -> str:
        """Replace every registered secret in `text` by the mask."""
        if not self._secrets or not text:
            return text
        pattern = self._compiled()
        return pattern.sub(MASK, text) if pattern else text

    def scrub_obj(self, obj: Any) -> Any:
        """Scrub strings inside nested dicts/lists/tuples; other values pass through."""
        if not self._secrets:
            return obj
        if isinstance(obj, str):
            return self.scrub(obj)
        if isinstance(obj, dict):
            return {self.scrub_obj(k): self.scrub_obj(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.scrub_obj(v) for v in obj)
        if isinstance(obj, (bytes, bytearray)):
            return obj
        if isinstance(obj, (int, float, bool)) or obj is None:
            text = str(obj)
            if obj is not None and not isinstance(obj, bool) and self.scrub(text) != text:
                return MASK
            return obj
        return self.scrub(str(obj))


REDACTOR = Redactor()
register = REDACTOR.register
scrub = REDACTOR.scrub
scrub_obj = REDACTOR.scrub_obj
