"""The playbook library: built-in and user folders, discovery, lookup and management.

The identity of a playbook is its path relative to its library root (e.g.
`gateway/backup.yaml`); a user copy overrides a built-in one with the same
relative path. Built-ins are read-only (they may sit in a read-only install
folder): duplicate, edit and import always write to the user folder.

Per-playbook metadata (verified, enabled, origin, revision, notes) lives in
SQLite (`igtk_tui.playbook.metadata`). In the user folder, verification is
kept in that metadata and bound to the content hash: copies get `verified:
false` written into their YAML so that an edit cannot keep a stale claim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.bundles import bundle_metadata, bundle_path, checked_bundle, make_bundle, restored_verification
from igtk_tui.playbook.errors import PlaybookError, did_you_mean
from igtk_tui.playbook.library_entry import SUFFIXES, ImportResult, LibraryEntry, SaveResult, playbook_files
from igtk_tui.playbook.metadata import PlaybookMeta, PlaybookMetadata, content_hash, current_user
from igtk_tui.playbook.model import Playbook
from igtk_tui.textfile import backup_path, write_text_atomic
from igtk_tui.timefmt import now_utc


class Library:
    def __init__(self, roots: list[tuple[str, Path]], metadata: PlaybookMetadata | None = None) -> None:
        """`roots` in increasing precedence: (origin, folder)."""
        self.roots = roots
        self.metadata = metadata

    @property
    def folders(self) -> list[Path]:
        """Search order for nested playbooks: highest precedence first."""
        return [p for _, p in reversed(self.roots)]

    @property
    def user_root(self) -> Path:
        for origin, root in reversed(self.roots):
            if origin == "user":
                return root
        raise InvalidInput("this library has no user folder to write to")

    def _builtin_rels(self) -> set[str]:
        out: set[str] = set()
        for origin, root in self.roots:
            if origin == "built-in" and root.is_dir():
                out.update(p.relative_to(root).as_posix() for p in playbook_files(root))
        return out

    # -- discovery -----------------------------------------------------------
    def discover(self, *, load: bool = True, loader: Callable[[Path], Playbook] | None = None) -> list[LibraryEntry]:
        from igtk_tui.playbook.loader import load_file

        loader = loader or load_file
        metas = self.metadata.all() if self.metadata else {}
        found: dict[str, LibraryEntry] = {}
        for origin, root in self.roots:
            if not root.is_dir():
                continue
            for path in playbook_files(root):
                rel = path.relative_to(root).as_posix()
                entry = LibraryEntry(rel, path, origin, overrides_builtin=rel in found, meta=metas.get(rel))
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

    def effective_path(self, rel: str) -> Path | None:
        """The file that wins for a library path: user copy over extra over built-in."""
        for _, root in reversed(self.roots):
            candidate = root / rel
            if candidate.is_file():
                return candidate.resolve()
        return None

    def _root_of(self, path: Path) -> tuple[str, Path] | None:
        path = path.resolve()
        for origin, root in reversed(self.roots):
            try:
                path.relative_to(root.resolve())
                return origin, root
            except ValueError:
                continue
        return None

    def entry(self, ref: str) -> LibraryEntry:
        """The library entry a reference names (effective copy: user over built-in)."""
        from igtk_tui.playbook.loader import load_file

        path = self.find(ref)
        found = self._root_of(path)
        if found is None:
            raise InvalidInput(f"{ref!r} is a file outside the library folders "
                               f"({', '.join(str(r) for _, r in self.roots)}); import it or copy it there")
        origin, root = found
        rel = path.resolve().relative_to(root.resolve()).as_posix()
        entry = LibraryEntry(rel, path, origin, meta=self.metadata.get(rel) if self.metadata else None,
                             overrides_builtin=origin != "built-in" and rel in self._builtin_rels())
        try:
            entry.playbook = load_file(path)
        except PlaybookError as exc:
            entry.problems = [str(p) for p in exc.problems]
        return entry

    # -- the engine's gates ------------------------------------------------------
    def _meta_for(self, playbook: Playbook) -> PlaybookMeta | None:
        if self.metadata is None or playbook.path is None:
            return None
        rel = self.relative(playbook.path)
        return self.metadata.get(rel) if rel else None

    def is_verified(self, playbook: Playbook) -> bool:
        """YAML `verified: true`, or a library verification of exactly this content."""
        if playbook.verified:
            return True
        meta = self._meta_for(playbook)
        return bool(meta and meta.verified_for(playbook.content_hash))

    def is_enabled(self, playbook: Playbook) -> bool:
        meta = self._meta_for(playbook)
        return meta.enabled if meta else True

    # -- management ----------------------------------------------------------------
    def _require_metadata(self) -> PlaybookMetadata:
        if self.metadata is None:
            raise InvalidInput("this library has no metadata store")
        return self.metadata

    def normalize_rel(self, rel: str) -> str:
        """A safe library-relative path with a YAML suffix."""
        text = rel.replace("\\", "/").strip()
        pure = Path(text)
        if not text or pure.is_absolute() or ".." in pure.parts or text.startswith("~"):
            raise InvalidInput(f"{rel!r}: give a path relative to the library, such as gateway/my_backup.yaml")
        if pure.suffix not in SUFFIXES:
            text += ".yaml"
        if ".backup." in Path(text).name:
            raise InvalidInput(f"{rel!r}: names containing '.backup.' are reserved for edit backups")
        return Path(text).as_posix()

    def duplicate(self, ref: str, new_rel: str | None = None) -> LibraryEntry:
        """Copy a playbook into the user folder (origin duplicated); verification carries over."""
        from igtk_tui.playbook.yamledit import set_top_level_scalar

        metadata = self._require_metadata()
        src = self.entry(ref)
        rel = self.normalize_rel(new_rel) if new_rel else src.rel_path
        dest = self.user_root / rel
        if dest.exists():
            hint = "edit it with `igtk playbook edit`" if not new_rel else "choose another NEW_PATH"
            raise InvalidInput(f"{dest} already exists in your user folder; {hint}")
        if rel != src.rel_path and rel in self._builtin_rels():
            raise InvalidInput(f"{rel!r} would override a different built-in playbook; choose another NEW_PATH")
        text = src.path.read_text(encoding="utf-8")
        if src.verified_yaml:
            text = set_top_level_scalar(text, "verified", "false")
        write_text_atomic(dest, text)
        carried = src.verified
        old = src.meta if src.verified_meta else None
        meta = PlaybookMeta(
            path=rel, origin="duplicated", duplicated_from=src.rel_path, enabled=True, revision=1,
            verified=carried, verified_hash=content_hash(text) if carried else None,
            verified_at=(old.verified_at if old else now_utc()) if carried else None,
            verified_by=(old.verified_by if old else f"YAML of {src.rel_path}") if carried else None,
        )
        metadata.put(meta)
        return self.entry(rel)

    def user_copy(self, ref: str) -> tuple[LibraryEntry, bool]:
        """The user-folder copy to edit, duplicating a built-in first; (entry, duplicated now)."""
        entry = self.entry(ref)
        if entry.origin == "user":
            return entry, False
        if entry.origin != "built-in":
            raise InvalidInput(f"{entry.path} is in an extra playbook folder; edit it there")
        return self.duplicate(entry.rel_path), True

    def save_text(self, rel: str, text: str, *, check: Callable[[Playbook], object] | None = None) -> SaveResult:
        """Validate and save new content for a user playbook: backup, revision+1.

        Raises PlaybookError (file:line:col problems) without touching the file.
        """
        from igtk_tui.playbook.loader import load_text

        metadata = self._require_metadata()
        dest = self.user_root / rel
        playbook = load_text(text, path=dest)
        if check:
            check(playbook)
        previous = dest.read_text(encoding="utf-8") if dest.exists() else None
        if previous == text:
            return SaveResult(self.entry(rel), None, False)
        backup = None
        if previous is not None:
            backup = backup_path(dest)
            write_text_atomic(backup, previous)
        write_text_atomic(dest, text)
        digest = content_hash(text)
        lapsed = False

        def bump(current: PlaybookMeta) -> PlaybookMeta:
            nonlocal lapsed
            lapsed = current.verified and current.verified_hash != digest
            if lapsed:
                current = replace(current, verified=False, verified_hash=None)
            return replace(current, revision=current.revision + 1)

        metadata.modify(rel, bump)
        return SaveResult(self.entry(rel), backup, lapsed)

    def verify(self, ref: str, *, on: bool = True, by: str | None = None, notes: str | None = None) -> LibraryEntry:
        metadata = self._require_metadata()
        entry = self.entry(ref)
        if on and not entry.valid:
            raise InvalidInput(f"{entry.rel_path} does not load, so it cannot be verified:\n  "
                               + "\n  ".join(entry.problems))
        changes: dict[str, Any] = {
            "verified": on,
            "verified_at": now_utc() if on else None,
            "verified_by": (by or current_user()) if on else None,
            "verified_hash": entry.content_hash if on else None,
        }
        if notes is not None:
            changes["notes"] = notes
        metadata.update(entry.rel_path, default_origin=_default_origin(entry), **changes)
        return self.entry(ref)

    def set_enabled(self, ref: str, enabled: bool) -> LibraryEntry:
        metadata = self._require_metadata()
        entry = self.entry(ref)
        metadata.update(entry.rel_path, default_origin=_default_origin(entry), enabled=enabled)
        return self.entry(ref)

    # -- export / import ----------------------------------------------------------
    def export_bundle(self, ref: str) -> dict[str, Any]:
        """The playbook as a bundle (igtk_tui.playbook.bundles): YAML + metadata, no credentials."""
        return make_bundle(self.entry(ref))

    def import_bundle(self, bundle: Any, *, new_rel: str | None = None, force: bool = False) -> ImportResult:
        """Write a bundle's playbook into the user folder (origin imported).

        Its verification is restored only when the text still hashes to the
        bundle's `content_hash`; otherwise the copy arrives unverified.
        """
        from igtk_tui.playbook.loader import load_text
        from igtk_tui.playbook.yamledit import set_top_level_scalar

        metadata = self._require_metadata()
        bundle = checked_bundle(bundle)
        rel = self.normalize_rel(new_rel or bundle_path(bundle))
        dest = self.user_root / rel
        text: str = bundle["yaml_content"]
        playbook = load_text(text, path=dest)  # PlaybookError -> exit 2 with file:line:col
        replaced = None
        if dest.exists():
            if not force:
                raise InvalidInput(f"{dest} already exists; use --force to replace it (a backup is kept) "
                                   "or --as NEW_PATH")
            replaced = backup_path(dest)
            write_text_atomic(replaced, dest.read_text(encoding="utf-8"))
        restored, reason = restored_verification(bundle, playbook)
        if playbook.verified:
            text = set_top_level_scalar(text, "verified", "false")
        write_text_atomic(dest, text)
        meta_in = bundle_metadata(bundle)
        revision = meta_in.get("revision")
        metadata.put(PlaybookMeta(
            path=rel, origin="imported", enabled=bool(meta_in.get("enabled", True)),
            revision=revision if isinstance(revision, int) and revision > 0 else 1,
            notes=str(meta_in.get("notes") or ""),
            verified=restored, verified_hash=content_hash(text) if restored else None,
            verified_at=(meta_in.get("verified_at") or now_utc()) if restored else None,
            verified_by=(meta_in.get("verified_by") or "import") if restored else None,
        ))
        return ImportResult(self.entry(rel), restored, reason, replaced)


def _default_origin(entry: LibraryEntry) -> str:
    return "built-in" if entry.origin == "built-in" else "user-created"
