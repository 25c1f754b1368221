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
# A piece of a secret is masked too (an error message that cuts a secret, such as httpx's
# "Invalid port: 'PWcanary+9'" for a password inside a URL, must not show its larger part).
# Found by C-speed substring search for anchors: the pieces of ANCHOR_LENGTH characters that
# start every ANCHOR_STRIDE characters of the secret; any cut of FRAGMENT_LENGTH or more contains
# one, and is masked whole (grown from the anchor as far as it matches the secret).
ANCHOR_LENGTH = 8
ANCHOR_STRIDE = 4
FRAGMENT_LENGTH = ANCHOR_LENGTH + ANCHOR_STRIDE - 1
# The characters each URL encoder leaves alone: none (quote), "/" (quote's default), a query or
# user-info component as httpx writes it, and quote_plus (space as +).
_URL_SAFE_SETS = ("", "/", "!$&'()*+,;=:@/?~")


def encoded_forms(text: str) -> set[str]:
    """`text` as it reads once JSON-, repr-, URL-, XML- or base64-encoded (each kept form is a
    substring of any encoding of a text containing the secret)."""
    import base64
    import html
    import json
    from urllib.parse import quote, quote_plus

    # JSON both ways: json.dumps escapes non-ASCII by default, JSON.stringify (a page's script) does not.
    forms = {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1], repr(text)[1:-1],
             quote_plus(text), html.escape(text, quote=True), html.escape(text, quote=False)}
    forms.update(quote(text, safe=safe) for safe in _URL_SAFE_SETS)
    raw = text.encode("utf-8")
    for offset in range(3):  # base64 of a text with the secret at any offset: the groups wholly inside it
        encoded = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        first, last = (offset + 2) // 3, (offset + len(raw)) // 3
        core = encoded[4 * first:4 * last]
        if len(core) >= FRAGMENT_LENGTH:
            forms.add(core)
            forms.add(core.replace("+", "-").replace("/", "_"))  # the URL-safe alphabet
    return forms


class Redactor:
    """A thread-safe registry of secret values and the scrubber built from it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._raw: set[str] = set()  # the secrets long enough to have fragments worth masking
        self._anchors: list[tuple[str, str, int]] = []  # (anchor, its secret, its offset in it)
        # The anchors' pattern and, per anchor, (secret, offset): one tuple, swapped whole.
        self._anchor_index: tuple[re.Pattern[str], dict[str, list[tuple[str, int]]]] | None = None
        self._pattern: re.Pattern[str] | None = None
        # Bumped whenever the set of secrets changes, so callers may cache scrubbed values.
        self.version = 0

    def register(self, value: object) -> None:
        """Remember a secret; it, its encoded forms and its long fragments are masked from now on."""
        if value is None:
            return
        text = str(value)
        if len(text) < MIN_SECRET_LENGTH:
            return
        variants = encoded_forms(text)
        with self._lock:
            before = len(self._secrets) + len(self._raw)
            self._secrets.update(v for v in variants if len(v) >= MIN_SECRET_LENGTH)
            if len(text) > FRAGMENT_LENGTH and text not in self._raw:
                self._raw.add(text)
                self._anchors.extend((text[i:i + ANCHOR_LENGTH], text, i)
                                     for i in range(0, len(text) - ANCHOR_LENGTH + 1, ANCHOR_STRIDE))
            if len(self._secrets) + len(self._raw) != before:
                self._pattern = self._anchor_index = None
                self.version += 1

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._raw.clear()
            self._anchors.clear()
            self._pattern = self._anchor_index = None
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
        """Replace every registered secret in `text` (and every long piece of one) by the mask."""
        if not self._secrets or not text:
            return text
        pattern = self._compiled()
        if pattern:
            text = pattern.sub(MASK, text)
        return self._mask_fragments(text) if self._anchors else text

    def _mask_fragments(self, text: str) -> str:
        index = self._anchor_index
        if index is None:
            with self._lock:
                by_anchor: dict[str, list[tuple[str, int]]] = {}
                for anchor, secret, offset in self._anchors:
                    by_anchor.setdefault(anchor, []).append((secret, offset))
                pattern = re.compile("|".join(re.escape(a) for a in sorted(by_anchor, reverse=True)))
                index = self._anchor_index = (pattern, by_anchor)
        pattern, by_anchor = index
        spans: list[tuple[int, int]] = []
        for match in pattern.finditer(text):
            for secret, offset in by_anchor.get(match.group(), ()):
                left, right = match.span()
                i, j = offset, offset + ANCHOR_LENGTH
                while left > 0 and i > 0 and text[left - 1] == secret[i - 1]:
                    left, i = left - 1, i - 1
                while right < len(text) and j < len(secret) and text[right] == secret[j]:
                    right, j = right + 1, j + 1
                spans.append((left, right))
        if not spans:
            return text
        spans.sort()
        out, last = [], 0
        for start, end in spans:
            if end <= last:
                continue  # inside the piece masked before it
            if start > last:
                out += [text[last:start], MASK]
            elif not out:
                out.append(MASK)
            last = end
        out.append(text[last:])
        return "".join(out)

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
