"""Commissioning a fresh gateway the way the Docker image's script does (§3.6)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client
from igtk_tui.simulator.testing import http, ping, wait_for, wait_running


def test_waiting_for_commissioning(make_gw: Callable[..., SimulatedGateway]) -> None:
    gw = make_gw(commissioning=True)
    with sim_client(gw.url, headers={"X-Ignition-API-Token": gw.api_token}) as c:
        assert c.get("/StatusPing").json() == {"state": "RUNNING", "details": "COMMISSIONING"}
        assert "ContextStatus=NEEDS_COMMISSIONING;" in c.get("/system/gwinfo").text
        for path in ("/data/api/v1/gateway-info", "/app", "/nothing/here"):
            response = c.get(path)
            assert response.status_code == 302 and response.headers["location"] == "/welcome"
        assert c.get("/welcome").status_code == 200


def test_commissioning_script_flow(make_gw: Callable[..., SimulatedGateway]) -> None:
    gw = make_gw(commissioning=True, restart_seconds=0.3)
    salt = "a1b2c3d4"
    hashed = f"[{salt}]" + hashlib.sha256(f"Sup3rSecret{salt}".encode()).hexdigest()
    with sim_client(gw.url) as c:
        boot = c.get("/bootstrap").json()
        assert boot["edition"] == "NOT_SET" and {"authSetup", "connections", "eula"} <= set(boot["steps"])
        ports = {
            d["name"]: d.get("port")
            for d in c.get("/get-step", params={"step": "connections"}).json()["data"]
        }
        assert ports["httpPort"] == 8088 and ports["ganPort"] == 8060
        early = c.post("/post-step", json={"id": "finished", "data": {"startGateway": True}})
        assert early.status_code == 400
        steps = [
            {"id": "edition", "step": "edition", "data": {"edition": ""}},
            {"id": "authentication", "step": "authSetup", "data": {"username": "admin", "password": hashed}},
            {
                "id": "connections",
                "step": "connections",
                "data": {"http": 8088, "https": 8043, "gan": 8060, "useSSL": False},
            },
            {"id": "license", "step": "eula", "data": {"accept": True}},
        ]
        for step in steps:
            assert c.post("/post-step", json=step).status_code == 201, step
        assert c.get("/bootstrap").json()["edition"] == "standard"
        finished = c.post("/post-step", json={"id": "finished", "data": {"startGateway": True}})
        assert finished.status_code == 200 and finished.json() == {"gatewayAddress": gw.url}
    wait_for(lambda: ping(gw.url) in ("STARTING", "RUNNING"), 5, "the gateway to start")
    wait_running(gw)
    assert http.get(f"{gw.url}/StatusPing").json() == {"state": "RUNNING"}  # no details any more
    assert gw.state.check_password("admin", "Sup3rSecret") and not gw.state.check_password(
        "admin", "password"
    )
    assert http.get(f"{gw.url}/bootstrap").status_code == 404


def test_maker_edition_needs_activation(make_gw: Callable[..., SimulatedGateway]) -> None:
    gw = make_gw(commissioning=True)
    with sim_client(gw.url) as c:
        c.post("/post-step", json={"id": "edition", "data": {"edition": "maker"}})
        assert "activated" in c.get("/bootstrap").json()["steps"]
        assert c.post("/post-step", json={"id": "activation", "data": {}}).status_code == 400
        assert c.post("/post-step", json={"id": "edition", "data": {"edition": "bogus"}}).status_code == 400
        assert (
            c.post("/post-step", content=b"{oops", headers={"Content-Type": "application/json"}).status_code
            == 422
        )
