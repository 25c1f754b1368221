"""The typed playbook model: a superset of the earlier toolkit's format (docs/playbook-format.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

# The keys of the format, at each level (docs/playbook-format.md).
TOP_KEYS = (
    "name", "version", "description", "domain", "group", "verified",
    "parameters", "steps", "metadata", "on_rollback",
)
PARAM_KEYS = ("name", "type", "required", "default", "description", "choices", "min", "max", "secret", "label")
STEP_KEYS = (
    "id", "name", "type", "parameters", "timeout", "retry_count", "retry_delay", "backoff",
    "on_failure", "when", "on_rollback", "breakpoint", "description",
)


class ParamType(str, Enum):
    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    FILE = "file"
    CREDENTIAL = "credential"
    LIST = "list"
    DICT = "dict"


class OnFailure(str, Enum):
    ABORT = "abort"
    CONTINUE = "continue"
    ROLLBACK = "rollback"


@dataclass(frozen=True)
class Location:
    """Where something was written, for file:line:col messages (1-based)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: ParamType
    required: bool = True
    default: Any = None
    description: str = ""
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    secret: bool = False
    label: str = ""
    location: Location | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not None


@dataclass(frozen=True)
class Step:
    id: str
    name: str
    type: str
    parameters: dict[str, Any] = field(default_factory=dict)
    timeout: float = 300.0
    retry_count: int = 0
    retry_delay: float = 5.0
    backoff: float = 1.0
    on_failure: OnFailure = OnFailure.ABORT
    when: str | None = None
    on_rollback: tuple[Step, ...] = ()
    breakpoint: bool = False
    description: str = ""
    location: Location | None = None
    # Where each parameter value was written, for runtime errors that point back at the file.
    param_locations: Mapping[str, Location] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Playbook:
    name: str
    version: str
    steps: tuple[Step, ...]
    description: str = ""
    parameters: tuple[Parameter, ...] = ()
    domain: str = ""
    group: str = ""
    verified: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    on_rollback: tuple[Step, ...] = ()
    path: Path | None = None
    source: str = ""
    warnings: tuple[str, ...] = ()
    # Written in the earlier toolkit's format (playbook.earlier): its defaults and script names apply.
    earlier_format: bool = False

    def parameter(self, name: str) -> Parameter | None:
        for p in self.parameters:
            if p.name == name:
                return p
        return None

    def step(self, step_id: str) -> Step | None:
        for s in self.steps:
            if s.id == step_id:
                return s
        return None

    @property
    def content_hash(self) -> str:
        import hashlib

        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path else None

    @property
    def uses_browser(self) -> bool:
        """Browser or Perspective steps among its steps or rollback steps (children not included)."""
        return any(s.type.startswith(("browser.", "perspective.")) for s in (*self.steps, *self.on_rollback))
