"""Gateway locks (store/locks.py): one execution per gateway at a time, across real `igtk` processes.

A holder is a real `igtk run --lock` process sleeping on the gateway; the second process is
refused (exit 3, naming the holder), waits with --lock-wait, or, in a fleet run, fails only that
gateway. A holder killed with SIGKILL leaves its lock to crash recovery. The API a schedules helper
will call (`store.locks.acquire`) is exercised directly too, on both history backends (a real SQLite
file and a real PostgreSQL server, where locks hold across hosts).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess

import pytest

from igtk_tui.simulator import SimulatedFleet
from tests.support.fleet import NAP, FleetCli
from tests.support.playbooks import write_playbook
from tests.support.waiting import poll_until

pytestmark = pytest.mark.timeout(300)


def _hold(cli: FleetCli, url: str, seconds: float = 120) -> tuple[subprocess.Popen[str], str]:
    """A real process holding the gateway's lock (sleeping in its one step); its execution id."""
    proc = cli.igtk.popen("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--gateway", url, "--lock", "-p", f"seconds={seconds}")
    rows = poll_until(lambda: cli.rows("SELECT l.execution_id FROM gateway_locks l JOIN steps s ON "
                                     "s.execution_id = l.execution_id WHERE s.status = 'running'")
                    or proc.poll() is not None, what="the lock held by a running execution")
    assert proc.poll() is None, proc.communicate()
    return proc, rows[0]["execution_id"]


def _end(proc: subprocess.Popen[str], sig: int = signal.SIGINT) -> tuple[int, str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_a_second_process_is_refused_with_exit_3_naming_the_holder(cli: FleetCli, fleet: SimulatedFleet) -> None:
    url = fleet["gw07"].url
    proc, holder = _hold(cli, url)
    try:
        spelled = url.replace("http://", "HTTP://") + "/"  # another spelling of the same gateway
        r = cli("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--gateway", spelled, "--lock", "-p", "seconds=0")
        assert r.code == 3, r.describe()
        assert f"locked by execution {holder[:8]} (Nap) on {socket.gethostname()}, pid {proc.pid}" in r.stderr
        assert "held for" in r.stderr
        assert len(cli.rows("SELECT id FROM executions")) == 1  # the refused run recorded nothing
    finally:
        code, _, err = _end(proc)
    assert code == 130, err
    assert cli.rows("SELECT * FROM gateway_locks") == []
    assert cli.rows("SELECT status FROM executions WHERE id = ?", (holder,))[0]["status"] == "cancelled"


def test_lock_wait_waits_for_the_holder_to_finish(cli: FleetCli, fleet: SimulatedFleet) -> None:
    url = fleet["gw08"].url
    proc, holder = _hold(cli, url)
    waiter = cli.igtk.popen("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--gateway", url, "--lock-wait", "120", "-p", "seconds=0")
    try:
        assert waiter.stderr is not None
        line = waiter.stderr.readline()  # blocks until the waiter says it waits (or ends)
        assert f"is busy: waiting up to 120s for execution {holder[:8]} (Nap)" in line, line
        assert [r["id"] for r in cli.rows("SELECT id FROM executions")] == [holder]
        assert _end(proc)[0] == 130
        out, err = waiter.communicate(timeout=120)
        assert waiter.returncode == 0, err
    finally:
        for p in (proc, waiter):
            if p.poll() is None:
                p.kill()
                p.communicate()
    rows = {r["id"]: r for r in cli.rows("SELECT * FROM executions")}
    (second,) = [r for r in rows.values() if r["id"] != holder]
    assert second["status"] == "completed" and second["started_at"] >= rows[holder]["finished_at"]


def test_a_fleet_run_fails_only_the_busy_gateway(cli: FleetCli, fleet: SimulatedFleet) -> None:
    proc, holder = _hold(cli, fleet["gw04"].url)
    try:
        r = cli("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--on", "tag:canary", "-p", "seconds=0", "--json")
    finally:
        _end(proc)
    assert r.code == 1, r.describe()
    finished = {e["gateway"]: e for e in r.events if e["event"] == "gateway_finished"}
    assert {n: e["status"] for n, e in finished.items()} == {
        "gw01": "completed", "gw02": "completed", "gw03": "completed", "gw04": "failed", "gw05": "completed"}
    assert finished["gw04"]["reason"] == "busy" and holder[:8] in finished["gw04"]["error"]
    run_id = finished["gw01"]["fleet_run_id"]
    assert cli.members(run_id)["gw04"]["execution_id"] is None  # nothing ran on the busy gateway
    assert len(cli.executions(run_id)) == 4


def test_a_killed_holders_lock_is_freed_for_the_next_run(cli: FleetCli, fleet: SimulatedFleet) -> None:
    url = fleet["gw09"].url
    proc, holder = _hold(cli, url)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    r = cli("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--gateway", url, "--lock", "-p", "seconds=0")
    assert r.code == 0, r.describe()
    assert f"execution {holder} was left running by a process that died" in r.stderr
    assert cli.rows("SELECT * FROM gateway_locks") == []


def test_a_lock_taker_waits_for_a_live_run_that_took_no_lock(cli: FleetCli, fleet: SimulatedFleet) -> None:
    """Whoever started it: a plain run (no --lock) live against the gateway keeps a lock-taker out."""
    url = fleet["gw10"].url
    plain = cli.igtk.popen("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--gateway", url, "-p", "seconds=120")
    try:
        rows = poll_until(lambda: cli.rows("SELECT e.id FROM executions e JOIN steps s ON s.execution_id = e.id "
                                         "WHERE s.status = 'running'") or plain.poll() is not None, what="the plain run's step running")
        assert plain.poll() is None, plain.communicate()
        r = cli("run", str(write_playbook(cli.home.parent, NAP, "nap.yaml")), "--gateway", url, "--lock", "-p", "seconds=0")
        assert r.code == 3, r.describe()
        assert f"locked by execution {rows[0]['id'][:8]} (Nap)" in r.stderr
        assert cli.rows("SELECT * FROM gateway_locks") == []  # the refused taker left no lock behind
    finally:
        code, _, err = _end(plain)
    assert code == 130, err


async def test_the_lock_api_in_one_process(tmp_path, store_backend) -> None:
    """`store.locks.acquire(url, execution_id, wait=...)`: exclusive per normalised URL, idempotent for its
    holder, released only by its holder; a finished execution's leftover lock is taken over."""
    from igtk_tui.paths import resolve_paths
    from igtk_tui.store import Store
    from igtk_tui.store.locks import GatewayBusy

    paths = resolve_paths({"IGTK_HOME": str(tmp_path / "home")})
    store = await Store.open(paths, store_backend.settings())
    try:
        lock = await store.locks.acquire("http://GW-1:8088/", "exec-a", playbook="Upgrade")
        assert (await store.locks.acquire("http://gw-1:8088", "exec-a")).gateway == lock.gateway  # its holder
        with pytest.raises(GatewayBusy) as busy:
            await store.locks.acquire("http://gw-1:8088", "exec-b", wait=0.3)
        assert busy.value.exit_code == 3 and busy.value.holder.execution_id == "exec-a"
        assert "after waiting" in str(busy.value) and "(Upgrade)" in str(busy.value)
        assert not await store.locks.release("http://gw-1:8088", "exec-b")  # not the holder's: kept
        assert (await store.locks.holder("http://gw-1:8088")).execution_id == "exec-a"
        await lock.release()
        other = await store.locks.acquire("http://gw-1:8088", "exec-b")
        # A lock whose execution is recorded as finished is stale, whoever's process holds it.
        await store.db.write(lambda c: c.execute(
            "INSERT INTO executions (id, playbook, status, started_at) VALUES ('exec-b', 'x', 'completed', 0)"))
        assert (await store.locks.acquire("https://gw-1:8088", "exec-c")).gateway != other.gateway  # https: another
        taken = await store.locks.acquire("http://gw-1:8088", "exec-c")
        assert (await store.locks.holder("http://gw-1:8088")).execution_id == "exec-c"
        await taken.release()
    finally:
        await store.close()
