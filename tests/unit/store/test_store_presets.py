"""Parameter presets: saved, listed, replaced, deleted; secrets never stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from igtk_tui import redact
from igtk_tui.store.db import Database
from igtk_tui.store.presets import PresetRepository


async def test_presets_roundtrip_without_secrets(tmp_path: Path, store_backend: Any) -> None:
    db = await Database.open(store_backend.url or tmp_path / "igtk.db")
    redact.register("vault-secret-123")
    try:
        repo = PresetRepository(db)
        saved = await repo.save("gateway/backup.yaml", "nightly",
                                {"site": "north", "password": "plain-pw-999", "pin": "4711",
                                 "note": "uses vault-secret-123", "retries": 3},
                                secret_names={"password", "pin"})
        assert saved.params == {"site": "north", "retries": 3}
        await repo.save("gateway/backup.yaml", "adhoc", {"site": "south"})
        await repo.save("gateway/backup.yaml", "nightly", {"site": "east", "retries": 4})
        listed = await repo.list("gateway/backup.yaml")
        assert [(p.name, p.params) for p in listed] == [("adhoc", {"site": "south"}),
                                                        ("nightly", {"site": "east", "retries": 4})]
        assert await repo.list("other.yaml") == []
        assert (await repo.get("gateway/backup.yaml", "adhoc")).params == {"site": "south"}
        assert await repo.delete("gateway/backup.yaml", "adhoc")
        assert not await repo.delete("gateway/backup.yaml", "adhoc")
        assert await repo.get("gateway/backup.yaml", "adhoc") is None
        assert listed[0].to_json()["updated_at"].endswith("Z")
    finally:
        redact.REDACTOR.clear()
        await db.close()
    if store_backend.is_postgres:
        data = store_backend.dump_text(tmp_path).encode()
        assert b"nightly" in data
    else:
        raw = sqlite3.connect(tmp_path / "igtk.db")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        data = (tmp_path / "igtk.db").read_bytes()
    assert b"plain-pw-999" not in data and b"vault-secret-123" not in data and b"4711" not in data
