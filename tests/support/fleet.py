"""Helpers for fleet tests: the inventory of a simulated fleet, the store's record, waits on it.

Waits poll the history database (SQLite in WAL mode lets a reader see every commit of the
running `igtk`) until a condition holds or a generous deadline passes: never a sleep.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from igtk_tui.simulator import SimulatedFleet
from tests.support.cli import Igtk, Result
from tests.support.simulator import FLEET_TOKEN
from tests.support.store_backend import db_rows

TOKEN_NAME, TOKEN_SECRET = FLEET_TOKEN

NAP = """\
    name: Nap
    version: "1"
    parameters:
      - {name: gateway_url, type: string, required: false}
      - {name: seconds, type: float, default: 60}
    steps:
      - {id: nap, name: nap, type: utility.sleep, parameters: {seconds: "{{ parameter.seconds }}"}}
    """


def group_of(name: str) -> str:
    return "plant-a" if int(name[2:]) <= 25 else "plant-b"


@dataclass
class FleetCli:
    igtk: Igtk

    @property
    def home(self) -> Path:
        return self.igtk.home

    def __call__(self, *args: str, **kwargs: Any) -> Result:
        return self.igtk(*args, **kwargs)

    def setup(self, fleet: SimulatedFleet) -> None:
        self.igtk.seed_cheap_vault()
        r = self.igtk("cred", "add", "fleet", "--type", "api-token", "--username", TOKEN_NAME, stdin=TOKEN_SECRET)
        assert r.code == 0, r.describe()
        for name, gateway in fleet.gateways.items():
            extra = ["--tag", "canary"] if int(name[2:]) <= 5 else []
            r = self.igtk.inproc("inventory", "add", name, "--url", gateway.url, "--credential", "fleet",
                                 "--group", group_of(name), *extra)
            assert r.code == 0, r.describe()

    # -- the store's record -------------------------------------------------------------------
    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of the home's history (none while the running `igtk` has not created it yet)."""
        return db_rows(self.home, sql, params, missing_ok=True)

    def fleet_run(self, run_id: str | None = None) -> Any:
        rows = (self.rows("SELECT * FROM fleet_runs WHERE id = ?", (run_id,)) if run_id
                else self.rows("SELECT * FROM fleet_runs ORDER BY started_at DESC"))
        assert rows, "no fleet run recorded"
        return rows[0]

    def members(self, run_id: str) -> dict[str, Any]:
        return {r["name"]: r for r in self.rows("SELECT * FROM fleet_gateways WHERE fleet_run_id = ? "
                                                "ORDER BY position", (run_id,))}

    def executions(self, run_id: str) -> dict[str, Any]:
        return {r["id"]: r for r in self.rows("SELECT * FROM executions WHERE fleet_run_id = ?", (run_id,))}

    def json(self, *args: str) -> Any:
        r = self.igtk(*args)
        assert r.code == 0, r.describe()
        return json.loads(r.stdout)


def gateway_requests(fleet: SimulatedFleet, name: str) -> list[tuple[str, str, int | None]]:
    return fleet[name].requests
