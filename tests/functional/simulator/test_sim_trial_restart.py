"""Trial countdown and reset (8.3), and the restart state machine (STARTING/503, never completes)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client
from igtk_tui.simulator.testing import http, ping, wait_for, wait_running

API = "/data/api/v1"


def test_trial_counts_down_in_real_time(client: httpx.Client, gw: SimulatedGateway) -> None:
    first = client.get(f"{API}/trial").json()
    assert first["licenseMode"] == "Trial" and first["expired"] is False
    assert 7190 <= first["trialSecondsLeft"] <= 7200
    gw.state.trial_expires_at = time.time() + 100.5
    left = client.get(f"{API}/trial").json()["trialSecondsLeft"]
    assert left == 100
    wait_for(lambda: client.get(f"{API}/trial").json()["trialSecondsLeft"] < left, 3, "the trial to tick")
    assert client.get(f"{API}/overview").json()["license"]["trialRemaining"] <= 100


def test_trial_reset_only_when_expired(client: httpx.Client, gw: SimulatedGateway) -> None:
    refused = client.post(f"{API}/trial")
    assert refused.status_code == 403
    gw.state.trial_expires_at = time.time() - 1
    expired = client.get(f"{API}/trial").json()
    assert expired["expired"] is True and expired["trialSecondsLeft"] == 0
    reset = client.post(f"{API}/trial")
    assert reset.status_code == 200
    assert reset.json()["expired"] is False and reset.json()["trialSecondsLeft"] >= 7190
    assert http.post(f"{gw.url}{API}/trial").status_code == 401  # reset needs a key


def test_restart_requires_confirm(client: httpx.Client, gw: SimulatedGateway) -> None:
    assert client.post(f"{API}/restart-tasks/restart").status_code == 400
    assert client.post(f"{API}/restart-tasks/restart", params={"confirm": "false"}).status_code == 400
    assert gw.phase == "RUNNING"


def test_restart_cycle(make_gw: Callable[..., SimulatedGateway]) -> None:
    gw = make_gw(restart_seconds=1.0)
    token = {"X-Ignition-API-Token": gw.api_token}
    with sim_client(gw.url, headers=token) as c:
        assert c.post(f"{API}/restart-tasks/restart", params={"confirm": "true"}).text == "true"
        assert c.get("/StatusPing").json() == {"state": "STARTING"}
        during = c.get(f"{API}/gateway-info")
        assert during.status_code == 503 and "HTTP ERROR 503" in during.text
        assert "ContextStatus=STARTING;" in c.get("/system/gwinfo").text
        wait_running(gw)
        assert c.get(f"{API}/gateway-info").status_code == 200


def test_restart_never_completes(make_gw: Callable[..., SimulatedGateway]) -> None:
    gw = make_gw(restart_seconds=0.1)
    gw.faults.restart_never_completes = True
    gw.restart()
    wait_for(lambda: gw.state.restart_remaining() == 0, 5, "the restart window to pass")
    assert ping(gw.url) == "STARTING"
    assert (
        http.get(f"{gw.url}{API}/overview", headers={"X-Ignition-API-Token": gw.api_token}).status_code == 503
    )
    gw.faults.restart_never_completes = False
    wait_running(gw)
