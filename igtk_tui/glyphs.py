"""One glyph per execution/step status, shared by the headless progress and the TUI
(status is never shown by colour alone: a glyph and a word always go together)."""

GLYPHS = {
    "pending": "·",
    "running": "▶",
    "paused": "‖",
    "completed": "✓",
    "failed": "✗",
    "skipped": "↷",
    "cancelled": "■",
    "interrupted": "!",
}
