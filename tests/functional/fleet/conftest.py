"""Fleet tests: fifty simulated gateways served by one simulator (one process, fifty ports, each
with its own state and faults), the real `igtk` CLI in subprocesses (the playbook tests' helper),
a real encrypted-file vault and SQLite history under a private IGTK_HOME per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "playbooks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet_helpers import TOKEN_NAME, TOKEN_SECRET, FleetCli, clear_faults  # noqa: E402
from igtk_cli_helpers import Igtk  # noqa: E402

from igtk_tui.simulator import SimulatedFleet  # noqa: E402


@pytest.fixture(scope="module")
def fleet() -> Iterator[SimulatedFleet]:
    """gw01..gw50; a test that sets a fault clears it when it ends (`faulted` below)."""
    with SimulatedFleet(50, api_tokens={TOKEN_NAME: TOKEN_SECRET}) as sims:
        yield sims


@pytest.fixture
def faulted(fleet: SimulatedFleet) -> Iterator[SimulatedFleet]:
    """The fleet, every fault switched off again after the test."""
    clear_faults(fleet)
    yield fleet
    clear_faults(fleet)


@pytest.fixture
def cli(tmp_path: Path, fleet: SimulatedFleet) -> FleetCli:
    """A private home: the vault credential of the fleet's token and an inventory of all fifty gateways
    (plant-a: gw01..gw25, plant-b: gw26..gw50; tag canary: gw01..gw05)."""
    cli = FleetCli(Igtk(tmp_path / "home"))
    cli.setup(fleet)
    return cli
