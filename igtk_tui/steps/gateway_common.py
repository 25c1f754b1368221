"""What every gateway.* step shares: connection parameters, one client per
gateway per execution, typed errors turned into step failures, and the
readiness wait used by restart, restore and wait_for_ready.

Clients live in `ctx.resources` under `gateway:<url>`; `gateway.login`
also records its URL as `gateway:current`, so later steps need neither URL
nor credentials (the earlier toolkit's "login once" playbooks).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui import redact
from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.gateway.errors import GatewayError
from igtk_tui.steps.registry import Output, Param, Prelude, with_prelude
from igtk_tui.steptypes import Handler

if TYPE_CHECKING:  # httpx is imported on first use, not when the step registry loads
    from igtk_tui.gateway.client import GatewayClient

RESOURCE_PREFIX = "gateway:"
TLS_WARNED_PREFIX = "gateway-tls-warned:"
CURRENT = "gateway:current"
DEFAULT_WAIT = 240.0  # s; below the default step timeout (300 s) so our message, not the engine's, explains

CONNECTION_PARAMS: tuple[Param, ...] = (
    Param("gateway_url", "string",
          description="Gateway base URL, e.g. http://host:8088 (default: the gateway of the last "
                      "gateway.login in this execution, or the credential's URL)"),
    Param("credential", "any",
          description="A vault credential, by name or as {{ credential.NAME }} (basic or api-token)"),
    Param("api_token", "any", secret=True, description="Ignition 8.3 API key, the whole NAME:SECRET value"),
    Param("username", "any", description="Web login user (Ignition 8.1, or 8.3 without a token)"),
    Param("password", "any", secret=True, description="Web login password (or a basic credential)"),
    Param("verify_tls", "boolean",
          description="Verify the gateway's TLS certificate (default: the verify_tls setting, normally true)"),
    Param("ca_bundle", "string", description="PEM file with the CA that signed the gateway's certificate"),
)
CONNECTION_NAMES = frozenset(p.name for p in CONNECTION_PARAMS)
# The outputs of a step that saves a file from the gateway into the execution's artifacts.
FILE_OUTS = (Output("path", "string", "Where the file was saved (the execution's artifacts)"),
             Output("size", "integer", "Its size in bytes"), Output("sha256", "string", "Its SHA-256, hex"))


def wait_params() -> list[Param]:
    """`timeout` and `poll_interval` of the steps that wait for the gateway (their defaults are
    the handlers')."""
    return [
        Param("timeout", "number", unit="s", min=1, max=24 * 3600,
              description="How long to wait (paused time does not count)"),
        Param("poll_interval", "number", unit="s", min=0.05, max=60, description="Time between checks"),
    ]


def gateway_step(fn: Handler) -> Handler:
    """The prelude of a gateway.* step: it takes the connection parameters (CONNECTION_PARAMS are
    added to the step's), passes the handler the execution's client for that gateway after ctx,
    and turns typed gateway errors into step failures carrying their operator-facing message."""

    @functools.wraps(fn)
    async def wrapper(ctx: StepContext, **params: Any) -> dict[str, Any]:
        conn, rest = split_connection(params)
        async with _as_step_failures():
            return await fn(ctx, await client_for(ctx, conn), **rest)

    return with_prelude(wrapper, Prelude(CONNECTION_PARAMS, ("client",)))


def gateway_connection_step(fn: Handler) -> Handler:
    """`gateway_step` for a step that makes its own client (gateway.login): the handler gets the
    connection parameters as a dict instead."""

    @functools.wraps(fn)
    async def wrapper(ctx: StepContext, **params: Any) -> dict[str, Any]:
        conn, rest = split_connection(params)
        async with _as_step_failures():
            return await fn(ctx, conn, **rest)

    return with_prelude(wrapper, Prelude(CONNECTION_PARAMS, ("connection",)))


def gateway_errors(fn: Handler) -> Handler:
    """Typed gateway errors become step failures, for a gateway step without the connection prelude."""

    @functools.wraps(fn)
    async def wrapper(ctx: StepContext, **params: Any) -> dict[str, Any]:
        async with _as_step_failures():
            return await fn(ctx, **params)

    return wrapper


@contextlib.asynccontextmanager
async def _as_step_failures() -> AsyncIterator[None]:
    try:
        yield
    except GatewayError as exc:
        from igtk_tui.gateway.transport import is_transient

        raise StepFailure(str(exc), transient=is_transient(exc)) from None


async def read_input(ctx: StepContext, file: str, what: str) -> tuple[Path, bytes]:
    """A file a step sends to the gateway (relative to the playbook's folder), read off the loop."""
    path = ctx.resolve_path(file)
    try:
        return path, await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise StepFailure(f"cannot read {what} {path}: {exc.strerror or exc}") from None


async def save_artifact(ctx: StepContext, data: bytes, stem: str, suffix: str, kind: str) -> dict[str, Any]:
    """What the gateway sent, saved in the execution's artifacts: the FILE_OUTS of the step."""
    path = ctx.artifact_path(stem, suffix)
    await asyncio.to_thread(path.write_bytes, data)
    ctx.add_artifact(path, kind)
    return {"path": str(path), "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def split_connection(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(connection params, the step's own params)."""
    conn = {k: v for k, v in params.items() if k in CONNECTION_NAMES}
    rest = {k: v for k, v in params.items() if k not in CONNECTION_NAMES}
    return conn, rest


@dataclass(frozen=True)
class Connection:
    url: str
    api_token: str | None
    username: str | None
    password: str | None
    verify: bool
    ca_bundle: str | None


def _is_credential(value: Any) -> bool:
    return value is not None and not isinstance(value, (str, bytes, int, float, bool, dict, list)) \
        and hasattr(value, "field") and hasattr(value, "type")


async def resolve_connection(ctx: StepContext, conn: dict[str, Any]) -> Connection:
    """URL and credentials from explicit values, a vault credential, or the execution's gateway."""
    cred = conn.get("credential")
    values = {k: conn.get(k) for k in ("api_token", "username", "password")}
    for key, value in list(values.items()):
        if _is_credential(value):  # the earlier tool accepted a Credential as `password`
            cred = cred or value
            values[key] = None
    if isinstance(cred, str) and cred.strip():
        try:
            cred = await ctx.credential(cred.strip())
        except StepFailure as exc:
            raise StepFailure(f"{exc}; write credential: \"{{{{ credential.{cred.strip()} }}}}\" (or use a "
                              "credential-type parameter) so that igtk opens the vault before the run") from None
    elif cred is not None and not _is_credential(cred):
        raise StepFailure(f"credential must name a vault credential or be {{{{ credential.NAME }}}}, got {cred!r}")
    token = _text(values["api_token"])
    username = _text(values["username"])
    password = None if values["password"] in (None, "") else str(values["password"])  # never trimmed
    cred_url = ""
    if cred is not None:
        ctype = getattr(cred, "type", "")
        cred_url = getattr(cred, "gateway_url", "") or ""
        if ctype == "api-token" and not token and not username:
            token = cred.field("token")
        elif ctype == "basic" and not username and not token:
            username, password = cred.username, cred.field("password")
    for secret in (token, password):
        if secret:
            redact.register(secret)
    url = _text(conn.get("gateway_url")) or _text(getattr(ctx, "gateway_override", None)) or cred_url \
        or ctx.resources.get(CURRENT)
    if not url:
        raise StepFailure("no gateway URL: set gateway_url (or pass --gateway), give a credential that has "
                          "one, or run gateway.login earlier in this execution")
    from igtk_tui.values import normalise_url

    try:
        url = normalise_url(url)
    except ValueError as exc:
        raise StepFailure(str(exc)) from None
    settings = ctx.settings
    verify = conn.get("verify_tls")
    if verify is None:
        verify = bool(getattr(settings, "verify_tls", True))
    ca_bundle = _text(conn.get("ca_bundle")) or getattr(settings, "ca_bundle", None)
    if ca_bundle:
        ca_bundle = str(ctx.resolve_path(ca_bundle))
    return Connection(url, token, username, password, bool(verify), ca_bundle)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


async def client_for(ctx: StepContext, conn: dict[str, Any], *, bearer: bool = False,
                     replace: bool = False) -> GatewayClient:
    """The execution's client for this gateway; a new one when credentials or TLS options change."""
    from igtk_tui.gateway.client import GatewayClient

    c = await resolve_connection(ctx, conn)
    key = RESOURCE_PREFIX + c.url
    existing: GatewayClient | None = ctx.resources.get(key)
    gave_auth = bool(c.api_token or c.username)
    explicit_tls = conn.get("verify_tls") is not None or bool(conn.get("ca_bundle"))
    if existing is not None and not replace:
        same_auth = not gave_auth or (existing.api_token == c.api_token and existing.username == c.username
                                      and (c.password is None or existing.password == c.password))
        same_tls = not explicit_tls or (existing.verify == c.verify and existing.ca_bundle == c.ca_bundle)
        if same_auth and same_tls:
            existing.log = ctx.log
            return existing
    settings = ctx.settings
    tls_warned = TLS_WARNED_PREFIX + c.url  # TLS verification off: said once per execution, not per client
    client = GatewayClient(
        c.url, api_token=c.api_token, username=c.username, password=c.password, verify=c.verify,
        ca_bundle=c.ca_bundle, bearer=bearer, log=ctx.log,
        connect_timeout=float(getattr(settings, "connect_timeout", 10.0) or 10.0),
        read_timeout=float(getattr(settings, "read_timeout", 60.0) or 60.0),
        concurrency=getattr(settings, "request_concurrency", 16),
        warn_insecure=ctx.resources.get(tls_warned) is None,
    )
    if not c.verify:
        ctx.resources.put(tls_warned, True)
    if existing is not None and not gave_auth:
        # Same gateway, new TLS options only: keep the credentials the execution logged in with.
        client.api_token, client.username, client.password = existing.api_token, existing.username, existing.password
    ctx.resources.put(key, client, closer=client.aclose)
    if existing is not None:
        await existing.aclose()
    return client


def forget_client(ctx: StepContext, client: GatewayClient) -> None:
    """Drop a client from the execution (logout); its closer still runs at the end."""
    key = RESOURCE_PREFIX + client.base_url
    if ctx.resources.get(key) is client:
        ctx.resources.put(key, None)
    if ctx.resources.get(CURRENT) == client.base_url:
        ctx.resources.put(CURRENT, None)


# -- readiness --------------------------------------------------------------------------------
@dataclass
class RestartMarker:
    """How to tell that a restart really happened: the gateway's start time (8.3 overview uptime)."""

    started_at: float | None

    async def restarted(self, client: GatewayClient) -> bool | None:
        """True/False when the start time can be read, None when it cannot."""
        if self.started_at is None:
            return None
        now = await _started_at(client)
        if now is None:
            return None
        return now > self.started_at + 0.2


async def _started_at(client: GatewayClient) -> float | None:
    # overview.uptime is in ms (from the 8.3.8 spec and captures).
    if not client.has_rest_api or client.auth_mode == "none":
        return None
    try:
        uptime = (await client.overview()).get("uptime")
        return time.time() - float(uptime) / 1000.0 if uptime is not None else None
    except (GatewayError, TypeError, ValueError):
        return None


async def restart_marker(client: GatewayClient) -> RestartMarker:
    await client.ensure_version()
    return RestartMarker(await _started_at(client))


def _reason(exc: GatewayError) -> str:
    text = str(exc)
    match = re.search(r"\(([^()]*(?:refused|resolve|dropped|within)[^()]*)\)", text)
    if match:
        return match.group(1)
    return text.split(": ", 1)[-1][:160]


async def wait_until_ready(ctx: StepContext, client: GatewayClient, *, timeout: float, interval: float,
                           marker: RestartMarker | None = None, require_evidence: bool = False) -> dict[str, Any]:
    """Poll until StatusPing says RUNNING (not just HTTP 200) and, on 8.3, /data/api/v1 answers.

    With a `marker` (after a restart or restore) it also needs evidence that the
    restart happened: the gateway was seen down, or its start time moved. Pause-
    aware and cancellable through ctx.poll; never a fixed sleep.
    """
    started = time.monotonic()
    last = ["no answer yet"]
    saw_down = False
    grace = min(15.0, timeout / 2)

    def seen(text: str) -> None:
        last[0] = text  # ctx.poll reports it with the countdown

    async def probe() -> dict[str, Any] | None:
        nonlocal saw_down
        budget = max(1.0, min(10.0, timeout - (time.monotonic() - started)))
        try:
            async with asyncio.timeout(budget):
                ping = await client.status_ping(retry=False)
        except TimeoutError:
            saw_down = True
            seen(f"no answer to /StatusPing within {budget:g} s")
            return None
        except GatewayError as exc:
            saw_down = True
            seen(_reason(exc))
            return None
        state = str(ping.get("state"))
        if state != "RUNNING":
            saw_down = True
            seen(f"StatusPing {state}" + (f" (HTTP {ping['http_status']})" if "http_status" in ping else ""))
            return None
        if ping.get("details") == "COMMISSIONING":
            seen("StatusPing RUNNING but waiting for commissioning")
            return None
        try:
            if marker is not None and not saw_down:
                moved = await marker.restarted(client)
                if moved is False or (moved is None and (require_evidence or time.monotonic() - started < grace)):
                    seen("StatusPing RUNNING, but the restart has not begun yet")
                    return None
                if moved is None:
                    ctx.log(f"never saw {client.base_url} go down; assuming it restarted quickly", "warning")
            version = await client.ensure_version()
            if version.has_rest_api:
                status = await client.api_ready()
                # Without credentials, 401/403 already proves the API servlet is up (503 while starting);
                # [UNVERIFIED] whether gateway-info is anonymous on a default install.
                ok = {200} if client.auth_mode != "none" else {200, 401, 403}
                if status not in ok:
                    state_text = f"HTTP {status}" if status else "not answering"
                    if status == 401:
                        state_text += " (the credentials are refused; a restore replaces the gateway's API keys)"
                    seen(f"StatusPing RUNNING, REST API {state_text}")
                    return None
        except GatewayError as exc:
            seen(_reason(exc))
            return None
        return ping

    try:
        ping = await ctx.poll(probe, timeout=timeout, interval=interval, what=f"{client.base_url} to be ready",
                              state=lambda: last[0])
    except StepFailure:
        raise StepFailure(f"the gateway at {client.base_url} did not become ready within {timeout:g} s "
                          f"(last seen: {last[0]}); check the gateway's logs (wrapper.log) on the host") from None
    try:
        await client.detect_version()  # a restore may bring another version
    except GatewayError:
        pass
    return {"state": ping.get("state"), "waited_seconds": round(time.monotonic() - started, 3),
            "version": str(client.version)}
