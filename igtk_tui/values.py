"""Value kinds and their coercion, one set of rules for every value a user writes.

Step parameters (the step registry), playbook parameters (`playbook.params`) and settings
(`config`) all coerce through `coerce` and `check_bounds`, so "yes"/"off"/1, "5"/5.0 and
"must be at least 1" mean the same wherever they are written. Below every layer that reads
user-written values, so none of them imports another to share the rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

# The value kinds a step parameter or output declares. Playbook parameter types and settings
# map onto them (`playbook.params.KIND_OF`, `config._KIND_OF`).
KINDS = ("string", "integer", "number", "boolean", "list", "dict", "any")

TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})

_EXPECTED = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false (also yes/no, on/off, 1/0)",
    "list": "a list",
    "dict": "a dict",
}


def to_bool(value: Any) -> bool:
    """A boolean from a bool, 0/1 or a yes/no word; ValueError for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in TRUE_WORDS:
            return True
        if v in FALSE_WORDS:
            return False
    raise ValueError(f"must be {_EXPECTED['boolean']}, got {value!r}")


def coerce(kind: str, value: Any, *, parse_text: bool = False) -> Any:
    """`value` as `kind`; ValueError saying `must be …, got …` when it is not one.

    `parse_text`: a list or dict may arrive as YAML or JSON text (a command-line `-p`
    value, a form field); a list also as `a, b, c`. Step parameters are already YAML
    values, so for them a string is not a list."""
    if kind not in KINDS:
        raise ValueError(f"unknown value kind {kind!r} (kinds: {', '.join(KINDS)})")
    if kind == "any":
        return value
    if kind == "boolean":
        return to_bool(value)
    written = value
    if kind in ("list", "dict") and parse_text and isinstance(value, str):
        value = _parse_text(kind, value)
    try:
        out = _coerce(kind, value)
    except (TypeError, ValueError, OverflowError):
        out = None
    if out is None:
        raise ValueError(f"must be {_EXPECTED[kind]}, got {written!r}")
    if kind == "number" and not math.isfinite(out):  # nan passes every comparison with min/max
        raise ValueError(f"must be a finite number, got {written!r}")
    return out


def _coerce(kind: str, value: Any) -> Any:
    """The coerced value, or None when `value` is not of `kind`."""
    if kind == "string":
        return None if isinstance(value, (dict, list, tuple)) else str(value)
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            return None
        if kind == "number":
            return float(value.strip() if isinstance(value, str) else value)
        if isinstance(value, float):
            return int(value) if value.is_integer() else None
        return int(value.strip() if isinstance(value, str) else value)
    if kind == "list" and isinstance(value, tuple):
        value = list(value)
    return value if isinstance(value, list if kind == "list" else dict) else None


def _parse_text(kind: str, text: str) -> Any:
    import json

    try:
        parsed = json.loads(text)
    except ValueError:
        import yaml

        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"must be {_EXPECTED[kind]} as YAML or JSON text: {exc}") from None
    if kind == "list" and isinstance(parsed, str):
        return [s.strip() for s in text.split(",") if s.strip()]
    return parsed


def check_bounds(value: Any, *, choices: Sequence[Any] | None = None, minimum: float | None = None,
                 maximum: float | None = None, unit: str | None = None, written: Any = None) -> None:
    """ValueError (`must be one of …` / `must be at least …`, quoting `written`, the value as the
    user wrote it, when given) when a coerced value is out of bounds."""
    got = value if written is None else written
    if choices is not None and value not in choices:
        raise ValueError(f"must be one of {', '.join(repr(c) for c in choices)}, got {got!r}")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    shown = f" {unit}" if unit else ""
    if minimum is not None and value < minimum:
        raise ValueError(f"must be at least {minimum:g}{shown}, got {got!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"must be at most {maximum:g}{shown}, got {got!r}")


def normalise_url(url: str) -> str:
    """`http://host:8088/` -> `http://host:8088`; ValueError for anything that is not an http(s) URL.

    The one rule for a gateway URL, wherever it is written: a step parameter, `--gateway`, a vault
    credential."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if "@" in text.partition("?")[0].partition("#")[0]:
        # Checked first, and the URL never quoted: its user info may hold a password (httpx's
        # "Invalid port: ..." quoted a piece of one; a '/' in the password moves the '@' out of netloc).
        host = text.rpartition("@")[2].split("/")[0]
        raise ValueError(f"a gateway URL with a user name or password in it ({parts.scheme}://…@{host}) is "
                         "not accepted: give username/password or api_token as step parameters, or from a "
                         "vault credential (-c NAME)")
    try:
        parts.port  # noqa: B018 - raises ValueError when the port is not a number
    except ValueError:
        raise ValueError("the port in the gateway URL is not a number (like http://host:8088)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"gateway URL {url!r} must look like http://host:8088 or https://host:8043")
    return text.rstrip("/")


def is_http_url(url: str) -> bool:
    """An http(s) URL with a host, its port (if any) a number. Nothing more is checked."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def gateway_key(url: str) -> str:
    """One spelling per gateway, for locks and lookups: `HTTP://Host:8088/` and `http://host:8088` are one.

    `normalise_url` first (ValueError for what is not a gateway URL); then the scheme and host
    lower-cased and the default port written out, so `https://gw` and `https://gw:443` match too."""
    text = normalise_url(url)
    parts = urlsplit(text)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{port}{parts.path.rstrip('/')}"
