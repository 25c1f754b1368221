"""Library metadata per playbook: verified, enabled, origin, revision, notes.

Keyed by library-relative path and kept in SQLite next to the execution
history (repository: `igtk_tui.store.playbook_meta`). The earlier toolkit kept
this in a side JSON file the engine mostly ignored; here the engine's nesting
gate and `igtk run` read it (see `Runtime.resolver`).

A verification is bound to the content it was given for (`verified_hash`):
editing the file, by `igtk playbook edit` or by hand, lapses it until someone
verifies again. The YAML's own `verified: true` still counts on its own (it is
the author's statement in a reviewed, shipped file).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from igtk_tui.timefmt import now_utc

ORIGINS = ("built-in", "user-created", "duplicated", "imported")


def content_hash(text: str) -> str:
    """The identity of a playbook's content (same as `Playbook.content_hash`)."""
    import hashlib  # first use only: OpenSSL's hashes cost `igtk run` a start-up it rarely needs them for

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def current_user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return os.environ.get("USER", "unknown")


@dataclass(frozen=True)
class PlaybookMeta:
    path: str
    verified: bool = False
    verified_at: str | None = None
    verified_by: str | None = None
    verified_hash: str | None = None
    enabled: bool = True
    origin: str = "user-created"
    duplicated_from: str | None = None
    revision: int = 1
    notes: str = ""
    created_at: str = ""
    updated_at: str = ""

    def verified_for(self, digest: str) -> bool:
        """Verified, and for exactly this content."""
        return self.verified and self.verified_hash == digest

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_FIELDS = {f.name for f in fields(PlaybookMeta)}


class PlaybookMetadata:
    """Read and change metadata rows; every change stamps `updated_at`."""

    def __init__(self, open_repo: Callable[[], Any]) -> None:
        # The runtime hands in how to open the store's repository: the playbook layer sits below
        # the store and never imports it.
        self._open_repo = open_repo
        self._repo: Any = None

    @property
    def repo(self) -> Any:
        """The SQLite repository, opened on first use (`igtk validate` never needs it)."""
        if self._repo is None:
            self._repo = self._open_repo()
        return self._repo

    def get(self, path: str) -> PlaybookMeta | None:
        row = self.repo.get(path)
        return _meta(row) if row else None

    def all(self) -> dict[str, PlaybookMeta]:
        return {p: _meta(row) for p, row in self.repo.all().items()}

    def put(self, meta: PlaybookMeta) -> PlaybookMeta:
        stamp = now_utc()
        meta = replace(meta, created_at=meta.created_at or stamp, updated_at=stamp)
        self.repo.put(meta.as_dict())
        return meta

    def update(self, path: str, *, default_origin: str = "user-created", **changes: Any) -> PlaybookMeta:
        """Change some fields of a row, creating it (with `default_origin`) when absent."""
        unknown = set(changes) - _FIELDS
        if unknown:
            raise TypeError(f"unknown metadata fields: {', '.join(sorted(unknown))}")
        return self.modify(path, lambda current: replace(current, **changes), default_origin=default_origin)

    def modify(self, path: str, change: Callable[[PlaybookMeta], PlaybookMeta], *,
               default_origin: str = "user-created") -> PlaybookMeta:
        """Apply `change` to the current row (or a fresh one) atomically."""
        stamp = now_utc()

        def apply(row: dict[str, Any] | None) -> dict[str, Any]:
            current = _meta(row) if row else PlaybookMeta(path=path, origin=default_origin)
            new = change(current)
            return replace(new, created_at=new.created_at or stamp, updated_at=stamp).as_dict()

        return _meta(self.repo.modify(path, apply))

    def delete(self, path: str) -> None:
        self.repo.delete(path)


def _meta(row: dict[str, Any]) -> PlaybookMeta:
    return PlaybookMeta(**{k: v for k, v in row.items() if k in _FIELDS})
