"""One-line bars: the title/status line and the demo banner.

Fixed height, updated with `layout=False` and only when the text changed: a
status line that repaints itself at 4 Hz would cost kilobytes per second over
SSH for nothing.
"""

from __future__ import annotations

import getpass
import socket

from rich.text import Text
from textual.widgets import Static

from igtk_tui.tui.fit import Part, fit, gap, name


def user_at_host() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"{user}@{socket.gethostname().split('.')[0]}"


class StatusBar(Static):
    """`igtk · user@host · N running · N paused · vault: state`."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._last = ""
        self.state: list[Part] = []

    def show(self, *, running: int, paused: int, vault: str, extra: str = "") -> None:
        self.state = [Part("igtk · "), name(str(getattr(self.app, "where", "")), keep=6)]
        bits = []
        if running or not paused:
            bits.append(f"▶ {running} running" if running else "· idle")
        if paused:
            bits.append(f"‖ {paused} paused")
        bits.append(f"vault: {vault}")
        if extra:
            bits.append(extra)
        for bit in bits:
            self.state += [gap(), Part(bit)]
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        """user@host gives way before a count or the vault's state is cut."""
        text = fit(self.state, self.size.width or 10_000)
        if text.plain != self._last:
            self._last = text.plain
            self.update(text, layout=False)


class DemoBanner(Static):
    """Says loudly that this is a demo, and where the simulated gateway is."""

    def __init__(self, url: str, token: str, root: str, *, id: str | None = None) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" DEMO ", style="reverse bold")
        text.append(f" {url}  API token {token}  simulated gateway; state {root}")
        super().__init__(text, id=id)
