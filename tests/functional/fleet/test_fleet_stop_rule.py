"""Fleet runs stop exactly where Ansible's serial / max_fail_percentage rules say (docs/fleets.md):
which gateways ran, which never started (no request ever reached them), the exit code and the
fleet record. Fifty simulated gateways in one simulator process; chosen ones report FAULTED on
StatusPing, so the health check's `ping` step fails on them."""

from __future__ import annotations

import pytest

from igtk_tui.simulator import SimulatedFleet
from tests.support.fleet import FleetCli, gateway_requests

pytestmark = pytest.mark.timeout(600)

NAMES = [f"gw{n:02d}" for n in range(1, 51)]


def _fail(fleet: SimulatedFleet, *names: str) -> None:
    for name in names:
        fleet[name].faults.ping_state = "FAULTED"


def test_serial_10_max_fail_10_percent_stops_after_the_batch_with_two_failures(
        cli: FleetCli, faulted: SimulatedFleet) -> None:
    _fail(faulted, "gw03", "gw12", "gw17")  # batch 1: 1 of 10 (10%, not above); batch 2: 2 of 10 (20%)
    seen = {name: len(gateway_requests(faulted, name)) for name in NAMES}
    r = cli("run", "gateway/health_check", "--on", "all", "--serial", "10", "--max-fail", "10%", "--forks", "10",
            "--json", timeout=500)
    assert r.code == 1, r.describe()

    started = [e["gateway"] for e in r.events if e["event"] == "gateway_started"]
    finished = {e["gateway"]: e for e in r.events if e["event"] == "gateway_finished"}
    skipped = [e["gateway"] for e in r.events if e["event"] == "gateway_skipped"]
    assert sorted(started) == NAMES[:20]
    assert {n for n, e in finished.items() if e["status"] == "failed"} == {"gw03", "gw12", "gw17"}
    assert {n for n, e in finished.items() if e["status"] == "completed"} == set(NAMES[:20]) - {"gw03", "gw12", "gw17"}
    assert finished["gw12"]["failed_step"] == "ping" and "FAULTED" in finished["gw12"]["error"]
    assert skipped == NAMES[20:]
    batches = [e["gateways"] for e in r.events if e["event"] == "batch_started"]
    assert batches == [NAMES[:10], NAMES[10:20]]  # batch 3 never began
    stop = next(e for e in r.events if e["event"] == "fleet_stopping")
    assert "2 of 10 gateways failed in batch 2" in stop["reason"]
    # Never started means never touched: not one request reached gw21..gw50.
    assert [n for n in NAMES[20:] if len(gateway_requests(faulted, n)) != seen[n]] == []
    assert all(len(gateway_requests(faulted, n)) > seen[n] for n in NAMES[:20])

    run_id = next(e for e in r.events if e["event"] == "fleet_started")["fleet_run_id"]
    record = cli.fleet_run(run_id)
    assert (record["status"], record["total"], record["completed"], record["failed"], record["skipped"]) == \
        ("failed", 50, 17, 3, 30)
    assert "batch 2" in record["stop_reason"]
    members = cli.members(run_id)
    executions = cli.executions(run_id)
    assert len(executions) == 20
    for name in NAMES[:20]:
        row = members[name]
        assert row["batch"] == (1 if name <= "gw10" else 2)
        assert executions[row["execution_id"]]["gateway_url"] == faulted[name].url
        assert executions[row["execution_id"]]["status"] == row["status"]
    for name in NAMES[20:]:
        row = members[name]
        assert (row["status"], row["execution_id"], row["started_at"]) == ("skipped", None, None)
        assert row["reason"].startswith("not started: --max-fail 10%")
    assert cli.rows("SELECT * FROM gateway_locks") == []  # every lock released


def test_within_a_batch_nothing_more_starts_once_the_share_is_exceeded(
        cli: FleetCli, faulted: SimulatedFleet) -> None:
    """One at a time: batch 2 is gw11..gw20; gw12 fails (10%), gw13 fails (20% > 10%): gw14 and later never start."""
    _fail(faulted, "gw12", "gw13")
    r = cli("run", "gateway/health_check", "--on", "plant-a", "--serial", "10", "--max-fail", "10", "--forks", "1",
            "--json", timeout=500)
    assert r.code == 1, r.describe()
    started = [e["gateway"] for e in r.events if e["event"] == "gateway_started"]
    assert started == NAMES[:13]  # in inventory order, one at a time
    skipped = [e["gateway"] for e in r.events if e["event"] == "gateway_skipped"]
    assert skipped == NAMES[13:25]
    run_id = next(e for e in r.events if e["event"] == "fleet_started")["fleet_run_id"]
    members = cli.members(run_id)
    assert members["gw14"]["batch"] == 2 and members["gw14"]["status"] == "skipped"
    assert members["gw21"]["batch"] == 3 and members["gw21"]["status"] == "skipped"
    record = cli.fleet_run(run_id)
    assert (record["completed"], record["failed"], record["skipped"]) == (11, 2, 12)


def test_without_max_fail_a_batch_that_failed_entirely_stops_the_run(cli: FleetCli, faulted: SimulatedFleet) -> None:
    _fail(faulted, "gw01", "gw02")
    r = cli("run", "gateway/health_check", "--on", "tag:canary", "--serial", "2", timeout=300)
    assert r.code == 1, r.describe()
    assert "every gateway of batch 1 failed (2 of 2)" in r.stdout
    for name in ("gw03", "gw04", "gw05"):
        assert f"↷ {name} skipped" in r.stdout
    record = cli.fleet_run()
    assert (record["status"], record["completed"], record["failed"], record["skipped"]) == ("failed", 0, 2, 3)


def test_every_gateway_completed_is_exit_0_and_a_completed_fleet_record(cli: FleetCli, faulted: SimulatedFleet) -> None:
    r = cli("run", "gateway/health_check", "--on", "tag:canary,gw30", "--serial", "50%", timeout=300)
    assert r.code == 0, r.describe()
    record = cli.fleet_run()
    assert (record["status"], record["total"], record["completed"]) == ("completed", 6, 6)
    members = cli.members(record["id"])
    # 50% of 6 is batches of 3, in inventory order (the order the targets were given does not matter)
    assert [(n, m["batch"]) for n, m in members.items()] == [
        ("gw01", 1), ("gw02", 1), ("gw03", 1), ("gw04", 2), ("gw05", 2), ("gw30", 2)]
    assert "igtk: fleet run" in r.stdout and "✓ completed: 6 completed of 6 gateway(s)" in r.stdout
    table = r.stdout[r.stdout.index("GATEWAY"):]
    assert all(f"{n}  " in table for n in members)
