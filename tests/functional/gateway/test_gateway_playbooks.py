"""Every shipped gateway playbook runs green through `igtk run` against the
simulated gateway (8.3, and 8.1 where the operation exists there), with its
effect checked on the gateway and in its outputs. Credentials are created with
the real `igtk cred add` (secret on stdin) in an encrypted-file vault."""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from igtk_tui.gateway.modl import build_modl
from igtk_tui.simulator import SimulatedGateway
from tests.support.cli import Igtk, Result

TOKEN_NAME, TOKEN_SECRET = "igtk", "s3cret-token-value"
MODULE_ID, MODULE_NAME = "com.acme.widgets", "Acme Widgets"
FAST = ("-p", "poll_interval=0.1")  # the wait steps' check interval; the waits themselves are event-free polls


@pytest.fixture(scope="module")
def sim83() -> Iterator[SimulatedGateway]:
    with SimulatedGateway(version="8.3", api_tokens={TOKEN_NAME: TOKEN_SECRET}, restart_seconds=0.4) as gw:
        yield gw


@pytest.fixture(scope="module")
def sim81() -> Iterator[SimulatedGateway]:
    with SimulatedGateway(version="8.1", restart_seconds=0.4) as gw:
        yield gw


@pytest.fixture(scope="module")
def gw_cli(tmp_path_factory: pytest.TempPathFactory, sim83: SimulatedGateway, sim81: SimulatedGateway) -> Igtk:
    """One IGTK_HOME with two vault credentials, added the way an operator does."""
    cli = Igtk(tmp_path_factory.mktemp("gateway-playbooks") / "home")
    cli.seed_cheap_vault()
    r = cli("cred", "add", "sim83", "--type", "api-token", "--username", TOKEN_NAME, "--gateway-url", sim83.url,
            stdin=TOKEN_SECRET)
    assert r.code == 0, r.describe()
    r = cli("cred", "add", "sim81", "--type", "basic", "--username", "admin", "--gateway-url", sim81.url,
            stdin="password")
    assert r.code == 0, r.describe()
    return cli


def run(cli: Igtk, playbook: str, *params: str, expect: int = 0) -> Result:
    result = cli("run", f"gateway/{playbook}", "--json", *params)
    assert result.code == expect, result.describe()
    assert TOKEN_SECRET not in result.stdout + result.stderr  # secrets never reach the output
    return result


@pytest.mark.parametrize("version", ["8.3", "8.1"])
def test_health_check(gw_cli: Igtk, version: str, sim83: SimulatedGateway, sim81: SimulatedGateway) -> None:
    sim = sim83 if version == "8.3" else sim81
    r = run(gw_cli, "health_check", "-p", f"gateway=sim{version.replace('.', '')}")
    verdict = r.output("verdict")
    assert verdict["healthy"] == "yes" and verdict["modules"] == str(len(sim.state.modules))
    assert r.output("info")["info"]["line"] == version
    assert r.output("login")["gateway_url"] == sim.url  # the credential's URL


def test_health_check_reports_a_faulted_module(gw_cli: Igtk, sim83: SimulatedGateway) -> None:
    module = sim83.state.modules["com.inductiveautomation.reporting"]
    with sim83.state.lock:
        module.state, module.fault_cause = "FAULTED", "license expired"
    try:
        r = run(gw_cli, "health_check", "-p", "gateway=sim83", expect=1)  # cron and CI see exit 1
        assert "Reporting FAULTED: license expired" in r.finished("verdict")["error"]
    finally:
        with sim83.state.lock:
            module.state, module.fault_cause = "ACTIVE", None


@pytest.mark.parametrize("version", ["8.3", "8.1"])
def test_info_report(gw_cli: Igtk, version: str, tmp_path: Path, sim83: SimulatedGateway,
                     sim81: SimulatedGateway) -> None:
    sim = sim83 if version == "8.3" else sim81
    out = tmp_path / "report.json"
    r = run(gw_cli, "info_report", "-p", f"gateway=sim{version.replace('.', '')}", "-p", f"output_file={out}")
    report = json.loads(out.read_text())
    assert report["info"]["version"] == sim.config.plain_version
    assert {m["id"] for m in report["modules"]} == set(sim.state.modules)
    assert report["healthy"] is True
    if version == "8.3":
        assert "Demo" in [p["name"] for p in report["projects"]]
    else:
        assert r.finished("projects")["status"] == "skipped" and "projects" not in report
    assert r.output("report")["module_count"] == str(len(sim.state.modules))


def test_backup_is_a_verified_gwbk_and_keeps_n(gw_cli: Igtk, tmp_path: Path, sim83: SimulatedGateway) -> None:
    dest = tmp_path / "backups"
    (dest).mkdir()
    (dest / "someone-elses.gwbk").write_bytes(b"not ours")  # never touched by keep
    outputs = [run(gw_cli, "backup", "-p", "gateway=sim83", "-p", f"dest_dir={dest}", "-p", "keep=1").output("backup")
               for _ in range(2)]
    ours = sorted(p for p in dest.glob("*.gwbk") if p.name != "someone-elses.gwbk")
    assert len(ours) == 1 and (dest / "someone-elses.gwbk").exists()
    assert outputs[-1]["deleted"] and not Path(outputs[-1]["deleted"][0]).exists()
    newest = Path(outputs[-1]["dest_path"])
    assert newest in ours and Path(outputs[-1]["path"]).is_file()  # also kept with the artifacts
    with zipfile.ZipFile(newest) as archive:
        assert archive.testzip() is None
        assert "backupinfo.xml" in archive.namelist()
        assert sim83.config.plain_version in archive.read("backupinfo.xml").decode()
    assert outputs[-1]["version"] == sim83.config.plain_version


def test_backup_on_81(gw_cli: Igtk, tmp_path: Path) -> None:
    r = run(gw_cli, "backup", "-p", "gateway=sim81", "-p", f"dest_dir={tmp_path}", "-p", "keep=1")
    path = Path(r.output("backup")["dest_path"])
    assert zipfile.is_zipfile(path) and r.output("check_copy")["entries"] != "0"


def test_restore_needs_confirmation_then_restores(gw_cli: Igtk, tmp_path: Path, sim83: SimulatedGateway) -> None:
    import httpx

    from igtk_tui.simulator.state import Project

    backup = tmp_path / "taken-earlier.gwbk"  # a backup as the gateway makes it
    response = httpx.get(f"{sim83.url}/data/api/v1/backup", headers={"X-Ignition-API-Token": sim83.api_token})
    backup.write_bytes(response.raise_for_status().content)

    with sim83.state.lock:
        sim83.state.projects["Scratch"] = Project("Scratch", title="made after the backup")
        restores, restarts = sim83.state.restores, sim83.state.restart_count

    refused = run(gw_cli, "restore", "-p", "gateway=sim83", "-p", f"backup_file={backup}", expect=1)
    assert "refusing to restore" in refused.finished("confirmed")["error"]
    assert "login" not in refused.step_ids() and sim83.state.restores == restores

    r = run(gw_cli, "restore", "-p", "gateway=sim83", "-p", f"backup_file={backup}", "-p", "confirm=true", *FAST)
    assert r.output("restore")["status"] == "restored" and r.output("restore")["ready"] is True
    assert Path(r.output("safety")["path"]).is_file()  # the safety backup of what was there
    assert r.output("health")["health"]["healthy"] is True
    assert sim83.state.restores == restores + 1 and sim83.state.restart_count > restarts
    assert "Scratch" not in sim83.state.projects and "Demo" in sim83.state.projects


@pytest.mark.parametrize("version", ["8.3", "8.1"])
def test_restart_and_wait(gw_cli: Igtk, version: str, sim83: SimulatedGateway, sim81: SimulatedGateway) -> None:
    sim = sim83 if version == "8.3" else sim81
    before = sim.state.restart_count
    r = run(gw_cli, "restart", "-p", f"gateway=sim{version.replace('.', '')}", *FAST)
    assert sim.state.restart_count == before + 1 and sim.phase == "RUNNING"
    restart = r.output("restart")
    assert restart["status"] == "restarted" and restart["ready"] is True
    assert r.output("health")["health"]["healthy"] is True


@pytest.mark.parametrize("version", ["8.3", "8.1"])
def test_trial_reset_only_when_expired(gw_cli: Igtk, version: str, sim83: SimulatedGateway,
                                       sim81: SimulatedGateway) -> None:
    sim = sim83 if version == "8.3" else sim81
    cred = f"gateway=sim{version.replace('.', '')}"
    running = run(gw_cli, "trial_reset", "-p", cred)
    assert running.output("status")["expired"] is False
    assert running.finished("reset")["status"] == "skipped"

    with sim.state.lock:
        sim.state.trial_expires_at = time.time() - 5  # the 2-hour trial ran out
    assert sim.state.trial_expired()
    r = run(gw_cli, "trial_reset", "-p", cred)
    assert r.output("status")["expired"] is True
    assert r.output("reset")["reset"] is True
    assert r.output("after")["expired"] is False and r.output("after")["seconds_left"] > 7000
    assert not sim.state.trial_expired() and sim.state.trial_seconds_left() > 7000

    if version == "8.3":
        with sim.state.lock:
            sim.state.trial_expires_at = time.time() - 5
        report_only = run(gw_cli, "trial_reset", "-p", cred, "-p", "reset=false")
        assert report_only.finished("reset")["status"] == "skipped" and sim.state.trial_expired()
        with sim.state.lock:
            sim.state.reset_trial()


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("modl")
    out = {}
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        path = folder / f"Acme-Widgets-{version}.modl"
        path.write_bytes(build_modl(MODULE_ID, MODULE_NAME, version, license_text="<p>Acme EULA</p>"))
        out[version] = path
    return out


def module_on(sim: SimulatedGateway) -> tuple[str, str] | None:
    with sim.state.lock:
        sim.state.tick()
        module = sim.state.modules.get(MODULE_ID)
        return (module.version, module.state) if module else None


def test_module_install_upgrade_rollback_uninstall(gw_cli: Igtk, sim83: SimulatedGateway,
                                                  modules: dict[str, Path], tmp_path: Path) -> None:
    archive = tmp_path / "module-archive"
    accept = ("-p", "accept_certificate=true", "-p", "accept_license=true", "-p", f"module_archive={archive}")

    # Install 1.0.0: uploaded, accepted, restarted, running; a copy kept for later rollbacks.
    r = run(gw_cli, "module_install", "-p", "gateway=sim83", "-p", f"module_file={modules['1.0.0']}", *accept, *FAST)
    assert module_on(sim83) == ("1.0.0", "ACTIVE")
    assert r.output("upload")["restart_required"] is True and r.finished("restart")["status"] == "completed"
    assert r.output("verify")["state"] == "ACTIVE"
    assert (archive / MODULE_ID / f"{MODULE_ID}-1.0.0.modl").is_file()
    again = run(gw_cli, "module_install", "-p", "gateway=sim83", "-p", f"module_file={modules['1.0.0']}", expect=1)
    assert "use gateway/module_upgrade" in again.finished("not_installed")["error"]

    # No copy of the installed version to roll back to: refused before anything changes.
    refused = run(gw_cli, "module_upgrade", "-p", "gateway=sim83", "-p", f"module_file={modules['1.1.0']}",
                  expect=1)
    assert "no .modl of the installed version 1.0.0" in refused.finished("plan")["error"]
    assert "upload" not in refused.step_ids() and module_on(sim83) == ("1.0.0", "ACTIVE")

    # Upgrade to 1.1.0: detected 1.0.0, found its archived file, restarted, verified the new version.
    r = run(gw_cli, "module_upgrade", "-p", "gateway=sim83", "-p", f"module_file={modules['1.1.0']}", *accept, *FAST)
    assert r.output("plan")["installed_version"] == "1.0.0" and r.output("plan")["rollback"] == "yes"
    assert r.output("verify")["version"] == "1.1.0" and r.output("verify")["state"] == "ACTIVE"
    assert module_on(sim83) == ("1.1.0", "ACTIVE")
    assert (archive / MODULE_ID / f"{MODULE_ID}-1.1.0.modl").is_file()

    # Upgrade to 1.2.0, which fails to start: rolled back to 1.1.0, and the run fails saying so.
    sim83.faults.failing_modules = {MODULE_ID}
    proc = gw_cli.popen("run", "gateway/module_upgrade", "--json", "-p", "gateway=sim83",
                        "-p", f"module_file={modules['1.2.0']}", *accept, *FAST)
    events = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] == "steps_added" and events[-1]["steps"][0]["role"] == "rollback":
                # The new version came up FAULTED; the fault is cleared as the rollback begins, so
                # the previous version starts at the rollback's restart (which is still to come).
                sim83.faults.failing_modules = set()
        stderr = proc.stderr.read() if proc.stderr else ""
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sim83.faults.failing_modules = set()
    assert proc.returncode == 1, stderr
    finished = {e["step_id"]: e for e in events if e["event"] == "step_finished"}
    assert finished["verify"]["status"] == "failed" and "FAULTED" in finished["verify"]["error"]
    for step_id in ("reinstall_previous", "restart_previous", "verify_previous"):
        assert finished[step_id]["status"] == "completed", finished[step_id]
    assert finished["verify_previous"]["output"]["version"] == "1.1.0"
    assert "rolled back" in events[-1]["error"]
    assert module_on(sim83) == ("1.1.0", "ACTIVE")

    # Uninstall by display name, with a backup first; gone after the restart.
    r = run(gw_cli, "module_uninstall", "-p", "gateway=sim83", "-p", f"module={MODULE_NAME}",
            "-p", "backup_first=true", *FAST)
    assert r.output("find")["module_id"] == MODULE_ID and r.output("verify")["removed"] == "yes"
    assert Path(r.output("backup")["path"]).is_file()
    assert module_on(sim83) is None


def test_module_install_on_81_hot_loads(gw_cli: Igtk, sim81: SimulatedGateway, modules: dict[str, Path]) -> None:
    with sim81.state.lock:
        sim81.config.allow_unsigned_modules = True
    r = run(gw_cli, "module_install", "-p", "gateway=sim81", "-p", f"module_file={modules['1.0.0']}",
            "-p", "accept_certificate=true", "-p", "accept_license=true", *FAST)
    assert r.output("upload")["restart_required"] is False
    assert r.finished("restart")["status"] == "skipped"  # 8.1 starts modules without a restart
    assert r.output("verify")["version"] == "1.0.0" and module_on(sim81) == ("1.0.0", "ACTIVE")


def test_project_export_and_import(gw_cli: Igtk, tmp_path: Path, sim83: SimulatedGateway) -> None:
    r = run(gw_cli, "project_export", "-p", "gateway=sim83", "-p", "project=Demo", "-p", f"dest_dir={tmp_path}")
    exported = Path(r.output("copy")["file"])
    assert exported.parent == tmp_path and exported.name.startswith("Demo-")
    with zipfile.ZipFile(exported) as archive:
        assert archive.testzip() is None and archive.namelist()

    r = run(gw_cli, "project_import", "-p", "gateway=sim83", "-p", f"project_file={exported}", "-p", "project=DemoCopy")
    assert r.output("plan")["exists"] == "no" and r.output("verify")["project"]["name"] == "DemoCopy"
    assert "DemoCopy" in sim83.state.projects
    assert sim83.state.projects["DemoCopy"].resources.keys() == sim83.state.projects["Demo"].resources.keys()

    refused = run(gw_cli, "project_import", "-p", "gateway=sim83", "-p", f"project_file={exported}",
                  "-p", "project=DemoCopy", expect=1)
    assert "already exists" in refused.finished("plan")["error"]
    over = run(gw_cli, "project_import", "-p", "gateway=sim83", "-p", f"project_file={exported}",
               "-p", "project=DemoCopy", "-p", "overwrite=true")
    assert over.output("plan")["exists"] == "yes" and Path(over.output("save_current")["path"]).is_file()
    assert over.finished("import_over")["status"] == "completed"


def test_project_deploy_scans_keeps_logs_and_restores_lost_tags(gw_cli: Igtk, tmp_path: Path,
                                                               sim83: SimulatedGateway) -> None:
    folder = tmp_path / "Line7"
    (folder / "com.inductiveautomation.perspective" / "views" / "Main").mkdir(parents=True)
    (folder / "project.json").write_text(json.dumps({"title": "Line 7", "enabled": True}))
    view = folder / "com.inductiveautomation.perspective" / "views" / "Main" / "view.json"
    view.write_text(json.dumps({"root": {"type": "ia.container.flex"}}))
    with sim83.state.lock:
        tags_before = json.loads(json.dumps(sim83.state.tags["default"]))
        scanned_before = sim83.state.scans["projects"]["lastScanTimestamp"]
    params = ("-p", "gateway=sim83", "-p", f"project_folder={folder}", "-p", "project=Line7",
              "-p", "poll_interval=0.05")

    r = run(gw_cli, "project_deploy", *params)
    assert r.output("pack")["files"] == "2" and not Path(r.output("pack")["zip"]).exists()
    assert sim83.state.projects["Line7"].title == "Line 7"
    assert r.output("scan")["scans"]["projects"]["lastScanTimestamp"] > scanned_before
    assert {m for m, p, _ in sim83.requests if p.startswith("/data/api/v1/scan/")} == {"GET", "POST"}
    assert Path(r.output("logs")["path"]).is_file() and r.output("logs")["filename"].endswith(".idb")
    assert r.finished("restore_tags")["status"] == "skipped"  # the tags did not change

    # A deploy that loses a tag: the scans are held until the test has removed one after the
    # import, so the backup taken first is what the playbook imports back.
    with sim83.state.lock:
        sim83.config.scan_seconds = 3600
    proc = gw_cli.popen("run", "gateway/project_deploy", "--json", *params)
    events = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            events.append(json.loads(line))
            if events[-1]["event"] == "step_finished" and events[-1]["step_id"] == "import":
                with sim83.state.lock:
                    sim83.state.tags["default"].pop()
                    sim83.config.scan_seconds = 0.05
                    for scan in sim83.state.scans.values():
                        if "_until" in scan:
                            scan["_until"] = 0.0
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with sim83.state.lock:
            sim83.config.scan_seconds = 0.3
    assert proc.returncode == 0, events[-1]
    finished = {e["step_id"]: e for e in events if e["event"] == "step_finished"}
    assert finished["tags_after"]["output"]["tag_count"] == finished["tags_before"]["output"]["tag_count"] - 1
    assert finished["restore_tags"]["status"] == "completed"
    with sim83.state.lock:
        assert sim83.state.tags["default"] == tags_before


def test_upgrade_with_tag_backup_restores_tags_an_upgrade_lost(gw_cli: Igtk, modules: dict[str, Path],
                                                             tmp_path: Path) -> None:
    from igtk_tui.simulator.state import PendingTask

    archive = tmp_path / "module-archive"
    accept = ("-p", "accept_certificate=true", "-p", "accept_license=true", "-p", f"module_archive={archive}")
    with SimulatedGateway(version="8.3", api_tokens={TOKEN_NAME: TOKEN_SECRET}, restart_seconds=0.4) as gw:
        target = ("-p", "gateway=sim83", "-p", f"gateway_url={gw.url}")
        run(gw_cli, "module_install", *target, "-p", f"module_file={modules['1.0.0']}", *accept, *FAST)
        with gw.state.lock:
            tags_before = json.loads(json.dumps(gw.state.tags["default"]))
            # the upgrade's restart loses a tag (as a module that rewrites its tags might)
            gw.state.pending.append(PendingTask("tag loss", lambda g: g.tags["default"].pop(), visible=False))
        r = run(gw_cli, "upgrade_with_tag_backup", *target, "-p", f"module_file={modules['1.1.0']}", *accept,
                *FAST)
        assert module_on(gw) == ("1.1.0", "ACTIVE")
        upgrade = r.output("upgrade")
        assert upgrade["status"] == "completed" and upgrade["outputs"]["verify"]["version"] == "1.1.0"
        assert r.output("tags_after")["tag_count"] == r.output("tags_before")["tag_count"] - 1
        assert r.finished("restore_tags")["status"] == "completed"
        assert Path(r.output("logs")["path"]).is_file()
        with gw.state.lock:
            assert gw.state.tags["default"] == tags_before
