"""The playbook library: built-in and user folders, discovery and lookup.

The identity of a playbook is its path relative to its library root (e.g.
`gateway/backup.yaml`); a user copy overrides a built-in one with the same
relative path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.errors import PlaybookError, did_you_mean
from igtk_tui.playbook.model import Playbook

SUFFIXES = (".yaml", ".yml")


@dataclass
class LibraryEntry:
    rel_path: str
    path: Path
    origin: str  # "built-in" | "user" | "extra"
    playbook: Playbook | None = None
    problems: list[str] = field(default_factory=list)
    overrides_builtin: bool = False

    @property
    def name(self) -> str:
        return self.playbook.name if self.playbook else Path(self.rel_path).stem

    @property
    def domain(self) -> str:
        if self.playbook and self.playbook.domain:
            return self.playbook.domain
        return self.rel_path.split("/", 1)[0] if "/" in self.rel_path else ""

    @property
    def group(self) -> str:
        return (self.playbook.group if self.playbook else "") or self.domain


class Library:
    def __init__(self, roots: list[tuple[str, Path]]) -> None:
        """`roots` in increasing precedence: (origin, folder)."""
        self.roots = roots

    @property
    def folders(self) -> list[Path]:
        """Search order for nested playbooks: highest precedence first."""
        return [p for _, p in reversed(self.roots)]

    def discover(self, *, load: bool = True, loader: Callable[[Path], Playbook] | None = None) -> list[LibraryEntry]:
        from igtk_tui.playbook.loader import load_file

        loader = loader or load_file
        found: dict[str, LibraryEntry] = {}
        for origin, root in self.roots:
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*")):
                if path.suffix not in SUFFIXES or not path.is_file() or ".backup." in path.name:
                    continue
                rel = path.relative_to(root).as_posix()
                entry = LibraryEntry(rel, path, origin, overrides_builtin=rel in found)
                if load:
                    try:
                        entry.playbook = loader(path)
                    except PlaybookError as exc:
                        entry.problems = [str(p) for p in exc.problems]
                found[rel] = entry
        return sorted(found.values(), key=lambda e: e.rel_path)

    def find(self, ref: str) -> Path:
        """A file path, or a library path with or without its suffix."""
        direct = Path(ref).expanduser()
        if direct.is_file():
            return direct.resolve()
        for _, root in reversed(self.roots):
            for candidate in (root / ref, *(root / f"{ref}{s}" for s in SUFFIXES)):
                if candidate.is_file():
                    return candidate.resolve()
        known = [e.rel_path for e in self.discover(load=False)]
        raise InvalidInput(f"playbook {ref!r} not found: not a file and not in the library"
                           f"{did_you_mean(ref, known)}")

    def relative(self, path: Path) -> str | None:
        path = path.resolve()
        for _, root in reversed(self.roots):
            try:
                return path.relative_to(root.resolve()).as_posix()
            except ValueError:
                continue
        return None
