"""Gateway client and gateway.* step tests: real simulated gateways on real ports, the real engine.

Each test starts its own SimulatedGateway (`gw`, `gw81`, `make_gw`: tests/support/simulator.py),
runs playbooks through `Execution(...).run()`, and reads outputs and events. No mocks of igtk
code; no sleeps used as synchronisation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from igtk_tui.gateway.modl import build_modl

LICENSE = "<html><body><h1>Widget EULA</h1><p>Be nice.</p></body></html>"


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
