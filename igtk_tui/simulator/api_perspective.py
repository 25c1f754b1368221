"""Perspective sessions API under `/data/perspective/api/v1` (IA-83API
"perspective-sessions"). Page/view item shapes beyond the session list are [UNVERIFIED] (docs/simulator.md).

Sessions live in `state.perspective_sessions` (id -> dict with a `pages`
map); the Perspective client pages (another module) may add to it.
"""

from __future__ import annotations

from typing import Any

from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.listing import envelope
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router


def _public(session: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in session.items() if k != "pages"}


def _session(req: Request) -> dict[str, Any]:
    session = req.state.perspective_sessions.get(req.params["sessionId"])
    if session is None:
        raise HttpError(404, f"Session '{req.params['sessionId']}' not found")
    return session


def _sessions(req: Request) -> Response:
    return envelope(req, [_public(s) for s in req.state.perspective_sessions.values()])


def _terminate(req: Request) -> Response:
    ids = [v for v in req.query.get("sessionId", []) if v]
    if not ids:
        raise HttpError(400, "Missing required query parameter 'sessionId'")
    closed = [i for i in ids if req.state.perspective_sessions.pop(i, None) is not None]
    if not closed:
        raise HttpError(404, f"Session(s) not found: {', '.join(ids)}")
    return Response.json({"success": True, "closed": closed, "message": req.arg("message") or ""})


def _detail(req: Request) -> Response:
    session = _session(req)
    return Response.json(
        {**_public(session), "pages": [_page_item(p) for p in session.get("pages", {}).values()]}
    )


def _page_item(page: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in page.items() if k != "views"} | {"viewCount": len(page.get("views", []))}


def _pages(req: Request) -> Response:
    return envelope(req, [_page_item(p) for p in _session(req).get("pages", {}).values()])


def _views(req: Request) -> Response:
    page = _session(req).get("pages", {}).get(req.params["pageId"])
    if page is None:
        raise HttpError(404, f"Page '{req.params['pageId']}' not found")
    return envelope(req, list(page.get("views", [])))


def register(router: Router) -> None:
    api = router.group("/data/perspective/api/v1", auth="token", versions=ONLY_83)
    api.get("/sessions/", _sessions)  # note the trailing slash in the real route
    api.delete("/sessions", _terminate)
    api.get("/session/{sessionId}", _detail)
    api.get("/session/{sessionId}/pages", _pages)
    api.get("/session/{sessionId}/page/{pageId}/views", _views)
