"""gateway.scan, logs, tags, resources, network and delete_project steps through the real engine
against a simulated 8.3 gateway (issue 17 items 9-14)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from igtk_tui.simulator import SimulatedGateway
from tests.support.gateway import run_playbook

HEAD = """name: admin test
version: '1.0'
parameters:
  - {name: gateway_url, type: string}
  - {name: api_token, type: string, secret: true}
steps:
  - id: login
    name: Log in
    type: gateway.login
    parameters: {gateway_url: "{{ parameter.gateway_url }}", api_token: "{{ parameter.api_token }}"}
"""


def params(gw: SimulatedGateway) -> dict[str, str]:
    return {"gateway_url": gw.url, "api_token": gw.api_token}


async def test_scan_waits_for_both_scans_to_finish(tmp_path: Path, gw: SimulatedGateway) -> None:
    before = {k: dict(gw.state.scans[k]) for k in ("projects", "config")}
    run = await run_playbook(tmp_path, HEAD + """
  - {id: scan, name: Scan, type: gateway.scan, parameters: {poll_interval: 0.05, timeout: 20}}
""", params(gw))
    assert run.ok, run.result.error
    out = run.output("scan")
    assert out["status"] == "scanned" and set(out["scans"]) == {"projects", "config"}
    for kind, status in out["scans"].items():
        assert status["scanActive"] is False
        assert status["lastScanTimestamp"] > before[kind]["lastScanTimestamp"]
    assert ("POST", "/data/api/v1/scan/projects", 200) in gw.requests
    assert ("POST", "/data/api/v1/scan/config", 200) in gw.requests


async def test_scan_that_never_finishes_fails_naming_it(tmp_path: Path, make_gw) -> None:
    gw = make_gw()
    gw.config.scan_seconds = 3600
    run = await run_playbook(tmp_path, HEAD + """
  - {id: scan, name: Scan, type: gateway.scan, parameters: {scan: projects, poll_interval: 0.05, timeout: 1}}
""", params(gw))
    assert not run.ok
    assert "the projects scan" in run.error("scan") and "to finish" in run.error("scan")


async def test_logger_level_held_then_restored_and_logs_downloaded(tmp_path: Path, gw: SimulatedGateway) -> None:
    seen: list[str] = []

    def watch(event, execution) -> None:  # the level while the step holds it
        if getattr(event, "kind", "") == "log" and "-> DEBUG" in event.message:
            seen.append(gw.state.loggers["gateway.Router"]["level"])

    run = await run_playbook(tmp_path, HEAD + """
  - id: loggers
    name: Loggers
    type: gateway.list_loggers
  - id: debug
    name: Debug for a while
    type: gateway.set_logger_level
    parameters: {logger: gateway.Router, level: DEBUG, restore_after: 0.2}
  - id: logs
    name: Download logs
    type: gateway.download_logs
""", params(gw), on_event=watch)
    assert run.ok, run.result.error
    assert seen == ["DEBUG"]
    assert gw.state.loggers["gateway.Router"]["level"] == "INFO"  # restored
    assert run.output("debug") == {"logger": "gateway.Router", "level": "DEBUG", "previous_level": "INFO",
                                   "restored": True}
    assert any(lg["name"] == "gateway.Router" for lg in run.output("loggers")["loggers"])
    logs_path = Path(run.output("logs")["path"])
    assert "_Ignition_logs_" in run.output("logs")["filename"]
    with sqlite3.connect(logs_path) as db:
        messages = [r[0] for r in db.execute("SELECT formatted_message FROM logging_event")]
    assert "Logger 'gateway.Router' set to DEBUG" in messages and "Logger 'gateway.Router' set to INFO" in messages


async def test_tags_backed_up_and_restored_around_a_loss(tmp_path: Path, gw: SimulatedGateway) -> None:
    original = json.loads(json.dumps(gw.state.tags["default"]))
    run = await run_playbook(tmp_path, HEAD + """
  - {id: export, name: Export tags, type: gateway.export_tags, parameters: {provider: default}}
""", params(gw))
    assert run.ok, run.result.error
    out = run.output("export")
    assert out["tag_count"] == 4 and Path(out["path"]).is_file()
    gw.state.tags["default"].clear()
    run = await run_playbook(tmp_path / "second", HEAD + """
  - id: restore
    name: Import tags
    type: gateway.import_tags
    parameters: {{file: "{}", provider: default}}
""".format(out["path"]), params(gw))
    assert run.ok, run.result.error
    assert gw.state.tags["default"] == original
    run = await run_playbook(tmp_path / "third", HEAD + """
  - id: again
    name: Import tags again
    type: gateway.import_tags
    parameters: {{file: "{}", collision_policy: Abort}}
""".format(out["path"]), params(gw))
    assert "2 problem(s)" in run.error("again") and "already exists" in run.error("again")


async def test_resources_create_update_conflict_and_delete(tmp_path: Path, gw: SimulatedGateway) -> None:
    text = HEAD + """
  - id: create
    name: Create
    type: gateway.save_resource
    parameters: {resource_type: ignition/database-connection, name: Plant, config: {driver: PostgreSQL}}
  - id: read
    name: Read
    type: gateway.get_resource
    parameters: {resource_type: ignition/database-connection, name: Plant}
  - id: update
    name: Update
    type: gateway.save_resource
    parameters: {resource_type: ignition/database-connection, name: Plant, config: {driver: MariaDB},
                 signature: "{{ step.read.signature }}"}
  - id: stale
    name: Update with the old signature
    type: gateway.save_resource
    on_failure: continue
    parameters: {resource_type: ignition/database-connection, name: Plant, config: {driver: Oracle},
                 signature: "{{ step.read.signature }}"}
  - id: prod
    name: Prod override
    type: gateway.save_resource
    parameters: {resource_type: ignition/database-connection, name: Plant, collection: prod,
                 config: {driver: PostgreSQL, host: prod-db}}
  - id: singleton
    name: System properties
    type: gateway.get_resource
    parameters: {resource_type: ignition/system-properties}
  - id: delete
    name: Delete
    type: gateway.delete_resource
    parameters: {resource_type: ignition/database-connection, name: Plant, confirm: true}
"""
    run = await run_playbook(tmp_path, text, params(gw))
    assert run.output("create")["status"] == "created"
    assert run.output("update")["status"] == "updated"
    assert "409" in run.error("stale") and "read it again" in run.error("stale")
    assert run.output("prod")["status"] == "created"  # the mode's override, not a conflict
    assert run.output("singleton")["config"]["systemName"] == gw.state.gateway_name
    assert run.output("delete")["status"] == "deleted"
    assert ("core", "ignition/database-connection", "Plant") not in gw.state.resources
    assert gw.state.resources[("prod", "ignition/database-connection", "Plant")]["config"]["host"] == "prod-db"


async def test_gateway_network_pending_connection_approved(tmp_path: Path, gw: SimulatedGateway) -> None:
    run = await run_playbook(tmp_path, HEAD + """
  - {id: before, name: Before, type: gateway.list_network_gateways}
  - id: approve
    name: Approve
    type: gateway.approve_connection
    parameters: {remote_id: "{{ step.before.pending.0 }}"}
  - {id: after, name: After, type: gateway.list_network_gateways}
""", params(gw))
    assert run.ok, run.result.error
    pending = run.output("before")["pending"]
    assert len(pending) == 1 and pending[0].startswith("Ignition-edge-07|")
    assert run.output("after")["pending"] == []
    assert run.output("approve") == {"status": "approved", "remote_id": pending[0]}
    assert gw.state.gan_connections[pending[0]]["status"] == "Running"
    assert {g["name"] for g in run.output("after")["gateways"]} == {"Ignition-historian", "Ignition-edge-07"}


async def test_delete_project_needs_confirm_and_sends_no_confirm_parameter(tmp_path: Path, gw: SimulatedGateway) -> None:
    run = await run_playbook(tmp_path, HEAD + """
  - id: refused
    name: Without confirm
    type: gateway.delete_project
    on_failure: continue
    parameters: {project_name: Demo}
  - id: delete
    name: Delete
    type: gateway.delete_project
    parameters: {project_name: Demo, confirm: true}
  - id: missing
    name: Missing
    type: gateway.delete_project
    parameters: {project_name: Demo, confirm: true}
""", params(gw))
    assert "needs confirm: true" in run.error("refused")
    assert run.output("delete") == {"status": "deleted", "project_name": "Demo"}
    assert "Demo" not in gw.state.projects
    assert "not found" in run.error("missing") and "Global" in run.error("missing")
    assert next(r for r in gw.requests if r[0] == "DELETE") == ("DELETE", "/data/api/v1/projects/Demo", 200)


async def test_the_new_operations_say_81_has_no_rest_api(gw81: SimulatedGateway) -> None:
    import pytest

    from igtk_tui.gateway.client import GatewayClient
    from igtk_tui.gateway.errors import NotSupported

    async with GatewayClient(gw81.url, username="admin", password="password") as client:
        for call in (client.scan_status("projects"), client.list_loggers(), client.export_tags("default"),
                     client.delete_project("Demo"), client.network_gateways()):
            with pytest.raises(NotSupported) as err:
                await call
            assert "has no REST API" in str(err.value)
    assert "Demo" in gw81.state.projects


SCAN_81 = """name: scan 81
version: '1.0'
parameters:
  - {name: gateway_url, type: string}
steps:
  - id: login
    name: Log in
    type: gateway.login
    parameters: {gateway_url: "{{ parameter.gateway_url }}", username: admin, password: password}
  - {id: scan, name: Scan, type: gateway.scan, parameters: {scan: %s}}
"""


async def test_scan_on_81_uses_the_project_scan_endpoint_module_where_installed(tmp_path: Path, make_gw) -> None:
    with_module = make_gw(version="8.1", project_scan_module=True)
    run = await run_playbook(tmp_path, SCAN_81 % "both", {"gateway_url": with_module.url})
    assert run.ok, run.result.error
    assert run.output("scan")["status"] == "requested"
    assert ("POST", "/data/project-scan-endpoint/scan", 200) in with_module.requests
    assert any("8.1 has no config scan" in line for line in run.logs())

    config = await run_playbook(tmp_path / "config", SCAN_81 % "config", {"gateway_url": with_module.url})
    assert "no config scan" in config.error("scan")

    without = make_gw(version="8.1")
    missing = await run_playbook(tmp_path / "without", SCAN_81 % "projects", {"gateway_url": without.url})
    assert "install the Project Scan Endpoint module" in missing.error("scan")
    assert not [r for r in without.requests if r[0] == "POST" and "scan" in r[1]]
