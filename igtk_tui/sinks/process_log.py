"""Execution log lines copied into the process log file (see igtk_tui.logfile).

One line each, tagged with the execution id, so an operator can `tail -f` the log on a plant
server; the database remains the record of each execution. A sink like the others: it listens
to engine events, which is why it lives here and not in logfile (below the engine).
"""

from __future__ import annotations

import logging

from igtk_tui.engine.events import Event, LogRecord

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_execution_log = logging.getLogger("igtk_tui.execution")


def execution_log_sink(event: Event) -> None:
    """Bus subscriber copying execution log lines to the log file."""
    if isinstance(event, LogRecord):
        where = f"{event.execution_id[:8]} {event.step_id or '-'}"
        _execution_log.log(_LEVELS.get(event.level, logging.INFO), "%s %s", where, event.message)
