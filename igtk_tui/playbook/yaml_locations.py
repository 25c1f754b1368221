"""Where each node of a parsed YAML file was written, kept as libyaml's marks (safe_yaml fills them).

A file:line:col is made only when the loader reports on a node or a step asks for its own:
a large playbook has hundreds of thousands of nodes and few are ever reported on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from igtk_tui.playbook.model import Location


class Locations:
    """Where each node was written, by node path: libyaml's start marks kept as they come.

    Why not Location objects: a 40,000-step playbook has half a million nodes and only the
    few the loader reports on (and each step's own) ever become a file:line:col, so the
    Location is made when asked for, not per node while parsing."""

    __slots__ = ("file", "marks")

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[tuple[Any, ...], Any] = {}

    def get(self, path: tuple[Any, ...]) -> Location | None:
        mark = self.marks.get(path)
        return None if mark is None else Location(self.file, mark.line + 1, mark.column + 1)

    def __getitem__(self, path: tuple[Any, ...]) -> Location:
        mark = self.marks[path]
        return Location(self.file, mark.line + 1, mark.column + 1)

    def __contains__(self, path: object) -> bool:
        return path in self.marks

    def __len__(self) -> int:
        return len(self.marks)

    def under(self, prefix: tuple[Any, ...], keys: Iterable[Any]) -> Mapping[str, Location]:
        """Where each of `keys` of the mapping at `prefix` was written (a step's parameters): the
        marks are taken now, the Locations made when read (keeping only these marks alive)."""
        marks = self.marks
        found = {}
        for key in keys:
            mark = marks.get(prefix + (key,))
            if mark is not None:
                found[key] = mark
        return _Marked(self.file, found)


class _Marked(Mapping[str, Location]):
    __slots__ = ("file", "marks")

    def __init__(self, file: str, marks: dict[str, Any]) -> None:
        self.file = file
        self.marks = marks

    def __getitem__(self, key: str) -> Location:
        mark = self.marks[key]
        return Location(self.file, mark.line + 1, mark.column + 1)

    def __iter__(self) -> Iterator[str]:
        return iter(self.marks)

    def __len__(self) -> int:
        return len(self.marks)
