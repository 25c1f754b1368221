"""The gateways igtk knows by name: what one inventory entry holds, and the rules for names.

Why names and not URLs everywhere: a fleet run, a lock message and a report row say
`plant-a-gw1`, which an operator recognises; the URL and the vault credential's name
are looked up here. Secrets never live in the inventory: only the credential's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Names, groups and tags: what an operator types after --on (no commas, no spaces, no `:`).
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=/-]{0,63}$")
VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+)*( \(b?[^)]*\))?$")
ALL = "all"  # the target every gateway answers to, as in Ansible
KEYS = ("url", "credential", "version", "groups", "tags", "description")


@dataclass(frozen=True)
class Gateway:
    """One inventory entry; `url` is normalised (values.normalise_url)."""

    name: str
    url: str
    credential: str
    version: str | None = None
    groups: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""

    @property
    def group(self) -> str:
        """The first group, for one-line views (the fleet table's group column)."""
        return self.groups[0] if self.groups else ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url, "credential": self.credential, "version": self.version,
                "groups": list(self.groups), "tags": list(self.tags), "description": self.description}


@dataclass
class Inventory:
    """Every gateway of one inventory file, in the file's order (the order fleet batches follow)."""

    path: Path
    gateways: list[Gateway] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str) -> Gateway | None:
        return next((g for g in self.gateways if g.name == name), None)

    @property
    def names(self) -> list[str]:
        return [g.name for g in self.gateways]

    @property
    def groups(self) -> dict[str, list[Gateway]]:
        """Group name -> its gateways, groups in order of first appearance."""
        out: dict[str, list[Gateway]] = {}
        for gateway in self.gateways:
            for group in gateway.groups:
                out.setdefault(group, []).append(gateway)
        return out

    @property
    def tags(self) -> dict[str, list[Gateway]]:
        out: dict[str, list[Gateway]] = {}
        for gateway in self.gateways:
            for tag in gateway.tags:
                out.setdefault(tag, []).append(gateway)
        return out


def check_name(kind: str, value: Any) -> str | None:
    """A problem with a gateway or group name, or None."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        return (f"{kind} name {value!r} must start with a letter or digit and hold only letters, digits, "
                "'.', '_' and '-' (at most 64 characters)")
    return None


def check_tag(value: Any) -> str | None:
    if not isinstance(value, str) or not TAG_RE.match(value):
        return (f"tag {value!r} must start with a letter or digit and hold only letters, digits and . _ = / - "
                "(no spaces or commas; at most 64 characters)")
    return None
