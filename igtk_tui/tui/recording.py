"""What the TUI adds to the history on a hang-up.

An SSH drop is not an operator's cancel: the executions it stopped are
recorded `interrupted` (resumable, like those recovered after a crash), after
the engine finished them cleanly and the recorder committed their last rows.
"""

from __future__ import annotations

from typing import Any


async def mark_interrupted(store: Any, ids: list[str], reason: str) -> int:
    """Re-label executions this process cancelled because the terminal went away."""
    if not ids:
        return 0

    def update(c: Any) -> int:
        marks = ",".join("?" * len(ids))
        count = c.execute(
            f"UPDATE executions SET status = 'interrupted', error = ? "
            f"WHERE id IN ({marks}) AND status IN ('cancelled', 'running', 'paused', 'interrupted')",
            [reason, *ids]).rowcount
        c.execute(f"UPDATE steps SET status = 'interrupted' WHERE execution_id IN ({marks}) "
                  "AND status IN ('cancelled', 'running')", ids)
        return int(count)

    try:
        return int(await store.db.write(update))
    except Exception:  # noqa: BLE001 - leaving anyway: the rows stay `cancelled`, never half-written
        return 0
