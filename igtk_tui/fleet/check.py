"""`igtk inventory check`: ask every gateway its state and version, a bounded number at once.

Why bounded: two hundred gateways checked at once from a jump host would open two hundred
connections through the plant's firewall in the same second; `forks` of them at a time
answer as fast on a healthy network and never flood a slow one. Nothing here needs a
credential: StatusPing and gwinfo answer anyone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from igtk_tui.inventory import Gateway
from igtk_tui.store.checks import GatewayCheck

DEFAULT_FORKS = 20


async def check_gateways(gateways: Sequence[Gateway], settings: Any, *, forks: int = DEFAULT_FORKS,
                         on_result: Callable[[GatewayCheck], None] | None = None) -> list[GatewayCheck]:
    """Each gateway's answer, in inventory order; `on_result` sees each as it arrives (a progress view)."""
    from igtk_tui.gateway.probe import check_gateway

    bound = asyncio.Semaphore(max(1, forks))

    async def one(gateway: Gateway) -> GatewayCheck:
        async with bound:
            status = await check_gateway(gateway.url, settings)
        result = GatewayCheck(gateway.name, gateway.url, status.state, status.version, status.platform,
                              status.error, round(status.elapsed, 3), time.time())
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(g) for g in gateways)))


def version_mismatch(gateway: Gateway, check: GatewayCheck) -> str | None:
    """A note when the inventory's version is not what the gateway says it runs."""
    if not gateway.version or not check.version:
        return None
    said = gateway.version.split(" ", 1)[0]
    if check.version == said or check.version.startswith(said + "."):
        return None
    return f"{gateway.name}: the inventory says version {gateway.version}, the gateway runs {check.version}"
