"""A Switch that says its state in words: Textual's slider shows on/off by colour
alone, invisible with NO_COLOR and in a plain text capture (igtk never shows a state by
colour alone: docs/terminal.md)."""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual.geometry import Size
from textual.widgets import Switch

ON, OFF = "● on", "○ off"


class WordSwitch(Switch):
    """Same value, toggling and Changed message as Switch; drawn as `● on` / `○ off`."""

    def render(self) -> RenderResult:
        return Text(ON if self.value else OFF, style=self.get_component_rich_style("switch--slider"))

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max(len(ON), len(OFF))
