"""Scans, logs, tag export/import and the gateway network over real HTTP (issue 17 items 9-13)."""

from __future__ import annotations

import json
import sqlite3

import httpx

from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import wait_for

API = "/data/api/v1"


def test_a_scan_is_active_for_a_while_then_reports_its_timestamp(client: httpx.Client, gw: SimulatedGateway) -> None:
    for kind in ("projects", "config"):
        before = client.get(f"{API}/scan/{kind}").json()
        assert before["scanActive"] is False
        started = client.post(f"{API}/scan/{kind}")
        assert started.status_code == 200 and started.json() is True
        assert client.get(f"{API}/scan/{kind}").json()["scanActive"] is True
        done = wait_for(lambda k=kind: (s := client.get(f"{API}/scan/{k}").json())["scanActive"] is False and s,
                        5, f"the {kind} scan to finish")
        assert done["lastScanTimestamp"] > before["lastScanTimestamp"]
    assert client.get(f"{API}/scan/everything").status_code == 404


def test_loggers_levels_and_reset(client: httpx.Client) -> None:
    loggers = {lg["name"]: lg["level"] for lg in client.get(f"{API}/logs/loggers").json()["items"]}
    assert loggers["gateway.Router"] == "INFO"
    assert client.post(f"{API}/logs/loggers/gateway.Router", params={"level": "DEBUG"}).status_code == 200
    assert client.post(f"{API}/logs/loggers/gateway.Router", params={"level": "LOUD"}).status_code == 400
    levels = {lg["name"]: lg["level"] for lg in client.get(f"{API}/logs/loggers").json()["items"]}
    assert levels["gateway.Router"] == "DEBUG"
    assert client.post(f"{API}/logs/levelreset").status_code == 200
    levels = {lg["name"]: lg["level"] for lg in client.get(f"{API}/logs/loggers").json()["items"]}
    assert levels["gateway.Router"] == "INFO"
    warn = client.get(f"{API}/logs", params={"minLevel": "WARN"}).json()["items"]
    assert warn and all(e["level"] in ("WARN", "ERROR") for e in warn)


def test_log_download_is_a_sqlite_database(client: httpx.Client, tmp_path) -> None:
    response = client.get(f"{API}/logs/download")
    assert response.headers["content-type"] == "application/x-sqlite3"
    assert "_Ignition_logs_" in response.headers["content-disposition"]
    path = tmp_path / "logs.idb"
    path.write_bytes(response.content)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM logging_event").fetchone()[0] >= 3


def test_tag_export_then_import_with_collision_policies(client: httpx.Client, gw: SimulatedGateway) -> None:
    export = client.get(f"{API}/tags/export", params={"provider": "default", "type": "json"})
    assert export.status_code == 200 and export.headers["content-type"] == "application/octet-stream"
    document = json.loads(export.content)
    assert {t["name"] for t in document["tags"]} == {"Line1", "Setpoint"}

    aborted = client.post(f"{API}/tags/import", params={"provider": "default", "collisionPolicy": "Abort"},
                          content=export.content)
    assert aborted.status_code == 200 and [q["level"] for q in aborted.json()] == ["Error", "Error"]
    gw.state.tags["default"].clear()  # as if an upgrade lost them
    restored = client.post(f"{API}/tags/import", params={"provider": "default", "collisionPolicy": "Abort"},
                           content=export.content)
    assert restored.json() == []
    assert json.loads(client.get(f"{API}/tags/export").content) == document
    renamed = client.post(f"{API}/tags/import", params={"collisionPolicy": "Rename"}, content=export.content)
    assert renamed.json() == [] and "Setpoint_1" in {t["name"] for t in gw.state.tags["default"]}
    assert client.get(f"{API}/tags/export", params={"provider": "nope"}).status_code == 400


def test_gateway_network_lists_and_approves_incoming(client: httpx.Client, make_gw) -> None:
    gateways = client.get(f"{API}/gateway-network/gateways").json()["items"]
    assert set(gateways[0]) == {"serverId", "name", "outgoingTp", "incomingTp", "route", "status",
                                "remoteVersion", "pending", "active"}  # the 8.3.8 spec's fields
    connections = {c["remoteGateway"]: c for c in client.get(f"{API}/gateway-network/connections").json()["items"]}
    edge = connections["Ignition-edge-07"]
    assert edge["direction"] == "incoming" and edge["status"] == "PendingApproval" and "|" in edge["remoteId"]
    assert client.put(f"{API}/gateway-network-incoming/toggleApproval/{edge['remoteId']}/true").status_code == 200
    connections = {c["remoteGateway"]: c for c in client.get(f"{API}/gateway-network/connections").json()["items"]}
    assert connections["Ignition-edge-07"]["status"] == "Running"
    outgoing = connections["Ignition-historian"]["remoteId"]
    assert client.put(f"{API}/gateway-network-incoming/toggleApproval/{outgoing}/true").status_code == 404
    backup = make_gw(redundancy_role="Backup")
    forbidden = httpx.put(f"{backup.url}{API}/gateway-network-incoming/toggleApproval/{edge['remoteId']}/true",
                          headers={"X-Ignition-API-Token": backup.api_token})
    assert forbidden.status_code == 403  # spec: forbidden on a backup node


def test_singleton_delete_by_signature(client: httpx.Client) -> None:
    record = client.get(f"{API}/resources/singleton/ignition/system-properties").json()
    assert client.delete(f"{API}/resources/ignition/system-properties/stale").status_code == 409
    assert client.delete(f"{API}/resources/ignition/system-properties/{record['signature']}").status_code == 200
    assert client.get(f"{API}/resources/singleton/ignition/system-properties").status_code == 404


def test_openapi_lists_the_concrete_scan_paths(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/data/api/v1/scan/projects", "/data/api/v1/scan/config"} <= set(paths)
    assert not any("{kind}" in p for p in paths)
    assert "/data/api/v1/modes" not in paths and "get" not in paths["/data/api/v1/mode/{name}"]
    # As the real 8.3.6 document: operations carry no operationId (none was ever published).
    assert not any("operationId" in op for methods in paths.values() for op in methods.values())
