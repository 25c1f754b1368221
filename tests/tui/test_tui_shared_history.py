"""The history screen refreshes by itself when another process records an execution: on SQLite
the same state root, on PostgreSQL another state root (as another jump host would)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.screens import history as history_module
from igtk_tui.tui.screens.history import HistoryScreen
from tests.support.cli import Igtk
from tests.support.tui import PLAYBOOKS, library_ready, make_runtime, wait_until


async def run_elsewhere(home: Path, *args: str, store_url: str | None) -> list[dict[str, Any]]:
    """`igtk run ... --json` as a separate process with its own environment."""
    env = {"IGTK_STORE_URL": store_url} if store_url else {}
    done = await asyncio.to_thread(Igtk(home), "run", *args, "--json", env=env)
    assert done.code == 0, done.stderr
    return done.events


async def test_history_shows_executions_recorded_by_another_process(home: Path, tmp_path: Path,
                                                                    store_backend: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(history_module, "POLL_INTERVAL", 0.2)
    runtime = make_runtime(home, store_url=store_backend.url)
    other_home = tmp_path / "other-host" if store_backend.is_postgres else home
    playbook = str(PLAYBOOKS / "utility" / "quick.yaml")
    first = await run_elsewhere(other_home, playbook, store_url=store_backend.url)
    app = IgtkApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        await pilot.press("h")
        screen = await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen)
        await wait_until(pilot, lambda: [r.id for r in screen.rows] == [first[0]["execution_id"]],
                         what="the execution recorded before the TUI started")
        later = await run_elsewhere(other_home, playbook, "-p", "greeting=again", store_url=store_backend.url)
        later_id = later[0]["execution_id"]
        # No key pressed: the screen's poll notices the new execution, newest first, and keeps the cursor.
        await wait_until(pilot, lambda: [r.id for r in screen.rows][:1] == [later_id], timeout=30,
                         what="the execution another process recorded")
        assert [r.status for r in screen.rows] == ["completed", "completed"]
        assert screen.selected is not None and screen.selected.id == first[0]["execution_id"]
    await runtime.close()
