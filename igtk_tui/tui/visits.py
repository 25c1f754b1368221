"""The operator's last visit: when this user's TUI last started or left, and which
executions were live then, so the next start can say what was interrupted meanwhile.

Why a file under the state root and not a table: it is per user and per state root
(as the agent is), written at every start and leave, and a lost or damaged marker only
means no notice, never a wrong record. No textual import.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from igtk_tui.textfile import write_text_atomic

MARKER = "tui-last-visit.json"


@dataclass(frozen=True)
class Visit:
    at: float
    live: tuple[str, ...] = field(default=())  # execution ids running when the TUI left


def marker_path(state_dir: Path) -> Path:
    return state_dir / MARKER


def read_visit(state_dir: Path) -> Visit | None:
    try:
        data = json.loads(marker_path(state_dir).read_text(encoding="utf-8"))
        return Visit(float(data["at"]), tuple(str(i) for i in data.get("live") or ()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_visit(state_dir: Path, live: list[str] | tuple[str, ...] = ()) -> None:
    """Now, with the executions live at this moment (best effort: never stops a start or an exit)."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomic(marker_path(state_dir), json.dumps({"at": time.time(), "live": list(live)}))
    except OSError:
        pass


async def interrupted_since(store: Any, visit: Visit | None) -> list[Any]:
    """Executions recorded `interrupted` since that visit: ended after it, or live when it ended."""
    if visit is None:
        return []
    found = {s.id: s for s in await store.executions.ended_since("interrupted", visit.at)}
    for execution_id in visit.live:
        if execution_id not in found:
            summary = await store.executions.summary(execution_id)
            if summary is not None and summary.status == "interrupted":
                found[execution_id] = summary
    return list(found.values())
