"""Two simulators at once keep separate state, ports and faults."""

from __future__ import annotations

from collections.abc import Callable

from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client


def test_two_instances_are_independent(make_gw: Callable[..., SimulatedGateway]) -> None:
    first, second = make_gw(), make_gw(api_tokens={"other": "secret2"})
    assert first.port != second.port
    one = sim_client(first.url, headers={"X-Ignition-API-Token": first.api_token})
    two = sim_client(second.url, headers={"X-Ignition-API-Token": second.api_token})
    with one, two:
        assert one.post("/data/api/v1/projects", json={"name": "OnlyHere"}).status_code == 200
        assert "OnlyHere" in one.get("/data/api/v1/projects/names").json()
        assert "OnlyHere" not in two.get("/data/api/v1/projects/names").json()
        # tokens are per instance
        assert (
            two.get("/data/api/v1/overview", headers={"X-Ignition-API-Token": first.api_token}).status_code
            == 401
        )
        first.faults.error_rate = 1.0
        assert one.get("/data/api/v1/overview").status_code >= 500
        assert two.get("/data/api/v1/overview").status_code == 200
        first.restart()
        assert one.get("/StatusPing").json()["state"] == "STARTING"
        assert two.get("/StatusPing").json()["state"] == "RUNNING"
