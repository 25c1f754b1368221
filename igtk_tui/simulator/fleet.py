"""Many simulated gateways in one process: a fleet for tests, benchmarks and demos.

Each gateway is an ordinary SimulatedGateway on its own port with its own state and its
own fault switches (`fleet["gw07"].faults.ping_state = "FAULTED"` makes only that one
unhealthy); they share one in-flight counter, so `fleet.in_flight.peak` is the most
requests the whole fleet answered at once. Two hundred gateways cost two hundred
listening threads; they share one route table, their accept loops poll slowly (shutdown is
the only thing the poll interval delays) and they are stopped in parallel.

    with SimulatedFleet(50, api_tokens={"igtk": "s3cret"}) as fleet:
        fleet.names          # ["gw01", ..., "gw50"]
        fleet["gw03"].url    # "http://127.0.0.1:PORT"
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from igtk_tui.simulator.routes import build_router
from igtk_tui.simulator.server import InFlight, SimulatedGateway

FLEET_POLL_INTERVAL = 0.5


class SimulatedFleet:
    def __init__(self, count: int, *, prefix: str = "gw", base_port: int = 0, **options: Any) -> None:
        """`count` gateways named PREFIX01..; on ports base_port, base_port+1, ... (0: any free ports)."""
        if count < 1:
            raise ValueError(f"a fleet needs at least one gateway, got {count}")
        width = max(2, len(str(count)))
        self.in_flight = InFlight()
        if not options.get("api_tokens"):  # one token for the whole fleet, as one vault credential serves it
            import secrets

            options["api_tokens"] = {"igtk": secrets.token_urlsafe(24)}
        options.setdefault("poll_interval", FLEET_POLL_INTERVAL)
        # Routes are data (handlers take the gateway's state from the request): one router for all.
        options.setdefault("router", build_router(options.pop("extra_route_modules", ())))
        self.gateways: dict[str, SimulatedGateway] = {}
        for n in range(1, count + 1):
            name = f"{prefix}{n:0{width}d}"
            self.gateways[name] = SimulatedGateway(in_flight=self.in_flight, gateway_name=name,
                                                   port=base_port + n - 1 if base_port else 0, **options)

    @property
    def names(self) -> list[str]:
        return list(self.gateways)

    def __getitem__(self, name: str) -> SimulatedGateway:
        return self.gateways[name]

    def __iter__(self) -> Iterator[SimulatedGateway]:
        return iter(self.gateways.values())

    def __len__(self) -> int:
        return len(self.gateways)

    def start(self) -> SimulatedFleet:
        try:
            for gateway in self.gateways.values():
                gateway.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Every gateway stopped, in parallel (each waits up to one poll interval for its loop)."""
        with ThreadPoolExecutor(max_workers=32, thread_name_prefix="igtk-sim-stop") as pool:
            list(pool.map(lambda gw: gw.stop(), self.gateways.values()))

    def requests(self) -> dict[str, list[tuple[str, str, int | None]]]:
        """Each gateway's recent requests (method, path, status)."""
        return {name: gw.requests for name, gw in self.gateways.items()}

    def __enter__(self) -> SimulatedFleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
