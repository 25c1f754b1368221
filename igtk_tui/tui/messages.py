"""Messages between services (workers, the coalescing ticker) and the widgets.

Workers never touch widgets: they post one of these and an `@on` handler on
the App or a screen updates what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from igtk_tui.tui.viewmodel import LogLine


@dataclass
class ExecutionsUpdated(Message, bubble=False):
    """One coalesced UI tick: which executions changed and their new log lines."""

    changed: frozenset[str]
    logs: dict[str, list[LogLine]] = field(default_factory=dict)
    added: tuple[str, ...] = ()


@dataclass
class ExecutionEnded(Message):
    """An execution's worker finished (its final state is recorded)."""

    execution_id: str
    status: str
    playbook: str


@dataclass
class LibraryLoaded(Message):
    entries: list[Any]
    error: str | None = None


@dataclass
class StoreReady(Message):
    """The store opened after the first paint (or failed: `error`)."""

    error: str | None = None


@dataclass
class AgentAnswered(Message):
    """The agent feed's first look is done (or failed): until then the status line cannot
    say "idle", since runs may go on in the agent."""

    state: str  # "answered" | "unavailable"


@dataclass
class LastResults(Message):
    """Last result and duration per playbook (library-relative path or name)."""

    results: dict[str, Any]


@dataclass
class VaultChanged(Message):
    """The vault opened, locked, or its list changed."""

    state: str  # "open" | "locked" | "unavailable" | "opening"
    credentials: list[Any] = field(default_factory=list)
    detail: str = ""
    is_file: bool = False
