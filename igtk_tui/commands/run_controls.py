"""Operator controls for headless `igtk run`: one-letter commands on stdin.

With `--debug` or `--breakpoint` a run pauses and must be told to go on; from
a terminal (or a pipe) the operator types a letter and Enter. Where nobody can
answer (stdin is /dev/null, a file, or closed: cron, CI) those flags are
refused up front instead of hanging until the execution timeout; and when stdin
reaches its end during a run that can still pause (debug mode or breakpoints
left), the run is cancelled, as when its terminal closes.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import Callable
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.sinks.human import PAUSE_HELP


def stdin_can_answer() -> bool:
    """True when stdin is a terminal or a pipe someone can write commands into."""
    try:
        fd = sys.stdin.fileno()
        mode = os.fstat(fd).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return os.isatty(fd) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def require_answerable(args: Any) -> None:
    if (getattr(args, "debug", False) or getattr(args, "breakpoint", None)) and not stdin_can_answer():
        flag = "--debug" if getattr(args, "debug", False) else "--breakpoint"
        raise InvalidInput(f"{flag} pauses the run, but stdin cannot answer (not a terminal or a pipe); "
                           "run it from a terminal, pipe commands into it, or use the TUI")


def attach(loop: asyncio.AbstractEventLoop, execution: Any, say: Callable[[str], None]) -> Callable[[], None]:
    """Read command lines from stdin and apply them to the execution; returns a detach function."""
    if not stdin_can_answer():
        return lambda: None
    fd = sys.stdin.fileno()
    buffer = bytearray()
    actions: dict[str, Callable[[], None]] = {
        "": execution.resume, "c": execution.resume, "r": execution.resume,
        "p": execution.pause, "s": execution.skip, "b": execution.step_back, "x": execution.cancel,
        "q": execution.cancel,
        "d": lambda: execution.set_debug(not execution.controls.debug),
    }

    def on_readable() -> None:
        chunk = os.read(fd, 4096)
        if not chunk:  # EOF: nobody will type any more
            loop.remove_reader(fd)
            if execution.controls.debug or execution.controls.breakpoints:
                # Like a closed terminal (SIGHUP): a pause nobody can answer would last forever,
                # and going on would run steps the operator meant to inspect first.
                say("igtk: stdin closed while the run can still pause for it: cancelling the run")
                execution.cancel()
            return
        buffer.extend(chunk)
        while b"\n" in buffer:
            line, _, rest = bytes(buffer).partition(b"\n")
            buffer[:] = rest
            command = line.decode("utf-8", "replace").strip().lower()
            action = actions.get(command)
            if action is None:
                say(f"igtk: unknown command {command!r}; {PAUSE_HELP}")
            else:
                action()

    loop.add_reader(fd, on_readable)

    def detach() -> None:
        loop.remove_reader(fd)

    return detach
