"""Version parsing (gateways, backups, modules) and `/system/gwinfo` text: the one place
igtk (and the simulator) reads a version string.

A gateway writes its version in three forms: REST `ignitionVersion` / `overview.version`
"8.3.6 (b2026042713)", gwinfo `Version=8.3.6` (no build), and a backup's backupinfo.xml
"8.3.2.2025120210" (the build as a fourth number). Module versions are module.xml's
"1.2.3.2026010112" or the gateway's "1.2.3 (b2026010112)". gwinfo is `Key=Value;` pairs whose
order differs between builds, so it is parsed by key, never by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION_RE = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?(?:\.\d+)*\s*(?:\((b?[^)]*)\))?")


@dataclass(frozen=True, order=True)
class GatewayVersion:
    major: int
    minor: int
    patch: int = 0
    build: str = ""

    @classmethod
    def parse(cls, text: str) -> GatewayVersion:
        """`8.3.6`, `8.3.6 (b2026042713)`, `8.1` -> GatewayVersion; ValueError otherwise."""
        match = _VERSION_RE.match(text or "")
        if not match:
            raise ValueError(f"not an Ignition version: {text!r}")
        return cls(int(match[1]), int(match[2]), int(match[3] or 0), (match[4] or "").strip())

    @property
    def line(self) -> str:
        """`8.3` or `8.1`: which HTTP surface to speak. 8.3+ has the REST API (/data/api/v1); 8.1 and
        older have only the web UI's routes."""
        return "8.3" if (self.major, self.minor) >= (8, 3) else "8.1"

    @property
    def has_rest_api(self) -> bool:
        return self.line == "8.3"

    @property
    def plain(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __str__(self) -> str:
        return f"{self.plain} ({self.build})" if self.build else self.plain


def version_numbers(text: str, *, build: bool = False) -> tuple[int, ...]:
    """The numbers of a version, for comparing: `3.3.9 (b2026082511)` -> (3, 3, 9); with `build`
    the build's digits too: (3, 3, 9, 2026082511). () when the text holds no number."""
    if not build:
        text = text.split("(", 1)[0]
    return tuple(int(n) for n in re.findall(r"\d+", text))


def parse_gwinfo(text: str) -> dict[str, str]:
    """`ContextStatus=RUNNING;Version=8.3.6;...;` -> {"ContextStatus": "RUNNING", ...}.

    Values may be empty (`PlatformEdition=;` means standard). Pieces without `=`
    are ignored rather than failing: the key set differs between builds.
    """
    out: dict[str, str] = {}
    for piece in (text or "").strip().split(";"):
        key, sep, value = piece.partition("=")
        key = key.strip()
        if sep and key:
            out[key] = value.strip()
    return out
