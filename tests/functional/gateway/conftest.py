"""Gateway client and gateway.* step tests: real simulated gateways on real ports, the real engine.

Each test starts its own SimulatedGateway on port 0 (fast restarts), runs
playbooks through `Execution(...).run()`, and reads outputs and events. No
mocks of igtk code; no sleeps used as synchronisation.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from igtk_tui import redact  # noqa: E402
from igtk_tui.gateway.modl import build_modl  # noqa: E402
from igtk_tui.simulator import SimulatedGateway  # noqa: E402

TOKENS = {"igtk": "s3cret-token-value"}
LICENSE = "<html><body><h1>Widget EULA</h1><p>Be nice.</p></body></html>"


@pytest.fixture(autouse=True)
def igtk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "igtk-home"
    monkeypatch.setenv("IGTK_HOME", str(home))
    for name in ("IGTK_VAULT_PASSPHRASE", "IGTK_VAULT_PASSPHRASE_FILE", "IGTK_EXECUTION_TIMEOUT",
                 "IGTK_VERIFY_TLS", "IGTK_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def clean_redactor() -> Iterator[None]:
    redact.REDACTOR.clear()
    yield
    redact.REDACTOR.clear()


@pytest.fixture
def make_gw() -> Iterator[Callable[..., SimulatedGateway]]:
    """Start a gateway (fast restarts by default); every one is stopped at teardown."""
    # API tokens over plain HTTP are accepted here (require_https_for_tokens=False), unlike a default
    # real 8.3 gateway (`igtk simulator --realistic`); tests of that pass require_https_for_tokens=True.
    started: list[SimulatedGateway] = []

    def make(**kwargs: Any) -> SimulatedGateway:
        options: dict[str, Any] = {"api_tokens": dict(TOKENS), "restart_seconds": 0.3}
        options.update(kwargs)
        gateway = SimulatedGateway(**options).start()
        started.append(gateway)
        return gateway

    yield make
    for gateway in started:
        gateway.stop()


@pytest.fixture
def gw(make_gw: Callable[..., SimulatedGateway]) -> SimulatedGateway:
    return make_gw()


@pytest.fixture
def gw81(make_gw: Callable[..., SimulatedGateway]) -> SimulatedGateway:
    return make_gw(version="8.1")


@pytest.fixture
def modl_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a real signed .modl with a EULA into tmp and return its path."""

    def make(module_id: str = "com.example.widget", version: str = "1.0.0.2026010112",
             name: str = "Widget", **kwargs: Any) -> Path:
        kwargs.setdefault("license_text", LICENSE)
        path = tmp_path / f"{name}-{version}.modl"
        path.write_bytes(build_modl(module_id, name, version, **kwargs))
        return path

    return make
