"""Live executions as the history records them, with where they run: `igtk ps` and `igtk attach`
for executions another host's agent runs (a shared PostgreSQL history).

Why from the record: this host's agent knows only its own executions; the shared history knows
every host's, committed step by step, so another host's run can be listed and followed (a
little behind the engine: each row is what was committed). Controls are not sent from here:
they go through the local agent, which relays them (agent/controls.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from igtk_tui.engine.events import LIVE_STATUSES

_LIVE = ",".join(f"'{s.value}'" for s in LIVE_STATUSES)


@dataclass(frozen=True)
class LiveRecord:
    """One live execution as recorded: what `igtk ps` prints for it."""

    id: str
    playbook: str
    status: str
    started_at: float
    host: str | None
    pid: int | None
    trigger: str
    steps_total: int
    steps_done: int
    current_step: str | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "playbook": self.playbook, "status": self.status, "started_at": self.started_at,
                "host": self.host, "pid": self.pid, "trigger": self.trigger, "steps_total": self.steps_total,
                "steps_done": self.steps_done, "current_step": self.current_step, "pause": None,
                "remote": True}


async def live_records(db: Any) -> list[LiveRecord]:
    """Every live execution in the history, oldest first (two queries, whatever their number)."""
    rows = await db.fetchall(f"SELECT id, playbook, status, started_at, host, owner_pid, trigger FROM executions "
                             f"WHERE status IN ({_LIVE}) ORDER BY started_at, id")
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    marks = ",".join("?" for _ in ids)
    counts: dict[str, list[Any]] = {i: [0, 0, None] for i in ids}
    for s in await db.fetchall(f"SELECT execution_id, path, status FROM steps WHERE execution_id IN ({marks}) "
                               "AND role = 'step' ORDER BY position", ids):
        count = counts[s["execution_id"]]
        if "/" not in s["path"]:
            count[0] += 1
            count[1] += s["status"] in ("completed", "failed", "skipped", "cancelled")
        if s["status"] == "running":
            count[2] = s["path"]
    return [LiveRecord(r["id"], r["playbook"], r["status"], r["started_at"], r["host"], r["owner_pid"],
                       r["trigger"], *counts[r["id"]]) for r in rows]
