"""What the library knows of one playbook file (LibraryEntry), the results of editing and
importing one, and which files count as playbooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from igtk_tui.playbook.metadata import PlaybookMeta, content_hash
from igtk_tui.playbook.model import Playbook

SUFFIXES = (".yaml", ".yml")


def collect_files(args: list[str]) -> list[Path]:
    """Playbook files named on a command line: files as given, folders searched
    recursively (revision backups left out)."""
    files: list[Path] = []
    for raw in args:
        path = Path(raw)
        files.extend(playbook_files(path) if path.is_dir() else [path])
    return files


@dataclass
class LibraryEntry:
    rel_path: str
    path: Path
    origin: str  # the root it came from: "built-in" | "user" | "extra"
    playbook: Playbook | None = None
    problems: list[str] = field(default_factory=list)
    overrides_builtin: bool = False
    meta: PlaybookMeta | None = None

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

    @property
    def valid(self) -> bool:
        return self.playbook is not None and not self.problems

    @property
    def content_hash(self) -> str:
        if self.playbook is not None:
            return self.playbook.content_hash
        try:
            return content_hash(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            return ""

    @property
    def library_origin(self) -> str:
        """built-in | user-created | duplicated | imported (metadata origin for user files)."""
        if self.origin == "built-in":
            return "built-in"
        return self.meta.origin if self.meta and self.meta.origin != "built-in" else "user-created"

    @property
    def verified_yaml(self) -> bool:
        return bool(self.playbook and self.playbook.verified)

    @property
    def verified_meta(self) -> bool:
        return bool(self.meta and self.meta.verified_for(self.content_hash))

    @property
    def verified(self) -> bool:
        """What the engine's nesting gate uses: the YAML's claim or a current verification."""
        return self.valid and (self.verified_yaml or self.verified_meta)

    @property
    def enabled(self) -> bool:
        return self.meta.enabled if self.meta else True

    @property
    def revision(self) -> int:
        return self.meta.revision if self.meta else 1


@dataclass
class SaveResult:
    entry: LibraryEntry
    backup: Path | None
    verification_lapsed: bool


@dataclass
class ImportResult:
    entry: LibraryEntry
    verified_restored: bool
    reason: str
    replaced_backup: Path | None = None


def playbook_files(root: Path) -> list[Path]:
    """The playbooks under a library root (edit backups left out)."""
    return sorted(p for p in root.rglob("*")
                  if p.suffix in SUFFIXES and p.is_file() and ".backup." not in p.name)
