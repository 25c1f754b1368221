"""Name-based parameter autofill from a chosen credential (the earlier tool's behaviour).

When a run is started with a credential (`igtk run -c NAME`, the TUI's
credential selector), parameters the caller left empty are filled:

====================================================  =======================================
parameter (name, case-insensitive, or type)           value
====================================================  =======================================
type ``credential``                                   the credential's name
``username``, ``user``, ``gateway_username``          ``cred.username``
``password``, ``pass``, ``gateway_password``          ``cred.secret`` (basic credentials only)
``gateway_url``, ``url``                              ``cred.gateway_url`` (when it has one)
``api_token``, ``token`` (addition)                   ``cred.token`` = ``name:secret`` (api-token only)
====================================================  =======================================

An explicit value is never overridden; None or "" count as "not given" (an
empty form field). The returned dict is new; `given` is not changed. The vault
has already registered the secret for redaction when `cred` came from `get`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from igtk_tui.vault.model import API_TOKEN, BASIC, Credential

USERNAME_NAMES = frozenset({"username", "user", "gateway_username"})
PASSWORD_NAMES = frozenset({"password", "pass", "gateway_password"})
URL_NAMES = frozenset({"gateway_url", "url"})
TOKEN_NAMES = frozenset({"api_token", "token"})


def _value_for(name: str, type_: str, cred: Credential) -> str | None:
    key = name.lower()
    if type_ == "credential":
        return cred.name
    if key in USERNAME_NAMES:
        return cred.username
    if key in PASSWORD_NAMES and cred.type == BASIC:
        return cred.secret
    if key in URL_NAMES and cred.gateway_url:
        return cred.gateway_url
    if key in TOKEN_NAMES and cred.type == API_TOKEN:
        return cred.token
    return None


def autofill(
    params_decl: Iterable[tuple[str, str]], given: Mapping[str, Any], cred: Credential
) -> dict[str, Any]:
    """Return `given` plus the values `cred` supplies for declared, still-empty parameters."""
    out = dict(given)
    for name, type_ in params_decl:
        if out.get(name) not in (None, ""):
            continue
        value = _value_for(name, type_, cred)
        if value is not None:
            out[name] = value
    return out
