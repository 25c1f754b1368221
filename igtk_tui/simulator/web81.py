"""8.1 gateway web pages and the internal JSON status routes (sources: docs/simulator.md).

`/web/home`, `/web/status` (trial banner with `#reset-trial-anchor` when signed
in, `#sign-in-anchor` otherwise, per USERSCRIPT), `/web/status/licenses`
(sign-in required), `/data/status/trial` GET (no auth) / PUT (session; resets
the trial), `/data/status/permissions`. The real `/data/status/*` routes may
check Origin/Referer [UNVERIFIED]; the simulator does not.
"""

from __future__ import annotations

import html
from typing import Any

from igtk_tui.simulator.auth import GATEWAY_CLIENT, find_session
from igtk_tui.simulator.routes import ONLY_81, Request, Response, Router
from igtk_tui.simulator.state import GatewayState, WebSession


def display(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def trial_status(state: GatewayState) -> dict[str, Any]:
    """8.1 field names (KEEPALIVE): trialState, remainingSeconds, remainingDisplay, expired."""
    left = state.trial_seconds_left()
    expired = state.trial_expired()
    return {
        "trialState": "NoneInDemo" if expired else "AllInDemo",
        "remainingSeconds": left,
        "remainingDisplay": display(left),
        "expired": expired,
    }


def page(req: Request, title: str, body: str, status: int = 200) -> Response:
    """The common 8.1 page frame: header, trial banner, sign-in state, navigation."""
    state, esc = req.state, html.escape
    session: WebSession | None = find_session(req, GATEWAY_CLIENT)
    trial = trial_status(state)
    user = (
        f'<span class="username">{esc(session.username)}</span> <a id="sign-out-anchor" href="/web/logout">Sign Out</a>'
        if session
        else f'<a id="sign-in-anchor" href="/web/login?return={esc(req.path)}">Sign In</a>'
    )
    reset = (
        '<a id="reset-trial-anchor" href="#" onclick="resetTrial();return false;">Reset Trial</a>'
        if session
        else ""
    )
    return Response.html(
        f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{esc(title)} | {esc(state.gateway_name)}</title></head>
<body class="web-81">
<div class="header"><span class="gateway-name">{esc(state.gateway_name)}</span>
<span class="gateway-version">Ignition {esc(req.config.plain_version)}</span> <span class="user">{user}</span></div>
<div id="trial-banner" class="trial-banner" data-expired="{str(trial["expired"]).lower()}">
Trial Mode: <span class="trial-remaining">{trial["remainingDisplay"]}</span> remaining {reset}</div>
<nav class="nav"><a href="/web/home">Home</a> <a href="/web/status">Status</a>
<a href="/web/config/system.modules">Modules</a> <a href="/web/config/system.backup">Backup/Restore</a>
<a href="/web/config/system.restart">Restart</a></nav>
<div class="content"><h1>{esc(title)}</h1>
{body}
</div>
<script>
function resetTrial() {{
  fetch("/data/status/trial", {{method: "PUT", credentials: "same-origin"}}).then(function () {{ location.reload(); }});
}}
</script>
</body></html>
""",
        status,
    )


def _home(req: Request) -> Response:
    projects = "".join(
        f'<li class="project" data-project="{html.escape(n)}">{html.escape(n)}</li>'
        for n in req.state.projects
    )
    return page(req, "Home", f'<ul class="projects">{projects}</ul>')


def _status(req: Request) -> Response:
    rows = "".join(
        f'<tr class="module-row" data-module-id="{html.escape(m.id)}"><td>{html.escape(m.name)}</td>'
        f'<td>{html.escape(m.version)}</td><td class="module-state">{m.state}</td></tr>'
        for m in req.state.modules.values()
    )
    return page(
        req,
        "Status",
        f'<table class="modules"><tr><th>Name</th><th>Version</th><th>State</th></tr>{rows}</table>',
    )


def _licenses(req: Request) -> Response:
    trial = trial_status(req.state)
    return page(
        req,
        "Licensing",
        f'<div class="license-mode">Trial</div><div class="trial-left">{trial["remainingDisplay"]}</div>',
    )


def _trial(req: Request) -> Response:
    return Response.json(trial_status(req.state))


def _trial_reset(req: Request) -> Response:
    """PUT with the session cookie restarts the trial (≈7200 s)."""
    req.state.reset_trial()
    return Response.json(trial_status(req.state))


def _permissions_any(req: Request) -> Response:
    session = find_session(req, GATEWAY_CLIENT)
    admin = session is not None
    return Response.json(
        {
            "config": admin,
            "status": True,
            "designer": admin,
            "username": session.username if session else None,
        }
    )


def register(router: Router) -> None:
    router.get("/web/home", _home, versions=ONLY_81)
    router.get("/web", _home, versions=ONLY_81)
    router.get("/web/status", _status, versions=ONLY_81)
    router.get("/web/status/licenses", _licenses, versions=ONLY_81, auth="login")
    router.get("/data/status/trial", _trial, versions=ONLY_81)
    router.put("/data/status/trial", _trial_reset, versions=ONLY_81, auth="session")
    router.get("/data/status/permissions", _permissions_any, versions=ONLY_81)
