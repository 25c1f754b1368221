"""Crash recovery on open: dead owners' executions become interrupted, nobody else's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from igtk_tui.paths import Paths
from igtk_tui.store.owner import process_start
from tests.support.recorder import open_store


async def test_only_dead_owners_on_this_host_are_marked_interrupted(paths: Paths) -> None:
    store = await open_store(paths)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_start = process_start(dead.pid)
    dead.wait()
    host = socket.gethostname()
    now = time.time()
    rows = [
        ("dead-running", "running", host, dead.pid, dead_start),
        ("dead-paused", "paused", host, dead.pid, dead_start),
        ("live-mine", "running", host, os.getpid(), process_start(os.getpid())),
        ("reused-pid", "running", host, os.getpid(), "12345"),
        ("other-host", "running", "elsewhere.example", dead.pid, None),
        ("finished", "completed", host, dead.pid, dead_start),
    ]
    await store.db.write(lambda c: c.executemany(
        "INSERT INTO executions (id, playbook, status, started_at, host, owner_pid, owner_start) "
        "VALUES (?, 'p', ?, ?, ?, ?, ?)", [(i, s, now - 10, h, p, st) for i, s, h, p, st in rows]))
    await store.db.write(lambda c: c.executemany(
        "INSERT INTO steps (execution_id, path, step_id, position, status, started_at, finished_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [("dead-running", "a", "a", 0, "completed", now - 9, now - 8),
         ("dead-running", "b", "b", 1, "running", now - 8, None)]))
    await store.close()

    store = await open_store(paths)
    try:
        assert sorted(r.id for r in store.recovered) == ["dead-paused", "dead-running", "reused-pid"]
        status = {r.id: r.status for r in await store.executions.list_executions(20)}
        assert status == {"dead-running": "interrupted", "dead-paused": "interrupted", "live-mine": "running",
                          "reused-pid": "interrupted", "other-host": "running", "finished": "completed"}
        detail = await store.executions.get("dead-running")
        assert f"pid {dead.pid}" in detail.summary.error and "interrupted" in detail.summary.error
        assert detail.summary.finished_at == now - 8 and abs(detail.summary.duration - 2) < 1e-6
        assert [(s.path, s.status) for s in detail.steps] == [("a", "completed"), ("b", "interrupted")]
    finally:
        await store.close()
    store = await open_store(paths)  # a second start finds nothing more to do
    try:
        assert store.recovered == []
    finally:
        await store.close()


async def test_last_results_per_playbook(paths: Paths) -> None:
    store = await open_store(paths)
    try:
        await store.db.write(lambda c: c.executemany(
            "INSERT INTO executions (id, playbook, playbook_rel, status, started_at, duration) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [("a1", "alpha", "gw/alpha.yaml", "failed", 10.0, 1.0), ("a2", "alpha", "gw/alpha.yaml", "completed",
                                                                     20.0, 2.0),
             ("b1", "beta", None, "cancelled", 15.0, 3.0)]))
        results = await store.executions.last_results()
        assert {k: (v.id, v.status, v.duration) for k, v in results.items()} == {
            "alpha": ("a2", "completed", 2.0), "beta": ("b1", "cancelled", 3.0)}
        assert results["alpha"].playbook_rel == "gw/alpha.yaml"
    finally:
        await store.close()
