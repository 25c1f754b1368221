"""A bordered pane of the main screen: `z` zooms it, and its title and subtitle carry
counts and states (`1 Playbooks (8) 1 invalid`, the log's FOLLOW / filters / cap) fitted
to its width, so a narrow pane shortens the words, never the counts."""

from __future__ import annotations

from collections.abc import Sequence

from textual.containers import Vertical

from igtk_tui.tui.fit import Part, fit


class Pane(Vertical):
    ALLOW_MAXIMIZE = True

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title_source: Sequence[Part] = ()
        self.subtitle_source: Sequence[Part] = ()

    def title_width(self) -> int:
        """Cells a border title has: the pane less its corners, the rule before it and its padding."""
        return self.outer_size.width - 6 if self.outer_size.width > 6 else 10_000

    def title_parts(self, parts: Sequence[Part]) -> None:
        self.title_source = parts
        self.border_title = fit(parts, self.title_width())

    def subtitle_parts(self, parts: Sequence[Part]) -> None:
        self.subtitle_source = parts
        self.border_subtitle = fit(parts, self.title_width())

    def on_resize(self) -> None:
        if self.title_source:
            self.border_title = fit(self.title_source, self.title_width())
        if self.subtitle_source:
            self.border_subtitle = fit(self.subtitle_source, self.title_width())
