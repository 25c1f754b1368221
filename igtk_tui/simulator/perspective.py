"""Perspective client pages: `/data/perspective/client/<project>/<page>`.

Every existing project launches; "Demo" (seeded) has the full page set of
`perspective_views`: Main ("/"), Overview, Secure (requires a signed-in user)
and Slow. An unknown project renders the client's terminal state
`h1.terminal-state-header` "Project not found", an unknown page "Page not
found". A secured page without a session starts the IdP two-step login
(`idp.start_flow`, client "perspective"); the callback sets the session cookie
and returns to the page. Each page load is recorded as a Perspective session
(what the sessions API lists).

Test hooks: `/data/perspective/client/<project>/slow` holds the document for
`?seconds=` (default 60) so a navigation never finishes loading; it releases
the state lock while it waits, and `wait_for_hang(state, timeout)` returns once
a request is being held and `release_hung_requests(state)` ends every wait at
once (tests call it before stopping the simulator).
`/system/webdev/<project>/report.csv` is a small download (a WebDev endpoint).
"""

from __future__ import annotations

import threading
import uuid
import weakref
from typing import Any
from urllib.parse import quote, urlencode

from igtk_tui.simulator.auth import find_session
from igtk_tui.simulator.idp import start_flow
from igtk_tui.simulator.perspective_views import DEMO_PAGES, DEMO_VIEWS, NAV_DOCK, client_page, generic_pages
from igtk_tui.simulator.routes import Request, Response, Router
from igtk_tui.simulator.state import GatewayState, now_ms

PERSPECTIVE_CLIENT = "perspective"
CLIENT_PREFIX = "/data/perspective/client"
DEMO_PROJECT = "Demo"
MAX_SESSIONS = 100
MAX_HANG_SECONDS = 300.0

_hangs: weakref.WeakKeyDictionary[GatewayState, threading.Event] = weakref.WeakKeyDictionary()
_hanging: weakref.WeakKeyDictionary[GatewayState, threading.Event] = weakref.WeakKeyDictionary()
_hangs_lock = threading.Lock()


def release_hung_requests(state: GatewayState) -> None:
    """Let every held `/slow` request finish now."""
    with _hangs_lock:
        event = _hangs.pop(state, None)
        _hanging.pop(state, None)
    if event is not None:
        event.set()


def wait_for_hang(state: GatewayState, timeout: float) -> bool:
    """Block until a `/slow` request is being held (a client is stuck loading it)."""
    with _hangs_lock:
        started = _hanging.setdefault(state, threading.Event())
    return started.wait(timeout)


def _hang_event(state: GatewayState) -> threading.Event:
    with _hangs_lock:
        _hanging.setdefault(state, threading.Event()).set()
        return _hangs.setdefault(state, threading.Event())


def _page_path(raw: str) -> str:
    return "/" + raw.strip("/")


def _client(req: Request) -> Response:
    name = req.params["project"]
    page_path = _page_path(req.params.get("page", ""))
    project = req.state.projects.get(name)
    base = f"{CLIENT_PREFIX}/{quote(name)}"
    gateway_home = "/web/home" if req.config.line == "8.1" else "/app"
    if project is None or not project.enabled:
        config: dict[str, Any] = {"terminal": ["Project not found", f"The project '{name}' does not exist or is not enabled."],
                  "base": base}
        return Response.html(client_page(config, "Project not found"))
    if name == DEMO_PROJECT:
        pages, views = DEMO_PAGES, DEMO_VIEWS
    else:
        pages, views = generic_pages(project.title or name)
    session = find_session(req, PERSPECTIVE_CLIENT)
    page = pages.get(page_path)
    if page and page.get("secured") and session is None:
        suffix = "?" + urlencode(req.query, doseq=True) if req.query else ""
        return Response.redirect(start_flow(req.state, PERSPECTIVE_CLIENT, req.full_path + suffix, app="perspective"))
    user = session.username if session else None
    session_id = _record_session(req.state, name, page_path, page["view"] if page else "", user, req)
    config = {
        "project": name, "title": project.title or name, "base": base, "pages": pages, "views": views,
        "dock": NAV_DOCK, "user": user, "trialSeconds": req.state.trial_seconds_left(),
        "gatewayHome": gateway_home, "sessionId": session_id,
    }
    title = f"{page['title']} - {project.title or name}" if page else "Page not found"
    return Response.html(client_page(config, title))


def _record_session(state: GatewayState, project: str, path: str, view: str, user: str | None,
                    req: Request) -> str:
    """One Perspective session per page load, as the sessions API lists them (capped)."""
    session_id = str(uuid.uuid4())
    page_id = uuid.uuid4().hex[:8]
    stamp = now_ms()
    state.perspective_sessions[session_id] = {
        "id": session_id, "username": user or "", "authorized": user is not None, "project": project,
        "clientAddress": "127.0.0.1", "lastComm": stamp, "sessionScope": "browser", "activePages": 1,
        "pageIds": [page_id], "recentBytesSent": 0, "totalBytesSent": 0,
        "userAgent": req.header("User-Agent"),
        "pages": {page_id: {"id": page_id, "path": path, "primaryView": view,
                            "views": [{"id": f"{view}@C", "viewPath": view, "mountPath": "C", "birthDate": stamp}]}},
    }
    created = [k for k, v in state.perspective_sessions.items() if v.get("clientAddress") == "127.0.0.1"
               and v.get("totalBytesSent") == 0]
    for old in created[:-MAX_SESSIONS]:
        state.perspective_sessions.pop(old, None)
    return session_id


def _slow(req: Request) -> Response:
    """Hold the document (the state lock released meanwhile), then serve the page."""
    try:
        seconds = min(MAX_HANG_SECONDS, max(0.0, float(req.arg("seconds") or 60)))
    except ValueError:
        seconds = 60.0
    event = _hang_event(req.state)
    lock = req.state.lock
    lock.release()  # the dispatcher holds it once around every handler
    try:
        event.wait(seconds)
    finally:
        lock.acquire()
    req.params["page"] = "slow"
    return _client(req)


def _report_csv(req: Request) -> Response:
    rows = ["tag,value", "Pump1/Running,true", "Tank1/Level,42.5"]
    return Response.download(("\n".join(rows) + "\n").encode(), "report.csv", "text/csv")


def register(router: Router) -> None:
    router.get(CLIENT_PREFIX + "/{project}", _client)
    router.get(CLIENT_PREFIX + "/{project}/{page:path}", _client)
    router.get(CLIENT_PREFIX + "/{project}/slow", _slow)
    router.get("/system/webdev/{project}/report.csv", _report_csv)
