"""Web-session login through the gateway's identity provider (IdP).

Ignition 8.1 has no API tokens, so username/password is the only way in
(8.1's web UI logs in this way); 8.3 also accepts the same flow for its web
UI, which gives a session cookie plus a CSRF token for mutating calls.

    GET start page -> 302 ... -> /idp/default/oidc/auth?... -> 302 /idp/default/authn/login?token=T0
    8.1: POST authn/submit-username-password-challenge {username,password,token,rememberMe} -> {token}
    8.3: POST authn/next-challenge {token} -> {complete:false, nextChallenge:[{type:"basic"}], token}
         POST authn/submit-challenge/basic {token, rememberMe, challenge:{username,password}} -> {success, token}
    both: POST authn/next-challenge {token} -> {complete:true, token}
    GET <the oidc/auth URL>&token=T -> 302 /data/federate/callback/<client>?code=... -> 302 + session cookie

Tokens rotate at every step; the flow is followed, never replayed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from igtk_tui.gateway.errors import GatewayError, NotSupported, Unauthorised

if TYPE_CHECKING:
    from igtk_tui.gateway.session import GatewaySession as GatewayClient

IDP = "/idp/default"
START_PAGE = {"8.1": "/web/login", "8.3": "/data/app/login"}
LOGOUT_PAGE = {"8.1": "/web/logout", "8.3": "/data/app/logout"}
ANY = frozenset(range(100, 600))


async def web_login(client: GatewayClient, username: str, password: str) -> str | None:
    """Log in; returns the CSRF token (8.3) or None (8.1). Raises Unauthorised on a wrong password."""
    line = client.line
    what = f"logging in to {client.base_url} as {username!r}"
    if line is None:  # the version probe decides which login pages exist
        raise GatewayError(f"{what}: the gateway's version is not known yet")
    landing = await client._send("GET", START_PAGE[line], what=what, auth=False, allow=ANY, follow=True)
    if landing.status_code >= 500:
        from igtk_tui.gateway.transport import http_error

        raise http_error(landing, what, auth_mode="session", base_url=client.base_url, line=line)
    token, auth_url = _login_page(landing, what)
    if line == "8.1":
        data = await _post(client, "submit-username-password-challenge",
                           {"username": username, "password": password, "token": token, "rememberMe": False}, what)
        _check_success(data, username, what)
        data = await _post(client, "next-challenge", {"token": data["token"]}, what)
    else:
        data = await _post(client, "next-challenge", {"token": token}, what)
        if not data.get("complete"):
            kinds = [str(c.get("type")) for c in data.get("nextChallenge") or [] if isinstance(c, dict)]
            if "basic" not in kinds:
                raise NotSupported(f"{what}: the gateway asks for a {', '.join(kinds) or 'unknown'} login "
                                   "challenge that igtk cannot answer (single sign-on or MFA): use an API token")
            data = await _post(client, "submit-challenge/basic",
                               {"token": data["token"], "rememberMe": False,
                                "challenge": {"username": username, "password": password}}, what)
            _check_success(data, username, what)
            data = await _post(client, "next-challenge", {"token": data["token"]}, what)
    if not data.get("complete") or not data.get("token"):
        raise Unauthorised(f"{what}: the identity provider did not complete the login "
                           "(it may ask for more than a password): check the user's login settings")
    final = await client._send("GET", _with_token(auth_url, str(data["token"])), what=what, auth=False,
                               allow=ANY, follow=True)
    if not any(r.request.url.path.startswith("/data/federate/callback") for r in [*final.history, final]):
        raise GatewayError(f"{what}: the login did not reach the gateway's callback "
                           f"(ended at {final.request.url.path}, HTTP {final.status_code})")
    if line == "8.1":
        return None
    session = await client._send("GET", "/data/app/session", what=what, auth=False, allow=ANY)
    if session.status_code != 200:
        raise Unauthorised(f"{what}: logged in, but /data/app/session answered HTTP {session.status_code}")
    try:
        csrf = session.json().get("csrfToken")
    except ValueError:
        csrf = None
    if not csrf:
        raise GatewayError(f"{what}: /data/app/session gave no csrfToken")
    return str(csrf)


async def web_logout(client: GatewayClient) -> None:
    """End the web session (best effort) and forget its cookies."""
    try:
        if client.line is not None:  # never logged in without a known version
            await client._send("GET", LOGOUT_PAGE[client.line], what="logging out", auth=False, allow=ANY,
                               retry=False)
    except GatewayError:
        pass
    finally:
        client._http.cookies.clear()


def _login_page(landing: httpx.Response, what: str) -> tuple[str, str]:
    """The IdP login token and the oidc/auth URL the redirects went through."""
    url = landing.request.url
    token = url.params.get("token")
    if not url.path.startswith(f"{IDP}/authn/login") or not token:
        raise GatewayError(f"{what}: the gateway did not redirect to its login page "
                           f"(ended at {url.path}, HTTP {landing.status_code})")
    auth_url = None
    for hop in landing.history:
        if hop.request.url.path.startswith(f"{IDP}/oidc/auth"):
            auth_url = str(hop.request.url)
    if auth_url is None:
        raise GatewayError(f"{what}: the login redirects did not pass through {IDP}/oidc/auth")
    return token, auth_url


def _with_token(auth_url: str, token: str) -> str:
    parts = urlsplit(auth_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
    query.append(("token", token))
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


async def _post(client: GatewayClient, route: str, body: dict[str, Any], what: str) -> dict[str, Any]:
    response = await client._send("POST", f"{IDP}/authn/{route}", what=what, auth=False, allow=ANY,
                                  json=body, idempotent=False)
    if response.status_code != 200:
        raise GatewayError(f"{what}: the identity provider answered HTTP {response.status_code} at {route}",
                           status=response.status_code)
    try:
        data = response.json()
    except ValueError:
        raise GatewayError(f"{what}: the identity provider did not answer JSON at {route}") from None
    if not isinstance(data, dict) or not data.get("token"):
        raise GatewayError(f"{what}: the identity provider's answer at {route} has no token")
    return data


def _check_success(data: dict[str, Any], username: str, what: str) -> None:
    # 8.1 is known to answer only {"token", ...}; an explicit success:false is a wrong password.
    if data.get("success") is False:
        raise Unauthorised(f"{what}: the gateway refused the login for {username!r}: "
                           "check the username and password")
