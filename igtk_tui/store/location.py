"""Where the history lives: the state root's SQLite file (default) or a PostgreSQL URL.

Why one small value for it: the store, the library metadata, the report step and
`igtk info` must all agree on the database, and every message about it must show
the URL without its password. The password comes from the URL itself, from
libpq's own sources (PGPASSFILE, ~/.pgpass, PGPASSWORD), or from a vault
credential named by `store_credential` (the runtime reads the vault and hands
it over here; the store never imports the vault). Whatever its source it is
registered with the redactor, so it cannot reach a log, a report or the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from igtk_tui.errors import InvalidInput

SETTING = "store_url"
SCHEMES = ("postgresql", "postgres")


class StoreUrlError(InvalidInput):
    """store_url is not a PostgreSQL URL we can use."""


def scrub_url(url: str) -> str:
    """The URL without its password (and without any `password=` query parameter)."""
    from urllib.parse import urlsplit, urlunsplit  # only with a store_url: not on SQLite's start-up path

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{hostport}" if user else hostport
    query = "&".join(p if not p.lower().startswith("password=") else "password=****" for p in parts.query.split("&")
                     if p) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_password(url: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    password = unquote(parts.password) if parts.password else None
    for item in parts.query.split("&"):
        if item.lower().startswith("password="):
            password = unquote(item.split("=", 1)[1])
    return password


def check_url(url: str) -> None:
    """Raise StoreUrlError for anything that is not postgresql://[user[:password]@]host[:port]/database."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise StoreUrlError(f"{SETTING} {scrub_url(url)!r} is not a valid URL: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise StoreUrlError(f"{SETTING} must start with postgresql:// (got {scrub_url(url)!r}); "
                            "leave it unset for the built-in SQLite history")
    if not parts.path.strip("/"):
        raise StoreUrlError(f"{SETTING} {scrub_url(url)!r} names no database: "
                            "postgresql://user@host:5432/DATABASE")
    if port == 0:
        raise StoreUrlError(f"{SETTING} {scrub_url(url)!r}: port 0 is not a port")


@dataclass(frozen=True)
class StoreLocation:
    """`path` is always the SQLite file (used when `url` is None)."""

    path: Path
    url: str | None = None
    user: str | None = None  # from a vault credential, when the URL names none
    password: str | None = None  # from a vault credential (never printed)

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def display(self) -> str:
        return scrub_url(self.url) if self.url else str(self.path)

    def with_credential(self, user: str | None, password: str | None) -> StoreLocation:
        return replace(self, user=user, password=password)

    def connect_kwargs(self) -> dict[str, Any]:
        """libpq keyword arguments added to the URL (the URL's own values win for the user)."""
        from urllib.parse import urlsplit

        extra: dict[str, Any] = {}
        if self.url and self.user and not urlsplit(self.url).username:
            extra["user"] = self.user
        if self.password and not url_password(self.url or ""):
            extra["password"] = self.password
        return extra


def location_for(db_file: Path, settings: Any = None) -> StoreLocation:
    """The location Settings ask for; a bad URL raises StoreUrlError (named, scrubbed)."""
    url = getattr(settings, "store_url", None) or None
    if url:
        check_url(url)
        from igtk_tui import redact

        redact.register(url_password(url))
    return StoreLocation(path=Path(db_file), url=url)


_ACTIVE: StoreLocation | None = None


def set_active(location: StoreLocation) -> None:
    """Remember the process's store (a step reporting on its own execution reads it)."""
    global _ACTIVE
    _ACTIVE = location


def active(default_db_file: Path) -> StoreLocation:
    return _ACTIVE if _ACTIVE is not None else StoreLocation(path=default_db_file)
