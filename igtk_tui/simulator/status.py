"""Unauthenticated health routes: `/StatusPing` and `/system/gwinfo` (sources: docs/simulator.md)."""

from __future__ import annotations

import platform

from igtk_tui.simulator.routes import ONLY_81, Request, Response, Router
from igtk_tui.simulator.state import STARTING

JVM_VERSION = "17.0.13+11"


def context_status(req: Request) -> str:
    if req.state.faults.ping_state:
        return req.state.faults.ping_state
    if req.state.commissioning:
        return "NEEDS_COMMISSIONING"  # gwinfo's ContextStatus before commissioning
    return req.state.phase


def status_ping(req: Request) -> Response:
    """RUNNING / STARTING; commissioning adds details (omitted otherwise); the `ping_state`
    fault reports another state (FAULTED: a guess, never captured from a real gateway)."""
    if req.state.faults.ping_state:
        return Response.json({"state": req.state.faults.ping_state})
    if req.state.commissioning and req.state.phase != STARTING:
        return Response.json({"state": "RUNNING", "details": "COMMISSIONING"})
    return Response.json({"state": req.state.phase})


def gwinfo(req: Request) -> Response:
    """One text/plain line of `Key=Value;` pairs (parse by key, order not guaranteed)."""
    cfg = req.config
    redundancy = req.state.redundancy()
    pairs = [
        ("ContextStatus", context_status(req)),
        ("PlatformName", req.state.gateway_name),
        ("Version", cfg.plain_version),
        ("PlatformEdition", "" if cfg.edition == "standard" else cfg.edition),
        ("OS", platform.system() or "Linux"),
        ("RuntimeVersion", JVM_VERSION),
        ("RedundancyStatus", redundancy["RedundancyStatus"]),
        ("RedundantState", redundancy["RedundantState"]),
        ("RedundantNodeActiveStatus", redundancy["RedundantNodeActiveStatus"]),
        ("RequireSsl", "false"),
        ("RedundantBackupAddresses", redundancy["RedundantBackupAddresses"]),
    ]
    return Response.text("".join(f"{k}={v};" for k, v in pairs))


def root(req: Request) -> Response:
    return Response.redirect("/web/home")


def register(router: Router) -> None:
    router.get("/StatusPing", status_ping, always=True, commissioning=True, ping=True)
    # [UNVERIFIED] some early 8.1 builds answered here; harmless alias.
    router.get("/system/StatusPing", status_ping, always=True, commissioning=True, ping=True)
    router.get("/system/gwinfo", gwinfo, always=True, commissioning=True)
    router.get("/", root, versions=ONLY_81)  # 8.3: the web UI's home page (webui83)
