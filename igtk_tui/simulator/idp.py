"""The identity-provider login flow (the 8.1 gateway login, the 8.3 web UI).

Two-step HTML page (`input.username-field`, `div.submit-button` CONTINUE,
`input.password-field`, CONTINUE again) driven by the JSON challenge routes; tokens rotate at
every step and a replayed token is a Jetty 400. The page also works without
JavaScript (form POST), which is what plain HTTP clients can use. A flow ends
at `/data/federate/callback/<client>`, which sets the session cookie and
redirects back to where the user started. Other areas (Perspective) start a
flow with `start_flow()`.
"""

from __future__ import annotations

import html
import secrets
from typing import Any
from urllib.parse import quote, urlencode

from igtk_tui.simulator.auth import (
    GATEWAY_CLIENT,
    WEBUI_CLIENT,
    create_session,
    remember_login,
    session_cookie_name,
)
from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.routes import ONLY_81, ONLY_83, Request, Response, Router
from igtk_tui.simulator.state import GatewayState

IDP = "/idp/default"
DEFAULT_RETURN = {GATEWAY_CLIENT: "/web/home", WEBUI_CLIENT: "/app"}


def start_flow(state: GatewayState, client: str, return_to: str, app: str = "gateway") -> str:
    """The `/idp/default/oidc/auth?...` URL that starts a login for `client`."""
    flow_state = secrets.token_urlsafe(12)
    remember_login(state, flow_state, {"kind": "oidc", "client": client, "return_to": return_to})
    query = {
        "app": app,
        "response_type": "code",
        "client_id": client,
        "redirect_uri": f"/data/federate/callback/{client}",
        "scope": "openid",
        "state": flow_state,
        "nonce": secrets.token_urlsafe(8),
    }
    return f"{IDP}/oidc/auth?{urlencode(query)}"


def _new_token(state: GatewayState, **data: Any) -> str:
    token = secrets.token_urlsafe(16)
    remember_login(state, token, {"kind": "idp", **data})
    return token


def _take_token(state: GatewayState, token: str | None) -> dict[str, Any]:
    """Consume a one-time token; replaying one is a Jetty 400."""
    record = state.login_flows.pop(token or "", None)
    if record is None or record.get("kind") != "idp":
        raise HttpError(400, "Invalid or expired login token")
    return record


def _web_login(req: Request) -> Response:
    pre = req.state.login_flows.pop(req.arg("token") or "", None)
    return_to = (pre or {}).get("return_to") or req.arg("return") or DEFAULT_RETURN[GATEWAY_CLIENT]
    return Response.redirect(start_flow(req.state, GATEWAY_CLIENT, return_to))


def _app_login(req: Request) -> Response:
    return Response.redirect(start_flow(req.state, WEBUI_CLIENT, req.arg("return") or "/app", app="webui"))


def _oidc_auth(req: Request) -> Response:
    flow_state = req.require_arg("state")
    flow = req.state.login_flows.get(flow_state)
    if flow is None or flow.get("kind") != "oidc":
        raise HttpError(400, "Unknown login request")
    token = req.arg("token")
    if token:
        record = _take_token(req.state, token)
        if not record.get("complete"):
            raise HttpError(400, "Login is not complete")
        code = secrets.token_urlsafe(16)
        req.state.auth_codes[code] = {"user": record["user"], "state": flow_state}
        redirect_uri = req.arg("redirect_uri") or f"/data/federate/callback/{flow['client']}"
        return Response.redirect(f"{redirect_uri}?code={quote(code)}&state={quote(flow_state)}")
    query = {k: v[0] for k, v in req.query.items() if k != "token"}
    auth_url = f"{IDP}/oidc/auth?{urlencode(query)}"
    login_token = _new_token(req.state, flow=flow_state, auth_url=auth_url, user=None)
    return Response.redirect(f"{IDP}/authn/login?token={quote(login_token)}")


def _login_page(req: Request) -> Response:
    token = req.arg("token")
    record = req.state.login_flows.get(token or "")
    if record is None or record.get("kind") != "idp":
        raise HttpError(400, "Invalid or expired login token")
    return Response.html(login_page(token or "", record["auth_url"]))


def _login_form(req: Request) -> Response:
    """No-JavaScript fallback: the whole challenge in one form POST."""
    form = req.form()
    record = _take_token(req.state, form.get("token"))
    username, password = form.get("username", ""), form.get("password", "")
    if req.state.check_password(username, password):
        done = _new_token(
            req.state, flow=record["flow"], auth_url=record["auth_url"], user=username, complete=True
        )
        return Response.redirect(f"{record['auth_url']}&token={quote(done)}")
    retry = _new_token(req.state, flow=record["flow"], auth_url=record["auth_url"], user=None)
    return Response.html(login_page(retry, record["auth_url"], "Invalid username or password."), 200)


def _submit(req: Request, username: str, password: str, record: dict[str, Any]) -> Response:
    ok = req.state.check_password(username, password)
    token = _new_token(
        req.state, flow=record["flow"], auth_url=record["auth_url"], user=username if ok else None
    )
    body: dict[str, Any] = {"success": ok, "token": token}
    if not ok:
        body["message"] = "Invalid username or password."
    return Response.json(body)


def _submit_username_password(req: Request) -> Response:
    data = req.json_object()
    record = _take_token(req.state, data.get("token"))
    return _submit(req, str(data.get("username", "")), str(data.get("password", "")), record)


def _submit_basic(req: Request) -> Response:
    data = req.json_object()
    record = _take_token(req.state, data.get("token"))
    challenge = data.get("challenge") or {}
    return _submit(req, str(challenge.get("username", "")), str(challenge.get("password", "")), record)


def _next_challenge(req: Request) -> Response:
    record = _take_token(req.state, req.json_object().get("token"))
    if record.get("user"):
        token = _new_token(
            req.state, flow=record["flow"], auth_url=record["auth_url"], user=record["user"], complete=True
        )
        return Response.json({"complete": True, "token": token, "authUrl": record["auth_url"]})
    token = _new_token(req.state, flow=record["flow"], auth_url=record["auth_url"], user=None)
    challenge = [{"type": "basic", "data": {}}]
    return Response.json({"complete": False, "nextChallenge": challenge, "token": token})


def _callback(req: Request) -> Response:
    code = req.state.auth_codes.pop(req.arg("code") or "", None)
    if code is None or code["state"] != req.arg("state"):
        raise HttpError(400, "Invalid authorization code")
    flow = req.state.login_flows.pop(code["state"], {})
    client = req.params["client"]
    session = create_session(req.state, code["user"], client)
    target = flow.get("return_to") or DEFAULT_RETURN.get(client, "/")
    response = Response.redirect(target)
    extra = "HttpOnly; SameSite=Strict" if client == WEBUI_CLIENT else "HttpOnly"
    return response.set_cookie(session_cookie_name(req.config, req.state, client), session.id, extra=extra)


def _logout(req: Request) -> Response:
    for client in (GATEWAY_CLIENT, WEBUI_CLIENT):
        sid = req.cookies.get(session_cookie_name(req.config, req.state, client), "")
        req.state.sessions.pop(sid, None)
    return Response.redirect("/web/home" if req.config.line == "8.1" else "/app")


def login_page(token: str, auth_url: str, error: str = "") -> str:
    """The two-step sign-in page with the class names automation relies on."""
    esc = html.escape
    hidden = "" if error else ' style="display:none"'
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign In</title></head>
<body class="login-page">
<form id="login-form" method="post" action="{IDP}/authn/login" data-auth-url="{esc(auth_url)}">
  <input type="hidden" name="token" value="{esc(token)}">
  <h1 class="login-title">Sign In</h1>
  <div class="username-step">
    <label for="username">Username</label>
    <input id="username" class="username-field" name="username" type="text" autocomplete="username">
  </div>
  <div class="password-step" style="display:none">
    <label for="password">Password</label>
    <input id="password" class="password-field" name="password" type="password" autocomplete="current-password">
  </div>
  <div class="error-message"{hidden}>{esc(error)}</div>
  <div class="submit-button" role="button" tabindex="0">CONTINUE</div>
  <noscript><button type="submit">Sign in</button></noscript>
</form>
<script>
(function () {{
  var form = document.getElementById("login-form");
  var tokenInput = form.querySelector("input[name=token]");
  var userStep = form.querySelector(".username-step"), passStep = form.querySelector(".password-step");
  var button = form.querySelector(".submit-button"), error = form.querySelector(".error-message");
  var step = 1;
  function post(path, body) {{
    return fetch("{IDP}/authn/" + path, {{method: "POST", headers: {{"Content-Type": "application/json"}},
      body: JSON.stringify(body)}}).then(function (r) {{ return r.json(); }});
  }}
  function submit() {{
    if (step === 1) {{
      if (!form.username.value) {{ return; }}
      userStep.style.display = "none"; passStep.style.display = "";
      step = 2; form.password.focus(); return;
    }}
    post("submit-username-password-challenge", {{username: form.username.value,
      password: form.password.value, token: tokenInput.value, rememberMe: false}}).then(function (r) {{
      tokenInput.value = r.token;
      if (!r.success) {{ error.textContent = r.message || "Invalid username or password.";
        error.style.display = ""; form.password.value = ""; return; }}
      return post("next-challenge", {{token: r.token}}).then(function (n) {{
        window.location.href = form.dataset.authUrl + "&token=" + encodeURIComponent(n.token);
      }});
    }});
  }}
  button.addEventListener("click", submit);
  form.addEventListener("submit", function (e) {{ e.preventDefault(); submit(); }});
  form.addEventListener("keydown", function (e) {{ if (e.key === "Enter") {{ e.preventDefault(); submit(); }} }});
}})();
</script>
</body></html>
"""


def register(router: Router) -> None:
    router.get("/web/login", _web_login, versions=ONLY_81)
    router.get("/web/logout", _logout, versions=ONLY_81)
    router.get("/data/app/login", _app_login, versions=ONLY_83)
    router.get("/data/app/logout", _logout, versions=ONLY_83)
    router.get(f"{IDP}/oidc/auth", _oidc_auth)
    router.get(f"{IDP}/authn/login", _login_page)
    router.post(f"{IDP}/authn/login", _login_form)
    router.post(f"{IDP}/authn/submit-username-password-challenge", _submit_username_password)
    router.post(f"{IDP}/authn/submit-challenge/basic", _submit_basic)
    router.post(f"{IDP}/authn/next-challenge", _next_challenge)
    router.get("/data/federate/callback/{client}", _callback)
