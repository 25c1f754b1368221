"""What a notification says: which schedule and playbook, the gateway, the status, the failed
step and its error, the execution id and the `igtk show` line to read more.

Every text leaves through `redact.scrub` (and the JSON through `scrub_obj`): a secret the
run registered never reaches a webhook, a mailbox or a hook's stdin.
"""

from __future__ import annotations

import socket
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from igtk_tui import redact

WHEN = {"failure": ("failed", "error", "cancelled", "interrupted"), "success": ("completed",)}


def wanted(notify_on: str, status: str) -> bool:
    """Whether a fire that ended `status` is told under `notify_on` (failure|success|always|never)."""
    if notify_on == "always":
        return True
    return status in WHEN.get(notify_on, ())


@dataclass(frozen=True)
class Notice:
    schedule: str
    playbook: str
    status: str                 # an execution status, or `error` when nothing could start
    execution_id: str | None = None
    gateway: str | None = None
    failed_step: str | None = None
    error: str | None = None
    due_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    fire_kind: str = "cron"
    host: str = ""

    @classmethod
    def make(cls, **fields: Any) -> Notice:
        fields.setdefault("host", socket.gethostname())
        return cls(**fields)

    @property
    def show_line(self) -> str | None:
        return f"igtk show {self.execution_id}" if self.execution_id else None

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    def subject(self) -> str:
        return redact.scrub(f"igtk: {self.schedule} {self.status} ({self.playbook}) on {self.host}")

    def text(self) -> str:
        lines = [
            f"Schedule:    {self.schedule} ({self.fire_kind}, due {_local(self.due_at)})",
            f"Playbook:    {self.playbook}",
            f"Gateway:     {self.gateway or '-'}",
            f"Status:      {self.status}",
        ]
        if self.failed_step:
            lines.append(f"Failed step: {self.failed_step}")
        if self.error:
            lines.append(f"Error:       {self.error}")
        lines.append(f"Execution:   {self.execution_id or '- (nothing was started)'}")
        if self.started_at is not None:
            lines.append(f"Started:     {_local(self.started_at)}")
        if self.finished_at is not None:
            lines.append(f"Finished:    {_local(self.finished_at)}")
        lines.append(f"Host:        {self.host}")
        if self.show_line:
            lines.append(f"Read more:   {self.show_line}")
        return redact.scrub("\n".join(lines))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(event="igtk.schedule.fire", show=self.show_line, text=self.text(), subject=self.subject())
        scrubbed: dict[str, Any] = redact.scrub_obj(data)
        return scrubbed

    def payload(self, fmt: str) -> dict[str, Any]:
        """The webhook body: ours (`json`), Slack's incoming webhook, or a Teams MessageCard."""
        if fmt == "slack":
            return {"text": f"*{self.subject()}*\n```{self.text()}```"}
        if fmt == "teams":
            return {"@type": "MessageCard", "@context": "https://schema.org/extensions",
                    "summary": self.subject(), "themeColor": "2EB67D" if self.ok else "D63333",
                    "title": self.subject(), "text": self.text().replace("\n", "  \n")}
        return self.to_json()


def _local(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if ts is not None else "-"
