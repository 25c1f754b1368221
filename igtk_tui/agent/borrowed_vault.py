"""The agent's unlocked vault, borrowed by a headless run (the ssh-agent model).

Why: opening the file vault derives its key with Argon2id (64 MiB, ~0.3 CPU-s), which
was a third of what a REST-only health check cost per process. When this user's agent
holds the vault unlocked (`igtk agent unlock`), a run asks it for the credentials it
names, one by one, over the agent's 0600 Unix socket (peer uid checked): no key is
derived, no secret is written anywhere, and each secret is registered with redact on
arrival, as the local vault does. Without an agent, with its vault locked, or when it
stops answering, the run opens its own vault as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from igtk_tui.errors import ServiceUnavailable
from igtk_tui.paths import Paths

log = logging.getLogger(__name__)


class BorrowedVault:
    """`get(name)` from the agent's vault; the local vault (`fallback`) once the agent cannot answer."""

    backend_name = "agent"

    def __init__(self, client: Any, fallback: Callable[[], Any]) -> None:
        self._client: Any = client
        self._fallback = fallback
        self._local: Any = None
        self._fetched: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name in self._fetched:
            return self._fetched[name]
        if self._client is not None:
            try:
                data = self._client.credential(name)
            except ServiceUnavailable as exc:  # locked since, or gone: this process's own vault
                log.info("the agent cannot hand out credentials (%s): opening the vault here", exc)
                self.close()
            else:
                from igtk_tui.vault.model import Credential
                from igtk_tui.vault.vault import register_secrets

                credential = Credential.from_payload(str(data.pop("name")), data)
                register_secrets(credential)
                self._fetched[name] = credential
                return credential
        if self._local is None:
            self._local = self._fallback()
        return self._local.get(name)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def borrow(paths: Paths, fallback: Callable[[], Any]) -> BorrowedVault | None:
    """The agent's vault when this root's agent runs with its vault unlocked; else None (cheap
    when no agent runs: one lock-file probe, no socket, no httpx)."""
    from igtk_tui.agent.location import AgentLocation

    location = AgentLocation.of(paths)
    if not location.alive():
        return None
    from igtk_tui.agent.client import AgentClient, check_version

    client = AgentClient(location)
    try:
        status = client.status()
        check_version(status, location)
    except ServiceUnavailable as exc:  # another version, or it stopped meanwhile
        log.info("not asking the agent for credentials: %s", exc)
        client.close()
        return None
    if (status.get("vault") or {}).get("state") != "unlocked":
        client.close()
        return None
    return BorrowedVault(client, fallback)
