"""Who is calling: API tokens (8.3), web sessions (8.1 gateway, 8.3 web UI), and the checks.

Facts (sources: docs/simulator.md): `X-Ignition-API-Token: name:secret` or
`Authorization: Bearer name:secret`; missing, unknown or key-only values are
401; a valid key without enough permission is 403; over plain HTTP a key that
requires a secure channel is 403; HTTP Basic is not accepted (401); key calls
need no CSRF token, cookie calls do (`X-CSRF-Token`). 8.1 web session cookie:
`JSESSIONID` assumed, name configurable [UNVERIFIED].
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import quote

from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.routes import ONLY_83, Principal, Request, Response, Route, Router
from igtk_tui.simulator.state import GatewayState, SimConfig, WebSession

GATEWAY_CLIENT = "ignition"  # 8.1 gateway web UI
WEBUI_CLIENT = "internal"  # 8.3 React web UI


def session_cookie_name(config: SimConfig, state: GatewayState, client: str) -> str:
    """8.3 web UI: `webui-sid-<gatewayId>`; anything else: the servlet session cookie."""
    if client == WEBUI_CLIENT:
        return f"webui-sid-{state.gateway_id}"
    return config.session_cookie_name


def create_session(state: GatewayState, username: str, client: str) -> WebSession:
    session = WebSession(secrets.token_urlsafe(24), username, client)
    state.sessions[session.id] = session
    return session


def find_session(req: Request, client: str) -> WebSession | None:
    """The caller's live session for `client`, from its cookie."""
    name = session_cookie_name(req.config, req.state, client)
    sid = req.cookies.get(name)
    session = req.state.sessions.get(sid or "")
    if session is None or session.kind != client:
        return None
    return session


def _token_value(req: Request) -> str | None:
    value = req.header("X-Ignition-API-Token").strip()
    if value:
        return value
    authorization = req.header("Authorization").strip()
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


def _secure(req: Request) -> bool:
    """The simulator speaks plain HTTP; a TLS-terminating proxy header counts as secure."""
    return req.header("X-Forwarded-Proto").lower() == "https"


def _lookup(config: SimConfig, name: str, secret: str) -> Principal | None:
    for table, read_only in ((config.api_tokens, False), (config.readonly_tokens, True)):
        expected = table.get(name)
        if expected is not None and hmac.compare_digest(expected.encode(), secret.encode()):
            return Principal("token", name, read_only=read_only)
    return None


def check_token(req: Request, route: Route) -> None:
    """8.3 API auth: key (full or read-only) or web-UI session + CSRF for writes."""
    value = _token_value(req)
    if value is None:
        session = find_session(req, WEBUI_CLIENT)
        if session is None:
            raise HttpError(401, "Unauthorized")
        if route.write and req.header("X-CSRF-Token") != session.csrf_token:
            raise HttpError(403, "Forbidden: missing or invalid CSRF token")
        req.principal = Principal("session", session.username, session=session)
        return
    name, sep, secret = value.partition(":")
    if not sep or not name or not secret:
        raise HttpError(401, "Unauthorized")
    principal = _lookup(req.config, name, secret)
    if principal is None:
        raise HttpError(401, "Unauthorized")
    if req.config.require_https_for_tokens and not _secure(req):
        raise HttpError(403, "Forbidden: this API key requires a secure connection")
    if route.write and principal.read_only:
        raise HttpError(403, "Forbidden")
    req.principal = principal


def authorize(req: Request, route: Route) -> Response | None:
    """Apply the route's auth policy; a Response means "answer this instead"."""
    mode = route.auth_mode(req.config)
    if mode == "none":
        return None
    if mode == "token":
        check_token(req, route)
        return None
    session = find_session(req, GATEWAY_CLIENT)
    if session is not None:
        req.principal = Principal("session", session.username, session=session)
        return None
    if mode == "session":
        raise HttpError(401, "Unauthorized")
    if mode == "login":
        return Response.redirect(login_url(req.state, req.path + _query_suffix(req)))
    raise ValueError(f"unknown auth policy {mode!r}")


def _query_suffix(req: Request) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode(req.query, doseq=True) if req.query else ""


MAX_LOGIN_RECORDS = 5000


def remember_login(state: GatewayState, key: str, record: dict[str, Any]) -> None:
    """Store a one-time login record, forgetting the oldest past the cap (crawlers, long demos)."""
    while len(state.login_flows) >= MAX_LOGIN_RECORDS:
        state.login_flows.pop(next(iter(state.login_flows)))
    state.login_flows[key] = record


def login_url(state: GatewayState, return_to: str) -> str:
    """`/web/login?token=t1` remembering where to go afterwards."""
    token = secrets.token_urlsafe(12)
    remember_login(state, token, {"kind": "pre-login", "return_to": return_to})
    return f"/web/login?token={quote(token)}"


def _app_session(req: Request) -> Response:
    session = find_session(req, WEBUI_CLIENT)
    if session is None:
        raise HttpError(401, "Unauthorized")
    payload = {"username": session.username, "roles": ["Administrator"], "securityLevels": []}
    return Response.json({"userPayload": payload, "csrfToken": session.csrf_token})


def register(router: Router) -> None:
    router.get("/data/app/session", _app_session, versions=ONLY_83)
