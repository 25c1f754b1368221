"""Vault errors, each carrying the exit code of docs/cli.md.

Unavailable, locked and corrupt are "a needed service is unavailable" (exit 3);
a duplicate or unknown credential name is bad input (exit 2).
"""

from __future__ import annotations

from igtk_tui.errors import InvalidInput, ServiceUnavailable

FIXES = (
    "Fix one of:\n"
    "  - set IGTK_VAULT_PASSPHRASE to the vault passphrase\n"
    "  - or set IGTK_VAULT_PASSPHRASE_FILE to a file holding it\n"
    "  - or unlock the vault in the TUI (igtk) with its passphrase box\n"
    "  - or run with a desktop keyring (Secret Service over D-Bus)"
)


class VaultUnavailable(ServiceUnavailable):
    """No usable backend: neither an OS keyring nor a passphrase for the file."""

    def __init__(self, reason: str) -> None:
        self.reason = reason.rstrip(".")
        super().__init__(f"vault unavailable: {self.reason}.\n{FIXES}")


class VaultLocked(ServiceUnavailable):
    """The passphrase given does not open the encrypted file."""

    def __init__(self, message: str = "wrong vault passphrase") -> None:
        super().__init__(message)


class VaultCorrupt(ServiceUnavailable):
    """The vault cannot be read as written; it is left untouched for the operator."""


class CredentialExists(InvalidInput):
    """`add` or `rename` onto a name already in use."""


class CredentialNotFound(InvalidInput):
    """No credential by that name; the message names close matches."""


def not_found(name: str, known: list[str]) -> CredentialNotFound:
    """The missing-name error, naming close matches so a typo is a one-glance fix."""
    import difflib

    if not known:
        return CredentialNotFound(f"no credential named {name!r}: the vault is empty")
    def squash(text: str) -> str:
        return text.lower().replace("-", "").replace("_", "")

    matches = [k for k in known if squash(k) == squash(name)]
    matches += [m for m in difflib.get_close_matches(name, known, n=3, cutoff=0.6) if m not in matches]
    if matches:
        return CredentialNotFound(f"no credential named {name!r}; did you mean: {', '.join(matches)}?")
    shown = ", ".join(sorted(known)[:10]) + (", ..." if len(known) > 10 else "")
    return CredentialNotFound(f"no credential named {name!r}; known: {shown}")
