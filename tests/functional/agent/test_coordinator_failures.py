"""What a dying fleet coordinator leaves (docs/workers.md, "When an agent dies"): agent `a`
coordinates and runs no jobs (worker_concurrency 0), agent `b` runs one job at a time. `a` is
killed with SIGKILL mid-run; `b`'s reaper finds `a`'s heartbeat stopped and settles the fleet run
`interrupted`: the gateway `b` runs goes on and records its own end, the gateway still queued is
withdrawn (never started), the gateways whose batch never came are skipped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from igtk_tui.simulator import SimulatedFleet
from tests.support.waiting import poll_until
from tests.support.workers import Cluster, start_cluster

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any,
         fleet: SimulatedFleet) -> Iterator[Cluster]:
    with start_cluster(tmp_path_factory.mktemp("coordinator"), postgres_server, fleet,
                       {"a": 0, "b": 1}) as running:
        yield running


def test_a_killed_coordinators_fleet_run_is_settled_by_another_agent(pair: Cluster, faulted: SimulatedFleet) -> None:
    a, b = pair.nodes["a"], pair.nodes["b"]
    names = ["gw21", "gw22", "gw23", "gw24"]
    seen = {n: len(faulted[n].requests) for n in names}
    r = a.cli("run", str(pair.playbook), "--on", ",".join(names), "--forks", "2", "--serial", "2",
              "-p", "seconds=300", "--detach")
    assert r.code == 0, r.describe()
    run_id = r.stdout.strip()
    # Batch 1 is gw21 and gw22, both queued at once: b (one job at a time) takes one, the other waits.
    running = poll_until(lambda: [n for n, m in pair.members(run_id).items() if m["execution_id"]],
                         what="a gateway's execution to start on b", timeout=240)
    assert len(running) == 1 and running[0] in ("gw21", "gw22")
    taken, queued = running[0], ("gw22" if running[0] == "gw21" else "gw21")
    execution_id = pair.members(run_id)[taken]["execution_id"]
    assert pair.execution(execution_id)["owner_pid"] == b.pid
    # gw23 and gw24 wait for batch 2.
    poll_until(lambda: pair.rows("SELECT id FROM procrastinate_jobs WHERE status = 'todo'"),
               what="the other gateway's job to wait in the queue")
    assert pair.fleet_run(run_id)["heartbeat_at"] is not None

    a.kill()
    record = pair.wait_fleet_done(run_id)  # b's reaper: a's heartbeat is over 3 s old
    assert record["status"] == "interrupted"
    assert f"pid {a.pid}" in record["stop_reason"] and "stopped sending heartbeats" in record["stop_reason"]
    assert f"pid {b.pid}" in record["stop_reason"]  # who settled it
    members = pair.members(run_id)
    assert members[queued]["status"] == "cancelled" and members[queued]["execution_id"] is None
    assert members[queued]["reason"].startswith("never started: the fleet run was interrupted")
    assert [members[n]["status"] for n in ("gw23", "gw24")] == ["skipped", "skipped"]
    assert pair.rows("SELECT id FROM procrastinate_jobs WHERE status = 'todo'") == []  # withdrawn
    # The gateway b's worker runs is not a casualty: it goes on, and records its own end (here: cancelled
    # by the operator on b).
    assert members[taken]["status"] == "running" and pair.execution(execution_id)["status"] == "running"
    assert pair.steps(execution_id)["nap"]["status"] == "running"
    assert b.cli("cancel", execution_id[:8]).code == 0
    done = poll_until(lambda: (m := pair.members(run_id)[taken])["status"] != "running" and m,
                      what=f"{taken} to end on b", timeout=180)
    assert done["status"] == "cancelled" and pair.execution(execution_id)["status"] == "cancelled"
    final = pair.fleet_run(run_id)
    assert (final["status"], final["completed"], final["cancelled"], final["skipped"], final["running"]) == \
        ("interrupted", 0, 2, 2, 0)
    # Never started means never touched.
    assert [n for n in (queued, "gw23", "gw24") if len(faulted[n].requests) != seen[n]] == []

    # The coordinator's host, when its agent starts again, changes nothing (the run is settled).
    a.start()
    assert pair.fleet_run(run_id)["stop_reason"] == record["stop_reason"]
    shown = b.cli.json("show", run_id[:8], "--json")
    assert shown["status"] == "interrupted"
    assert {g["gateway"]: g["status"] for g in shown["gateways"]} == {
        taken: "cancelled", queued: "cancelled", "gw23": "skipped", "gw24": "skipped"}
