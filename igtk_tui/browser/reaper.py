"""Last resort against orphaned browsers.

Normally a session closes its browser through Playwright (the execution's
resource closer, shielded from cancellation). This module covers what that
cannot: the event loop is gone, the driver is stuck, or the process is
exiting. Playwright starts Chromium as its own process-group leader, so one
`killpg` ends the browser and its zygotes/renderers; crashpad handlers are
double-forked away, and are found by the session's temporary HOME in their
command line.

Each launched browser carries a marker switch `--igtk-session=<token>` in its
command line, which is how its pid is found (Playwright does not expose it)
and how a reused pid is never mistaken for ours.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import threading
from dataclasses import dataclass

MARKER = "--igtk-session="
PROFILE_PREFIX = "playwright_chromiumdev_profile-"


@dataclass
class Tracked:
    token: str
    home: str
    pid: int | None = None
    profile: str | None = None  # Playwright's temporary --user-data-dir, left behind if Chromium is killed


_lock = threading.Lock()
_live: dict[str, Tracked] = {}


def track(token: str, home: str) -> Tracked:
    with _lock:
        entry = _live[token] = Tracked(token, home)
    return entry


def untrack(token: str) -> None:
    """Forget a browser that has exited, removing its temporary folders."""
    with _lock:
        entry = _live.pop(token, None)
    if entry is not None:
        shutil.rmtree(entry.home, ignore_errors=True)
        if entry.profile:
            shutil.rmtree(entry.profile, ignore_errors=True)


def live() -> list[Tracked]:
    with _lock:
        return list(_live.values())


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def processes_mentioning(needle: str) -> list[int]:
    """Pids whose command line contains `needle` (a marker or a temp HOME)."""
    want = needle.encode()
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if name.isdigit() and want in _cmdline(int(name)):
            found.append(int(name))
    return found


def alive(pid: int | None) -> bool:
    """The process exists and is not a zombie (a crashed browser not yet reaped)."""
    if pid is None:
        return True  # unknown: trust Playwright's connection state
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def find_browser_pid(token: str) -> int | None:
    """The browser's main process: the one whose arguments carry our marker."""
    for pid in processes_mentioning(MARKER + token):
        if b"--type=" not in _cmdline(pid):
            return pid
    return None


def user_data_dir(pid: int) -> str | None:
    """The temporary profile Playwright gave the browser (never a user's own profile)."""
    for arg in _cmdline(pid).split(b"\0"):
        if arg.startswith(b"--user-data-dir="):
            path = arg.split(b"=", 1)[1].decode(errors="replace")
            if os.path.basename(path).startswith(PROFILE_PREFIX):
                return path
    return None


def kill(entry: Tracked) -> None:
    """SIGKILL the browser's process group and its crashpad helpers; never raises."""
    pid = entry.pid
    if pid is not None and (MARKER + entry.token).encode() in _cmdline(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    for other in processes_mentioning(entry.home):
        try:
            os.kill(other, signal.SIGKILL)
        except OSError:
            pass


def retire(entry: Tracked) -> None:
    """Kill the browser if it still runs, then forget it and remove its folders (file work:
    call it in a thread from async code)."""
    kill(entry)
    untrack(entry.token)


def kill_all() -> None:
    """Kill every browser this process started that is still alive (atexit, fatal signals)."""
    for entry in live():
        retire(entry)


atexit.register(kill_all)
