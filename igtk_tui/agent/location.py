"""Where an agent lives for a state root (folder 0700, socket 0600, lock file),
and whether one is alive, answered without importing any HTTP code.

Why a lock file held with fcntl.flock: the kernel drops it when the agent dies
(also on kill -9), so "is an agent alive?" never depends on a stale pid or a
stale socket file, and two agents for one root cannot both hold it.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from igtk_tui.paths import Paths

API_VERSION = 1


@dataclass(frozen=True)
class AgentLocation:
    folder: Path

    @classmethod
    def of(cls, paths: Paths) -> AgentLocation:
        return cls(paths.state_dir / "agent")

    @property
    def socket(self) -> Path:
        return self.folder / "agent.sock"

    @property
    def lock(self) -> Path:
        return self.folder / "agent.lock"

    @property
    def log(self) -> Path:
        return self.folder / "agent.log"

    def prepare(self) -> None:
        """Create the folder 0700 (and tighten it if it was created looser)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.folder, 0o700)

    def alive(self) -> bool:
        """True while some process holds the agent lock of this root."""
        try:
            fd = os.open(self.lock, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def holder_pid(self) -> int | None:
        """The pid the lock holder wrote into the lock file (for messages)."""
        try:
            return int(self.lock.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None


class AgentLock:
    """The exclusive lock one agent holds for its whole life."""

    def __init__(self, location: AgentLocation) -> None:
        self.location = location
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock and write our pid into it; False when another agent holds it."""
        self.location.prepare()
        fd = os.open(self.location.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
