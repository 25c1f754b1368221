"""Resuming a fleet gateway's execution keeps the fleet record in step (docs/fleets.md, "Resuming a
fleet run"): the resume (a new execution) is attached to the fleet run, the gateway's outcome
becomes the resume's, and a fleet run whose every gateway then completed is `completed`. The same
through `igtk resume` in a terminal and through the agent (the TUI's `r`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from igtk_tui.simulator import SimulatedFleet
from tests.support.agent import stop_agent_at
from tests.support.fleet import FleetCli
from tests.support.waiting import poll_until

pytestmark = pytest.mark.timeout(300)


def _failed_fleet(cli: FleetCli, faulted: SimulatedFleet) -> tuple[str, str]:
    """A fleet run of gw01..gw03 where gw02 fails at its ping; returns the run id and gw02's execution."""
    faulted["gw02"].faults.ping_state = "FAULTED"
    r = cli("run", "gateway/health_check", "--on", "gw01,gw02,gw03")
    assert r.code == 1, r.describe()
    run_id = cli.fleet_run()["id"]
    members = cli.members(run_id)
    assert [members[n]["status"] for n in ("gw01", "gw02", "gw03")] == ["completed", "failed", "completed"]
    faulted["gw02"].faults.ping_state = ""
    return run_id, members["gw02"]["execution_id"]


def _assert_in_step(cli: FleetCli, run_id: str, old_id: str, new_id: str) -> None:
    member = cli.members(run_id)["gw02"]
    assert (member["status"], member["execution_id"]) == ("completed", new_id)
    assert member["reason"] == f"resumed from execution {old_id[:8]}" and member["error"] is None
    record = cli.fleet_run(run_id)
    assert (record["status"], record["completed"], record["failed"]) == ("completed", 3, 0)
    assert set(cli.executions(run_id)) >= {old_id, new_id}  # the resume is one of the run's executions
    shown = cli.json("show", run_id[:8], "--json")
    gw02 = next(g for g in shown["gateways"] if g["gateway"] == "gw02")
    assert (shown["status"], gw02["status"], gw02["execution_id"]) == ("completed", "completed", new_id)
    listed = cli.json("history", "--fleet", "--json")
    assert listed[0]["id"] == run_id and listed[0]["status"] == "completed"
    history = {e["id"]: e for e in cli.json("history", "--json")}
    assert history[new_id]["fleet_run_id"] == run_id


def test_igtk_resume_of_a_fleet_gateway_keeps_the_fleet_record_in_step(cli: FleetCli,
                                                                        faulted: SimulatedFleet) -> None:
    run_id, old_id = _failed_fleet(cli, faulted)
    r = cli("resume", old_id[:8], "--json")
    assert r.code == 0, r.describe()
    new_id = r.execution["execution_id"]
    _assert_in_step(cli, run_id, old_id, new_id)


@pytest.fixture
def with_agent(cli: FleetCli) -> Iterator[FleetCli]:
    try:
        yield cli
    finally:
        stop_agent_at(cli.home)


def test_an_agent_resume_of_a_fleet_gateway_keeps_the_fleet_record_in_step(with_agent: FleetCli,
                                                                            faulted: SimulatedFleet) -> None:
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.paths import resolve_paths

    cli = with_agent
    run_id, old_id = _failed_fleet(cli, faulted)
    assert cli("agent", "start").code == 0
    with AgentClient.connect(resolve_paths({"IGTK_HOME": str(cli.home)})) as client:
        new_id = client.start({"resume_of": old_id[:8]})["id"]
    # While it runs, the gateway is running again in its fleet run, with the new execution.
    poll_until(lambda: cli.members(run_id)["gw02"]["execution_id"] == new_id, what="gw02 to be linked to the resume")
    poll_until(lambda: cli.members(run_id)["gw02"]["status"] != "running", what="gw02's resume to end")
    _assert_in_step(cli, run_id, old_id, new_id)
