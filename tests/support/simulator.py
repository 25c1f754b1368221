"""The simulator fixtures: gateways on real ports with the tests' defaults, and the fifty-gateway fleet.

`make_gw(**options)` starts a SimulatedGateway (API token `igtk:s3cret`, a read-only token
`ro:readonly`, fast restarts; any SimulatedGateway option overrides them); every gateway it started
is stopped when the test ends. `running_gateway(**options)` is the same for a module's fixture. API tokens over plain HTTP are accepted here
(require_https_for_tokens=False), unlike a default real 8.3 gateway (`igtk simulator --realistic`);
tests of that pass require_https_for_tokens=True.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from igtk_tui.simulator import SimulatedFleet, SimulatedGateway
from igtk_tui.simulator.perspective import release_hung_requests

TOKENS = {"igtk": "s3cret"}
READONLY = {"ro": "readonly"}
FLEET_TOKEN = ("igtk", "fleet-token-secret-4242")  # the fleet's API token (name, secret)


def start_gateway(**options: Any) -> SimulatedGateway:
    """A started gateway with the tests' defaults; `options` override them."""
    settings: dict[str, Any] = {"api_tokens": dict(TOKENS), "readonly_tokens": dict(READONLY),
                                "restart_seconds": 0.3}
    settings.update(options)
    return SimulatedGateway(**settings).start()


def stop_gateway(gateway: SimulatedGateway) -> None:
    """Stop it, first releasing Perspective requests a test left hanging."""
    release_hung_requests(gateway.state)
    gateway.stop()


@contextmanager
def running_gateway(**options: Any) -> Iterator[SimulatedGateway]:
    """A started gateway for a `with` block (a module-scoped fixture's), stopped at its end."""
    gateway = start_gateway(**options)
    try:
        yield gateway
    finally:
        stop_gateway(gateway)


@pytest.fixture
def make_gw() -> Iterator[Callable[..., SimulatedGateway]]:
    started: list[SimulatedGateway] = []

    def make(**options: Any) -> SimulatedGateway:
        gateway = start_gateway(**options)
        started.append(gateway)
        return gateway

    yield make
    for gateway in started:
        stop_gateway(gateway)


@pytest.fixture
def gw(make_gw: Callable[..., SimulatedGateway]) -> SimulatedGateway:
    return make_gw()


@pytest.fixture
def gw81(make_gw: Callable[..., SimulatedGateway]) -> SimulatedGateway:
    return make_gw(version="8.1")


@pytest.fixture(scope="module")
def fleet() -> Iterator[SimulatedFleet]:
    """gw01..gw50 served by one simulator (one process, fifty ports, each with its own state and
    faults), shared by a module's tests: a test that sets a fault clears it (`faulted`)."""
    name, secret = FLEET_TOKEN
    with SimulatedFleet(50, api_tokens={name: secret}) as sims:
        yield sims


def clear_faults(fleet: SimulatedFleet) -> None:
    for gateway in fleet:
        gateway.faults.ping_state = ""


@pytest.fixture
def faulted(fleet: SimulatedFleet) -> Iterator[SimulatedFleet]:
    """The fleet, every fault switched off again after the test."""
    clear_faults(fleet)
    yield fleet
    clear_faults(fleet)
