"""8.3 REST: gateway info, overview, locales, licences, trial, restart tasks, API-token
generation (sources: docs/simulator.md)."""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from igtk_tui.simulator.api_backup import clean_name
from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router
from igtk_tui.simulator.state import GatewayState
from igtk_tui.simulator.status import JVM_VERSION


def trial_body(state: GatewayState) -> dict[str, Any]:
    """As captured from 8.3.6; an expired trial reports `NoneInDemo` like the 8.1 capture [UNVERIFIED on 8.3]."""
    expired = state.trial_expired()
    return {
        "licenseMode": "Trial",
        "trialState": "NoneInDemo" if expired else "AllInDemo",
        "trialSecondsLeft": state.trial_seconds_left(),
        "expired": expired,
        "emergency": False,
        "emergencySecondsLeft": 0,
        "development": False,
        "developmentSecondsLeft": 0,
    }


def _port(req: Request) -> str:
    return str(urlsplit(req.config.url).port or 8088)


def _gateway_info(req: Request) -> Response:
    cfg = req.config
    return Response.json(
        {
            "name": req.state.gateway_name,
            "redundancyRole": cfg.redundancy_role,
            "redundantPeerAddress": cfg.redundant_peer or None,
            "edition": cfg.edition,
            "hostname": socket.gethostname(),
            "port": _port(req),
            "ignitionVersion": cfg.full_version,
            "deploymentMode": "dev",
            "timeZone": "Coordinated Universal Time",
            "timeZoneId": "UTC",
            "jvmVersion": JVM_VERSION,
            "allowUnsignedModules": cfg.allow_unsigned_modules,
            "license": {
                "mode": "Trial",
                "validForVersion": float(cfg.line),
                "expirationDate": None,
                "licenseRestrictions": [],
            },
        }
    )


def _overview(req: Request) -> Response:
    state = req.state
    return Response.json(
        {
            "version": req.config.full_version,
            "redundancy": {
                "role": req.config.redundancy_role,
                "activityLevel": state.redundancy()["RedundantNodeActiveStatus"],
                "projectState": "Good",
            },
            "java": {
                "version": JVM_VERSION.split("+")[0],
                "vendor": "Eclipse Adoptium",
                "name": "OpenJDK 64-Bit Server VM",
            },
            "os": {
                "name": "Linux",
                "arch": "amd64",
                "version": os.uname().release if hasattr(os, "uname") else "",
            },
            "cloudEnv": None,
            "uptime": int((time.time() - state.started_at) * 1000),
            "timezone": "UTC",
            "locale": "en_US",
            "time": int(time.time() * 1000),
            "memory": [512_000_000, 2_147_483_648],
            "cpu": 0.05,
            "disk": {"total": 0, "used": 0},
            "license": {
                "state": "expired" if state.trial_expired() else "trial",
                "trialRemaining": state.trial_seconds_left(),
            },
            "gatewayName": state.gateway_name,
            "libPath": "/usr/local/bin/ignition/lib",
            "processId": os.getpid(),
            "nics": [],
            "gcNames": ["G1 Young Generation", "G1 Old Generation"],
            "driftRate": 0,
        }
    )


def _overview_name(req: Request) -> Response:
    name = req.state.gateway_name
    return Response.json({"gatewayName": name, "cleanGatewayName": clean_name(name)})


def _overview_gan(req: Request) -> Response:
    # [UNVERIFIED] only the route is known; the shape is a plausible summary.
    return Response.json(
        {
            "enabled": True,
            "port": 8060,
            "securePort": 8060,
            "requireSsl": True,
            "incomingConnections": 0,
            "outgoingConnections": 0,
            "connections": [],
        }
    )


def _banners(req: Request) -> Response:
    data: dict[str, Any] = {"severity": "warning", "expireTime": None, "toolTips": [], "actions": []}
    return Response.json({"banners": [{"order": 0, "type": "trial", "data": data}]})


LOCALES = [
    ("en-US", "English (United States)"),
    ("en-GB", "English (United Kingdom)"),
    ("de-DE", "German (Germany)"),
    ("es-ES", "Spanish (Spain)"),
    ("fr-FR", "French (France)"),
    ("pt-BR", "Portuguese (Brazil)"),
    ("zh-CN", "Chinese (China)"),
    ("ja-JP", "Japanese (Japan)"),
]


def _locales(req: Request) -> Response:
    # [UNVERIFIED] shape; `includeVariants=false` folds to the language only.
    if req.flag("includeVariants") or req.arg("includeVariants") is None:
        items = [{"code": code, "displayName": name} for code, name in LOCALES]
    else:
        seen: dict[str, str] = {}
        for code, name in LOCALES:
            seen.setdefault(code.split("-")[0], name.split(" (")[0])
        items = [{"code": code, "displayName": name} for code, name in seen.items()]
    return Response.json(items)


def _licenses(req: Request) -> Response:
    effective = {"mode": "Trial", "trialSecondsLeft": req.state.trial_seconds_left(), "modules": []}
    return Response.json(
        {
            "hardware": None,
            "embedded": None,
            "cloud": None,
            "certificate": None,
            "leased": None,
            "effective": effective,
            "leasedUnactivateTimeoutMS": 0,
            "busy": False,
        }
    )


def _trial(req: Request) -> Response:
    return Response.json(trial_body(req.state))


def _trial_reset(req: Request) -> Response:
    """403 unless the trial has expired; then a fresh trial."""
    if not req.state.trial_expired():
        raise HttpError(403, "Forbidden: the trial has not expired")
    req.state.reset_trial()
    return Response.json(trial_body(req.state))


def _pending(req: Request) -> Response:
    return Response.json({"pending": [t.label for t in req.state.pending if t.visible]})


def _restart(req: Request) -> Response:
    """400 without confirm=true; 200 `true`, then STARTING."""
    if not req.flag("confirm"):
        raise HttpError(400, "Restart requires confirm=true")
    req.state.begin_restart()
    return Response.json(True)


def _generate_token(req: Request) -> Response:
    key = secrets.token_urlsafe(32)
    record = {"key": key, "hash": hashlib.sha256(key.encode()).hexdigest()}
    req.state.generated_tokens.append(record)
    return Response.json(record)


def _gauges(req: Request) -> Response:
    return Response.json(
        {"cpu": 4.2, "heapMemory": 512_000_000, "nonHeapMemory": 128_000_000, "threads": 120}
    )


def register(router: Router) -> None:
    api = router.group("/data/api/v1", auth="token", versions=ONLY_83)
    # Auth on a default install is [UNVERIFIED]; SimulatedGateway(gateway_info_requires_auth=...).
    api.get(
        "/gateway-info", _gateway_info, auth=lambda cfg: "token" if cfg.gateway_info_requires_auth else "none"
    )
    api.get("/overview", _overview)
    api.get("/overview/name", _overview_name)
    api.get("/overview/gan", _overview_gan)
    api.get("/overview/banners", _banners)
    api.get("/locales", _locales)
    api.get("/licenses", _licenses)
    api.get("/trial", _trial, auth="none")  # captured without auth on 8.3.6
    api.post("/trial", _trial_reset)
    api.get("/restart-tasks/pending", _pending)
    api.post("/restart-tasks/restart", _restart)
    api.post("/api-token/generate", _generate_token)
    api.get("/systemPerformance/currentGauges", _gauges)
