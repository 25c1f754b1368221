"""Is anything answering at the gateway URL? For the CLI's exit 3 before the first step.

`probe(url, verify, timeout)` raises GatewayUnreachable (an
igtk_tui.errors.ServiceUnavailable, exit code 3) when nothing answers HTTP;
`preflight_gateway` runs it for a playbook that has gateway.* steps.
"""

from __future__ import annotations

import asyncio
from typing import Any

from igtk_tui.gateway.client import probe
from igtk_tui.gateway.errors import GatewayUnreachable


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


__all__ = ["probe", "preflight_gateway", "uses_gateway", "GatewayUnreachable"]
