"""Typed gateway errors whose messages tell the operator what to do next.

Every failure the client can meet maps to one of these, so steps fail with a
sentence an operator can act on ("check the API token", "the key may require
HTTPS", "check host/port/firewall") instead of an httpx traceback.
"""

from __future__ import annotations

from igtk_tui.errors import IgtkError, ServiceUnavailable


class GatewayError(IgtkError):
    """A gateway call failed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None,
                 detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        # The gateway's own message (Jetty `message`, Ignition `messages`/`problem`).
        self.detail = detail


class GatewayUnreachable(ServiceUnavailable, GatewayError):
    """No HTTP answer at all: refused, reset, timed out, DNS or TLS failure (exit 3 before the first step)."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        GatewayError.__init__(self, message, url=url)


class Unauthorised(GatewayError):
    """401: missing, wrong or malformed credentials."""


class Forbidden(GatewayError):
    """403: authenticated but not allowed (permission level, HTTPS-only key, trial not expired)."""


class NotFound(GatewayError):
    """404: no such module/project, or a route this gateway version does not serve."""


class Conflict(GatewayError):
    """409: already exists / already accepted / not yet accepted."""


class GatewayStarting(GatewayError):
    """503 (or STARTING): the gateway is restarting or overloaded; waiting may help."""


class RedundancyUnavailable(GatewayError):
    """503 for a redundancy reason (a master whose backup node is down refuses a backup):
    not transient, so never retried as a starting gateway's 503 is."""


class TransferFailed(GatewayError):
    """An upload or download did not complete (dropped connection, short or corrupt body)."""


class NotSupported(GatewayError):
    """The operation has no HTTP route on this gateway version (e.g. restart on 8.1)."""


class AcceptanceRequired(GatewayError):
    """A module needs its certificate trusted or its licence accepted, and the caller did not allow it."""

    def __init__(self, message: str, *, kind: str, module_id: str) -> None:
        super().__init__(message)
        self.kind = kind  # "certificate" | "license"
        self.module_id = module_id
