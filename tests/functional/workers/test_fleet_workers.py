"""A fleet run spread over the workers of two agents sharing one PostgreSQL history (docs/workers.md):
both agents take its gateways, the stop rule of `--serial`/`--max-fail` stops exactly where it
does in one process, and a control sent on one host reaches the execution another host runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from schedule_helpers import poll_until
from worker_helpers import Cluster

from igtk_tui.simulator import SimulatedFleet

pytestmark = pytest.mark.timeout(600)

NAMES = [f"gw{n:02d}" for n in range(1, 31)]


def test_two_agents_share_a_fleet_run_and_it_stops_where_the_rule_says(cluster: Cluster,
                                                                       faulted: SimulatedFleet) -> None:
    for name in ("gw03", "gw12", "gw17"):  # batch 1: 1 of 10 (not above 10%); batch 2: 2 of 10 (20%)
        faulted[name].faults.ping_state = "FAULTED"
    seen = {name: len(faulted[name].requests) for name in NAMES}
    a = cluster.nodes["a"]
    r = a.cli("run", str(cluster.playbook), "--on", "all", "--serial", "10", "--max-fail", "10%", "--forks", "10",
              "--detach")
    assert r.code == 0, r.describe()
    run_id = r.stdout.strip()

    record = cluster.wait_fleet_done(run_id)
    assert (record["status"], record["total"], record["completed"], record["failed"], record["skipped"]) == \
        ("failed", 30, 17, 3, 10)
    assert "2 of 10 gateways failed in batch 2" in record["stop_reason"]
    members = cluster.members(run_id)
    assert {n for n, m in members.items() if m["status"] == "failed"} == {"gw03", "gw12", "gw17"}
    assert [n for n, m in members.items() if m["status"] == "skipped"] == NAMES[20:]
    # Never started means never touched, whichever agent might have taken it.
    assert [n for n in NAMES[20:] if len(faulted[n].requests) != seen[n]] == []

    executions = cluster.executions(run_id)
    assert len(executions) == 20
    by_agent: dict[str, int] = {}
    for name in NAMES[:20]:
        row = executions[members[name]["execution_id"]]
        assert (row["trigger"], row["status"], row["gateway_url"]) == ("fleet", members[name]["status"],
                                                                      faulted[name].url)
        agent = cluster.pids[row["owner_pid"]]  # the execution's owner: the agent whose worker ran it
        by_agent[agent] = by_agent.get(agent, 0) + 1
    assert set(by_agent) == {"a", "b"} and min(by_agent.values()) > 0, by_agent
    assert cluster.steps(members["gw12"]["execution_id"])["ping"]["status"] == "failed"
    # The queue holds no job of this run any more (successful ones are deleted, none waits or runs).
    assert cluster.rows("SELECT id FROM procrastinate_jobs WHERE status IN ('todo', 'doing')") == []


def test_a_control_sent_on_one_host_reaches_the_execution_another_host_runs(cluster: Cluster,
                                                                             faulted: SimulatedFleet) -> None:
    a = cluster.nodes["a"]
    r = a.cli("run", str(cluster.playbook), "--on", "gw30", "-p", "seconds=120", "--detach")
    assert r.code == 0, r.describe()
    run_id = r.stdout.strip()
    member = poll_until(lambda: (m := cluster.members(run_id)["gw30"])["execution_id"] and m,
                        what="gw30's execution to start")
    execution_id = member["execution_id"]
    poll_until(lambda: cluster.steps(execution_id).get("nap", {"status": ""})["status"] == "running",
               what="the nap to run")
    owner = cluster.pids[cluster.execution(execution_id)["owner_pid"]]
    other = cluster.nodes["b" if owner == "a" else "a"]

    paused = other.cli("pause", execution_id[:8])
    assert paused.code == 0, paused.describe()
    assert f"pause requested for execution {execution_id[:8]}" in paused.stdout
    poll_until(lambda: cluster.execution(execution_id)["status"] == "paused", what="the execution to pause")

    resumed = other.cli("resume", execution_id[:8])
    assert resumed.code == 0, resumed.describe()
    poll_until(lambda: cluster.execution(execution_id)["status"] == "running", what="the execution to go on")

    cancelled = other.cli("cancel", execution_id[:8])
    assert cancelled.code == 0, cancelled.describe()
    record = cluster.wait_fleet_done(run_id)
    assert cluster.execution(execution_id)["status"] == "cancelled"
    assert record["status"] == "failed" and cluster.members(run_id)["gw30"]["status"] == "cancelled"
    # Every relayed request was answered and removed.
    assert cluster.rows("SELECT id FROM execution_controls") == []


def test_a_control_for_an_agent_that_does_not_answer_says_so(cluster: Cluster) -> None:
    """An execution recorded as running by an agent on another host that is gone: the control waits,
    then says which agent did not answer, and is withdrawn (never applied later)."""
    cluster.backend.execute(Path("."), "INSERT INTO executions (id, playbook, status, started_at, host, owner_pid, "
                            "trigger) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            ("ghost-0000-exec", "Ghost", "running", 1.0, "gone-host", 4242, "fleet"))
    r = cluster.nodes["a"].cli("skip", "ghost-0000-exec")
    assert r.code != 0, r.describe()
    assert "on host gone-host, pid 4242" in r.stderr and "did not answer" in r.stderr, r.describe()
    assert "was not applied" in r.stderr
    assert cluster.rows("SELECT id FROM execution_controls") == []
