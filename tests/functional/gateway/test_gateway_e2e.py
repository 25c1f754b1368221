"""The done-when: `igtk run` (a real subprocess) upgrades a module on the simulator and backs it up;
and exit 3 when the gateway is unreachable before the first step."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from igtk_tui.gateway.client import GatewayClient
from igtk_tui.gateway.gwbk import validate_gwbk
from igtk_tui.gateway.modl import build_modl
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import wait_running

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = REPO / "tests" / "data" / "playbooks" / "module_upgrade_e2e.yaml"
LICENSE = "<p>Widget licence</p>"


def igtk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGTK_")}
    env.update(IGTK_HOME=str(home), NO_COLOR="1", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run([sys.executable, "-m", "igtk_tui", "run", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120, stdin=subprocess.DEVNULL)


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def output(evts: list[dict[str, Any]], step_id: str) -> dict[str, Any]:
    done = [e for e in evts if e["event"] == "step_finished" and e["step_id"] == step_id]
    assert done and done[-1]["status"] == "completed", done
    return done[-1]["output"]


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
        igtk, home, str(PLAYBOOK), "--json", "-p", f"gateway_url={gw.url}", "-p", f"api_token={gw.api_token}",
        "-p", f"module_file={new}", "-p", "module_id=com.example.widget",
        "-p", "module_version=1.1.0.2026020112", "-p", "restart_timeout=30")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    evts = events(proc.stdout)
    before = {m["id"]: m["version"] for m in output(evts, "before")["modules"]}
    assert before["com.example.widget"] == "1.0.0.2026010112"
    assert output(evts, "upload")["status"] == "pending_restart"
    assert output(evts, "restart")["status"] == "restarted"
    verify = output(evts, "verify")
    assert (verify["state"], verify["version"]) == ("ACTIVE", "1.1.0.2026020112")
    backup = output(evts, "backup")
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
    proc = igtk(tmp_path / "home", str(PLAYBOOK), "--json", "--gateway", f"http://127.0.0.1:{port}",
                "-p", "api_token=igtk:x", "-p", f"module_file={PLAYBOOK}", "-p", "module_id=x",
                "-p", "module_version=1")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "connection refused" in proc.stderr and f"127.0.0.1:{port}" in proc.stderr
    assert not any(e["event"] == "step_started" for e in events(proc.stdout))
