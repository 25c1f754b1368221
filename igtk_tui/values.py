"""Value coercions shared by step parameters, playbook parameters and settings.

Below every layer that reads user-written values (config, playbook, steps), so each of them
spells "yes"/"off"/1 the same way without importing the step registry.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

TRUE_WORDS = frozenset({"true", "yes", "y", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "off", "0"})


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
    raise ValueError(f"not a boolean: {value!r}")


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
