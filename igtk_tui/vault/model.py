"""Typed credentials: what a playbook may ask of one, and what is safe to show.

`Credential` holds the secret; its repr/str never show it. `CredentialInfo` is
the secret-free view used by `list()`, `igtk cred list` and the TUI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from igtk_tui.errors import InvalidInput
from igtk_tui.values import normalise_url

BASIC = "basic"
API_TOKEN = "api-token"
CREDENTIAL_TYPES = (BASIC, API_TOKEN)

# Names appear in `{{ credential.NAME.field }}`: a dot or a space would break
# the reference, so only word characters and hyphens are allowed.
_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,127}")

_COMMON_FIELDS = ("name", "type", "username", "secret", "gateway_url", "description")
_FIELDS_BY_TYPE = {
    BASIC: _COMMON_FIELDS + ("password",),
    API_TOKEN: _COMMON_FIELDS + ("token",),
}


def validate_name(name: str) -> str:
    """Return `name` if it can be stored and referenced, else raise InvalidInput."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"invalid credential name {name!r}: use 1-128 letters, digits, '_' or '-'"
            " (it is used in {{ credential.NAME }} references), not starting with '-'"
        )
    return name


def validate_gateway_url(url: str) -> None:
    """A credential's gateway URL follows the one gateway-URL rule (empty: none given)."""
    if not url:
        return
    try:
        normalise_url(url)
    except ValueError as exc:
        raise InvalidInput(f"gateway URL: {exc}") from None


@dataclass(frozen=True)
class Credential:
    """One stored credential.

    For `api-token`, `username` is the token name and `secret` the token secret;
    `field("token")` gives the `name:secret` value Ignition 8.3 expects in the
    `X-Ignition-API-Token` header.
    """

    name: str
    type: str
    username: str
    secret: str
    gateway_url: str = ""
    description: str = ""
    created_at: str = ""
    updated_at: str = ""

    def __post_init__(self) -> None:
        validate_name(self.name)
        if self.type not in CREDENTIAL_TYPES:
            raise InvalidInput(
                f"invalid credential type {self.type!r}: expected one of {', '.join(CREDENTIAL_TYPES)}"
            )
        if not self.username:
            what = "token name" if self.type == API_TOKEN else "username"
            raise InvalidInput(f"credential {self.name!r} needs a {what}")
        if not self.secret:
            raise InvalidInput(f"credential {self.name!r} needs a non-empty secret")
        if self.type == API_TOKEN and ":" in self.username:
            raise InvalidInput("an API token name cannot contain ':' (the header is NAME:SECRET)")

    @property
    def token(self) -> str:
        """The full API token header value; only meaningful for `api-token`."""
        return f"{self.username}:{self.secret}"

    def valid_fields(self) -> tuple[str, ...]:
        return _FIELDS_BY_TYPE[self.type]

    def field(self, name: str) -> str:
        """The value `{{ credential.NAME.<name> }}` resolves to."""
        if name not in _FIELDS_BY_TYPE[self.type]:
            raise KeyError(
                f"credential {self.name!r} ({self.type}) has no field {name!r}; "
                f"valid fields: {', '.join(self.valid_fields())}"
            )
        if name in ("password", "secret"):
            return self.secret
        if name == "token":
            return self.token
        return str(getattr(self, name))

    def info(self) -> CredentialInfo:
        return CredentialInfo(
            name=self.name,
            type=self.type,
            username=self.username,
            gateway_url=self.gateway_url,
            description=self.description,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def with_changes(self, **changes: Any) -> Credential:
        return replace(self, **changes)

    def fill(self, params_decl: Iterable[tuple[str, str]], given: Mapping[str, Any]) -> dict[str, Any]:
        """`given` plus what this credential supplies (vault.autofill). A method, so the engine and
        the store fill parameters from the credential they are handed without importing the vault."""
        from igtk_tui.vault.autofill import autofill

        return autofill(params_decl, given, self)

    def to_payload(self) -> dict[str, str]:
        """Everything but the name, for storage (the name is stored as the key)."""
        data = asdict(self)
        del data["name"]
        return data

    @classmethod
    def from_payload(cls, name: str, data: dict[str, Any]) -> Credential:
        return cls(name=name, **{k: str(data.get(k) or "") for k in _PAYLOAD_KEYS})

    def __repr__(self) -> str:
        return (
            f"Credential(name={self.name!r}, type={self.type!r}, username={self.username!r}, "
            f"secret='••••', gateway_url={self.gateway_url!r})"
        )

    __str__ = __repr__


_PAYLOAD_KEYS = (
    "type",
    "username",
    "secret",
    "gateway_url",
    "description",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class CredentialInfo:
    """A credential without its secret: safe to list, print and persist."""

    name: str
    type: str
    username: str
    gateway_url: str = ""
    description: str = ""
    created_at: str = ""
    updated_at: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)
