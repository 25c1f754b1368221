"""The 8.1 equivalents through the engine: web login, ping, info, trial, modules, backup, restart."""

from __future__ import annotations

import hashlib
from pathlib import Path

from igtk_tui.gateway.gwbk import validate_gwbk
from igtk_tui.simulator import SimulatedGateway
from tests.support.gateway import run_playbook


def playbook(gw: SimulatedGateway, steps: str, password: str = "password") -> str:
    return f"""
name: gateway 8.1
version: '1.0'
steps:
  - id: login
    name: Web login
    type: gateway.login
    parameters: {{gateway_url: "{gw.url}", username: admin, password: "{password}"}}
{steps}"""


async def test_login_ping_info_trial_on_81(tmp_path: Path, gw81: SimulatedGateway) -> None:
    gw81.state.trial_expires_at = 0
    run = await run_playbook(tmp_path, playbook(gw81, """
  - {id: ping, name: Ping, type: gateway.ping, parameters: {require_running: true}}
  - {id: info, name: Info, type: gateway.get_info}
  - {id: health, name: Health, type: gateway.get_health}
  - {id: trial, name: Trial, type: gateway.trial_status}
  - {id: reset, name: Reset, type: gateway.reset_trial}
  - {id: logout, name: Logout, type: gateway.logout}
"""))
    assert run.ok, run.result.error
    assert run.output("login") == {"status": "logged_in", "gateway_url": gw81.url, "version": "8.1.44",
                                   "auth": "session"}
    assert run.output("ping")["state"] == "RUNNING"
    info = run.output("info")["info"]
    assert (info["version"], info["line"], info["edition"]) == ("8.1.44", "8.1", "standard")
    assert run.output("health")["health"]["healthy"] is True
    trial = run.output("trial")
    assert trial["status"] == "expired" and trial["seconds_left"] == 0 and trial["trial_state"] == "NoneInDemo"
    reset = run.output("reset")
    assert reset["reset"] is True and reset["seconds_left"] > 7000 and not gw81.state.trial_expired()
    assert run.output("logout") == {"status": "logged_out"}


async def test_wrong_password_on_81_fails_the_login(tmp_path: Path, gw81: SimulatedGateway) -> None:
    run = await run_playbook(tmp_path, playbook(gw81, "", password="wrong"))
    assert "check the username and password" in run.error("login")


async def test_module_install_backup_and_restart_on_81(tmp_path: Path, gw81: SimulatedGateway, modl_file) -> None:
    path = modl_file(version="2.0.0.2026030112")
    run = await run_playbook(tmp_path, playbook(gw81, f"""
  - id: refused
    name: Upload without accepting the licence
    type: gateway.upload_module
    on_failure: continue
    parameters: {{file: "{path}", accept_certificate: true}}
  - id: upload
    name: Upload
    type: gateway.upload_module
    parameters: {{file: "{path}", accept_certificate: true, accept_license: true}}
  - id: wait
    name: Wait
    type: gateway.wait_for_module_installation
    parameters: {{module_name: Widget, version: "2.0.0", timeout: 5, poll_interval: 0.1}}
  - {{id: modules, name: Modules, type: gateway.list_modules}}
  - {{id: backup, name: Backup, type: gateway.backup}}
  - {{id: restart, name: Restart, type: gateway.restart, parameters: {{timeout: 20, poll_interval: 0.1}}}}
  - {{id: uninstall, name: Uninstall, type: gateway.uninstall_module, parameters: {{module_id: com.example.widget}}}}
"""))
    assert "accept_license: true" in run.error("refused")
    assert run.ok is False or run.result.failed_steps == 1
    upload = run.output("upload")
    assert upload["status"] == "installed" and upload["restart_required"] is False
    assert run.output("wait")["state"] == "ACTIVE"
    assert "com.example.widget" in [m["id"] for m in run.output("modules")["modules"]]
    backup = run.output("backup")
    data = Path(backup["path"]).read_bytes()
    assert validate_gwbk(data) == backup["version"] == "8.1.44"
    assert hashlib.sha256(data).hexdigest() == backup["sha256"]
    assert run.output("restart")["status"] == "restarted" and gw81.state.restart_count == 1
    assert run.output("uninstall")["status"] == "uninstalled"
    assert "com.example.widget" not in gw81.state.modules


async def test_rest_only_steps_say_81_has_no_rest_api(tmp_path: Path, gw81: SimulatedGateway) -> None:
    run = await run_playbook(tmp_path, playbook(gw81, """
  - {id: projects, name: Projects, type: gateway.list_projects}
"""))
    error = run.error("projects")
    assert "Ignition 8.1.44, which has no REST API" in error
