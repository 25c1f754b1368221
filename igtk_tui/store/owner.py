"""Who owns a running execution, and whether that owner is still alive.

Why pid + host + process start time: a row left `running` is only ours to
mark `interrupted` when its process is gone. A pid alone can be reused after
a reboot or a busy day, so on Linux the process start time (from
/proc/PID/stat) is recorded too; a zombie counts as dead. Rows of another host
are never judged: we cannot see its processes.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat fields after the command name (which may contain spaces)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    end = raw.rfind(")")
    return raw[end + 2:].split() if end >= 0 else None


def process_start(pid: int) -> str | None:
    """Start time of `pid` in clock ticks since boot, as text; None where /proc is missing."""
    fields = _stat_fields(pid)
    # Field 22 of stat is starttime; after "pid (comm)" it is index 19.
    return fields[19] if fields and len(fields) > 19 else None


@dataclass(frozen=True)
class ProcessIdentity:
    host: str
    user: str
    pid: int
    start: str | None

    @classmethod
    def current(cls) -> ProcessIdentity:
        return _current(os.getpid())


@cache
def _current(pid: int) -> ProcessIdentity:
    """Keyed by pid so a forked child never reports its parent's identity."""
    try:
        import getpass

        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return ProcessIdentity(host=socket.gethostname(), user=user, pid=pid, start=process_start(pid))


def owner_alive(host: str | None, pid: int | None, start: str | None, me: ProcessIdentity) -> bool:
    """True when the owner may still run (or cannot be judged from here)."""
    if host and host != me.host:
        return True
    if not pid:
        return False
    if pid == me.pid:
        return start is None or me.start is None or start == me.start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's live process
    except OSError:
        return False
    fields = _stat_fields(pid)
    if fields:
        if fields[0] == "Z":
            return False
        if start and len(fields) > 19 and fields[19] != start:
            return False  # the pid now belongs to another process
    return True
