"""Playbook problems, each with file:line:col and a plain message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.model import Location


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.location}: {prefix}{self.message}"


class PlaybookError(InvalidInput):
    """One or more problems that stop a playbook from loading."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` hint, or an empty string when nothing is close."""
    import difflib  # only when there is a problem to hint at

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""
