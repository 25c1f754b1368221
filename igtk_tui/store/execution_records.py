"""What the history holds about one execution, as the readers hand it out: its summary (a history
row), its steps with their attempts, its log lines and artifacts, and the JSON `igtk show --json`
and the reports print. The queries that build them are in store/executions.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from igtk_tui.timefmt import iso_utc


@dataclass(frozen=True)
class ExecutionSummary:
    id: str
    playbook: str
    playbook_path: str | None
    playbook_rel: str | None
    status: str
    started_at: float
    finished_at: float | None
    duration: float | None
    failed_steps: int
    trigger: str
    gateway_url: str | None
    resumed_from: str | None
    resumed_by: str | None
    rerun_of: str | None
    host: str | None
    user: str | None
    error: str | None
    fleet_run_id: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> ExecutionSummary:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})

    @property
    def keyset(self) -> tuple[float, str]:
        """Pass as `before=` to get the next page."""
        return (self.started_at, self.id)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "playbook": self.playbook, "status": self.status,
            "started_at": iso_utc(self.started_at), "finished_at": iso_utc(self.finished_at),
            "duration": self.duration, "failed_steps": self.failed_steps, "trigger": self.trigger,
            "gateway_url": self.gateway_url, "playbook_path": self.playbook_path,
            "playbook_rel": self.playbook_rel, "resumed_from": self.resumed_from,
            "resumed_by": self.resumed_by, "rerun_of": self.rerun_of, "host": self.host, "user": self.user,
            "error": self.error, "fleet_run_id": self.fleet_run_id,
        }


@dataclass(frozen=True)
class AttemptRecord:
    n: int
    ok: bool
    error: str | None
    duration: float | None
    finished_at: float | None

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "ok": self.ok, "error": self.error, "duration": self.duration,
                "finished_at": iso_utc(self.finished_at)}


@dataclass(frozen=True)
class StepRecord:
    path: str
    step_id: str
    parent: str | None
    position: int
    name: str
    type: str
    role: str
    status: str
    attempts: int
    started_at: float | None
    finished_at: float | None
    duration: float | None
    output: Any
    error: str | None
    reason: str | None
    variables: dict[str, Any] | None
    attempt_list: tuple[AttemptRecord, ...] = ()

    @property
    def top_level(self) -> bool:
        return "/" not in self.path and self.role == "step"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.path, "step_id": self.step_id, "name": self.name, "type": self.type,
            "parent": self.parent, "role": self.role, "position": self.position, "status": self.status,
            "attempts": self.attempts, "started_at": iso_utc(self.started_at), "finished_at": iso_utc(self.finished_at),
            "duration": self.duration, "output": self.output, "error": self.error, "reason": self.reason,
            "attempt_list": [a.to_json() for a in self.attempt_list],
        }


@dataclass(frozen=True)
class LogLine:
    seq: int
    ts: float
    step: str | None
    level: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "ts": iso_utc(self.ts), "step": self.step, "level": self.level,
                "message": self.message}


@dataclass(frozen=True)
class ArtifactRecord:
    path: str
    kind: str
    step: str | None
    created_at: float

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "step": self.step, "created_at": iso_utc(self.created_at)}


@dataclass(frozen=True)
class ExecutionDetail:
    summary: ExecutionSummary
    playbook_hash: str
    source: str | None
    parameters: dict[str, Any]
    credentials: list[str]
    debug: bool
    owner_pid: int | None
    browser_version: str | None
    steps: tuple[StepRecord, ...]
    logs: tuple[LogLine, ...]
    log_count: int
    artifacts: tuple[ArtifactRecord, ...]

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def status(self) -> str:
        return self.summary.status

    def step(self, path: str) -> StepRecord | None:
        return next((s for s in self.steps if s.path == path), None)

    def to_json(self) -> dict[str, Any]:
        out = self.summary.to_json()
        out.update({
            "playbook_hash": self.playbook_hash, "parameters": self.parameters,
            "credentials": self.credentials, "debug": self.debug, "owner_pid": self.owner_pid,
            "browser_version": self.browser_version,
            "steps": [s.to_json() for s in self.steps],
            "logs": [line.to_json() for line in self.logs], "log_count": self.log_count,
            "artifacts": [a.to_json() for a in self.artifacts],
        })
        return out


@dataclass(frozen=True)
class LastResult:
    playbook: str
    playbook_rel: str | None
    playbook_path: str | None
    id: str
    status: str
    started_at: float
    duration: float | None
