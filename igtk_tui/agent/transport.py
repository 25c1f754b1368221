"""The agent's transport: a Unix socket only its user can reach, served by uvicorn.

Why these choices:
- A Unix socket in a 0700 folder, itself 0600, and every connection's peer uid
  checked with SO_PEERCRED: only the user who owns the state root can drive it,
  and there is never a TCP port.
- The socket is bound here, not by uvicorn's `uds=` option, because uvicorn
  chmods a socket it creates to 0666.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import Iterator

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from igtk_tui.agent.location import AgentLocation

log = logging.getLogger(__name__)


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


class PeerCheckedProtocol(H11Protocol):
    """uvicorn's HTTP protocol that hangs up on any peer that is not this user."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        uid = peer_uid(sock) if sock is not None else -1
        if uid != os.getuid():
            log.warning("refused a connection from uid %s (the agent serves uid %s only)", uid, os.getuid())
            transport.close()


class AgentServer(uvicorn.Server):
    """uvicorn without its own signal handling: SIGTERM/SIGINT first stop the runs
    (recorded `interrupted`), then the server (Agent.serve installs those handlers)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_socket(location: AgentLocation) -> socket.socket:
    """The listening socket, 0600 from its first moment (umask), stale file replaced."""
    location.prepare()
    path = location.socket
    try:
        path.unlink()  # we hold the lock: a socket file left here belongs to a dead agent
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(128)
    sock.setblocking(False)
    return sock
