"""Fault injection over real sockets: latency, 5xx fraction, dropped connections,
connection refused during a restart; and Faults.parse."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from igtk_tui.simulator import Faults, SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client
from igtk_tui.simulator.testing import http, ping, wait_for

API = "/data/api/v1"


def test_latency(client: httpx.Client, gw: SimulatedGateway) -> None:
    gw.faults.latency = 0.3
    started = time.monotonic()
    assert client.get(f"{API}/overview").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_error_rate_all(client: httpx.Client, gw: SimulatedGateway) -> None:
    gw.faults.error_rate = 1.0
    statuses = {client.get(f"{API}/overview").status_code for _ in range(20)}
    assert statuses <= {500, 503} and statuses
    error = client.get(f"{API}/projects/names")
    assert error.json()["status"] in ("500", "503")  # still a Jetty error body, by Accept
    assert client.get("/StatusPing").status_code == 200  # health polling is spared...
    gw.faults.ping_errors = True
    assert client.get("/StatusPing").status_code in (500, 503)  # ...unless asked


def test_error_rate_fraction(client: httpx.Client, gw: SimulatedGateway) -> None:
    gw.faults.seed = 7
    gw.faults.error_rate = 0.5
    failures = sum(client.get(f"{API}/overview").status_code >= 500 for _ in range(200))
    assert 60 <= failures <= 140


def test_drop_closes_without_response(
    client: httpx.Client, gw: SimulatedGateway, modl: Callable[..., bytes]
) -> None:
    gw.faults.drop_rate = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{API}/overview")
    big = modl(license_text="x" * 2_000_000)  # an upload: dropped after part of the body
    with pytest.raises((httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadError)):
        client.post(f"{API}/modules/upload", params={"fileName": "big.modl"}, content=big)
    assert gw.state.quarantine == {}
    assert ping(gw.url) == "RUNNING"
    assert [status for _, _, status in gw.requests if status is None]
    gw.faults.drop_rate = 0.0
    assert client.get(f"{API}/overview").status_code == 200


def test_connection_refused_during_restart(make_gw: Callable[..., SimulatedGateway]) -> None:
    gw = make_gw(restart_seconds=0.8)
    gw.faults.refuse_during_restart = True
    port = gw.port
    with sim_client(gw.url, headers={"X-Ignition-API-Token": gw.api_token}) as c:
        assert c.post(f"{API}/restart-tasks/restart", params={"confirm": "true"}).json() is True
    wait_for(lambda: ping(gw.url) == "REFUSED", 5, "connection refused")
    with pytest.raises(httpx.ConnectError):
        http.get(f"{gw.url}/StatusPing", timeout=2)
    wait_for(lambda: ping(gw.url) == "RUNNING", 10, "the port to come back")
    assert gw.port == port


def test_faults_parse() -> None:
    faults = Faults.parse(
        "latency=0.2, error_rate=0.1,drop_rate=0,refuse_during_restart,"
        "restart_never_completes,failing_modules=a|b,seed=3"
    )
    assert faults == Faults(
        latency=0.2,
        error_rate=0.1,
        drop_rate=0.0,
        refuse_during_restart=True,
        restart_never_completes=True,
        failing_modules={"a", "b"},
        seed=3,
    )
    assert Faults.parse("") == Faults()
    assert Faults.parse("ping_errors=false").ping_errors is False
    with pytest.raises(ValueError, match="unknown fault 'latencyy'"):
        Faults.parse("latencyy=1")
    with pytest.raises(ValueError, match="'error_rate' needs a number"):
        Faults.parse("error_rate=lots")
    with pytest.raises(ValueError, match="'drop_rate' is out of range"):
        Faults.parse("drop_rate=2")
