"""Credential vault: an allow-listed OS keyring, else an AES-256-GCM encrypted file.

Import is cheap: keyring and cryptography load only when a vault is opened.
"""

from igtk_tui.vault.autofill import autofill
from igtk_tui.vault.errors import (
    CredentialExists,
    CredentialNotFound,
    VaultCorrupt,
    VaultLocked,
    VaultUnavailable,
)
from igtk_tui.vault.model import API_TOKEN, BASIC, CREDENTIAL_TYPES, Credential, CredentialInfo
from igtk_tui.vault.vault import BACKEND_CHOICES, Vault, vault_status

__all__ = [
    "API_TOKEN",
    "BACKEND_CHOICES",
    "BASIC",
    "CREDENTIAL_TYPES",
    "Credential",
    "CredentialExists",
    "CredentialInfo",
    "CredentialNotFound",
    "Vault",
    "VaultCorrupt",
    "VaultLocked",
    "VaultUnavailable",
    "autofill",
    "vault_status",
]
