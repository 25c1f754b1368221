"""The cyclic garbage collector is paused while a command starts.

Start-up builds ~100k objects that live as long as the process (modules, classes,
the parsed playbook); the collector ran ~40 times over them while `igtk run`
started, ~10 ms of its 200 ms budget. `cli.main` pauses it; a long-running command
resumes it once it has started (the engine about to run its first step, the TUI's
library loaded, the simulator serving), and `cli.main` restores it in any case when
the command returns. Nothing else changes: reference counting frees as usual.
"""

from __future__ import annotations

import gc


def pause() -> bool:
    """Pause collection; whether it was running (for `restore`)."""
    running = gc.isenabled()
    gc.disable()
    return running


def resume() -> None:
    """Start-up is over: collect as usual from now on."""
    gc.enable()


def restore(running: bool) -> None:
    """Leave the collector as `pause` found it."""
    (gc.enable if running else gc.disable)()
