"""8.3 REST: `/data/api/v1/modules/**` (sources: docs/simulator.md)."""

from __future__ import annotations

from igtk_tui.simulator import lifecycle
from igtk_tui.simulator.errors import HttpError, Unprocessable
from igtk_tui.simulator.listing import envelope
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router


def _healthy(req: Request) -> Response:
    return envelope(req, [lifecycle.module_item(m) for m in req.state.modules.values()])


def _quarantined(req: Request) -> Response:
    return envelope(req, [lifecycle.quarantine_item(q) for q in req.state.quarantine.values()])


def _upload(req: Request) -> Response:
    """Raw bytes with `?fileName=` (not multipart); 400 without the name."""
    filename = req.require_arg("fileName")
    entry = lifecycle.upload(req.state, filename, req.body)
    return Response.json(lifecycle.upload_result(entry))


def _certificate(req: Request) -> Response:
    entry = lifecycle.quarantined(req.state, req.require_arg("moduleId"))
    return Response.json(lifecycle.certificate_info(entry))


def _accept_certificate(req: Request) -> Response:
    lifecycle.accept_certificate(req.state, req.require_arg("moduleId"))
    return Response.json({"success": True, "message": "Module Certificate accepted."})


def _eula(req: Request) -> Response:
    entry = lifecycle.quarantined(req.state, req.require_arg("moduleId"))
    if entry.license_text is None:
        raise HttpError(404, f"Module '{entry.id}' has no EULA")
    return Response.html(entry.license_text)


def _accept_eula(req: Request) -> Response:
    lifecycle.accept_eula(req.state, req.require_arg("moduleId"))
    return Response.json({"success": True, "message": "Module EULA accepted."})


def _install(req: Request) -> Response:
    return Response.json(lifecycle.install(req.state, req.require_arg("moduleId")))


def _id_list(data: dict[str, object], key: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise Unprocessable(f"Property '{key}' must be an array of module ids")
    return [str(v) for v in value]


def _uninstall(req: Request) -> Response:
    """JSON body `{"uninstall":[ids]}` (8.3.8 spec) and/or `?moduleId=` (older Bruno request)."""
    ids = [v for v in req.query.get("moduleId", []) if v]
    if req.body.strip():
        ids += _id_list(req.json_object(), "uninstall")
    if not ids:
        raise HttpError(400, 'No module ids given: send {"uninstall":[...]} or ?moduleId=')
    found = lifecycle.uninstall(req.state, ids)
    missing = [i for i in ids if i not in found]
    if not found:
        raise HttpError(404, f"Module(s) not installed: {', '.join(missing)}")
    message = f"Uninstall of {', '.join(found)} will complete after a gateway restart."
    if missing:
        message += f" Not installed: {', '.join(missing)}."
    return Response.json({"success": True, "message": message})


def _toggle(req: Request) -> Response:
    data = req.json_object()
    failed = lifecycle.toggle(req.state, _id_list(data, "enable"), _id_list(data, "disable"))
    return Response.json({"success": not (failed["enable"] or failed["disable"]), "failedUpdates": failed})


def register(router: Router) -> None:
    api = router.group("/data/api/v1/modules", auth="token", versions=ONLY_83)
    api.get("/healthy", _healthy)
    api.get("/quarantined", _quarantined)
    api.post("/upload", _upload)
    api.get("/certificate", _certificate)
    api.post("/certificate", _accept_certificate)
    api.get("/eula", _eula)
    api.post("/eula", _accept_eula)
    api.post("/install", _install)
    api.delete("/uninstall", _uninstall)
    api.put("/toggle-state", _toggle)
