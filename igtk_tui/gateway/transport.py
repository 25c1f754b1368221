"""The plumbing under GatewayClient: URL checks, TLS settings, and turning
httpx exceptions and HTTP error responses into typed errors with advice.

Kept apart from client.py so the operator-facing wording lives in one place.
"""

from __future__ import annotations

import functools
import html
import json
import re
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

from igtk_tui.gateway.errors import (
    Conflict,
    Forbidden,
    GatewayError,
    GatewayStarting,
    GatewayUnreachable,
    NotFound,
    RedundancyUnavailable,
    TransferFailed,
    Unauthorised,
)

API_PREFIX = "/data/api/v1"
# The answers after which an idempotent request is sent again (with backoff): the gateway or a
# proxy in front of it failing, busy or starting. 401/403 never: a refused credential stays refused.
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# Transport failures after which an idempotent request may be sent again.
RETRYABLE_EXCEPTIONS = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


def should_retry(response: httpx.Response) -> bool:
    """The one retry decision for an HTTP answer to an idempotent request: a redundancy 503
    (the master's backup is down) lasts, so it is not retried like a starting gateway's."""
    return response.status_code in RETRY_STATUSES and not lasting_503(response)


def may_resend(exc: BaseException) -> bool:
    """The one retry decision for a transport failure of an idempotent request: a dropped or
    refused connection, not a certificate or handshake problem (sending again cannot help)."""
    tls = "SSL" in str(exc) or "certificate" in str(exc).lower()
    return isinstance(exc, RETRYABLE_EXCEPTIONS) and not tls


def is_transient(error: GatewayError) -> bool:
    """Whether a failed step may succeed if run again (its retry_count): not when credentials or
    permissions were refused."""
    return not isinstance(error, (Unauthorised, Forbidden))


def host_port(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def tls_verify(verify: bool, ca_bundle: str | None) -> ssl.SSLContext:
    """The SSL context httpx gets: no verification, the default CAs, or one trusting `ca_bundle`.

    Built once per process and shared: loading the CA store costs ~40 ms on the
    event loop, which 100 executions starting together would pay 100 times.
    """
    try:
        return _context(verify, ca_bundle or None)
    except (OSError, ssl.SSLError) as exc:
        raise GatewayError(f"the CA bundle {ca_bundle!r} cannot be used: {exc}; "
                           "give a PEM file with the gateway's CA certificate") from None


@functools.lru_cache(maxsize=16)
def _context(verify: bool, ca_bundle: str | None) -> ssl.SSLContext:
    import httpx

    if not verify:
        return httpx.create_ssl_context(verify=False)
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return httpx.create_ssl_context()


# -- the gateway's own words ------------------------------------------------------------
_JETTY_MESSAGE = re.compile(r"<th>MESSAGE:</th>\s*<td>(.*?)</td>", re.S | re.I)
_JETTY_H2 = re.compile(r"<h2>(.*?)</h2>", re.S | re.I)


def gateway_message(response: httpx.Response) -> str | None:
    """The message in an error body: Jetty JSON/HTML/text, Ignition 422, or a result envelope."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):  # a streamed body not read yet
        return None
    if not text.strip():
        return None
    data = None
    if text.lstrip()[:1] in "{[":
        try:
            data = json.loads(text)
        except ValueError:
            data = None
    if isinstance(data, dict):
        problem = data.get("problem")
        if isinstance(problem, dict) and problem.get("message"):
            return _short(str(problem["message"]))
        messages = data.get("messages")
        if isinstance(messages, list) and messages:
            return _short("; ".join(str(m) for m in messages))
        for key in ("message", "error", "detail"):
            if data.get(key):
                return _short(str(data[key]))
        return None
    match = _JETTY_MESSAGE.search(text) or _JETTY_H2.search(text)
    if match:
        return _short(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip())
    for line in text.splitlines():
        if line.startswith("MESSAGE:"):
            return _short(line[8:].strip())
    if "<" in text[:100]:
        return None  # some other HTML page: not worth quoting
    return _short(text.strip())


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- exceptions --------------------------------------------------------------------
def _root_cause(exc: BaseException) -> str:
    """The OS-level reason under an httpx error ("All connection attempts failed" hides it)."""
    import errno as errno_

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return f"TLS: {current.reason or current}"
        if isinstance(current, OSError) and current.errno:
            if current.errno == errno_.ECONNREFUSED:
                return "connection refused"
            if current.errno in (errno_.EHOSTUNREACH, errno_.ENETUNREACH):
                return "no route to host"
            if current.errno == errno_.ECONNRESET:
                return "connection reset"
            return current.strerror or str(current)
        if isinstance(current, OSError) and "Name or service not known" in str(current):
            return "the host name does not resolve"
        current = current.__cause__ or current.__context__
    return ""


def transport_error(exc: httpx.TransportError, base_url: str, what: str, *, idempotent: bool,
                    connect_timeout: float, read_timeout: float) -> GatewayError:
    """An httpx transport failure as a typed error that names the likely fix."""
    where = host_port(base_url)
    text = str(exc) or type(exc).__name__
    cause = _root_cause(exc)
    if cause and cause not in text and "SSL" not in text:
        text = f"{text}: {cause}" if text != "All connection attempts failed" else cause
    if isinstance(exc, httpx.ConnectTimeout):
        return GatewayUnreachable(
            f"{what}: no connection to the gateway at {where} within {connect_timeout:g} s: "
            "check the host name and port, that the gateway is running, and any firewall in between",
            url=base_url)
    if isinstance(exc, httpx.ConnectError):
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text.lower():
            return GatewayUnreachable(
                f"{what}: the TLS certificate of {where} is not trusted ({text}): give the gateway's CA "
                "certificate as ca_bundle (or the ca_bundle setting); only on a trusted network, "
                "turn verification off with verify_tls: false",
                url=base_url)
        if "SSL" in text or "TLS" in text:
            return GatewayUnreachable(
                f"{what}: TLS handshake with {where} failed ({text}): check that the URL scheme "
                "matches the port (http on 8088, https on 8043)",
                url=base_url)
        lowered = text.lower()
        if "name or service not known" in lowered or "nodename nor servname" in lowered \
                or "getaddrinfo" in lowered or "name resolution" in lowered or "does not resolve" in lowered:
            return GatewayUnreachable(
                f"{what}: the host name in {base_url} does not resolve (DNS): check the spelling of the "
                "host, or use its IP address", url=base_url)
        reason = "connection refused" if "refused" in lowered else text
        return GatewayUnreachable(
            f"{what}: cannot connect to the gateway at {where} ({reason}): check the host and port "
            "in the gateway URL, that the gateway is running, and any firewall in between",
            url=base_url)
    if isinstance(exc, (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout)):
        if not idempotent:
            return TransferFailed(
                f"{what}: the gateway at {where} did not answer within {read_timeout:g} s; it may or may "
                "not have acted on the request (it was not sent again): check the gateway before retrying",
                url=base_url)
        return GatewayUnreachable(
            f"{what}: the gateway at {where} accepted the connection but did not answer within "
            f"{read_timeout:g} s (read_timeout): it may be overloaded or hung",
            url=base_url)
    # ReadError, WriteError, RemoteProtocolError: the connection dropped mid-request.
    if not idempotent:
        return TransferFailed(
            f"{what}: the connection to {where} dropped before the gateway answered ({text}); "
            "the request was not sent again: check the gateway's state before retrying",
            url=base_url)
    return GatewayUnreachable(
        f"{what}: the connection to {where} dropped ({text}): the gateway may be restarting, "
        "or a proxy or firewall closed the connection",
        url=base_url)


def lasting_503(response: httpx.Response) -> bool:
    """A 503 that gives a redundancy reason (issue 17 item 8): waiting a few seconds will not
    fix it, so it is not retried. The one place that tells it from a starting gateway's 503."""
    return response.status_code == 503 and "redundan" in (gateway_message(response) or "").lower()


def _secure_channel_refusal(detail: str | None) -> bool:
    """A 403 whose message says the key needs a secure connection (8.3 default for API keys)."""
    text = (detail or "").lower()
    return "secure connection" in text or "requires https" in text or "secure channel" in text


def http_error(response: httpx.Response, what: str, *, auth_mode: str, base_url: str,
               line: str | None, attempts: int = 1) -> GatewayError:
    """A non-success HTTP answer as a typed error with the gateway's own message and advice."""
    status = response.status_code
    detail = gateway_message(response)
    if detail and detail.lower() in (response.reason_phrase.lower(), str(status)):
        detail = None  # "Unauthorized" adds nothing to "HTTP 401"
    said = f": {detail}" if detail else ""
    url = str(response.request.url) if response.request else base_url
    path = response.request.url.path if response.request else ""
    kw: dict[str, Any] = {"status": status, "url": url, "detail": detail}
    if status == 401:
        if auth_mode == "token":
            advice = ("check the API token (name:secret) in the credential: the value is the whole key as "
                      "shown when it was created, key name, a colon, then the secret")
        elif auth_mode == "session":
            advice = "check the username and password (the web session was refused or has expired)"
        else:
            advice = ("this call needs authentication: give api_token (Ignition 8.3) or username/password, "
                      "or run gateway.login earlier in the playbook")
        return Unauthorised(f"{what}: the gateway refused the credentials (HTTP 401{said}): {advice}", **kw)
    if status == 403:
        if auth_mode == "token" and base_url.startswith("http://") and _secure_channel_refusal(detail):
            return Forbidden(
                f"{what}: the gateway refuses API keys over plain HTTP (HTTP 403{said}): use its https:// "
                "URL (port 8043 by default), or turn off 'Require secure connections for API keys' in "
                "the gateway's security settings", **kw)
        if auth_mode == "token":
            advice = ("the API key's security level may lack permission for this (Gateway Settings: "
                      "Read/Write Permissions)")
            if base_url.startswith("http://"):
                advice += ", or the key may require HTTPS: this gateway URL is plain http://, try https://"
        elif auth_mode == "session":
            advice = "the user may lack the permission for this, or the session's CSRF token was refused"
        else:
            advice = "the gateway does not allow this without suitable credentials"
        return Forbidden(f"{what}: forbidden (HTTP 403{said}): {advice}", **kw)
    if status == 404:
        if path.startswith(API_PREFIX) and line == "8.1":
            return NotFound(f"{what}: this is an Ignition 8.1 gateway, which has no REST API "
                            f"({path} answered 404); this needs Ignition 8.3 or newer", **kw)
        return NotFound(f"{what}: not found (HTTP 404{said})", **kw)
    if status == 409:
        return Conflict(f"{what}: conflict (HTTP 409{said})", **kw)
    if status == 503 and lasting_503(response):
        return RedundancyUnavailable(
            f"{what}: the gateway refused it for a redundancy reason (HTTP 503{said}): bring the other "
            "node of the redundant pair back up (or check its connection) and try again", **kw)
    if status == 503:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return GatewayStarting(
            f"{what}: the gateway answered 503 Service Unavailable{tries}{said}: it is starting "
            "(a restart is in progress) or overloaded; wait with gateway.wait_for_ready and try again", **kw)
    if status in (502, 504):
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return GatewayError(
            f"{what}: HTTP {status} from a proxy or load balancer in front of the gateway{tries}{said}: "
            "the gateway behind it is down or not answering", **kw)
    if status in (400, 415, 422):
        return GatewayError(f"{what}: the gateway rejected the request (HTTP {status}{said})", **kw)
    if status >= 500:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return GatewayError(f"{what}: the gateway failed (HTTP {status}{tries}{said}): see the gateway's logs",
                            **kw)
    return GatewayError(f"{what}: unexpected HTTP {status}{said}", **kw)
