"""Execution ends told as one notification: the ends of the next second are gathered, so a hundred
runs finishing together make one toast ("100 executions finished: 98 completed, 2 failed"), not a
hundred; the library's last results are refreshed after each digest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from igtk_tui.tui.messages import ExecutionEnded

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from igtk_tui.tui.app import IgtkApp

ENDED_DIGEST_DELAY = 1.0  # seconds of execution ends gathered into one notification


class EndedDigest:
    def __init__(self, app: IgtkApp) -> None:
        self.app = app
        self._ended: list[ExecutionEnded] = []

    def add(self, message: ExecutionEnded) -> None:
        if self.app.leaving.quitting:
            return
        self._ended.append(message)
        if len(self._ended) == 1:
            self.app.set_timer(ENDED_DIGEST_DELAY, self._announce)

    def _announce(self) -> None:
        app = self.app
        ended, self._ended = self._ended, []
        if not ended or app.leaving.quitting:
            return
        if len(ended) == 1:
            only = ended[0]
            text, worst = f"{only.playbook}: {only.status}", only.status
        else:
            counts: dict[str, int] = {}
            for message in ended:
                counts[message.status] = counts.get(message.status, 0) + 1
            text = f"{len(ended)} executions finished: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            worst = "failed" if "failed" in counts else "cancelled" if "cancelled" in counts else "completed"
        severity: SeverityLevel = "information" if worst == "completed" else "error" if worst == "failed" else "warning"
        app.notify(text, title="Execution", severity=severity, markup=False)
        app.run_worker(app.refresh_last_results(), group="last-results", exclusive=True, exit_on_error=False)
