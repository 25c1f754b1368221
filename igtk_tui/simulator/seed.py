"""What a fresh simulated gateway starts with: a few IA modules, projects, config
resources, deployment modes, one Perspective session and a running trial.

Module versions follow the gateway's `<x.y.z> (b<build>)` form; the major
numbers per module are illustrative.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from igtk_tui.gateway.version import version_numbers
from igtk_tui.simulator.state import GatewayState, Module, Project, now_ms
from igtk_tui.timefmt import now_utc

# [UNVERIFIED] the real status words of a connection waiting for approval and of one running.
PENDING_APPROVAL = "PendingApproval"
SEED_SESSION_ID = "2f0c1b2e-7d3a-4c4e-9a51-5f1d6c0b9e01"
SEED_PAGE_ID = "a1b2c3d4"

# id, name, module major on 8.3, module major on 8.1, description
_IA_MODULES = [
    ("com.inductiveautomation.perspective", "Perspective", 3, 2, "HTML5 web and mobile visualization."),
    ("com.inductiveautomation.vision", "Vision", 12, 11, "Java client visualization."),
    ("com.inductiveautomation.opcua", "OPC-UA", 10, 9, "OPC UA server and client connections."),
    ("com.inductiveautomation.reporting", "Reporting", 7, 6, "PDF reports and scheduling."),
    ("com.inductiveautomation.sqlbridge", "SQL Bridge", 11, 10, "Transaction groups."),
    ("com.inductiveautomation.webdev", "Web Developer", 6, 5, "Scripted web endpoints."),
]


def signature(config: Any) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def resource_record(
    collection: str, rtype: str, name: str, config: dict[str, Any], description: str = ""
) -> dict[str, Any]:
    """A config resource in the 8.3 record shape (docs/simulator.md)."""
    sig = signature({"name": name, "config": config})
    return {
        "name": name,
        "type": rtype,
        "collection": collection,
        "collections": [collection],
        "enabled": True,
        "description": description,
        "version": 1,
        "signature": sig,
        "attributes": {
            "enabled": True,
            "uuid": hashlib.md5(f"{collection}/{rtype}/{name}".encode()).hexdigest(),
            "lastModificationSignature": sig,
            "lastModification": {
                "actor": "admin",
                "timestamp": now_utc(),
            },
        },
        "config": config,
        "data": ["config.json"],
        "healthchecks": [],
        "metrics": [],
    }


SYSTEM_PROPERTIES = "ignition/system-properties"


def set_system_name(state: GatewayState, name: str) -> None:
    """The gateway name lives in two places a real gateway keeps equal: the name and the
    system-properties singleton's `systemName`."""
    state.gateway_name = name
    key = ("core", SYSTEM_PROPERTIES, "")
    record = state.resources.get(key)
    if record is None:
        state.resources[key] = resource_record("core", SYSTEM_PROPERTIES, "", {"systemName": name})
    else:
        record["config"] = {**record["config"], "systemName": name}
        record["signature"] = signature({"name": "", "config": record["config"], "v": record["version"]})
        record["attributes"]["lastModificationSignature"] = record["signature"]


def _demo_resources() -> dict[str, bytes]:
    perspective = "com.inductiveautomation.perspective"
    main_view = {
        "root": {
            "type": "ia.container.flex",
            "meta": {"name": "root"},
            "children": [
                {
                    "type": "ia.display.label",
                    "meta": {"name": "Title", "domId": "title"},
                    "props": {"text": "Demo"},
                },
                {
                    "type": "ia.input.button",
                    "meta": {"name": "Go", "domId": "goButton"},
                    "props": {"text": "Go"},
                },
            ],
        }
    }
    pages = {
        "pages": {
            "/": {"viewPath": "Main", "title": "Main"},
            "/overview": {"viewPath": "Overview", "title": "Overview"},
        }
    }
    meta = {"scope": "G", "version": 1, "restricted": False, "overridable": True, "files": []}
    return {
        f"{perspective}/page-config/config.json": json.dumps(pages, indent=2).encode(),
        f"{perspective}/page-config/resource.json": json.dumps({**meta, "files": ["config.json"]}).encode(),
        f"{perspective}/views/Main/view.json": json.dumps(main_view, indent=2).encode(),
        f"{perspective}/views/Main/resource.json": json.dumps({**meta, "files": ["view.json"]}).encode(),
    }


def seed_state(state: GatewayState) -> None:
    cfg = state.config
    stamp = now_ms()
    minor_patch = ".".join(str(n) for n in version_numbers(cfg.plain_version)[1:3])
    for module_id, name, major83, major81, description in _IA_MODULES:
        major = major83 if cfg.line == "8.3" else major81
        state.modules[module_id] = Module(
            id=module_id,
            name=name,
            version=f"{major}.{minor_patch} ({cfg.build})",
            description=description,
            doc_url=f"https://docs.inductiveautomation.com/docs/{cfg.line}/ignition-modules",
            filename=f"{name.replace(' ', '-')}-module.modl",
            license_state="TRIAL",
            startup_time=stamp,
        )
    state.projects["Global"] = Project(
        "Global", title="Global", description="Shared resources", inheritable=True
    )
    state.projects["Demo"] = Project(
        "Demo", title="Demo", description="Demo project", parent="Global", resources=_demo_resources()
    )
    for collection, rtype, name, config in (
        ("core", "ignition/tag-provider", "default", {"profile": {"type": "STANDARD"}, "settings": {}}),
        (
            "core",
            "ignition/database-connection",
            "DemoDB",
            {"driver": "SQLite", "connectURL": "jdbc:sqlite:demo.db"},
        ),
        ("core", "ignition/user-source", "default", {"profile": {"type": "INTERNAL"}, "settings": {}}),
    ):
        state.resources[(collection, rtype, name)] = resource_record(collection, rtype, name, config)
    # The singleton holding the gateway's name (8.3.2 .gwbk: config/resources/core/ignition/system-properties).
    set_system_name(state, state.gateway_name)
    state.modes = {
        "dev": {
            "name": "dev",
            "title": "Development",
            "description": "Development settings",
        },
        "prod": {
            "name": "prod",
            "title": "Production",
            "description": "Production settings",
        },
    }
    for name, level in (("ROOT", "INFO"), ("gateway.Router", "INFO"), ("tags.Provider", "INFO"),
                        ("perspective.Session", "WARN"), ("modules.ModuleManager", "INFO")):
        state.loggers[name] = {"name": name, "level": level, "default": level}
    state.log("gateway.Router", "INFO", f"Gateway '{state.gateway_name}' started")
    state.log("modules.ModuleManager", "INFO", f"{len(state.modules)} modules loaded")
    state.log("perspective.Session", "WARN", "Session 2f0c1b2e idle for 300 s")
    state.tags["default"] = [
        {"name": "Line1", "tagType": "Folder", "tags": [
            {"name": "Speed", "tagType": "AtomicTag", "valueSource": "memory", "dataType": "Float8",
             "value": 12.5},
            {"name": "Running", "tagType": "AtomicTag", "valueSource": "memory", "dataType": "Boolean",
             "value": True},
        ]},
        {"name": "Setpoint", "tagType": "AtomicTag", "valueSource": "memory", "dataType": "Int4", "value": 40},
    ]
    for name, address, direction, status in (
        ("Ignition-historian", "10.0.0.21:8060", "outgoing", "Running"),
        ("Ignition-edge-07", "10.0.3.7:8060", "incoming", PENDING_APPROVAL),
    ):
        remote_id = f"{name}|{uuid.uuid5(uuid.NAMESPACE_DNS, name)}"  # 8.3.8 spec: "test1|<uuid>"
        state.gan_connections[remote_id] = {
            "remoteId": remote_id, "remoteGateway": name, "internalId": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            "networkAddr": address, "redundantRole": "Independent", "direction": direction,
            "lastComm": stamp, "faultCount": 0, "lastError": "", "status": status, "pingTime": 3,
            "remoteVersion": cfg.plain_version,
        }
    for kind in ("config", "projects"):
        state.scans[kind] = {"scanActive": False, "lastScanTimestamp": stamp, "lastScanDuration": 12}
        state.scan_locks[kind] = {"locked": False, "holder": None, "acquiredAt": None, "expiresAt": None}
    state.perspective_sessions[SEED_SESSION_ID] = {
        "id": SEED_SESSION_ID,
        "username": "admin",
        "authorized": True,
        "project": "Demo",
        "clientAddress": "127.0.0.1",
        "lastComm": stamp,
        "sessionScope": "browser",
        "activePages": 1,
        "pageIds": [SEED_PAGE_ID],
        "recentBytesSent": 2048,
        "totalBytesSent": 65536,
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0",
        "pages": {
            SEED_PAGE_ID: {
                "id": SEED_PAGE_ID,
                "path": "/",
                "primaryView": "Main",
                "views": [{"id": "Main@C", "viewPath": "Main", "mountPath": "C", "birthDate": stamp}],
            }
        },
    }
