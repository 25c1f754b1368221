"""Many simulated gateways in one simulator process: their own state and faults each, one shared
in-flight counter, and `igtk simulator --gateways N` serving them on real ports."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor

from igtk_tui.simulator import SimulatedFleet
from igtk_tui.simulator.testing import http, ping
from tests.support.cli import Igtk


def test_each_gateway_has_its_own_state_and_faults(fleet: SimulatedFleet, faulted: SimulatedFleet) -> None:
    assert len({gw.port for gw in fleet}) == 50 and fleet.names[0] == "gw01" and fleet.names[-1] == "gw50"
    faulted["gw07"].faults.ping_state = "FAULTED"
    assert ping(fleet["gw07"].url) == "FAULTED"
    assert [n for n in fleet.names if n != "gw07" and ping(fleet[n].url) != "RUNNING"] == []
    info = http.get(f"{fleet['gw07'].url}/system/gwinfo", timeout=5).text
    assert "ContextStatus=FAULTED;" in info and "PlatformName=gw07;" in info
    fleet["gw08"].state.trial_expires_at = 0  # state of one gateway: the others' trials run on
    assert fleet["gw09"].state.trial_expires_at != 0


def test_the_fleet_counts_requests_in_flight_across_gateways(fleet: SimulatedFleet, faulted: SimulatedFleet) -> None:
    for gw in list(fleet)[:8]:
        gw.faults.latency = 0.5  # each answer takes 0.5 s: eight asked at once overlap
    try:
        fleet.in_flight.reset()
        with ThreadPoolExecutor(8) as pool:
            states = list(pool.map(lambda gw: ping(gw.url), list(fleet)[:8]))
        assert states == ["RUNNING"] * 8
        assert fleet.in_flight.total == 8 and 2 <= fleet.in_flight.peak <= 8 and fleet.in_flight.now == 0
    finally:
        for gw in fleet:
            gw.faults.latency = 0.0


def test_igtk_simulator_gateways_serves_n_gateways_until_interrupted(tmp_path) -> None:
    proc = Igtk(tmp_path / "home").popen("simulator", "--gateways", "3", "--port", "0",
                                          "--api-token", "bench:tok", "--fault", "ping_state=faulted")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("3 simulated Ignition 8.3")
        urls = {}
        for _ in range(3):
            name, url = proc.stdout.readline().split()
            urls[name] = url
        assert list(urls) == ["gw01", "gw02", "gw03"] and len(set(urls.values())) == 3
        assert proc.stdout.readline().strip() == "API token (every gateway): bench:tok"
        assert [ping(u) for u in urls.values()] == ["FAULTED"] * 3
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
