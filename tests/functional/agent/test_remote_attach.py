"""`igtk ps` and `igtk attach` on one host for an execution another host's agent runs (a shared
PostgreSQL history, docs/workers.md "Following a run on another host"): agent `a` runs no jobs,
agent `b` runs the fleet gateway; on `a`, `ps` lists it with its host and `attach` follows it from
the record, its stdin controls relayed through `a`'s agent to `b`."""

from __future__ import annotations

import json
import subprocess
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
    with start_cluster(tmp_path_factory.mktemp("attach"), postgres_server, fleet, {"a": 0, "b": 1}) as running:
        yield running


def test_ps_lists_and_attach_follows_an_execution_another_agent_runs(pair: Cluster) -> None:
    a, b = pair.nodes["a"], pair.nodes["b"]
    r = a.cli("run", str(pair.playbook), "--on", "gw15", "-p", "seconds=300", "--detach")
    assert r.code == 0, r.describe()
    run_id = r.stdout.strip()
    execution_id = poll_until(lambda: pair.members(run_id)["gw15"]["execution_id"], what="gw15's execution")
    poll_until(lambda: pair.steps(execution_id).get("nap", {"status": ""})["status"] == "running",
               what="the nap to run on b")

    listed = a.cli("ps", "--json")
    assert listed.code == 0, listed.describe()
    (item,) = [i for i in json.loads(listed.stdout) if i["id"] == execution_id]
    host = pair.execution(execution_id)["host"]
    assert (item["remote"], item["host"], item["pid"], item["current_step"]) == (True, host, b.pid, "nap")
    assert (item["steps_done"], item["steps_total"]) == (2, 4)
    shown = a.cli("ps")
    assert f"{execution_id[:8]}  running" in shown.stdout and f"nap [on {host}]" in shown.stdout

    igtk = a.cli.igtk
    proc = igtk.popen("attach", execution_id[:8], stdin=subprocess.PIPE)
    try:
        assert proc.stdout and proc.stdin
        lines = []
        for line in proc.stdout:  # what the record shows so far, as `igtk run` prints it
            lines.append(line)
            if "nap: nap" in line:
                break
        assert any("✓ [2/4] first: first completed" in line for line in lines), lines
        proc.stdin.write("x\n")  # x: cancel, relayed by a's agent to b's
        proc.stdin.flush()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert f"runs on host {host}, pid {b.pid}, not in this host's agent" in err
    assert "cancelled in" in out, out
    assert pair.execution(execution_id)["status"] == "cancelled"
    pair.wait_fleet_done(run_id)
