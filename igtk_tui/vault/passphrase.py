"""Where the encrypted file's passphrase comes from: argument, then environment, then a file.

The file form (`IGTK_VAULT_PASSPHRASE_FILE`) suits systemd credentials and
container secrets, and keeps the passphrase out of `ps e` and shell history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from igtk_tui.vault.errors import VaultUnavailable

ENV_PASSPHRASE = "IGTK_VAULT_PASSPHRASE"
ENV_PASSPHRASE_FILE = "IGTK_VAULT_PASSPHRASE_FILE"
ENV_NEW_PASSPHRASE = "IGTK_VAULT_NEW_PASSPHRASE"


@dataclass(frozen=True)
class Passphrase:
    value: str
    origin: str  # shown by describe(): never the value

    def __repr__(self) -> str:
        return f"Passphrase(origin={self.origin!r})"


def strip_one_newline(text: str) -> str:
    """Drop the single newline `echo` or an editor adds; keep any other whitespace."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def resolve_passphrase(passphrase: str | None, env: Mapping[str, str]) -> Passphrase | None:
    """The first non-empty source, or None. An unreadable or empty passphrase file is an error:
    it was set on purpose, so silently ignoring it would hide the mistake."""
    if passphrase:
        return Passphrase(passphrase, "argument")
    if env.get(ENV_PASSPHRASE):
        return Passphrase(env[ENV_PASSPHRASE], ENV_PASSPHRASE)
    file_name = env.get(ENV_PASSPHRASE_FILE)
    if file_name:
        path = Path(file_name).expanduser()
        try:
            value = strip_one_newline(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise VaultUnavailable(f"cannot read {ENV_PASSPHRASE_FILE} {path}: {reason}") from None
        if not value:
            raise VaultUnavailable(f"{ENV_PASSPHRASE_FILE} {path} is empty")
        return Passphrase(value, f"{ENV_PASSPHRASE_FILE} ({path})")
    return None
