"""Helpers for the worker tests: a cluster of agents sharing one PostgreSQL history, its record
read through the store backend's SQL, and waits on conditions (never a sleep)."""

from __future__ import annotations

import contextlib
import os
import signal
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_helpers import AgentHandle, stop_agent_at, wait_gone
from fleet_helpers import FleetCli
from igtk_cli_helpers import Igtk
from schedule_helpers import START, TestClock, poll_until
from store_backend import StoreBackend

from igtk_tui.paths import resolve_paths
from igtk_tui.simulator import SimulatedFleet

# Log in, a short step, a nap (pausable: a sleep is a safe point), then StatusPing: a FAULTED
# gateway fails at `ping`, after the nap, so each gateway's execution lasts the nap at least.
NAP_PING = """\
    name: Nap and ping
    version: "1"
    parameters:
      - {name: gateway, type: credential}
      - {name: gateway_url, type: string, required: false}
      - {name: seconds, type: float, default: 1.5}
    steps:
      - {id: login, name: Log in, type: gateway.login,
         parameters: {credential: "{{ parameter.gateway }}", gateway_url: "{{ parameter.gateway_url }}"}}
      - {id: first, name: first, type: utility.log, parameters: {message: before the nap}}
      - {id: nap, name: nap, type: utility.sleep, parameters: {seconds: "{{ parameter.seconds }}"}}
      - {id: ping, name: StatusPing says RUNNING, type: gateway.ping, parameters: {require_running: true}}
    """


@dataclass
class Node:
    """One agent of the cluster: its home (state root) and CLI, its pid."""

    name: str
    cli: FleetCli
    pid: int = 0

    @property
    def home(self) -> Path:
        return self.cli.home

    def handle(self) -> AgentHandle:
        return AgentHandle(self.home, resolve_paths({"IGTK_HOME": str(self.home)}), self.pid)

    def start(self) -> None:
        r = self.cli("agent", "start")
        assert r.code == 0, r.describe()
        status = self.cli.igtk.json("agent", "status", "--json")
        self.pid = int(status["pid"])

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        wait_gone(self.handle())


@dataclass
class Cluster:
    backend: StoreBackend
    fleet: SimulatedFleet
    clock: TestClock
    playbook: Path
    nodes: dict[str, Node] = field(default_factory=dict)

    @property
    def pids(self) -> dict[int, str]:
        return {n.pid: name for name, n in self.nodes.items()}

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        return self.backend.rows(Path("."), sql, params)

    def fleet_run(self, run_id: str) -> Any:
        (row,) = self.rows("SELECT * FROM fleet_runs WHERE id = ?", (run_id,))
        return row

    def members(self, run_id: str) -> dict[str, Any]:
        return {r["name"]: r for r in self.rows("SELECT * FROM fleet_gateways WHERE fleet_run_id = ? "
                                                "ORDER BY position", (run_id,))}

    def executions(self, run_id: str) -> dict[str, Any]:
        return {r["id"]: r for r in self.rows("SELECT * FROM executions WHERE fleet_run_id = ?", (run_id,))}

    def execution(self, execution_id: str) -> Any:
        (row,) = self.rows("SELECT * FROM executions WHERE id = ?", (execution_id,))
        return row

    def steps(self, execution_id: str) -> dict[str, Any]:
        return {r["path"]: r for r in self.rows("SELECT * FROM steps WHERE execution_id = ?", (execution_id,))}

    def wait_fleet_done(self, run_id: str, timeout: float = 180) -> Any:
        return poll_until(lambda: (row := self.fleet_run(run_id))["status"] != "running" and row,
                          what=f"fleet run {run_id[:8]} to end", timeout=timeout)


@contextlib.contextmanager
def start_cluster(root: Path, server: Any, fleet: SimulatedFleet, concurrency: dict[str, int]) -> Iterator[Cluster]:
    """Agents named by `concurrency` (each its worker's jobs at once), one fresh database, one
    clock file for every scheduler, the same vault credential and inventory on every host."""
    database = server.fresh_database("workers")
    url = server.url(database)
    clock = TestClock(root / "clock")
    clock.set(START)
    playbook = root / "nap_ping.yaml"
    playbook.write_text(textwrap.dedent(NAP_PING), encoding="utf-8")
    cluster = Cluster(StoreBackend("postgresql", url, server), fleet, clock, playbook)
    try:
        for name, jobs in concurrency.items():
            igtk = Igtk(root / f"host-{name}", IGTK_STORE_URL=url, IGTK_CLOCK_FILE=str(clock.path),
                        IGTK_WORKER_CONCURRENCY=str(jobs), IGTK_WORKER_HEARTBEAT="0.5",
                        IGTK_WORKER_STALLED_AFTER="3")
            node = cluster.nodes[name] = Node(name, FleetCli(igtk))
            node.cli.setup(fleet)
            node.start()
        yield cluster
    finally:
        for node in cluster.nodes.values():
            stop_agent_at(node.home)
        server.drop_database(database)
