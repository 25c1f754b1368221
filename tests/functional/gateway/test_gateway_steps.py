"""Every gateway.* step through the real engine against a simulated 8.3 gateway."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from igtk_tui.config import Settings
from igtk_tui.gateway.gwbk import validate_gwbk
from igtk_tui.paths import resolve_paths
from igtk_tui.simulator import SimulatedGateway
from igtk_tui.vault import Vault
from igtk_tui.vault.kdf import CHEAP_TEST_KDF
from igtk_tui.vault.model import Credential
from tests.support.gateway import run_playbook

GW_PARAMS = """
parameters:
  - {name: gateway_url, type: string}
  - {name: api_token, type: string, secret: true}
"""


def params(gw: SimulatedGateway) -> dict[str, str]:
    return {"gateway_url": gw.url, "api_token": gw.api_token}


LOGIN = """
  - id: login
    name: Log in
    type: gateway.login
    parameters: {gateway_url: "{{ parameter.gateway_url }}", api_token: "{{ parameter.api_token }}"}
"""


def playbook(steps: str, extra_params: str = "") -> str:
    return f"name: gateway test\nversion: '1.0'\n{GW_PARAMS}{extra_params}steps:\n{LOGIN}{steps}"


async def test_get_info_on_a_new_client_reads_gwinfo_once(tmp_path: Path, gw: SimulatedGateway) -> None:
    """The version detection of a new client reads /system/gwinfo; get_info uses that answer."""
    text = (f"name: info\nversion: '1.0'\n{GW_PARAMS}steps:\n"
            "  - {id: info, name: Info, type: gateway.get_info,"
            " parameters: {gateway_url: '{{ parameter.gateway_url }}'}}\n")
    run = await run_playbook(tmp_path, text, params(gw))
    assert run.ok, run.result.error
    assert run.output("info")["info"]["name"] == gw.state.gateway_name
    assert [r for r in gw.requests if r[1] == "/system/gwinfo"] == [("GET", "/system/gwinfo", 200)]


async def test_login_then_info_ping_health_lists_without_credentials(tmp_path: Path, gw: SimulatedGateway) -> None:
    run = await run_playbook(tmp_path, playbook("""
  - {id: ping, name: Ping, type: gateway.ping}
  - {id: info, name: Info, type: gateway.get_info}
  - {id: health, name: Health, type: gateway.get_health}
  - {id: modules, name: Modules, type: gateway.list_modules}
  - {id: projects, name: Projects, type: gateway.list_projects}
  - id: project
    name: One project
    type: gateway.get_project
    parameters: {project_name: "{{ step.projects.projects.0.name }}"}
  - {id: trial, name: Trial, type: gateway.trial_status}
  - {id: ready, name: Ready, type: gateway.wait_for_ready, parameters: {poll_interval: 0.1}}
  - {id: logout, name: Logout, type: gateway.logout}
"""), params(gw))
    assert run.ok, run.result.error
    assert run.output("login") == {"status": "logged_in", "gateway_url": gw.url, "version": "8.3.6",
                                   "auth": "api-token"}
    ping = run.output("ping")
    assert (ping["status"], ping["response"], ping["state"]) == ("ok", True, "RUNNING")
    info = run.output("info")["info"]
    assert info["version"] == "8.3.6" and info["platform_version"].startswith("8.3.6 (b")
    assert info["edition"] == "standard" and info["name"] == gw.state.gateway_name
    assert isinstance(info["uptime_seconds"], float)
    health = run.output("health")["health"]
    assert health["healthy"] is True and health["state"] == "RUNNING" and health["faulted_modules"] == []
    assert health["trial_seconds_left"] > 7000
    modules = run.output("modules")
    assert modules["count"] == len(gw.state.modules) == len(modules["modules"])
    perspective = next(m for m in modules["modules"] if m["id"] == "com.inductiveautomation.perspective")
    assert perspective["name"] == "Perspective" and perspective["state"] == "ACTIVE"
    projects = run.output("projects")
    assert projects["count"] == len(gw.state.projects) >= 1
    assert run.output("project")["project"]["name"] == projects["projects"][0]["name"]
    trial = run.output("trial")
    assert trial["status"] == "active" and trial["expired"] is False and trial["seconds_left"] > 7000
    assert run.output("ready")["status"] == "ready"
    assert run.output("logout") == {"status": "logged_out"}
    # the token was never written to an event
    assert not any(gw.api_token in repr(e) for e in run.events)


async def test_missing_project_fails_naming_the_existing_ones(tmp_path: Path, gw: SimulatedGateway) -> None:
    run = await run_playbook(tmp_path, playbook("""
  - {id: project, name: Missing, type: gateway.get_project, parameters: {project_name: NoSuchProject}}
"""), params(gw))
    assert not run.ok
    error = run.error("project")
    assert "'NoSuchProject' not found" in error
    assert all(name in error for name in gw.state.projects)


async def test_steps_without_login_or_url_fail_clearly(tmp_path: Path, gw: SimulatedGateway) -> None:
    text = "name: t\nversion: '1.0'\nsteps:\n  - {id: modules, name: M, type: gateway.list_modules}\n"
    run = await run_playbook(tmp_path, text)
    assert "no gateway URL" in run.error("modules")
    text = f"name: t\nversion: '1.0'\nsteps:\n  - {{id: modules, name: M, type: gateway.list_modules, " \
           f"parameters: {{gateway_url: '{gw.url}'}}}}\n"
    run = await run_playbook(tmp_path, text)
    assert "needs authentication" in run.error("modules")


async def test_vault_credentials_token_and_basic(tmp_path: Path, gw: SimulatedGateway) -> None:
    vault = Vault.open(resolve_paths(), env={"IGTK_VAULT_PASSPHRASE": "gateway-tests"}, backend="file",
                       test_kdf=CHEAP_TEST_KDF)
    name, secret = gw.api_token.split(":", 1)
    vault.add(Credential("gw", "api-token", name, secret, gateway_url=gw.url))
    vault.add(Credential("admin", "basic", "admin", "password", gateway_url=gw.url))
    text = """
name: credentials
version: '1.0'
steps:
  - {id: login, name: Token login, type: gateway.login, parameters: {credential: "{{ credential.gw }}"}}
  - {id: modules, name: Modules, type: gateway.list_modules}
  - {id: web, name: Web login, type: gateway.login, parameters: {credential: admin}}
  - id: upload
    name: Upload with the session (CSRF)
    type: gateway.upload_module
    parameters: {file: widget.modl, accept_certificate: true, accept_license: true}
"""
    from igtk_tui.gateway.modl import build_modl

    (tmp_path / "widget.modl").write_bytes(build_modl("com.example.widget", "Widget", "1.0.0", license_text="x"))
    run = await run_playbook(tmp_path, text, credentials=vault)
    assert run.ok, run.result.error
    assert run.output("login")["auth"] == "api-token"
    assert run.output("modules")["count"] >= 6
    assert run.output("web")["auth"] == "session"
    assert run.output("upload")["module_id"] == "com.example.widget"
    assert "com.example.widget" in gw.state.modules


async def test_module_upload_needs_explicit_acceptance(tmp_path: Path, gw: SimulatedGateway, modl_file) -> None:
    path = modl_file()
    steps = """
  - id: upload
    name: Upload
    type: gateway.upload_module
    parameters: {file: "%s", accept_certificate: %s, accept_license: %s}
"""
    run = await run_playbook(tmp_path, playbook(steps % (path, "false", "true")), params(gw))
    error = run.error("upload")
    assert "does not trust" in error and "accept_certificate: true" in error and "CN=com.example" in error
    assert "com.example.widget" not in gw.state.modules and "com.example.widget" in gw.state.quarantine

    run = await run_playbook(tmp_path, playbook(steps % (path, "true", "false")), params(gw))
    assert "accept_license: true" in run.error("upload")
    assert "com.example.widget" not in gw.state.modules

    run = await run_playbook(tmp_path, playbook(steps % (path, "true", "true")), params(gw))
    out = run.output("upload")
    assert out["module_id"] == "com.example.widget" and out["version"] == "1.0.0.2026010112"
    assert out["status"] == "pending_restart" and out["restart_required"] is True
    assert out["certificate_accepted"] and out["license_accepted"]
    assert out["certificate"]["subject"] == "CN=com.example"
    assert "Module Installed: com.example.widget" in out["pending_restart_tasks"]


async def test_upgrade_restart_wait_uninstall(tmp_path: Path, gw: SimulatedGateway, modl_file) -> None:
    first, second = modl_file(version="1.0.0.2026010112"), modl_file(version="1.1.0.2026020112")
    run = await run_playbook(tmp_path, playbook(f"""
  - id: install
    name: Install 1.0
    type: gateway.upload_module
    parameters: {{file: "{first}", accept_certificate: true, accept_license: true}}
  - {{id: restart1, name: Restart, type: gateway.restart, parameters: {{timeout: 20, poll_interval: 0.1}}}}
  - id: wait1
    name: Wait 1.0
    type: gateway.wait_for_module_installation
    parameters: {{module_name: Widget, version: "1.0.0.2026010112", timeout: 10, poll_interval: 0.1}}
  - id: upgrade
    name: Upgrade to 1.1
    type: gateway.upload_module
    parameters: {{file: "{second}", accept_certificate: true, accept_license: true}}
  - {{id: restart2, name: Restart, type: gateway.restart, parameters: {{timeout: 20, poll_interval: 0.1}}}}
  - id: wait2
    name: Wait 1.1
    type: gateway.wait_for_module_installation
    parameters: {{module_id: com.example.widget, version: "1.1.0", timeout: 10, poll_interval: 0.1}}
  - {{id: uninstall, name: Uninstall, type: gateway.uninstall_module, parameters: {{module_name: Widget}}}}
  - {{id: restart3, name: Restart, type: gateway.restart, parameters: {{timeout: 20, poll_interval: 0.1}}}}
  - {{id: modules, name: Modules, type: gateway.list_modules}}
"""), params(gw))
    assert run.ok, run.result.error
    restart = run.output("restart1")
    assert restart["status"] == "restarted" and restart["ready"] is True
    assert restart["pending_tasks"] == ["Module Installed: com.example.widget"]
    assert run.output("wait1")["state"] == "ACTIVE" and run.output("wait1")["status"] == "installed"
    assert run.output("wait2")["version"] == "1.1.0.2026020112"
    assert run.output("uninstall")["status"] == "pending_restart"
    assert "com.example.widget" not in [m["id"] for m in run.output("modules")["modules"]]
    assert gw.state.restart_count == 3


async def test_export_and_import_project(tmp_path: Path, gw: SimulatedGateway) -> None:
    source = next(iter(gw.state.projects))
    run = await run_playbook(tmp_path, playbook(f"""
  - {{id: export, name: Export, type: gateway.export_project, parameters: {{project_name: "{source}"}}}}
  - id: import
    name: Import as a copy
    type: gateway.import_project
    parameters: {{project_name: CopyOfIt, file: "{{{{ step.export.path }}}}"}}
  - id: again
    name: Import again without overwrite
    type: gateway.import_project
    on_failure: continue
    parameters: {{project_name: CopyOfIt, file: "{{{{ step.export.path }}}}"}}
  - id: overwrite
    name: Import again with overwrite
    type: gateway.import_project
    parameters: {{project_name: CopyOfIt, file: "{{{{ step.export.path }}}}", overwrite: true}}
"""), params(gw))
    export = run.output("export")
    path = Path(export["path"])
    assert path.is_file() and path.parent.parent == tmp_path / "artifacts"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == export["sha256"] and zipfile.is_zipfile(path)
    assert path.as_posix() in run.finished("export").artifacts
    assert run.output("import")["status"] == "imported" and "CopyOfIt" in gw.state.projects
    assert "already exists" in run.error("again") and "409" in run.error("again")
    assert run.output("overwrite")["status"] == "imported"


async def test_backup_verified_and_pruned_in_dest_dir(tmp_path: Path, gw: SimulatedGateway) -> None:
    dest = tmp_path / "backups"
    dest.mkdir()
    (dest / "someone-else.gwbk").write_bytes(b"not ours")
    steps = "".join(f"""
  - {{id: b{i}, name: Backup {i}, type: gateway.backup, parameters: {{dest_dir: "{dest}", keep: 2}}}}""" for i in range(3))
    run = await run_playbook(tmp_path, playbook(steps + "\n"), params(gw))
    assert run.ok, run.result.error
    out = run.output("b2")
    path = Path(out["path"])
    data = path.read_bytes()
    assert out["size"] == len(data) and out["sha256"] == hashlib.sha256(data).hexdigest()
    assert out["version"] == validate_gwbk(data) == "8.3.6"
    assert out["filename"].endswith(".gwbk") and "_Ignition-backup-" in out["filename"]
    assert path.parent == tmp_path / "artifacts" / run.result.id
    kept = sorted(p.name for p in dest.glob("igtk-*.gwbk"))
    assert len(kept) == 2 and Path(out["dest_path"]).name in kept
    assert (dest / "someone-else.gwbk").exists()
    assert len(run.output("b2")["deleted"]) == 1
    assert not list(tmp_path.rglob("*.part"))


async def test_restore_requires_confirm_before_touching_the_gateway(tmp_path: Path, gw: SimulatedGateway) -> None:
    from igtk_tui.gateway.gwbk import build_gwbk

    backup = tmp_path / "good.gwbk"
    backup.write_bytes(build_gwbk("8.3.6", "Restored-GW"))
    text = f"""
name: restore
version: '1.0'
steps:
  - id: restore
    name: Restore without confirm
    type: gateway.restore
    parameters: {{gateway_url: "{gw.url}", api_token: "{gw.api_token}", file: "{backup}"}}
"""
    run = await run_playbook(tmp_path, text)
    assert "set confirm: true" in run.error("restore") and "nothing was sent" in run.error("restore")
    assert gw.requests == []
    run = await run_playbook(tmp_path, text.replace("file:", "confirm: true, poll_interval: 0.1, file:"))
    out = run.output("restore")
    assert out["status"] == "restored" and out["ready"] is True and out["version"] == "8.3.6"
    assert gw.state.restores == 1 and gw.state.gateway_name == "Restored-GW"


async def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, gw: SimulatedGateway) -> None:
    bad = tmp_path / "bad.gwbk"
    bad.write_bytes(b"PK\x03\x04 truncated")
    run = await run_playbook(tmp_path, playbook(f"""
  - {{id: restore, name: Restore, type: gateway.restore, parameters: {{file: "{bad}", confirm: true}}}}
"""), params(gw))
    assert "not a valid gateway backup" in run.error("restore")
    assert gw.state.restores == 0 and not any(p == "/data/api/v1/backup" for _, p, _ in gw.requests)


async def test_trial_reset_only_when_expired(tmp_path: Path, gw: SimulatedGateway) -> None:
    steps = "  - {id: reset, name: Reset, type: gateway.reset_trial}\n"
    run = await run_playbook(tmp_path, playbook(steps), params(gw))
    out = run.output("reset")
    assert out["status"] == "not_expired" and out["reset"] is False
    gw.state.trial_expires_at = 0
    run = await run_playbook(tmp_path, playbook(steps), params(gw))
    out = run.output("reset")
    assert out["status"] == "reset" and out["reset"] is True and out["seconds_left"] > 7000
    run = await run_playbook(tmp_path, playbook(
        "  - {id: reset, name: Reset, type: gateway.reset_trial, parameters: {force: true}}\n"), params(gw))
    assert "403" in run.error("reset") and "expired" in run.error("reset")


@pytest.mark.parametrize("verify", [False])
async def test_tls_opt_out_warns_in_the_execution_log(tmp_path: Path, gw: SimulatedGateway, verify: bool) -> None:
    run = await run_playbook(tmp_path, playbook("  - {id: ping, name: Ping, type: gateway.ping}\n"),
                             params(gw), settings=Settings(verify_tls=verify))
    assert run.ok
    assert any("TLS certificate verification is OFF" in m for m in run.logs("warning"))


async def test_wait_for_ready_renews_a_web_session_the_gateway_forgot(tmp_path: Path, gw: SimulatedGateway) -> None:
    from igtk_tui.engine.events import StepStarted

    def forget_sessions(event: object, execution: object) -> None:
        if isinstance(event, StepStarted) and event.step_id == "wait":
            gw.state.sessions.clear()

    run = await run_playbook(tmp_path, f"""
name: session
version: '1.0'
steps:
  - {{id: login, name: L, type: gateway.login, parameters: {{gateway_url: "{gw.url}", username: admin, password: password}}}}
  - {{id: wait, name: W, type: gateway.wait_for_ready, parameters: {{timeout: 5, poll_interval: 0.1}}}}
""", on_event=forget_sessions)
    assert run.ok, run.result.error
    assert any("logging in again" in m for m in run.logs())


async def test_per_gateway_ca_bundle_parameter(tmp_path: Path, gw: SimulatedGateway) -> None:
    from tests.support.gateway import CuttingProxy, self_signed_tls

    context, ca_pem = self_signed_tls(tmp_path)
    async with CuttingProxy(gw.port, None, ssl_context=context) as https:
        text = f"""
name: tls
version: '1.0'
steps:
  - id: untrusted
    name: Untrusted
    type: gateway.login
    on_failure: continue
    parameters: {{gateway_url: "{https.url}", api_token: "{gw.api_token}"}}
  - id: login
    name: With the CA bundle
    type: gateway.login
    parameters: {{gateway_url: "{https.url}", api_token: "{gw.api_token}", ca_bundle: "{ca_pem.name}"}}
  - {{id: projects, name: Projects, type: gateway.list_projects}}
"""
        run = await run_playbook(tmp_path, text)
    assert "not trusted" in run.error("untrusted") and "ca_bundle" in run.error("untrusted")
    assert run.output("login")["gateway_url"] == https.url
    assert run.output("projects")["count"] >= 1


async def test_restart_without_waiting_then_wait_for_ready(tmp_path: Path, make_gw) -> None:
    gw = make_gw(restart_seconds=1.5)
    run = await run_playbook(tmp_path, playbook("""
  - {id: restart, name: Restart, type: gateway.restart, parameters: {wait_for_ready: false}}
  - {id: ping, name: Ping, type: gateway.ping}
  - {id: wait, name: Wait, type: gateway.wait_for_ready, parameters: {timeout: 10, poll_interval: 0.1}}
"""), params(gw))
    assert run.ok, run.result.error
    assert run.output("restart")["status"] == "restart_requested" and run.output("restart")["ready"] is False
    assert run.output("ping")["state"] == "STARTING"
    wait = run.output("wait")
    assert wait["status"] == "ready" and wait["state"] == "RUNNING" and wait["waited_seconds"] > 0


async def test_ping_never_fails_unless_told(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    run = await run_playbook(tmp_path, f"""
name: ping
version: '1.0'
steps:
  - {{id: ping, name: Ping, type: gateway.ping, parameters: {{gateway_url: "{url}"}}}}
  - {{id: strict, name: Strict, type: gateway.ping, parameters: {{gateway_url: "{url}", require_running: true}}}}
""")
    out = run.output("ping")
    assert (out["status"], out["response"], out["state"]) == ("unreachable", False, None)
    assert "connection refused" in run.error("strict")


async def test_tls_opt_out_warns_once_per_execution(tmp_path: Path, gw: SimulatedGateway) -> None:
    """Ping, then a login (which replaces the ping's client), then another call: one warning."""
    text = (f"name: tls\nversion: '1.0'\n{GW_PARAMS}steps:\n"
            "  - {id: ping, name: Ping, type: gateway.ping, parameters: {gateway_url: '{{ parameter.gateway_url }}'}}\n"
            f"{LOGIN}"
            "  - {id: info, name: Info, type: gateway.get_info}\n")
    run = await run_playbook(tmp_path, text, params(gw), settings=Settings(verify_tls=False))
    assert run.ok
    assert len([m for m in run.logs("warning") if "TLS certificate verification is OFF" in m]) == 1
