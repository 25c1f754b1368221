"""The earlier toolkit's gateway playbooks, written as its users wrote them
(tests/data/earlier/playbooks), run unchanged with `igtk run` in a real Chromium
against the simulator's 8.3 web UI; every page action shows in the gateway state
the REST API serves."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from igtk_tui.gateway.gwbk import read_gwbk
from igtk_tui.gateway.modl import build_modl
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.lifecycle import FRESH_INSTALL_ON_STARTUP
from tests.support.cli import REPO, Igtk

TREE = REPO / "tests" / "data" / "earlier" / "playbooks"
PASSWORD = "Earlier-Pass-3371"
TOKEN = ("igtk", "earlier-token")
MODULE_ID = "com.acme.widgets"


@pytest.fixture
def gw(make_gw: Callable[..., SimulatedGateway]) -> SimulatedGateway:
    return make_gw(api_tokens=dict([TOKEN]), admin_password=PASSWORD, restart_seconds=1.0)


def api(gw: SimulatedGateway, path: str) -> Any:
    response = httpx.get(f"{gw.url}/data/api/v1{path}", headers={"X-Ignition-API-Token": ":".join(TOKEN)},
                         timeout=10)
    response.raise_for_status()
    return response.json()


def modules(gw: SimulatedGateway) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in api(gw, "/modules/healthy")["items"]}


def module_file(folder: Path, version: str) -> Path:
    path = folder / f"Acme-Widgets-{version}.modl"
    path.write_bytes(build_modl(MODULE_ID, "Acme Widgets", version, license_text=f"<p>Acme licence {version}</p>"))
    return path


def run(gw: SimulatedGateway, playbook: str, home: Path, **params: str) -> list[dict[str, Any]]:
    """`igtk run TREE/playbook --json` with the gateway login parameters; the events it printed."""
    args = ["run", str(TREE / playbook), "--json",
            "-p", f"gateway_url={gw.url}", "-p", "username=admin", "-p", f"password={PASSWORD}"]
    for name, value in params.items():
        args += ["-p", f"{name}={value}"]
    proc = Igtk(home)(*args, timeout=240)
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    finished = {e["step_id"]: (e["status"], e.get("error")) for e in events if e["event"] == "step_finished"}
    assert proc.code == 0, (proc.stderr, finished)
    assert PASSWORD not in proc.stdout + proc.stderr
    return events


def statuses(events: list[dict[str, Any]]) -> dict[str, str]:
    return {e["step_id"]: e["status"] for e in events if e["event"] == "step_finished"}


def test_gateway_login_through_the_two_step_login(gw: SimulatedGateway, tmp_path: Path) -> None:
    events = run(gw, "gateway/gateway_login.yaml", tmp_path)
    assert set(statuses(events).values()) == {"completed"} and len(statuses(events)) == 8
    assert [s.username for s in gw.state.sessions.values()] == ["admin"]
    shots = [e for e in events if e["event"] == "artifact" and e["artifact_kind"] == "screenshot"]
    assert len(shots) == 1 and Path(shots[0]["path"]).name.endswith("gateway_login.png")


def test_backup_download_saves_a_real_gwbk(gw: SimulatedGateway, tmp_path: Path) -> None:
    events = run(gw, "gateway/backup_gateway.yaml", tmp_path)
    downloads = [Path(e["path"]) for e in events if e["event"] == "artifact" and e["artifact_kind"] == "download"]
    assert len(downloads) == 1 and downloads[0].suffix == ".gwbk"
    assert read_gwbk(downloads[0].read_bytes()).gateway_name == gw.state.gateway_name


def test_trial_reset_on_an_expired_trial(gw: SimulatedGateway, tmp_path: Path) -> None:
    gw.state.trial_expires_at = time.time() - 1
    assert api(gw, "/trial")["expired"] is True
    events = run(gw, "gateway/reset_trial.yaml", tmp_path)
    trial = api(gw, "/trial")
    assert trial["expired"] is False and trial["trialSecondsLeft"] > 7000
    outputs = {e["step_id"]: e["output"] for e in events if e["event"] == "step_finished"}
    # subprocess and asyncio without imports; CSS braces stay literal, the reference is pasted.
    assert outputs["step6"]["echoed"] == "reset" and outputs["step6"]["loop"] == "ok"
    assert outputs["step6"]["html"] == f"<style>p {{{{ color: green }}}}</style><p>{gw.url}</p>"
    assert outputs["step7"]["logged"] == ""  # utility.log's earlier default message


def test_restart_goes_through_starting_and_back(gw: SimulatedGateway, tmp_path: Path) -> None:
    before = gw.state.restart_count
    events = run(gw, "sequences/login_and_restart.yaml", tmp_path)
    assert gw.state.restart_count == before + 1 and gw.phase == "RUNNING"
    wait = next(e for e in events if e["event"] == "step_finished" and e["step_id"] == "step2/step5")
    assert wait["output"]["state"] == "RUNNING"
    # The nested path is relative to the playbooks root; the run log names the file it ran.
    logs = [e["message"] for e in events if e["event"] == "log" and e.get("step_id") == "step2"]
    assert f"playbook.run 'gateway/gateway_restart.yaml': running {TREE / 'gateway' / 'gateway_restart.yaml'}" in logs


def test_module_install_with_certificate_and_licence(gw: SimulatedGateway, tmp_path: Path) -> None:
    path = module_file(tmp_path, "1.0.0")
    events = run(gw, "sequences/login_and_install.yaml", tmp_path, module_file=str(path))
    assert set(statuses(events).values()) == {"completed"}  # both acceptance steps were there
    assert modules(gw)[MODULE_ID]["onStartup"] == FRESH_INSTALL_ON_STARTUP  # INACTIVE until the restart
    assert api(gw, "/restart-tasks/pending")["pending"] == [f"Module Installed: {MODULE_ID}"]
    gw.restart(0)
    assert modules(gw)[MODULE_ID]["state"] == "ACTIVE"


def test_module_uninstall_by_name_resolves_the_trees_own_playbook(gw: SimulatedGateway, tmp_path: Path) -> None:
    seeded = next(iter(modules(gw).values()))
    events = run(gw, "sequences/login_and_uninstall.yaml", tmp_path, module_name=seeded["name"])
    assert modules(gw)[seeded["id"]]["onStartup"] == "UNINSTALL"
    logs = [e["message"] for e in events if e["event"] == "log" and e.get("step_id") == "step2"]
    # Not igtk's built-in gateway/module_uninstall.yaml (other parameters): the tree's own.
    assert any(m.endswith(str(TREE / "gateway" / "module_uninstall.yaml")) for m in logs)
    gw.restart(0)
    assert seeded["id"] not in modules(gw)


def test_module_upgrade_nests_uninstall_restart_install_restart(gw: SimulatedGateway, tmp_path: Path) -> None:
    run(gw, "sequences/login_and_install.yaml", tmp_path, module_file=str(module_file(tmp_path, "1.0.0")))
    gw.restart(0)
    assert modules(gw)[MODULE_ID]["version"] == "1.0.0"
    restarts = gw.state.restart_count
    events = run(gw, "gateway/module_upgrade.yaml", tmp_path, module_name="Acme Widgets",
                 module_file=str(module_file(tmp_path, "2.0.0")))
    done = statuses(events)
    assert all(done[s] == "completed" for s in ("step1", "step2", "step3", "step4", "step5"))
    # The certificate was trusted with 1.0.0: only the new licence is asked for.
    assert done["step4/step5"] == "failed" and done["step4/step7"] == "completed"
    assert gw.state.restart_count == restarts + 2
    upgraded = modules(gw)[MODULE_ID]
    assert upgraded["version"] == "2.0.0" and upgraded["state"] == "ACTIVE" and upgraded["onStartup"] is None


@pytest.fixture
def gw81(make_gw: Callable[..., SimulatedGateway]) -> SimulatedGateway:
    return make_gw(version="8.1", admin_password=PASSWORD, restart_seconds=1.0)


def test_the_same_login_playbook_signs_in_to_an_81_gateway(gw81: SimulatedGateway, tmp_path: Path) -> None:
    events = run(gw81, "gateway/gateway_login.yaml", tmp_path)
    assert set(statuses(events).values()) == {"completed"}
    assert [s.username for s in gw81.state.sessions.values()] == ["admin"]


def test_trial_reset_on_81_uses_its_status_page_banner(gw81: SimulatedGateway, tmp_path: Path) -> None:
    gw81.state.trial_expires_at = time.time() - 1
    run(gw81, "gateway81/reset_trial.yaml", tmp_path)
    assert not gw81.state.trial_expired() and gw81.state.trial_seconds_left() > 7000
