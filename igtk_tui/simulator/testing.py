"""Helpers for tests and benchmarks that drive a SimulatedGateway: poll, never sleep-and-hope.

httpx builds a TLS context for every new client (50-300 ms, even for plain
http URLs); `client()` and `http` share one so tests and polling stay fast.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from igtk_tui.simulator.server import SimulatedGateway

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def client(base_url: str = "", **kwargs: Any) -> httpx.Client:
    """An httpx.Client that reuses the shared TLS context."""
    import httpx  # lazy: route discovery imports this module

    kwargs.setdefault("verify", shared_ssl_context())
    return httpx.Client(base_url=base_url, **kwargs)


class _OneShot:
    """httpx's module-level request functions (`http.get(url)`), with the shared TLS context."""

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        import httpx

        kwargs.setdefault("verify", shared_ssl_context())
        return httpx.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)


http = _OneShot()


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> T:
    """Poll `predicate` until it returns something truthy; AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def ping(url: str) -> str:
    """The StatusPing state on a fresh connection; `REFUSED` when nothing answers."""
    import httpx

    try:
        response = http.get(f"{url}/StatusPing", timeout=2.0)
    except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError):
        return "REFUSED"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    return str(response.json()["state"])


class RedundantPair:
    """A simulated master/backup pair (issue 17 item 8): each knows the other's address.

    `backup_down()` stops the backup and tells the master, as a real master notices
    its peer is gone; start with `with RedundantPair(**options) as pair:`.
    """

    def __init__(self, **options: Any) -> None:
        self.backup = SimulatedGateway(redundancy_role="Backup", **options).start()
        self.master = SimulatedGateway(
            redundancy_role="Master", redundant_peer=f"{self.backup.host}:{self.backup.port}", **options
        ).start()
        self.backup.config.redundant_peer = f"{self.master.host}:{self.master.port}"

    def backup_down(self) -> None:
        self.backup.stop()
        with self.master.state.lock:
            self.master.state.redundant_peer_connected = False

    def stop(self) -> None:
        self.master.stop()
        self.backup.stop()

    def __enter__(self) -> RedundantPair:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_running(gw: SimulatedGateway, timeout: float = 10.0) -> None:
    """Until /StatusPing answers RUNNING (after a restart or commissioning)."""
    wait_for(lambda: ping(gw.url) == "RUNNING", timeout, "StatusPing RUNNING")
