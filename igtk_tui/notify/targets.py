"""Notification targets as written in `--notify` and `[notify] targets`: `KIND[opt=v,...]:VALUE`.

    webhook[format=slack]:https://hooks.example.com/T0/B0
    webhook[credential=slack-hook,format=slack]:        (the URL is that credential's secret)
    email[smtp=mail.example.com:587,credential=smtp-relay,from=igtk@example.com]:ops@example.com,oncall@example.com
    command[timeout=20]:/usr/local/bin/page-oncall --team ops

Why one string: it fits one flag, one TOML list item and one database column, and its
problems are reported against the exact text the operator typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from igtk_tui.errors import InvalidInput

KINDS = ("webhook", "email", "command")
WEBHOOK_FORMATS = ("json", "slack", "teams")
TLS_MODES = ("starttls", "none")
OPTIONS = {
    "webhook": ("format", "credential", "timeout", "ca"),
    "email": ("smtp", "credential", "from", "tls", "ca", "timeout"),
    "command": ("timeout",),
}
DEFAULT_TIMEOUT = {"webhook": 10.0, "email": 30.0, "command": 30.0}
_SPEC = re.compile(r"^\s*([a-z]+)\s*(?:\[([^\]]*)\])?\s*:(.*)$", re.S)
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class TargetError(InvalidInput):
    """A target that cannot be used; the message names the part that is wrong."""


@dataclass(frozen=True)
class Target:
    kind: str
    value: str
    options: dict[str, str] = field(default_factory=dict)
    spec: str = ""

    @property
    def credential(self) -> str | None:
        return self.options.get("credential") or None

    @property
    def timeout(self) -> float:
        return float(self.options.get("timeout") or DEFAULT_TIMEOUT[self.kind])

    @property
    def label(self) -> str:
        """How the target is named in records and messages: a webhook URL's path (often a token) hidden."""
        if self.kind == "webhook":
            if not self.value:
                return f"webhook (URL from credential {self.credential})"
            parts = urlsplit(self.value)
            return f"webhook {parts.scheme}://{parts.netloc}/…" if parts.path not in ("", "/") else (
                f"webhook {parts.scheme}://{parts.netloc}")
        if self.kind == "email":
            return f"email {self.value}"
        return f"command {self.argv[0] if self.argv else ''}"

    @property
    def argv(self) -> list[str]:
        import shlex

        return shlex.split(self.value) if self.kind == "command" else []

    @property
    def recipients(self) -> list[str]:
        return [r.strip() for r in self.value.split(",") if r.strip()] if self.kind == "email" else []

    @property
    def smtp(self) -> tuple[str, int]:
        """(host, port) of `smtp=HOST[:PORT]`; port 587 by default (a bare IPv6 address takes it too)."""
        text = self.options.get("smtp", "")
        host, sep, port = text.rpartition(":")
        if not sep or (host.count(":") and not host.endswith("]")):
            return text.strip("[]"), 587
        return host.strip("[]"), int(port)


def parse(spec: str) -> Target:
    """The target `spec` names, checked; TargetError says what is wrong with it."""
    match = _SPEC.match(spec or "")
    if not match:
        raise TargetError(f"{spec!r}: expected KIND[OPTIONS]:VALUE with KIND one of {', '.join(KINDS)} "
                          "(e.g. webhook[format=slack]:https://hooks.example.com/...)")
    kind, raw_options, value = match.group(1), match.group(2) or "", match.group(3).strip()
    if kind not in KINDS:
        raise TargetError(f"{spec!r}: unknown kind {kind!r}; one of {', '.join(KINDS)}")
    options: dict[str, str] = {}
    for item in (p.strip() for p in raw_options.split(",") if p.strip()):
        name, eq, option = item.partition("=")
        name = name.strip()
        if not eq or not option.strip():
            raise TargetError(f"{spec!r}: option {item!r} needs a value (name=value)")
        if name not in OPTIONS[kind]:
            raise TargetError(f"{spec!r}: unknown option {name!r} for {kind}; known: {', '.join(OPTIONS[kind])}")
        options[name] = option.strip()
    target = Target(kind, value, options, spec.strip())
    _check_timeout(target)
    {"webhook": _check_webhook, "email": _check_email, "command": _check_command}[kind](target)
    return target


def _check_timeout(target: Target) -> None:
    if "timeout" in target.options:
        try:
            ok = 0 < float(target.options["timeout"]) <= 600
        except ValueError:
            ok = False
        if not ok:
            raise TargetError(f"{target.spec!r}: timeout must be a number of seconds in (0, 600]")


def _check_ca(target: Target) -> None:
    from pathlib import Path

    ca = target.options.get("ca")
    if ca and not Path(ca).expanduser().is_file():
        raise TargetError(f"{target.spec!r}: ca {ca!r} is not a file")


def _check_webhook(target: Target) -> None:
    fmt = target.options.get("format", "json")
    if fmt not in WEBHOOK_FORMATS:
        raise TargetError(f"{target.spec!r}: format {fmt!r}; one of {', '.join(WEBHOOK_FORMATS)}")
    _check_ca(target)
    if not target.value:
        if not target.credential:
            raise TargetError(f"{target.spec!r}: a webhook needs a URL (or credential=NAME holding it)")
        return
    if target.credential:
        raise TargetError(f"{target.spec!r}: give the URL or credential=NAME (whose secret is the URL), not both")
    check_url(target.value, target.spec)


def check_url(url: str, spec: str) -> None:
    if "@" in url.partition("?")[0]:
        raise TargetError(f"{spec!r}: a user name or password in the webhook URL is not accepted; "
                          "keep the URL in a vault credential (credential=NAME)")
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        raise TargetError(f"{spec!r}: {url!r} is not an http(s) URL")


def _check_email(target: Target) -> None:
    from email.utils import parseaddr

    if not target.recipients:
        raise TargetError(f"{target.spec!r}: name at least one recipient address")
    for address in (*target.recipients, target.options.get("from", "igtk@localhost")):
        _name, addr = parseaddr(address)
        if not addr or "@" not in addr or " " in addr:
            raise TargetError(f"{target.spec!r}: {address!r} is not an e-mail address")
    if not target.options.get("smtp"):
        raise TargetError(f"{target.spec!r}: smtp=HOST[:PORT] is required")
    try:
        host, port = target.smtp
    except ValueError:
        raise TargetError(f"{target.spec!r}: smtp {target.options['smtp']!r}: expected HOST[:PORT]") from None
    if not host or not 0 < port < 65536:
        raise TargetError(f"{target.spec!r}: smtp {target.options['smtp']!r}: expected HOST[:PORT]")
    tls = target.options.get("tls", "starttls")
    if tls not in TLS_MODES:
        raise TargetError(f"{target.spec!r}: tls {tls!r}; one of {', '.join(TLS_MODES)}")
    if tls == "none" and host not in _LOOPBACK:
        raise TargetError(f"{target.spec!r}: tls=none is allowed only for a relay on this host "
                          "(a login and the message would cross the network in clear)")
    _check_ca(target)


def _check_command(target: Target) -> None:
    import os
    import shutil

    try:
        argv = target.argv
    except ValueError as exc:
        raise TargetError(f"{target.spec!r}: {exc}") from None
    if not argv:
        raise TargetError(f"{target.spec!r}: name the program to run")
    program = argv[0]
    found = program if os.path.isabs(program) else shutil.which(program)
    if not found or not os.path.isfile(found) or not os.access(found, os.X_OK):
        raise TargetError(f"{target.spec!r}: {program!r} is not an executable file")
