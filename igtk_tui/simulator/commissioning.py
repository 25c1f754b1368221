"""Commissioning a fresh gateway (KC-DOCKER perform-commissioning.sh; docs/simulator.md).

While `state.commissioning` is true every other path is 302 /welcome (the
dispatcher does that), StatusPing says RUNNING + details COMMISSIONING and
gwinfo NEEDS_COMMISSIONING. The steps are posted in the script's order;
`finished` (after authSetup and eula, plus activation for maker) answers 200
with `gatewayAddress` [UNVERIFIED on 8.1] and the gateway goes STARTING ->
RUNNING. The admin password may be plain or `[salt]sha256(password+salt)`.
"""

from __future__ import annotations

from typing import Any

from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.routes import Request, Response, Router

EDITIONS = {"": "standard", "standard": "standard", "full": "standard", "edge": "edge", "maker": "maker"}


def _only_while_commissioning(req: Request) -> None:
    if not req.state.commissioning:
        raise HttpError(404, "Not Found")


def _steps(req: Request) -> dict[str, Any]:
    done = req.state.commissioning_steps
    steps = {
        "authSetup": {"complete": "authentication" in done},
        "connections": {"complete": "connections" in done},
        "eula": {"complete": "license" in done},
    }
    if done.get("edition") == "maker":
        steps["activated"] = {"complete": "activation" in done}
    return steps


def _welcome(req: Request) -> Response:
    if not req.state.commissioning:
        return Response.redirect("/")
    return Response.html(
        "<!DOCTYPE html><html><head><title>Welcome to Ignition</title></head><body>"
        '<div id="commissioning" class="welcome"><h1>Welcome to Ignition</h1>'
        "<p>This gateway needs to be commissioned.</p></div></body></html>"
    )


def _bootstrap(req: Request) -> Response:
    _only_while_commissioning(req)
    edition = req.state.commissioning_steps.get("edition", "NOT_SET")
    return Response.json({"edition": edition, "version": req.config.plain_version, "steps": _steps(req)})


def _get_step(req: Request) -> Response:
    _only_while_commissioning(req)
    step = req.require_arg("step")
    if step == "connections":
        saved = req.state.commissioning_steps.get("connections", {})
        data = [
            {"name": "httpPort", "port": saved.get("http", 8088)},
            {"name": "httpsPort", "port": saved.get("https", 8043)},
            {"name": "ganPort", "port": saved.get("gan", 8060)},
            {"name": "useSSL", "value": saved.get("useSSL", False)},
        ]
        return Response.json({"data": data})
    if step in ("authSetup", "eula", "activated", "edition"):
        return Response.json({"data": {}})
    raise HttpError(400, f"Unknown commissioning step '{step}'")


def _post_step(req: Request) -> Response:
    _only_while_commissioning(req)
    body = req.json_object()
    step_id, data = body.get("id"), body.get("data") or {}
    done = req.state.commissioning_steps
    if not isinstance(data, dict):
        raise HttpError(400, "'data' must be an object")
    if step_id == "edition":
        edition = data.get("edition")
        if edition not in EDITIONS:
            raise HttpError(400, f"Unknown edition {edition!r}")
        done["edition"] = EDITIONS[edition]
    elif step_id == "activation":
        if not data.get("licenseKey") or not data.get("activationToken"):
            raise HttpError(400, "licenseKey and activationToken are required")
        done["activation"] = True
    elif step_id == "authentication":
        username, password = data.get("username"), data.get("password")
        if not username or not password:
            raise HttpError(400, "username and password are required")
        req.state.users = {str(username): str(password)}
        done["authentication"] = str(username)
    elif step_id == "connections":
        done["connections"] = {k: data.get(k) for k in ("http", "https", "gan", "useSSL") if k in data}
    elif step_id == "license":
        if data.get("accept") is not True:
            raise HttpError(400, "The license must be accepted")
        done["license"] = True
    elif step_id == "finished":
        return _finish(req, data)
    else:
        raise HttpError(400, f"Unknown commissioning step id {step_id!r}")
    return Response(201)


def _finish(req: Request, data: dict[str, Any]) -> Response:
    missing = [name for name, step in _steps(req).items() if not step["complete"] and name != "connections"]
    if missing:
        raise HttpError(400, f"Commissioning is not complete: {', '.join(missing)}")
    state = req.state
    state.config.edition = state.commissioning_steps.get("edition", state.config.edition)
    state.commissioning = False
    if data.get("startGateway", True):
        state.begin_restart()
    return Response.json({"gatewayAddress": req.config.url})


def register(router: Router) -> None:
    router.get("/welcome", _welcome, commissioning=True)
    router.get("/bootstrap", _bootstrap, commissioning=True)
    router.get("/get-step", _get_step, commissioning=True)
    router.post("/post-step", _post_step, commissioning=True)
