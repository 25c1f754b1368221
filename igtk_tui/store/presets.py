"""Parameter presets: named sets of parameter values per playbook (for the TUI form).

Why secrets are dropped here and not by the caller: a preset is a file on
disk that lives for months; whatever the form hands over, values of
parameters flagged secret (and any value that is or contains a registered
secret) never reach it. The operator types or picks a credential again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from igtk_tui import redact
from igtk_tui.store.codec import loads
from igtk_tui.store.db import Database
from igtk_tui.timefmt import iso_utc


@dataclass(frozen=True)
class Preset:
    playbook: str
    name: str
    params: dict[str, Any]
    updated_at: float

    def to_json(self) -> dict[str, Any]:
        return {"playbook": self.playbook, "name": self.name, "params": self.params,
                "updated_at": iso_utc(self.updated_at)}


def _contains_secret(value: Any) -> bool:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return redact.MASK in text or redact.scrub(text) != text


def without_secrets(params: dict[str, Any], secret_names: Iterable[str]) -> dict[str, Any]:
    secret = set(secret_names)
    return {k: v for k, v in params.items() if k not in secret and not _contains_secret(v)}


class PresetRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, playbook: str, name: str, params: dict[str, Any],
                   secret_names: Iterable[str] = ()) -> Preset:
        """Create or replace; returns what was stored (secrets dropped)."""
        if not name.strip():
            raise ValueError("a preset needs a name")
        kept = without_secrets(params, secret_names)
        now = time.time()
        text = json.dumps(kept, default=str, ensure_ascii=False, separators=(",", ":"))
        await self.db.write(lambda c: c.execute(
            "INSERT INTO presets (playbook, name, params, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(playbook, name) DO UPDATE SET params = excluded.params, updated_at = excluded.updated_at",
            (playbook, name, text, now)))
        return Preset(playbook, name, kept, now)

    async def list(self, playbook: str) -> list[Preset]:
        rows = await self.db.fetchall("SELECT playbook, name, params, updated_at FROM presets WHERE playbook = ? "
                                      "ORDER BY name", (playbook,))
        return [Preset(r[0], r[1], loads(r[2], {}), r[3]) for r in rows]

    async def get(self, playbook: str, name: str) -> Preset | None:
        row = await self.db.fetchone("SELECT playbook, name, params, updated_at FROM presets "
                                     "WHERE playbook = ? AND name = ?", (playbook, name))
        return Preset(row[0], row[1], loads(row[2], {}), row[3]) if row else None

    async def delete(self, playbook: str, name: str) -> bool:
        count = await self.db.write(lambda c: c.execute(
            "DELETE FROM presets WHERE playbook = ? AND name = ?", (playbook, name)).rowcount)
        return bool(count)
