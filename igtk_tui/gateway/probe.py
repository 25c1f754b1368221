"""Is anything answering at the gateway URL? For the CLI's exit 3 before the first step.

`probe(url, verify, timeout)` raises GatewayUnreachable (an
igtk_tui.errors.ServiceUnavailable, exit code 3) when nothing answers HTTP;
`preflight_gateway` runs it for a playbook that has gateway.* steps.
`check_gateway` reads StatusPing and gwinfo without credentials (`igtk inventory check`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from igtk_tui.gateway.client import probe
from igtk_tui.gateway.errors import GatewayError, GatewayUnreachable


@dataclass(frozen=True)
class GatewayStatus:
    """What a gateway says about itself without credentials.

    state: StatusPing's state (RUNNING, STARTING, FAULTED...), UNAVAILABLE (an HTTP error
    status), UNREACHABLE (no HTTP answer) or ERROR (an answer no gateway gives)."""

    url: str
    state: str
    version: str | None = None
    platform: str | None = None
    error: str | None = None
    elapsed: float = 0.0


def uses_gateway(playbook: Any) -> bool:
    """True when any step (rollback steps included) is a gateway.* step."""

    def walk(steps: Any) -> bool:
        return any(s.type.startswith("gateway.") or walk(s.on_rollback) for s in steps)

    return walk(playbook.steps) or walk(playbook.on_rollback)


def preflight_gateway(playbook: Any, url: str | None, settings: Any) -> None:
    """Probe `url` before an execution starts, when its playbook talks to a gateway (sync; own loop)."""
    if not url or not uses_gateway(playbook):
        return
    timeout = float(getattr(settings, "connect_timeout", 10.0) or 10.0)
    asyncio.run(probe(url, bool(getattr(settings, "verify_tls", True)), timeout,
                      ca_bundle=getattr(settings, "ca_bundle", None)))


async def check_gateway(url: str, settings: Any) -> GatewayStatus:
    """StatusPing (state) and /system/gwinfo (version, name) of one gateway; never raises a
    gateway error: what went wrong is in `state` and `error`. One try each (a check reports
    the gateway as it is now, it does not wait for it)."""
    from igtk_tui.gateway.session import GatewaySession

    started = time.monotonic()
    timeout = float(getattr(settings, "connect_timeout", 10.0) or 10.0)
    try:
        session = GatewaySession(url, verify=bool(getattr(settings, "verify_tls", True)),
                                 ca_bundle=getattr(settings, "ca_bundle", None), connect_timeout=timeout,
                                 read_timeout=timeout, retries=0, warn_insecure=False)
    except GatewayError as exc:
        return GatewayStatus(url, "ERROR", error=str(exc))
    async with session:
        try:
            ping = await session.status_ping(retry=False)
        except GatewayUnreachable as exc:
            return GatewayStatus(url, "UNREACHABLE", error=str(exc), elapsed=time.monotonic() - started)
        except GatewayError as exc:
            return GatewayStatus(url, "ERROR", error=str(exc), elapsed=time.monotonic() - started)
        state = str(ping.get("state") or "UNKNOWN").upper()
        if ping.get("details"):
            state = f"{state}/{str(ping['details']).upper()}"
        version = platform = error = None
        try:
            info = await session.gwinfo()
            version = info.get("Version") or None
            platform = info.get("PlatformName") or None
        except GatewayError as exc:
            error = f"gwinfo: {exc}"
    return GatewayStatus(url, state, version, platform, error, time.monotonic() - started)


__all__ = ["probe", "preflight_gateway", "uses_gateway", "check_gateway", "GatewayStatus", "GatewayUnreachable"]
