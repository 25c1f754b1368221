"""Retention: the newest N and the last D days are kept; live runs and other folders survive."""

from __future__ import annotations

import os
import socket
import time

from igtk_tui.paths import Paths
from igtk_tui.store.retention import CHUNK, apply_retention
from tests.support.recorder import open_store


async def seed(store: object, rows: list[tuple[str, str, float]]) -> None:
    host, pid = socket.gethostname(), os.getpid()
    await store.db.write(lambda c: c.executemany(  # type: ignore[attr-defined]
        "INSERT INTO executions (id, playbook, playbook_hash, status, started_at, host, owner_pid) "
        "VALUES (?, 'p', 'h', ?, ?, ?, ?)", [(i, s, t, host, pid) for i, s, t in rows]))
    await store.db.write(lambda c: c.execute(  # type: ignore[attr-defined]
        "INSERT INTO playbook_sources (hash, text) VALUES ('h', 'name: p') ON CONFLICT (hash) DO NOTHING"))


async def test_count_limit_keeps_the_newest_across_many_chunks(paths: Paths) -> None:
    store = await open_store(paths)
    try:
        total = CHUNK * 2 + 37
        now = time.time()
        rows = [(f"e{i:05d}", "completed", now - (total - i)) for i in range(total)]
        rows.append(("live-old", "running", now - 10 * total))
        await seed(store, rows)
        for execution_id in ("e00000", f"e{total - 1:05d}"):
            folder = paths.execution_artifacts(execution_id)
            folder.mkdir(parents=True)
            (folder / "x").write_text("x")
        removed = await apply_retention(store.db, paths, days=None, count=10, now=now)
        assert removed == total - 10
        left = [e.id for e in await store.executions.list_executions(100)]
        assert left == [f"e{i:05d}" for i in reversed(range(total - 10, total))] + ["live-old"]
        assert not paths.execution_artifacts("e00000").exists()
        assert paths.execution_artifacts(f"e{total - 1:05d}").exists()
        assert (await store.db.fetchone("SELECT COUNT(*) FROM playbook_sources"))[0] == 1  # still used
    finally:
        await store.close()


async def test_age_limit_and_orphaned_sources(paths: Paths) -> None:
    store = await open_store(paths)
    try:
        now = time.time()
        day = 86400.0
        await seed(store, [("old", "failed", now - 10 * day), ("recent", "completed", now - 2 * day),
                           ("today", "completed", now - 60)])
        assert await apply_retention(store.db, paths, days=5, count=None, now=now) == 1
        assert {e.id for e in await store.executions.list_executions()} == {"recent", "today"}
        assert await apply_retention(store.db, paths, days=1, count=None, now=now) == 1
        assert await apply_retention(store.db, paths, days=None, count=0, now=now) == 1
        assert await store.executions.count() == 0
        assert (await store.db.fetchone("SELECT COUNT(*) FROM playbook_sources"))[0] == 0
    finally:
        await store.close()


async def test_start_retention_runs_in_the_background_from_settings(paths: Paths) -> None:
    from igtk_tui.config import Settings

    store = await open_store(paths)
    await seed(store, [(f"x{i}", "completed", time.time() - i) for i in range(5)])
    await store.close()

    store = await open_store(paths, Settings(retention_days=None, retention_count=2))
    try:
        task = store.start_retention()
        assert task is not None and store.start_retention() is task
        assert await task == 3
        assert [e.id for e in await store.executions.list_executions()] == ["x0", "x1"]
    finally:
        await store.close()


async def test_close_stops_retention_at_once_and_the_next_open_goes_on(paths: Paths) -> None:
    from igtk_tui.config import Settings

    store = await open_store(paths)
    total = CHUNK * 40
    await seed(store, [(f"y{i:05d}", "completed", time.time() - 1000 - i) for i in range(total)])
    await store.close()

    store = await open_store(paths, Settings(retention_days=None, retention_count=0))
    task = store.start_retention()
    assert task is not None
    await store.close()  # does not wait for 40 ticks: the pass is cancelled where it is
    assert task.cancelled()
    store = await open_store(paths, Settings(retention_days=None, retention_count=0))
    try:
        left = await store.executions.count()
        assert total - 2 * CHUNK <= left <= total
        task = store.start_retention()
        assert task is not None and await task == left  # the next start finishes the job
        assert await store.executions.count() == 0
    finally:
        await store.close()
