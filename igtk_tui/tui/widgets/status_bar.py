"""One-line bars: the title/status line and the demo banner.

Fixed height, updated with `layout=False` and only when the text changed: a
status line that repaints itself at 4 Hz would cost kilobytes per second over
SSH for nothing.
"""

from __future__ import annotations

import getpass
import socket

from rich.cells import cell_len
from textual.widgets import Static

from igtk_tui.tui.fit import Part, fit, gap, name, plain


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
    """Says loudly that this is a demo, where the simulated gateway is and its API token (what
    an operator types into a browser or a playbook: never cut); the state folder gives way
    first, and on a narrow terminal the banner takes a second line rather than lose the token."""

    def __init__(self, url: str, token: str, root: str, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.needed = [Part(" DEMO ", "reverse bold"), gap(" "), Part(url), gap(), Part(f"API token {token}")]
        self.state_folder = name(f"simulated gateway; state {root}", keep=1)

    def on_resize(self) -> None:
        width = self.size.width or 10_000
        if cell_len(plain(self.needed)) <= width:
            text = fit([*self.needed, gap(), self.state_folder], width)
        else:
            text = fit(self.needed, width, wrap=True)
        self.styles.height = text.plain.count("\n") + 1
        self.update(text)
