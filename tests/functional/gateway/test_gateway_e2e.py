"""The done-when: `igtk run` (a real subprocess) upgrades a module on the simulator and backs it up;
and exit 3 when the gateway is unreachable before the first step."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from igtk_tui.gateway.client import GatewayClient
from igtk_tui.gateway.gwbk import validate_gwbk
from igtk_tui.gateway.modl import build_modl
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import wait_running
from tests.support.cli import REPO, Igtk

PLAYBOOK = REPO / "tests" / "data" / "playbooks" / "module_upgrade_e2e.yaml"
LICENSE = "<p>Widget licence</p>"


async def test_module_upgrade_end_to_end_with_igtk_run(tmp_path: Path, gw: SimulatedGateway) -> None:
    old = build_modl("com.example.widget", "Widget", "1.0.0.2026010112", license_text=LICENSE)
    new = tmp_path / "Widget-1.1.0.modl"
    new.write_bytes(build_modl("com.example.widget", "Widget", "1.1.0.2026020112", license_text=LICENSE))
    # The gateway already runs 1.0 (installed and restarted through the client).
    async with GatewayClient(gw.url, api_token=gw.api_token) as client:
        await client.install_module_file(old, "Widget-1.0.0.modl", accept_certificate=True, accept_license=True)
    gw.restart(0.05)
    await asyncio.to_thread(wait_running, gw)
    assert gw.state.modules["com.example.widget"].version == "1.0.0.2026010112"

    home = tmp_path / "home"
    proc = await asyncio.to_thread(
        Igtk(home), "run", str(PLAYBOOK), "--json", "-p", f"gateway_url={gw.url}", "-p", f"api_token={gw.api_token}",
        "-p", f"module_file={new}", "-p", "module_id=com.example.widget",
        "-p", "module_version=1.1.0.2026020112", "-p", "restart_timeout=30", timeout=120)
    assert proc.code == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    before = {m["id"]: m["version"] for m in proc.output("before")["modules"]}
    assert before["com.example.widget"] == "1.0.0.2026010112"
    assert proc.output("upload")["status"] == "pending_restart"
    assert proc.output("restart")["status"] == "restarted"
    verify = proc.output("verify")
    assert (verify["state"], verify["version"]) == ("ACTIVE", "1.1.0.2026020112")
    backup = proc.output("backup")
    path = Path(backup["path"])
    assert path.is_file() and str(home) in str(path)
    assert validate_gwbk(path.read_bytes()) == backup["version"] == "8.3.6"
    assert gw.state.modules["com.example.widget"].version == "1.1.0.2026020112"
    secret = gw.api_token.split(":", 1)[1]
    assert secret not in proc.stdout and secret not in proc.stderr


def test_unreachable_gateway_exits_3_before_the_first_step(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = Igtk(tmp_path / "home")("run", str(PLAYBOOK), "--json", "--gateway", f"http://127.0.0.1:{port}",
                "-p", "api_token=igtk:x", "-p", f"module_file={PLAYBOOK}", "-p", "module_id=x",
                "-p", "module_version=1")
    assert proc.code == 3, proc.stdout + proc.stderr
    assert "connection refused" in proc.stderr and f"127.0.0.1:{port}" in proc.stderr
    assert not any(e["event"] == "step_started" for e in proc.events)
