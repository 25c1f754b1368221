"""Where the loader puts what it finds wrong: each problem located file:line:col at the value
(or the mapping key) it is about, the nearest enclosing one when that has no node."""

from __future__ import annotations

from typing import Any

from igtk_tui.playbook import earlier
from igtk_tui.playbook.errors import Problem, did_you_mean
from igtk_tui.playbook.model import Location
from igtk_tui.playbook.safe_yaml import Document

Path = tuple[Any, ...]  # a node's path in the document: ("steps", 0, "parameters", "url")


class Reporter:
    """The problems found building a playbook from one parsed document. `earlier` (the
    earlier toolkit's format): an unknown key is a warning and is dropped, as it dropped it."""

    def __init__(self, file: str, document: Document) -> None:
        self.file = file
        self.locs = document.locs
        self.key_locs = document.key_locs
        self.problems: list[Problem] = []
        self.earlier = False

    def err(self, path: Path, message: str, *, key: bool = False, severity: str = "error") -> None:
        loc = (self.key_locs if key else self.locs).get(path) or self.locs.get(path) or self._nearest(path)
        self.problems.append(Problem(loc, message, severity))

    def _nearest(self, path: Path) -> Location:
        while path:
            path = path[:-1]
            if path in self.locs:
                return self.locs[path]
        return self.locs.get(()) or Location(self.file, 1, 1)

    def unknown(self, path: Path, what: str, hint: str) -> None:
        """An unknown key: an error, or in the earlier format a warning (the key is dropped)."""
        if self.earlier:
            self.err(path, earlier.ignored(what, hint), key=True, severity="warning")
        else:
            self.err(path, f"{what}{hint}", key=True)

    def check_keys(self, data: dict[str, Any], path: Path, allowed: tuple[str, ...], what: str) -> None:
        for key in data:
            if key not in allowed:
                self.unknown(path + (key,), f"unknown {what} {key!r}", did_you_mean(str(key), allowed))
