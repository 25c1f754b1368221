"""Text for the commands' tables: one way to fit a value into its column."""

from __future__ import annotations


def cut(text: str, width: int) -> str:
    """`text` in at most `width` characters, ending in `…` when cut (never a silent cut)."""
    return text if len(text) <= width else text[:width - 1] + "…"
