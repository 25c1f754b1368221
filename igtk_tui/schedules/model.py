"""A schedule's definition and the record of one fire: plain data shared by the
store, the agent's scheduler, the CLI and the TUI.

Why a schedule holds names only: it lives for months in the history database;
the credential it runs with, and any SMTP login of its notifications, stay in
the vault and are looked up at fire time.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from igtk_tui.errors import InvalidInput

OVERLAP = ("skip", "queue", "allow")
CATCH_UP = ("skip", "once")
NOTIFY_ON = ("failure", "success", "always", "never")
TRIGGER_PREFIX = "schedule: "
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

# A fire's outcome: started (running), a final execution status, or why nothing ran.
FIRE_PENDING = "pending"      # decided to fire, being prepared
FIRE_QUEUED = "queued"        # waiting for the schedule's previous run or the gateway
FIRE_RUNNING = "running"      # the execution started
FIRE_SKIPPED = "skipped"      # overlap or a busy gateway: nothing started
FIRE_MISSED = "missed"        # fire times that passed while the agent was down (catch-up)
FIRE_ERROR = "error"          # could not start: vault locked, playbook gone, bad parameters...
LIVE_FIRE_OUTCOMES = (FIRE_PENDING, FIRE_QUEUED, FIRE_RUNNING)


def trigger_of(name: str) -> str:
    """The executions' trigger text, as history and the executions bar show it."""
    return f"{TRIGGER_PREFIX}{name}"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InvalidInput(f"schedule name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit")
    return name


def check_choice(flag: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidInput(f"{flag} {value!r}: expected one of {', '.join(choices)}")
    return value


@dataclass(frozen=True)
class Schedule:
    name: str
    playbook: str                      # a library path (follows the library's effective copy) or an absolute file
    cron: str
    tz: str
    params: dict[str, Any] = field(default_factory=dict)  # non-secret values only
    credential: str | None = None
    gateway_url: str | None = None
    overlap: str = "skip"
    catch_up: str = "skip"
    enabled: bool = True
    gateway_lock: bool = False
    notify_on: str | None = None       # None: the [notify] default of config.toml
    notify: tuple[str, ...] = ()       # notification targets; empty: the [notify] default ones
    created_at: float = 0.0
    updated_at: float = 0.0
    last_handled: float = 0.0          # the last fire instant the scheduler dealt with (scheduler clock)

    @property
    def trigger(self) -> str:
        return trigger_of(self.name)

    def with_changes(self, **changes: Any) -> Schedule:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["notify"] = list(self.notify)
        return data


@dataclass(frozen=True)
class NotificationResult:
    target: str       # the target as configured, secrets masked
    ok: bool
    attempts: int
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NotificationResult:
        return cls(str(data.get("target", "")), bool(data.get("ok")), int(data.get("attempts") or 0),
                   data.get("error"))


@dataclass(frozen=True)
class Fire:
    """One fire of a schedule: what was due, what happened, who was told."""

    id: str
    schedule: str
    due_at: float
    kind: str = "cron"                 # cron | catch-up | run-now
    outcome: str = FIRE_PENDING
    started_at: float | None = None
    finished_at: float | None = None
    execution_id: str | None = None
    message: str | None = None
    notifications: tuple[NotificationResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["notifications"] = [n.to_json() for n in self.notifications]
        return data
