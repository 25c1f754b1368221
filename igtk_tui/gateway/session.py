"""GatewaySession: the transport, authentication and version detection under GatewayClient.

One httpx.AsyncClient per gateway. Retries with backoff only for idempotent
calls (GET/HEAD, toggles) on a dropped connection or 500/502/503/504; everything
else is sent exactly once. Every failure becomes a typed error whose message
says what to do (transport.py). The unauthenticated health routes
(/StatusPing, /system/gwinfo) live here too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from types import TracebackType
from typing import Any, Self

import httpx

from igtk_tui import __version__, redact
from igtk_tui.gateway import transport, webauth
from igtk_tui.gateway.errors import GatewayError, NotSupported, Unauthorised
from igtk_tui.gateway.transport import API_PREFIX, RETRY_STATUSES, may_resend
from igtk_tui.gateway.version import GatewayVersion, parse_gwinfo
from igtk_tui.slots import slots
from igtk_tui.values import normalise_url

logger = logging.getLogger("igtk.gateway")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANY_STATUS = frozenset(range(100, 600))
JSON = {"Accept": "application/json"}
LogFn = Callable[[str, str], None]


class GatewaySession:
    """A logged-in (or anonymous) conversation with one gateway; close with `aclose()`."""

    def __init__(
        self,
        base_url: str,
        *,
        api_token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        verify: bool = True,
        ca_bundle: str | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        bearer: bool = False,
        retries: int = 3,
        retry_backoff: float = 0.25,
        log: LogFn | None = None,
        concurrency: int | None = 16,
        warn_insecure: bool = True,
    ) -> None:
        try:
            self.base_url = normalise_url(base_url)
        except ValueError as exc:
            raise GatewayError(str(exc)) from None
        self.api_token = api_token or None
        self.username = username or None
        self.password = password
        for secret in (self.api_token, password):
            if secret:
                redact.register(secret)
        self.bearer = bearer
        self.verify = verify
        self.ca_bundle = ca_bundle
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)
        self.retries = max(0, int(retries))
        self.retry_backoff = retry_backoff
        self.log = log
        self.concurrency = concurrency
        if not verify and warn_insecure:
            self._warn(f"TLS certificate verification is OFF for {self.base_url}: anyone on the network path "
                       "could impersonate the gateway and read its credentials; prefer ca_bundle")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            # Plain http never speaks TLS (no redirects are followed): skip loading the CA
            # store, ~40 ms of CPU that every REST-only process paid.
            verify=transport.tls_verify(verify, ca_bundle) if self.base_url.startswith("https:") else False,
            timeout=httpx.Timeout(self.read_timeout, connect=self.connect_timeout, pool=self.connect_timeout),
            headers={"User-Agent": f"igtk/{__version__}"},
            follow_redirects=False,
        )
        self.version: GatewayVersion | None = None
        self.gwinfo_data: dict[str, str] = {}
        self.authenticated = False
        self._csrf: str | None = None
        self._session = False
        self._login_lock = asyncio.Lock()

    # -- identity --------------------------------------------------------------------
    @property
    def auth_mode(self) -> str:
        """`token`, `session` or `none`: decides headers and the advice in 401/403 messages."""
        if self.api_token:
            return "token"
        if self.username:
            return "session"
        return "none"

    @property
    def line(self) -> str | None:
        return self.version.line if self.version else None

    @property
    def has_rest_api(self) -> bool:
        """An 8.3+ gateway, as far as known: False until a request has read the version."""
        return self.version is not None and self.version.has_rest_api

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} {self.version or '?'} auth={self.auth_mode}>"

    def _warn(self, message: str) -> None:
        """To the execution's log when there is one (it reaches the process log from there too),
        else to the process log: one warning, said once."""
        if self.log:
            self.log(message, "warning")
        else:
            logger.warning(message)

    def _note(self, message: str, level: str = "debug") -> None:
        logger.log(logging.WARNING if level == "warning" else logging.DEBUG, message)
        if self.log:
            self.log(message, level)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    # -- the one request path -------------------------------------------------------------
    def _auth_headers(self, method: str) -> dict[str, str]:
        if self.api_token:
            if self.bearer:
                return {"Authorization": f"Bearer {self.api_token}"}
            return {"X-Ignition-API-Token": self.api_token}
        if self._csrf and method not in SAFE_METHODS:
            return {"X-CSRF-Token": self._csrf}
        return {}

    async def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        auth: bool = True,
        allow: Collection[int] = (),
        follow: bool = False,
        idempotent: bool | None = None,
        retry: bool = True,
        stream: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries (idempotent only), typed errors, and one re-login on an expired session.

        Statuses in `allow` are returned as they are; other non-2xx raise.
        With `stream=True` the caller must close the returned response.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in SAFE_METHODS
        attempts = 1 + (self.retries if idempotent and retry else 0)
        # A streamed body (restore) cannot be sent twice, so it never gets the re-login retry.
        replayable = isinstance(kwargs.get("content"), (type(None), bytes, str))
        relogged = False
        attempt = 0
        while True:
            attempt += 1
            request_headers = dict(headers or {})
            if auth:
                request_headers.update(self._auth_headers(method))
            try:
                if stream:
                    request = self._http.build_request(method, url, headers=request_headers, **kwargs)
                    response = await self._http.send(request, stream=True, follow_redirects=follow)
                else:
                    # Requests in flight are bounded per process: with a hundred executions
                    # polling at once the loop would otherwise take turns among all of them and
                    # a key press would wait behind every turn (benchmarks/tui.py concurrent).
                    async with slots("gateway.request", self.concurrency):
                        response = await self._http.request(method, url, headers=request_headers,
                                                            follow_redirects=follow, **kwargs)
            except httpx.TransportError as exc:
                if attempt < attempts and may_resend(exc):
                    await self._backoff(what, attempt, attempts, str(exc) or type(exc).__name__)
                    continue
                raise transport.transport_error(
                    exc, self.base_url, what, idempotent=idempotent,
                    connect_timeout=self.connect_timeout, read_timeout=self.read_timeout) from None
            status = response.status_code
            if status in allow or 200 <= status < 300:
                return response
            if stream:
                await response.aread()
                await response.aclose()
            if attempt < attempts and transport.should_retry(response):
                await self._backoff(what, attempt, attempts, f"HTTP {status}")
                continue
            if (status == 401 and auth and self._session and not relogged and replayable
                    and self.username and self.password):
                relogged = True
                attempt -= 1
                self._note(f"{what}: the web session expired; logging in again", "info")
                await self._relogin()
                continue
            raise transport.http_error(response, what, auth_mode=self.auth_mode if auth else "none",
                                       base_url=self.base_url, line=self.line, attempts=attempt)

    async def _backoff(self, what: str, attempt: int, attempts: int, why: str) -> None:
        delay = self.retry_backoff * (2 ** (attempt - 1))
        self._note(f"{what}: {why}; retrying in {delay:g} s (attempt {attempt + 1} of {attempts})", "warning")
        await asyncio.sleep(delay)

    @staticmethod
    def _json(response: httpx.Response, what: str) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise GatewayError(f"{what}: the gateway answered HTTP {response.status_code} "
                               "with something that is not JSON", status=response.status_code) from None

    # -- version and authentication -----------------------------------------------------------
    async def detect_version(self) -> GatewayVersion:
        """Read `/system/gwinfo` (no auth, parsed by key); fall back to probing the REST API."""
        what = f"detecting the gateway version at {self.base_url}"
        # 500/502/503/504 are retried, then raise as what they are (a failing or starting gateway is not
        # "not a gateway": that hint is for answers no Ignition gateway gives).
        answers = ANY_STATUS - RETRY_STATUSES
        response = await self._send("GET", "/system/gwinfo", what=what, auth=False, allow=answers)
        info = parse_gwinfo(response.text) if response.status_code == 200 else {}
        version: GatewayVersion | None = None
        if info.get("Version"):
            try:
                version = GatewayVersion.parse(info["Version"])
            except ValueError:
                version = None
        if version is None:
            # [UNVERIFIED] fallback for a gateway whose gwinfo is hidden: 8.1 answers 404 under /data/api/v1.
            probe = await self._send("GET", f"{API_PREFIX}/gateway-info", what=what, allow=answers,
                                     headers=JSON)
            if probe.status_code == 200:
                data = self._json(probe, what) or {}
                try:
                    version = GatewayVersion.parse(str(data.get("ignitionVersion", "")))
                except ValueError:
                    version = GatewayVersion(8, 3, 0)
            elif probe.status_code == 404:
                version = GatewayVersion(8, 1, 0)
            elif probe.status_code in (401, 403):
                version = GatewayVersion(8, 3, 0)
            else:
                raise GatewayError(f"{what}: /system/gwinfo answered HTTP {response.status_code} and the "
                                   f"REST API HTTP {probe.status_code}: is this an Ignition gateway?")
        self.gwinfo_data = info
        self.version = version
        if info.get("ContextStatus") == "NEEDS_COMMISSIONING":
            self._warn(f"the gateway at {self.base_url} is waiting for commissioning (first-start setup)")
        return version

    async def ensure_version(self) -> GatewayVersion:
        return self.version or await self.detect_version()

    async def login(self) -> None:
        """Prove the credentials: check the token (8.3) or log in through the IdP (8.1 and 8.3)."""
        async with self._login_lock:
            version = await self.ensure_version()
            if self.api_token:
                if not version.has_rest_api:
                    raise Unauthorised(
                        f"{self.base_url} is Ignition {version}: API tokens exist only from 8.3 on; "
                        "use a username and password (basic credential) for this gateway")
                # A cheap read that needs a key. [UNVERIFIED] gateway-info may be anonymous on a
                # default install, so it could not prove the token; restart-tasks/pending is assumed not to be.
                await self._send("GET", f"{API_PREFIX}/restart-tasks/pending", what="checking the API token",
                                 headers=JSON)
            elif self.username:
                if not self.password:
                    raise Unauthorised(f"logging in to {self.base_url}: a username was given without a password")
                self._http.cookies.clear()
                self._csrf = await webauth.web_login(self, self.username, self.password)
                self._session = True
            else:
                raise Unauthorised(f"logging in to {self.base_url}: no credentials given: set api_token "
                                   "(NAME:SECRET, Ignition 8.3) or username and password, or a credential")
            self.authenticated = True

    async def _relogin(self) -> None:
        async with self._login_lock:
            self._http.cookies.clear()
            self._csrf = await webauth.web_login(self, self.username or "", self.password or "")

    async def ensure_auth(self) -> None:
        """Log in once when credentials were given; anonymous clients go on without."""
        if not self.authenticated and self.auth_mode != "none":
            await self.login()

    async def logout(self) -> None:
        if self._session and self.version:
            await webauth.web_logout(self)
        self._session = False
        self._csrf = None
        self.authenticated = False

    async def _require_api(self, what: str) -> None:
        version = await self.ensure_version()
        if not version.has_rest_api:
            raise NotSupported(f"{what}: {self.base_url} is Ignition {version}, which has no REST API "
                               "(it arrived in 8.3); do this in the gateway's web pages or with gwcmd")
        await self.ensure_auth()

    async def _api(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        await self._require_api(what)
        headers = {**JSON, **kwargs.pop("headers", {})}
        response = await self._send(method, API_PREFIX + path, what=what, headers=headers, **kwargs)
        return self._json(response, what)

    async def _list_all(self, path: str, what: str, *, retry: bool = True) -> list[Any]:
        """Every item of a list endpoint (`{"items", "metadata"}` envelope), paging if needed.

        `retry=False` for callers that poll: their own loop is the retry, and a retried
        request inside every poll would only add delay and warnings."""
        data = await self._api("GET", path, what, retry=retry)
        if isinstance(data, list):
            return data
        if not isinstance(data, dict):
            raise GatewayError(f"{what}: unexpected answer shape ({type(data).__name__})")
        items = list(data.get("items") or [])
        meta = data.get("metadata") or {}
        total = meta.get("matching", meta.get("total"))
        while isinstance(total, int) and len(items) < total:
            page = await self._api("GET", path, what, params={"offset": len(items), "limit": 100}, retry=retry)
            more = (page or {}).get("items") or []
            if not more:
                break
            items += more
        return items

    # -- health (no auth) ---------------------------------------------------------------------
    async def status_ping(self, *, retry: bool = True) -> dict[str, Any]:
        """`/StatusPing` JSON: {"state": "RUNNING"|"STARTING"|..., "details"?}.

        Only RUNNING and STARTING are captured from real gateways; FAULTED and other
        states are [UNVERIFIED] and simply count as "not RUNNING" for callers.
        """
        what = f"pinging {self.base_url}"
        response = await self._send("GET", "/StatusPing", what=what, auth=False, retry=retry,
                                    allow=RETRY_STATUSES, headers=JSON)
        if response.status_code != 200:
            return {"state": "UNAVAILABLE", "http_status": response.status_code}
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or "state" not in data:
            return {"state": "UNKNOWN", "raw": response.text[:200]}
        return data

    async def ping(self) -> bool:
        """True when `/StatusPing` answers 200; never raises (the earlier tool's contract)."""
        try:
            response = await self._send("GET", "/StatusPing", what="ping", auth=False, retry=False,
                                        allow=ANY_STATUS)
        except GatewayError:
            return False
        return response.status_code == 200

    async def gwinfo(self) -> dict[str, str]:
        response = await self._send("GET", "/system/gwinfo", what="reading /system/gwinfo", auth=False)
        self.gwinfo_data = parse_gwinfo(response.text)
        return self.gwinfo_data

    async def api_ready(self) -> int | None:
        """HTTP status of `/data/api/v1/gateway-info` right now (None when no answer); no retries.

        A web session that the gateway forgot (restart) is renewed once on the way.
        """
        allow = ANY_STATUS - {401} if self._session else ANY_STATUS
        try:
            response = await self._send("GET", f"{API_PREFIX}/gateway-info", what="checking the REST API",
                                        allow=allow, retry=False, headers=JSON)
        except Unauthorised:
            return 401
        except GatewayError:
            return None
        return response.status_code
