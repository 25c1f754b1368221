"""Fleet run mechanics: the --forks bound (read back from the store's start and finish times),
Ctrl-C (exit 130, the fleet record cancelled, in-flight executions cancelled, the rest skipped),
a fleet process killed with SIGKILL (recovered as interrupted, its locks freed), and every
execution an ordinary one linked to its fleet run."""

from __future__ import annotations

import os
import signal

import pytest

from igtk_tui.simulator import SimulatedFleet
from tests.support.fleet import NAP, FleetCli
from tests.support.playbooks import write_playbook
from tests.support.waiting import poll_until

pytestmark = pytest.mark.timeout(300)


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    best = current = 0
    for _, step in edges:
        current += step
        best = max(best, current)
    return best


def test_forks_bounds_the_executions_running_at_once(cli: FleetCli, fleet: SimulatedFleet) -> None:
    r = cli("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--on", "plant-b", "--forks", "3", "-p", "seconds=1.5", "--json")
    assert r.code == 0, r.describe()
    run_id = next(e for e in r.events if e["event"] == "fleet_started")["fleet_run_id"]
    executions = cli.executions(run_id)
    assert len(executions) == 25
    spans = [(e["started_at"], e["finished_at"]) for e in executions.values()]
    # Never more than three at once; three did run together (each sleeps 1.5 s, started in the same turn).
    assert _max_overlap(spans) == 3
    assert cli.fleet_run(run_id)["options"].startswith('{"forks":3,')
    for execution in executions.values():
        assert (execution["trigger"], execution["status"]) == ("fleet", "completed")
        assert execution["gateway_url"] in {g.url for g in fleet}


def test_ctrl_c_cancels_the_executions_in_flight_and_starts_nothing_more(cli: FleetCli) -> None:
    proc = cli.igtk.popen("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--on", "tag:canary", "--forks", "2", "-p", "seconds=120")
    running = poll_until(lambda: len(cli.rows("SELECT s.execution_id FROM steps s JOIN executions e ON "
                                            "e.id = s.execution_id WHERE s.status = 'running'")) == 2
                       or proc.poll() is not None, what="two executions running")
    assert running is True and proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    record = cli.fleet_run()
    assert (record["status"], record["cancelled"], record["skipped"], record["completed"]) == ("cancelled", 2, 3, 0)
    members = cli.members(record["id"])
    assert [members[n]["status"] for n in ("gw01", "gw02", "gw03", "gw04", "gw05")] == \
        ["cancelled", "cancelled", "skipped", "skipped", "skipped"]
    assert members["gw03"]["reason"] == "not started: cancelled by the operator"
    assert {e["status"] for e in cli.executions(record["id"]).values()} == {"cancelled"}
    assert cli.rows("SELECT * FROM gateway_locks") == []
    assert "■ gw01 cancelled" in out and "↷ gw05 skipped" in out


def test_a_killed_fleet_process_is_recovered_as_interrupted_and_its_locks_freed(cli: FleetCli,
                                                                                 fleet: SimulatedFleet) -> None:
    proc = cli.igtk.popen("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--on", "gw10,gw11,gw12", "--forks", "2", "-p", "seconds=120")
    poll_until(lambda: (len(cli.rows("SELECT * FROM gateway_locks")) == 2
             and len(cli.rows("SELECT * FROM steps WHERE status = 'running'")) == 2) or proc.poll() is not None, what="two gateways locked and running")
    assert proc.poll() is None, proc.communicate()
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    # The next command that opens the store recovers (here: a run that wants one of those gateways' locks).
    r = cli("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--gateway", fleet["gw10"].url, "--lock", "-p", "seconds=0")
    assert r.code == 0, r.describe()
    record = cli.fleet_run()
    assert record["status"] == "interrupted" and f"pid {proc.pid}" in record["stop_reason"]
    members = cli.members(record["id"])
    assert [members[n]["status"] for n in ("gw10", "gw11", "gw12")] == ["interrupted", "interrupted", "skipped"]
    assert {e["status"] for e in cli.executions(record["id"]).values()} == {"interrupted"}
    assert cli.rows("SELECT * FROM gateway_locks") == []
    listed = cli.json("history", "--fleet", "--json")
    assert listed[0]["id"] == record["id"] and listed[0]["status"] == "interrupted"


async def test_retention_removes_a_fleet_run_once_its_executions_are_gone(cli: FleetCli) -> None:
    from igtk_tui.paths import resolve_paths
    from igtk_tui.store import Store
    from igtk_tui.store.retention import apply_retention

    r = cli("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--on", "gw01,gw02", "-p", "seconds=0", "--report", "md:" + str(
        cli.home.parent / "fleet.md"))
    assert r.code == 0, r.describe()
    old = cli.fleet_run()["id"]
    assert cli("report", old).code == 0  # a report folder of the fleet run, removed with it
    assert cli("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--gateway", "http://h:8088", "-p", "seconds=0").code == 0
    paths = resolve_paths({"IGTK_HOME": str(cli.home)})
    store = await Store.open(paths)
    try:
        assert await apply_retention(store.db, paths, days=None, count=1) == 2
    finally:
        await store.close()
    assert cli.rows("SELECT id FROM fleet_runs") == [] and cli.rows("SELECT * FROM fleet_gateways") == []
    assert not (paths.artifacts_dir / f"fleet-{old}").exists()
    assert len(cli.rows("SELECT id FROM executions")) == 1
