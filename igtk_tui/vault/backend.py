"""What the facade needs from a storage backend (OS keyring or encrypted file).

Backends check existence under their own lock, so concurrent writers in other
processes cannot both add the same name; the facade adds validation, messages,
timestamps and redaction.
"""

from __future__ import annotations

from typing import Protocol

from igtk_tui.vault.model import Credential, CredentialInfo


class Store(Protocol):
    @property
    def name(self) -> str:
        """Shown by `igtk info` and `igtk cred list`, e.g. "encrypted file: /path"."""
        ...

    def infos(self) -> list[CredentialInfo]: ...

    def get(self, name: str) -> Credential: ...

    def add(self, cred: Credential) -> None: ...

    def replace(self, old_name: str, cred: Credential) -> None:
        """Store `cred` in place of `old_name` (an update, or a rename when the names differ)."""
        ...

    def delete(self, name: str) -> None: ...

    def describe(self) -> dict[str, str]: ...
