"""What a dying worker leaves (docs/workers.md), a schedule firing once across agents, and the
gateway lock across agents. Agent `a` coordinates and runs no jobs (worker_concurrency 0);
agent `b` runs them: so the agent killed here is the one whose worker ran the execution."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from schedule_helpers import poll_until, scheduler_state
from worker_helpers import Cluster, start_cluster

from igtk_tui.simulator import SimulatedFleet

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any,
         sim_fleet: SimulatedFleet) -> Iterator[Cluster]:
    with start_cluster(tmp_path_factory.mktemp("pair"), postgres_server, sim_fleet, {"a": 0, "b": 2}) as running:
        yield running


def test_a_schedule_fires_once_across_two_agents(pair: Cluster) -> None:
    a, b = pair.nodes["a"], pair.nodes["b"]
    quick = pair.playbook.with_name("quick.yaml")
    quick.write_text("name: Quick\nversion: 1\nsteps:\n  - {id: a, name: first, type: utility.log, "
                     "parameters: {message: hello}}\n", encoding="utf-8")
    r = a.cli("schedule", "add", "every-minute", "--cron", "* * * * *", str(quick), "--tz", "UTC")
    assert r.code == 0, r.describe()
    for node in (a, b):  # both schedulers hold it
        poll_until(lambda n=node: any(s["name"] == "every-minute" for s in scheduler_state(n.handle())["schedules"]),
                   what=f"agent {node.name} to load the schedule")
    due = pair.clock.now + 30  # START is 30 s before a minute boundary
    pair.clock.set(due + 1)
    for node in (a, b):  # both have read the clock past the instant and decided what was due
        poll_until(lambda n=node: (scheduler_state(n.handle())["now"] or 0) >= due + 1,
                   what=f"agent {node.name}'s scheduler to pass the instant")
    fire = poll_until(lambda: (rows := pair.rows("SELECT * FROM schedule_fires WHERE schedule = ?",
                                                 ("every-minute",))) and rows[0]["outcome"] == "completed" and rows,
                      what="the fire to complete")
    assert [(f["due_at"], f["kind"]) for f in fire] == [(due, "cron")]
    executions = pair.rows("SELECT id, owner_pid FROM executions WHERE trigger = ?", ("schedule: every-minute",))
    assert [e["id"] for e in executions] == [fire[0]["execution_id"]]
    assert fire[0]["owner_pid"] in pair.pids


def test_a_killed_worker_loses_no_finished_step_and_its_execution_is_resumed(pair: Cluster,
                                                                             sim_fleet: SimulatedFleet) -> None:
    a, b = pair.nodes["a"], pair.nodes["b"]
    r = a.cli("run", str(pair.playbook), "--on", "gw07", "-p", "seconds=300", "--detach")
    assert r.code == 0, r.describe()
    run_id = r.stdout.strip()
    member = poll_until(lambda: (m := pair.members(run_id)["gw07"])["execution_id"] and m,
                        what="gw07's execution to start")
    execution_id = member["execution_id"]
    poll_until(lambda: pair.steps(execution_id).get("nap", {"status": ""})["status"] == "running",
               what="the nap to run")
    assert pair.execution(execution_id)["owner_pid"] == b.pid
    before = pair.steps(execution_id)

    b.kill()
    # Agent a's reaper finds b's job stalled once b's heartbeat is 3 s old.
    record = pair.wait_fleet_done(run_id)
    row = pair.execution(execution_id)
    assert row["status"] == "interrupted" and "stopped sending heartbeats" in row["error"]
    after = pair.steps(execution_id)
    for path in ("login", "first"):  # finished before the kill: kept exactly
        assert after[path]["status"] == "completed"
        assert after[path]["finished_at"] == before[path]["finished_at"]
    assert after["nap"]["status"] == "interrupted" and after["ping"]["status"] == "pending"
    assert pair.members(run_id)["gw07"]["status"] == "interrupted" and record["status"] == "failed"
    assert pair.rows("SELECT gateway FROM gateway_locks") == []  # its lock was freed
    assert [j["status"] for j in pair.rows("SELECT status FROM procrastinate_jobs")] == ["failed"]

    # The re-queue path: `igtk resume` on any host continues from the first unfinished step.
    done = a.cli("resume", execution_id[:8], "-p", "seconds=0", "--json")
    assert done.code == 0, done.describe()
    new_id = done.execution["execution_id"]
    resumed = pair.steps(new_id)
    assert {p: s["status"] for p, s in resumed.items()} == {
        "login": "completed", "first": "completed", "nap": "completed", "ping": "completed"}
    assert pair.execution(execution_id)["resumed_by"] == new_id
    b.start()  # the module's other tests need the worker again


def test_the_gateway_lock_holds_across_agents(pair: Cluster) -> None:
    """A gateway whose lock b's worker holds (a fleet member) is busy for a fire on agent a."""
    a, b = pair.nodes["a"], pair.nodes["b"]
    r = a.cli("run", str(pair.playbook), "--on", "gw09", "-p", "seconds=300", "--detach")
    assert r.code == 0, r.describe()
    run_id = r.stdout.strip()
    execution_id = poll_until(lambda: pair.members(run_id)["gw09"]["execution_id"], what="gw09's execution")
    holder = poll_until(lambda: pair.rows("SELECT * FROM gateway_locks WHERE execution_id = ?", (execution_id,)),
                        what="the lock to be held")[0]
    assert holder["holder_pid"] == b.pid
    r = a.cli("schedule", "add", "locked", "--cron", "0 0 1 1 *", str(pair.playbook), "--tz", "UTC", "-c", "fleet",
              "--gateway", pair.fleet["gw09"].url, "--gateway-lock", "--overlap", "skip", "--disabled")
    assert r.code == 0, r.describe()
    fired = a.cli("schedule", "run-now", "locked")
    fire = poll_until(lambda: (rows := pair.rows("SELECT * FROM schedule_fires WHERE schedule = ?", ("locked",)))
                      and rows[0]["outcome"] != "pending" and rows[0], what="the fire's decision")
    assert fire["outcome"] == "skipped", (fire["outcome"], fire["message"], fired.describe())
    assert f"locked by execution {execution_id[:8]}" in fire["message"] and f"pid {b.pid}" in fire["message"]
    assert pair.rows("SELECT id FROM executions WHERE trigger = ?", ("schedule: locked",)) == []
    cancelled = a.cli("cancel", execution_id[:8])  # relayed to b
    assert cancelled.code == 0, cancelled.describe()
    pair.wait_fleet_done(run_id)
    assert pair.rows("SELECT gateway FROM gateway_locks") == []
