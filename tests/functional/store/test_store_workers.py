"""The store's part of several agents sharing one history (docs/workers.md), on both backends: a
schedule instant is claimed once (compare-and-set on last_handled), a starting agent closes only dead
agents' fires, a relayed control is claimed once and a withdrawn one is never claimed, and a queued
gateway whose worker died becomes interrupted with its finished steps kept."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

from recorder_helpers import open_store

from igtk_tui.paths import Paths
from igtk_tui.schedules.model import Fire, Schedule
from igtk_tui.store.owner import ProcessIdentity, process_start


def _schedule(name: str, handled: float) -> Schedule:
    return Schedule(name=name, playbook="p.yaml", cron="* * * * *", tz="UTC", created_at=handled,
                    updated_at=handled, last_handled=handled)


def _fire(name: str, due: float) -> Fire:
    return Fire(id=str(uuid.uuid4()), schedule=name, due_at=due, kind="cron", outcome="pending", started_at=due)


async def test_a_schedule_instant_is_claimed_by_one_agent_only(paths: Paths) -> None:
    store = await open_store(paths)
    try:
        repo = store.schedules
        await repo.add(_schedule("nightly", 1000.0))
        first = await repo.record_fires([_fire("nightly", 1060.0)], last_handled=[("nightly", 1060.0)],
                                        expected={"nightly": 1000.0})
        # A second agent read the same last_handled and found the same instant due: it loses.
        second = await repo.record_fires([_fire("nightly", 1060.0)], last_handled=[("nightly", 1060.0)],
                                         expected={"nightly": 1000.0})
        assert (first, second) == ({"nightly"}, set())
        assert [(f.due_at, f.outcome) for f in await repo.fires("nightly")] == [(1060.0, "pending")]
        assert (await repo.get("nightly")).last_handled == 1060.0
    finally:
        await store.close()


async def test_a_starting_agent_closes_only_the_fires_of_dead_agents(paths: Paths) -> None:
    store = await open_store(paths)
    try:
        repo = store.schedules
        await repo.add(_schedule("hourly", 1000.0))
        mine = _fire("hourly", 1060.0)
        await repo.record_fires([mine])  # recorded by this (live) process
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        start = process_start(dead.pid)
        dead.wait()
        gone = _fire("hourly", 1120.0)
        await repo.record_fires([gone])
        me = ProcessIdentity.current()
        await store.db.write(lambda c: c.execute(
            "UPDATE schedule_fires SET owner_pid = ?, owner_start = ? WHERE id = ?", (dead.pid, start, gone.id)))
        assert await repo.close_abandoned_fires("abandoned") == 1
        outcomes = {f.id: f.outcome for f in await repo.fires("hourly")}
        assert outcomes == {mine.id: "pending", gone.id: "interrupted"} and me.pid != dead.pid
    finally:
        await store.close()


async def test_a_relayed_control_is_claimed_once_and_a_withdrawn_one_never(paths: Paths) -> None:
    store = await open_store(paths)
    try:
        repo = store.controls
        asked = await repo.send("exec-1", "host-b", 4242, "pause", {}, requested_by="host-a:1")
        withdrawn = await repo.send("exec-2", "host-b", 4242, "cancel", {}, requested_by="host-a:1")
        assert await repo.withdraw(withdrawn)
        assert await repo.pending("host-b", 4242) and not await repo.pending("host-b", 1)
        taken = await repo.claim("host-b", 4242)
        assert [(r.id, r.verb) for r in taken] == [(asked, "pause")]
        assert await repo.claim("host-b", 4242) == []  # claimed once
        assert not await repo.withdraw(asked)  # too late: its owner has it
        await repo.answer(asked, 200, {"id": "exec-1", "status": "paused"})
        claimed, answer = await repo.answer_of(asked)
        assert claimed and answer is not None and (answer.status, answer.answer["status"]) == (200, "paused")
    finally:
        await store.close()


async def test_a_queued_gateway_whose_worker_died_is_interrupted_keeping_finished_steps(paths: Paths) -> None:
    from igtk_tui.store.fleets import PlannedGateway

    store = await open_store(paths)
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        start = process_start(dead.pid)
        dead.wait()
        me = ProcessIdentity.current()
        now = time.time()
        await store.fleets.create("fleet-1", playbook="p", playbook_path=None, playbook_rel=None, targets=["all"],
                                  options={}, plan=[PlannedGateway(0, "gw1", "http://gw1:8088", (), 1)])
        await store.fleets.member_started("fleet-1", 0)
        await store.db.write(lambda c: c.execute(
            "INSERT INTO executions (id, playbook, status, started_at, host, owner_pid, owner_start, gateway_url, "
            "fleet_run_id) VALUES ('ex-1', 'p', 'running', ?, ?, ?, ?, 'http://gw1:8088', 'fleet-1')",
            (now - 5, me.host, dead.pid, start)))
        await store.db.write(lambda c: c.executemany(
            "INSERT INTO steps (execution_id, path, step_id, position, status, started_at, finished_at) "
            "VALUES ('ex-1', ?, ?, ?, ?, ?, ?)", [("a", "a", 0, "completed", now - 4, now - 3),
                                                 ("b", "b", 1, "running", now - 3, None)]))
        await store.fleets.member_execution("fleet-1", 0, "ex-1")
        await store.db.write(lambda c: c.execute(
            "INSERT INTO gateway_locks (gateway, url, execution_id, holder_host, holder_pid, acquired_at) "
            "VALUES ('http://gw1:8088', 'http://gw1:8088', 'ex-1', ?, ?, ?)", (me.host, dead.pid, now)))

        assert await store.fleets.interrupt_queued("fleet-1", 0, "interrupted: no heartbeat") == "ex-1"
        row = await store.db.fetchone("SELECT status, error FROM executions WHERE id = 'ex-1'")
        assert (row["status"], row["error"]) == ("interrupted", "interrupted: no heartbeat")
        steps = {r["path"]: r["status"] for r in await store.db.fetchall(
            "SELECT path, status FROM steps WHERE execution_id = 'ex-1'")}
        assert steps == {"a": "completed", "b": "interrupted"}
        assert (await store.fleets.member_states("fleet-1"))[0].status == "interrupted"
        assert await store.locks.held() == []
        assert await store.fleets.interrupt_queued("fleet-1", 0, "again") is None  # already ended: no change
    finally:
        await store.close()
