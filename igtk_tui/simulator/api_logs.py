"""8.3 REST logging: events, loggers and their levels, the log database download
(sources: docs/simulator.md; paths from the 8.3.8 spec's `logging` section).

Levels set through `POST /logs/loggers/{name}?level=` stay until changed or
`POST /logs/levelreset`. The answer bodies of those two are [UNVERIFIED]
(`{"success": true}` here). The download is a real SQLite file with logback's
`logging_event` table [UNVERIFIED: the real schema's extra columns].
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from igtk_tui.simulator.api_backup import clean_name
from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.listing import envelope
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


def _level(value: str | None, what: str) -> str:
    level = (value or "").strip().upper()
    if level not in LEVELS:
        raise HttpError(400, f"Invalid {what} '{value}': use one of {', '.join(LEVELS)}")
    return level


def _events(req: Request) -> Response:
    events = req.state.log_events
    if req.arg("minLevel"):
        floor = LEVELS.index(_level(req.arg("minLevel"), "minLevel"))
        events = [e for e in events if LEVELS.index(e["level"]) >= floor]
    if req.arg("logger"):
        events = [e for e in events if e["loggerName"] == req.arg("logger")]
    return envelope(req, list(reversed(events)))  # newest first


def _logger_item(logger: dict[str, str]) -> dict[str, Any]:
    return {"name": logger["name"], "level": logger["level"], "context": "gateway"}


def _loggers(req: Request) -> Response:
    return envelope(req, [_logger_item(lg) for lg in req.state.loggers.values()])


def _set_level(req: Request) -> Response:
    name = req.params["name"]
    level = _level(req.arg("level"), "level")
    logger = req.state.loggers.setdefault(name, {"name": name, "level": level, "default": "INFO"})
    logger["level"] = level
    req.state.log("gateway.Logging", "INFO", f"Logger '{name}' set to {level}")
    return Response.json({"success": True})


def _reset(req: Request) -> Response:
    for logger in req.state.loggers.values():
        logger["level"] = logger["default"]
    return Response.json({"success": True})


def _download(req: Request) -> Response:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE TABLE logging_event (event_id INTEGER PRIMARY KEY, timestmp INTEGER, "
                     "formatted_message TEXT, logger_name TEXT, level_string TEXT)")
        conn.executemany(
            "INSERT INTO logging_event (timestmp, formatted_message, logger_name, level_string) VALUES (?,?,?,?)",
            [(e["timestamp"], e["message"], e["loggerName"], e["level"]) for e in req.state.log_events])
        conn.commit()
        data = conn.serialize()
    finally:
        conn.close()
    stamp = time.strftime("%Y%m%d-%H%M")
    filename = f"{clean_name(req.state.gateway_name)}_Ignition_logs_{stamp}.idb"
    return Response.download(data, filename, "application/x-sqlite3")


def register(router: Router) -> None:
    api = router.group("/data/api/v1/logs", auth="token", versions=ONLY_83)
    api.get("/", _events)
    api.get("/download", _download)
    api.get("/loggers", _loggers)
    api.post("/loggers/{name}", _set_level)
    api.post("/levelreset", _reset)
