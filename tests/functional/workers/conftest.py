"""Workers on several hosts: real agent processes, each with its own IGTK_HOME (its own state root,
vault, socket and worker), sharing one real PostgreSQL history and one simulated fleet.

The cluster is built once per module (two agents start in a few seconds); the agents are stopped
at the module's end (`agent stop --cancel-running`, then SIGKILL if needed)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent / "agent", HERE.parent / "fleet", HERE.parent / "playbooks",
               HERE.parent / "schedules"):
    sys.path.insert(0, str(folder))

from fleet_helpers import TOKEN_NAME, TOKEN_SECRET, clear_faults  # noqa: E402
from worker_helpers import Cluster, start_cluster  # noqa: E402

from igtk_tui.simulator import SimulatedFleet  # noqa: E402


@pytest.fixture(scope="module")
def sim_fleet() -> Iterator[SimulatedFleet]:
    with SimulatedFleet(30, api_tokens={TOKEN_NAME: TOKEN_SECRET}) as sims:
        yield sims


@pytest.fixture
def faulted(sim_fleet: SimulatedFleet) -> Iterator[SimulatedFleet]:
    clear_faults(sim_fleet)
    yield sim_fleet
    clear_faults(sim_fleet)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any,
            sim_fleet: SimulatedFleet) -> Iterator[Cluster]:
    """Agents `a` and `b`, each running a worker of 3 jobs at once."""
    with start_cluster(tmp_path_factory.mktemp("cluster"), postgres_server, sim_fleet,
                       {"a": 3, "b": 3}) as running:
        yield running
