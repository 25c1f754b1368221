"""`igtk run --on ... --detach` with the default SQLite history: the local agent coordinates the fleet
run and runs each gateway through its hub (docs/fleets.md, docs/workers.md): the same batches, stop
rule and record as a run in the terminal, each gateway an execution of the agent."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_helpers import FleetCli, wait_for

from igtk_tui.simulator import SimulatedFleet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agent"))
from agent_helpers import stop_agent_at  # noqa: E402

pytestmark = pytest.mark.timeout(300)
NAMES = [f"gw{n:02d}" for n in range(1, 51)]


@pytest.fixture
def detached(cli: FleetCli) -> Iterator[FleetCli]:
    try:
        yield cli
    finally:
        stop_agent_at(cli.home)


def test_the_local_agent_runs_a_detached_fleet_run_with_its_stop_rule(detached: FleetCli,
                                                                       faulted: SimulatedFleet) -> None:
    for name in ("gw02", "gw04"):  # batch 1 (gw01..gw05): 2 of 5 failed (40% > 20%)
        faulted[name].faults.ping_state = "FAULTED"
    r = detached("run", "gateway/health_check", "--on", "tag:canary,gw06,gw07", "--serial", "5", "--max-fail", "20%",
                 "--detach")
    assert r.code == 0, r.describe()
    run_id = r.stdout.strip()
    assert len(run_id) == 36 and r.stderr == ""
    record = wait_for(lambda: (row := detached.fleet_run(run_id))["status"] != "running" and row,
                      "the fleet run to end")
    assert (record["status"], record["completed"], record["failed"], record["skipped"]) == ("failed", 3, 2, 2)
    members = detached.members(run_id)
    assert {n: m["status"] for n, m in members.items()} == {
        "gw01": "completed", "gw02": "failed", "gw03": "completed", "gw04": "failed", "gw05": "completed",
        "gw06": "skipped", "gw07": "skipped"}
    executions = detached.executions(run_id)
    status = detached.igtk.json("agent", "status", "--json")
    assert {e["owner_pid"] for e in executions.values()} == {status["pid"]}  # run by the agent, not the CLI
    assert {e["trigger"] for e in executions.values()} == {"fleet"}


def test_a_detached_fleet_run_refuses_bad_input_before_the_agent_starts_it(detached: FleetCli) -> None:
    r = detached("run", "gateway/health_check", "--on", "plant-z", "--detach")
    assert r.code == 2 and "'plant-z' is not a gateway" in r.stderr, r.describe()
    assert detached.rows("SELECT id FROM fleet_runs") == []


def test_a_detached_run_with_lock_holds_the_gateway_lock_in_the_agent(detached: FleetCli,
                                                                      fleet: SimulatedFleet) -> None:
    """`igtk run --detach --lock`: the agent takes the gateway's lock before the first step and frees
    it when the run ends; a second one is refused (exit 3) naming the holder."""
    playbook = str(detached.playbook())
    url = fleet["gw20"].url
    first = detached("run", playbook, "--gateway", url, "--lock", "--detach", "-p", "seconds=120")
    assert first.code == 0, first.describe()
    execution_id = first.stdout.strip()
    holder = wait_for(lambda: detached.rows("SELECT execution_id FROM gateway_locks"), "the lock to be held")
    assert [r["execution_id"] for r in holder] == [execution_id]
    second = detached("run", playbook, "--gateway", url, "--lock", "--detach", "-p", "seconds=0")
    assert second.code == 3, second.describe()
    assert f"is busy: locked by execution {execution_id[:8]}" in second.stderr
    assert detached.rows("SELECT id FROM executions WHERE id <> ?", (execution_id,)) == []
    cancelled = detached("cancel", execution_id[:8])
    assert cancelled.code == 0, cancelled.describe()
    wait_for(lambda: not detached.rows("SELECT gateway FROM gateway_locks"), "the lock to be freed")
