"""The vault facade: picks a backend, validates, timestamps and registers secrets.

Selection for backend="auto":
  0. a passphrase was given (argument or environment) and the encrypted file
     exists -> the file: the operator asked for it, and switching to a freshly
     found keyring would make their stored credentials seem to vanish;
  1. an allow-listed OS keyring that answers within `keyring_timeout`;
  2. the encrypted file `paths.vault_file`, with the passphrase from the
     argument, IGTK_VAULT_PASSPHRASE or IGTK_VAULT_PASSPHRASE_FILE;
  3. VaultUnavailable naming every fix.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from pathlib import Path

from igtk_tui import redact
from igtk_tui.errors import InvalidInput
from igtk_tui.paths import Paths
from igtk_tui.timefmt import now_utc
from igtk_tui.vault.backend import Store
from igtk_tui.vault.errors import VaultUnavailable
from igtk_tui.vault.kdf import KdfParams
from igtk_tui.vault.model import API_TOKEN, Credential, CredentialInfo, validate_gateway_url, validate_name
from igtk_tui.vault.passphrase import Passphrase, resolve_passphrase

BACKEND_CHOICES = ("auto", "keyring", "file")
_UPDATABLE = ("type", "username", "secret", "gateway_url", "description")


def keyring_index_path(paths: Paths) -> Path:
    return paths.vault_file.parent / "keyring-index.json"


def register_secrets(cred: Credential) -> None:
    """Mask the secret and the token header (NAME:SECRET) in every sink from now on."""
    redact.register(cred.secret)
    if cred.type == API_TOKEN:
        redact.register(cred.token)


class Vault:
    """Credential CRUD over whichever backend was selected at open."""

    def __init__(self, store: Store, selected_because: str) -> None:
        self._store = store
        self._selected_because = selected_because

    @classmethod
    def open(
        cls,
        paths: Paths,
        *,
        env: Mapping[str, str] | None = None,
        passphrase: str | None = None,
        backend: str = "auto",
        keyring_timeout: float = 2.0,
        test_kdf: KdfParams | None = None,
    ) -> Vault:
        """Open the vault. `test_kdf` is for tests only: the KDF of a NEW vault file."""
        if backend not in BACKEND_CHOICES:
            raise InvalidInput(f"unknown vault backend {backend!r}: expected one of {', '.join(BACKEND_CHOICES)}")
        env = os.environ if env is None else env
        # An unreadable IGTK_VAULT_PASSPHRASE_FILE is reported, unless only the keyring is wanted.
        source = None if backend == "keyring" else resolve_passphrase(passphrase, env)
        if backend == "file":
            return cls._open_file(paths, source, test_kdf, "--backend file")
        if backend == "auto" and source is not None and paths.vault_file.exists():
            return cls._open_file(paths, source, test_kdf, f"passphrase from {source.origin}, file exists")
        from igtk_tui.vault import keyring_backend

        result = keyring_backend.probe(keyring_timeout)
        if result.ok:
            store = keyring_backend.KeyringStore(
                result.backend, keyring_index_path(paths), call_timeout=max(5.0, keyring_timeout)
            )
            return cls(store, "allow-listed OS keyring answered")
        if backend == "keyring":
            raise VaultUnavailable(result.reason)
        if source is None:
            raise VaultUnavailable(
                f"{result.reason}, and no passphrase is set for the encrypted vault file {paths.vault_file}"
            )
        return cls._open_file(paths, source, test_kdf, f"{result.reason}; passphrase from {source.origin}")

    @classmethod
    def _open_file(
        cls, paths: Paths, source: Passphrase | None, test_kdf: KdfParams | None, because: str
    ) -> Vault:
        if source is None:
            raise VaultUnavailable(f"no passphrase is set for the encrypted vault file {paths.vault_file}")
        from igtk_tui.vault.file_backend import FileBackend
        from igtk_tui.vault.kdf import DEFAULT_KDF

        store = FileBackend.open(paths.vault_file, source.value, new_kdf=test_kdf or DEFAULT_KDF)
        return cls(store, because)

    # -- what it is ----------------------------------------------------------

    @property
    def backend_name(self) -> str:
        return self._store.name

    @property
    def is_file(self) -> bool:
        return hasattr(self._store, "change_passphrase")

    def describe(self) -> dict[str, str]:
        """For `igtk info`: backend, location, parameters and why it was chosen; never secrets."""
        info = {"name": self.backend_name, **self._store.describe()}
        info["selected because"] = self._selected_because
        info["credentials"] = str(len(self._store.infos()))
        return info

    # -- reads ---------------------------------------------------------------

    def list(self) -> builtins.list[CredentialInfo]:
        """Every credential without its secret, sorted by name."""
        return sorted(self._store.infos(), key=lambda c: c.name)

    def names(self) -> builtins.list[str]:
        return [c.name for c in self.list()]

    def get(self, name: str) -> Credential:
        """The full credential; its secret (and token header) are registered for redaction."""
        cred = self._store.get(name)
        register_secrets(cred)
        return cred

    # -- writes --------------------------------------------------------------

    def add(self, cred: Credential) -> None:
        validate_gateway_url(cred.gateway_url)
        now = now_utc()
        self._store.add(cred.with_changes(created_at=cred.created_at or now, updated_at=now))
        register_secrets(cred)

    def update(self, name: str, /, **changes: str) -> Credential:
        """Change fields of one credential (not its name: see `rename`)."""
        unknown = sorted(set(changes) - set(_UPDATABLE))
        if unknown:
            raise InvalidInput(
                f"cannot update {', '.join(unknown)}: updatable fields are {', '.join(_UPDATABLE)}"
                " (use rename to change a name)"
            )
        validate_gateway_url(changes.get("gateway_url", ""))
        current = self.get(name)
        updated = current.with_changes(**changes, updated_at=now_utc())
        self._store.replace(name, updated)
        register_secrets(updated)
        return updated

    def rename(self, old: str, new: str) -> None:
        validate_name(new)
        current = self.get(old)
        if new == old:
            return
        self._store.replace(old, current.with_changes(name=new, updated_at=now_utc()))

    def delete(self, name: str) -> None:
        self._store.delete(name)

    def change_passphrase(self, new: str) -> None:
        """Re-encrypt the file under `new`; only the encrypted-file backend has a passphrase."""
        change = getattr(self._store, "change_passphrase", None)
        if change is None:
            raise InvalidInput(
                f"the vault is in the {self.backend_name}: there is no vault passphrase to change "
                "(use --backend file for the encrypted file)"
            )
        change(new)


def vault_status(
    paths: Paths, *, env: Mapping[str, str] | None = None, keyring_timeout: float = 2.0
) -> dict[str, str]:
    """What `igtk info` shows without unlocking anything (no KDF, no decryption)."""
    from igtk_tui.vault import keyring_backend

    env = os.environ if env is None else env
    result = keyring_backend.probe(keyring_timeout)
    try:
        source = resolve_passphrase(None, env)
        passphrase = f"from {source.origin}" if source else "not set"
    except VaultUnavailable as exc:
        source, passphrase = None, exc.reason
    exists = paths.vault_file.exists()
    if source is not None and exists:
        backend = f"encrypted file: {paths.vault_file}"
    elif result.ok:
        backend = f"keyring: {getattr(result.backend, 'name', keyring_backend.backend_id(result.backend))}"
    elif source is not None:
        backend = f"encrypted file: {paths.vault_file}"
    else:
        backend = "unavailable (set IGTK_VAULT_PASSPHRASE or IGTK_VAULT_PASSPHRASE_FILE)"
    return {
        "backend": backend,
        "keyring": "usable" if result.ok else result.reason,
        "vault_file": f"{paths.vault_file} ({'exists' if exists else 'not created yet'})",
        "passphrase": passphrase,
    }
