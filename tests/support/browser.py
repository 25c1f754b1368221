"""Helpers for the browser tests: run playbooks through the engine, and find
Chromium processes independently of the code under test.

Processes are found by scanning /proc: a Chromium process counts as ours when
its parent chain leads to this test process, when its command line mentions a
given folder (a temporary HOME/TMPDIR), or when it is in the process group of
one of those (renderers keep the browser's group). Waiting for processes to go
uses pidfds, which become readable when the process exits (an event, not a sleep).
"""

from __future__ import annotations

import asyncio
import os
import select
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from igtk_tui.engine.execution import Execution
from igtk_tui.playbook.loader import load_file
from tests.support.engine import WAIT, Recorder, finish, make, start

ADMIN_PASSWORD = "Sim-Pass-8842"  # the simulator's admin password in these tests (distinct, so redaction is visible)
CHROMIUM_NAMES = {"chromium", "chrome", "chromium-browser", "chrome_crashpad_handler", "headless_shell",
                  "chrome-headless-shell"}

__all__ = ["ADMIN_PASSWORD", "WAIT", "Recorder", "finish", "make", "start", "run", "chromium_processes",
           "wait_gone", "Execution"]


async def run(path: Path, params: dict[str, Any] | None = None, *, tmp_path: Path,
              hook: Callable[[Execution, Recorder], Any] | None = None, **kwargs: Any) -> tuple[Any, Recorder]:
    """Run a playbook file to the end through Execution; returns (result, recorder)."""
    execution, recorder = make(load_file(path), params, tmp_path=tmp_path, roots=(path.parent,), **kwargs)
    if hook:
        hook(execution, recorder)
    result = await finish(start(execution))
    return result, recorder


# -- processes -----------------------------------------------------------------------------------
def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgid) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1]), int(fields[2])


def _argv(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return []


def _is_chromium(argv: list[str]) -> bool:
    return bool(argv) and (os.path.basename(argv[0]) in CHROMIUM_NAMES or "/chromium/" in argv[0])


def chromium_processes(mentions: Iterable[str | Path] = ()) -> list[int]:
    """Live Chromium processes that are ours (see the module docstring)."""
    me = os.getpid()
    needles = [str(m) for m in mentions]
    table: dict[int, tuple[str, int, int, list[str]]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st is not None and st[0] not in ("Z", "X"):
                table[int(name)] = (*st, _argv(int(name)))

    def descends(pid: int) -> bool:
        seen = 0
        while pid > 1 and seen < 64:
            if pid == me:
                return True
            pid = table[pid][1] if pid in table else 0
            seen += 1
        return False

    chromium = {pid for pid, row in table.items() if _is_chromium(row[3])}
    ours = {pid for pid in chromium
            if descends(pid) or any(n in " ".join(table[pid][3]) for n in needles)}
    groups = {table[pid][2] for pid in ours}
    return sorted(ours | {pid for pid in chromium if table[pid][2] in groups})


def wait_gone(pids: Iterable[int], timeout: float = 5.0) -> list[int]:
    """Wait (on pidfds) until every pid has exited; returns those still alive at the deadline."""
    fds: dict[int, int] = {}
    for pid in pids:
        try:
            fds[os.pidfd_open(pid)] = pid
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + timeout
    try:
        while fds:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select(list(fds), [], [], left)
            for fd in ready:
                os.close(fd)
                fds.pop(fd)
        return sorted(p for p in fds.values() if _stat(p) is not None and _stat(p)[0] not in ("Z", "X"))
    finally:
        for fd in fds:
            os.close(fd)


async def await_gone(pids: Iterable[int], timeout: float = 5.0) -> list[int]:
    return await asyncio.to_thread(wait_gone, list(pids), timeout)
