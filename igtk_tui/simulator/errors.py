"""Jetty-style error bodies and the exceptions route handlers raise to produce them.

Jetty's ErrorHandler picks the body format from `Accept` (JETTY-EH in
docs/simulator.md): JSON `{"message","url","status":"<string>"}`, the small HTML
page, or plain text. Ignition's own validation errors are 422
`{"messages":[...],"fieldMessages":[]}`.
"""

from __future__ import annotations

import html
import json
from http import HTTPStatus
from typing import Any

from igtk_tui.simulator.routes import Response


class HttpError(Exception):
    """Raise from a handler to answer with a Jetty error page of `status`."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message or reason(status))
        self.status = status
        self.message = message or reason(status)


class Unprocessable(Exception):
    """Raise for a body Ignition cannot read: 422 with the messages shape."""

    def __init__(self, *messages: str, field_messages: list[dict[str, Any]] | None = None) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)
        self.field_messages = field_messages or []

    def response(self) -> Response:
        return Response.json({"messages": self.messages, "fieldMessages": self.field_messages}, 422)


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _media_types(accept: str) -> list[str]:
    """Media types of an Accept header, highest q first (stable for ties)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        q = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, index, pieces[0].lower()))
    return [media for _, _, media in sorted(ranked)]


def error_format(accept: str | None) -> str:
    """`json`, `text` or `html` the way Jetty's ErrorHandler chooses (HTML for */*)."""
    for media in _media_types(accept or ""):
        if media in ("application/json", "text/json"):
            return "json"
        if media == "text/plain":
            return "text"
        if media in ("text/html", "text/*", "*/*"):
            return "html"
    return "html"


def jetty_error(status: int, message: str | None, url: str, accept: str | None) -> Response:
    """The Jetty error response for `status` in the format `Accept` asks for."""
    phrase = reason(status)
    message = message or phrase
    fmt = error_format(accept)
    if fmt == "json":
        body = json.dumps({"message": message, "url": url, "status": str(status)}, separators=(",", ":"))
        return Response(status, body.encode(), "application/json")
    if fmt == "text":
        body = f"HTTP ERROR {status} {phrase}\nURI: {url}\nSTATUS: {status}\nMESSAGE: {message}\n"
        return Response(status, body.encode("iso-8859-1", "replace"), "text/plain;charset=iso-8859-1")
    esc = html.escape
    page = (
        "<html>\n<head>\n"
        '<meta http-equiv="Content-Type" content="text/html;charset=ISO-8859-1"/>\n'
        f"<title>Error {status} {esc(phrase)}</title>\n"
        "</head>\n<body>\n"
        f"<h2>HTTP ERROR {status} {esc(phrase)}</h2>\n"
        "<table>\n"
        f"<tr><th>URI:</th><td>{esc(url)}</td></tr>\n"
        f"<tr><th>STATUS:</th><td>{status}</td></tr>\n"
        f"<tr><th>MESSAGE:</th><td>{esc(message)}</td></tr>\n"
        "</table>\n\n</body>\n</html>\n"
    )
    return Response(status, page.encode("iso-8859-1", "replace"), "text/html;charset=iso-8859-1")
