"""The encrypted-file backend: `paths.vault_file`, format in `fileformat`.

The key is derived once per open and kept in this object; the passphrase string
is not. Every change is a locked read-verify-modify-write, so a damaged file
is reported (VaultCorrupt) and never overwritten by a "repaired" empty vault.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from igtk_tui.errors import InvalidInput
from igtk_tui.vault import atomic, fileformat
from igtk_tui.vault.errors import CredentialExists, VaultCorrupt, VaultLocked, not_found
from igtk_tui.vault.fileformat import Header, Keys
from igtk_tui.vault.kdf import DEFAULT_KDF, KdfParams
from igtk_tui.vault.model import Credential, CredentialInfo

T = TypeVar("T")
_LEAVE_IT = "it was left as is: restore it from a backup, or move it aside to start a new vault"


class FileBackend:
    def __init__(
        self, path: Path, header: Header, keys: Keys, new_kdf: KdfParams, pending: str | None = None
    ) -> None:
        self.path = path
        self._header = header
        self._keys = keys
        self._new_kdf = new_kdf
        # Only while the file does not exist yet: if another process creates it
        # first, its salt differs and the key must be derived again.
        self._pending_passphrase = pending

    @classmethod
    def open(cls, path: Path, passphrase: str, *, new_kdf: KdfParams = DEFAULT_KDF) -> FileBackend:
        """Unlock the vault file, verifying the passphrase now.

        A missing file is created by the first write, not here, so `igtk info`
        or `cred list` never leave an empty vault behind."""
        raw = atomic.read_bytes(path)
        if raw is None:
            header = Header.new(new_kdf)
            return cls(path, header, Keys.derive(passphrase, header), new_kdf, pending=passphrase)
        atomic.tighten(path)
        header = _wrap(path, lambda: fileformat.read_header(raw))
        keys = Keys.derive(passphrase, header)
        _wrap(path, lambda: fileformat.decode(raw, keys))
        return cls(path, header, keys, new_kdf)

    @property
    def name(self) -> str:
        return f"encrypted file: {self.path}"

    def describe(self) -> dict[str, str]:
        return {
            "backend": "encrypted file",
            "path": str(self.path),
            "state": "created on first add" if self._pending_passphrase is not None else "exists",
            "cipher": "AES-256-GCM per entry, names encrypted, name bound as associated data",
            "kdf": self._header.kdf.describe(),
        }

    # -- reads -------------------------------------------------------------

    def _load(self) -> dict[str, Credential]:
        raw = atomic.read_bytes(self.path)
        if raw is None:
            if self._pending_passphrase is not None:
                return {}
            raise VaultCorrupt(f"vault file {self.path} disappeared while open")
        header = _wrap(self.path, lambda: fileformat.read_header(raw))
        if header != self._header:
            if self._pending_passphrase is None:
                raise VaultLocked("the vault passphrase was changed by another process: unlock it again")
            # Another process created the vault first: adopt it if our passphrase opens it.
            self._header, self._keys = header, Keys.derive(self._pending_passphrase, header)
        creds = _wrap(self.path, lambda: fileformat.decode(raw, self._keys))
        self._pending_passphrase = None
        return creds

    def infos(self) -> list[CredentialInfo]:
        return [c.info() for c in self._load().values()]

    def get(self, name: str) -> Credential:
        creds = self._load()
        if name not in creds:
            raise not_found(name, list(creds))
        return creds[name]

    # -- writes ------------------------------------------------------------

    def _mutate(self, change: Callable[[dict[str, Credential]], None]) -> None:
        with atomic.locked(self.path):
            creds = self._load()
            change(creds)
            atomic.write_atomic(self.path, fileformat.encode(self._header, self._keys, creds.values()))
            self._pending_passphrase = None

    def add(self, cred: Credential) -> None:
        def change(creds: dict[str, Credential]) -> None:
            if cred.name in creds:
                raise CredentialExists(f"a credential named {cred.name!r} already exists")
            creds[cred.name] = cred

        self._mutate(change)

    def replace(self, old_name: str, cred: Credential) -> None:
        def change(creds: dict[str, Credential]) -> None:
            if old_name not in creds:
                raise not_found(old_name, list(creds))
            if cred.name != old_name and cred.name in creds:
                raise CredentialExists(f"a credential named {cred.name!r} already exists")
            del creds[old_name]
            creds[cred.name] = cred

        self._mutate(change)

    def delete(self, name: str) -> None:
        def change(creds: dict[str, Credential]) -> None:
            if name not in creds:
                raise not_found(name, list(creds))
            del creds[name]

        self._mutate(change)

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-encrypt everything under a new salt and key into a temp file, then replace atomically."""
        if not new_passphrase:
            raise InvalidInput("the new vault passphrase is empty")
        with atomic.locked(self.path):
            creds = self._load()
            header = Header.new(self._new_kdf)
            keys = Keys.derive(new_passphrase, header)
            atomic.write_atomic(self.path, fileformat.encode(header, keys, creds.values()))
            self._header, self._keys = header, keys
            self._pending_passphrase = None


def _wrap(path: Path, action: Callable[[], T]) -> T:
    """Name the file and the way out in every corruption message."""
    try:
        return action()
    except VaultCorrupt as exc:
        raise VaultCorrupt(f"vault file {path} is unreadable: {exc}; {_LEAVE_IT}") from None
