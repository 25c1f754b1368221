"""Fleet tests: fifty simulated gateways served by one simulator (`fleet`: tests/support/simulator.py),
the real `igtk` CLI in subprocesses, a real encrypted-file vault and SQLite history under the test's
private IGTK_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

from igtk_tui.simulator import SimulatedFleet
from tests.support.cli import Igtk
from tests.support.fleet import FleetCli


@pytest.fixture
def cli(home: Path, fleet: SimulatedFleet) -> FleetCli:
    """A private home: the vault credential of the fleet's token and an inventory of all fifty gateways
    (plant-a: gw01..gw25, plant-b: gw26..gw50; tag canary: gw01..gw05)."""
    cli = FleetCli(Igtk(home))
    cli.setup(fleet)
    return cli
