"""Ignition 8.1 has no REST API and no project scan route of its own; a third-party
module, "Project Scan Endpoint" (github.com/slimstrongarm/ignition-project-scan-endpoint,
its README), adds `GET /data/project-scan-endpoint/confirm-support` ->
`{"supported": true}` and `POST /data/project-scan-endpoint/scan?updateDesigners=&forceUpdate=`.
Served only when `SimulatedGateway(project_scan_module=True)` (the module is installed),
otherwise 404 as on a gateway without it. [UNVERIFIED]: the scan's answer body (the
README says "a JSON object containing the result"; `{"success": true}` here) and that
the 8.1 build needs no authentication (its README's curl sends none)."""

from __future__ import annotations

from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.routes import ONLY_81, Request, Response, Router
from igtk_tui.simulator.state import now_ms

BASE = "/data/project-scan-endpoint"


def _installed(req: Request) -> None:
    if not req.config.project_scan_module:
        raise HttpError(404, f"No route match for path: {req.path}")


def _confirm(req: Request) -> Response:
    _installed(req)
    return Response.json({"supported": True})


def _scan(req: Request) -> Response:
    _installed(req)
    stamp = now_ms()
    req.state.scans["projects"].update(scanActive=False, lastScanTimestamp=stamp, lastScanDuration=1)
    req.state.log("project-scan-endpoint", "INFO",
                  f"Project scan (updateDesigners={req.flag('updateDesigners')}, forceUpdate={req.flag('forceUpdate')})")
    return Response.json({"success": True})


def register(router: Router) -> None:
    router.get(f"{BASE}/confirm-support", _confirm, versions=ONLY_81)
    router.post(f"{BASE}/scan", _scan, versions=ONLY_81)
