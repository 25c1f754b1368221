"""8.3 web-UI shell (`/app/**`) and the OpenAPI routes (sources: docs/simulator.md).

The React UI itself is not simulated: `/app` answers a small page for a
signed-in web-UI session, otherwise it redirects to `/data/app/login`.
`/openapi.json` is generated from the route registry (auth required).
"""

from __future__ import annotations

from typing import Any

from igtk_tui.simulator.auth import WEBUI_CLIENT, find_session
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router


def _app(req: Request) -> Response:
    session = find_session(req, WEBUI_CLIENT)
    if session is None:
        return Response.redirect(f"/data/app/login?return={req.path}")
    return Response.html(
        "<!DOCTYPE html><html><head><title>Ignition Gateway</title></head><body>"
        f'<div id="app-root" data-gateway="{req.state.gateway_name}">'
        f'<span class="user-name">{session.username}</span>'
        f"<h1>{req.state.gateway_name}</h1></div></body></html>"
    )


def _openapi_json(req: Request) -> Response:
    paths: dict[str, dict[str, Any]] = {}
    for route in req.router.routes if req.router else []:
        if "8.3" not in route.versions or not route.pattern.startswith("/data/"):
            continue
        pattern = route.pattern.replace(":path}", "}")
        # No operationId: the real 8.3.6 /openapi.json carries none (docs/simulator.md).
        operation: dict[str, Any] = {"responses": {}}
        paths.setdefault(pattern, {})[route.method.lower()] = operation
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "Ignition HTTP API", "version": req.config.full_version},
        "paths": paths,
    }
    return Response.json(spec)


def _openapi_page(req: Request) -> Response:
    return Response.html(
        "<!DOCTYPE html><html><head><title>Ignition HTTP API</title></head>"
        '<body><div id="openapi" data-spec="/openapi.json"></div></body></html>'
    )


def register(router: Router) -> None:
    router.get("/app", _app, versions=ONLY_83)
    router.get("/app/{rest:path}", _app, versions=ONLY_83)
    router.get("/openapi.json", _openapi_json, versions=ONLY_83, auth="token")
    router.get("/openapi", _openapi_page, versions=ONLY_83, auth="token")
