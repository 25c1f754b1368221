"""The route registry: method + path pattern -> handler, with per-route policy.

Each area of the gateway lives in its own module in this package and exposes
`register(router: Router) -> None`; `build_router()` discovers every such
module, so adding an area is adding a file (see the package docstring).

Patterns are paths with `{name}` (one segment) and `{name:path}` (the rest)
placeholders. A trailing slash is not significant. The most specific match
wins (literal segments beat placeholders); a path that matches only with
other methods answers 405.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

if TYPE_CHECKING:
    from igtk_tui.simulator.state import GatewayState, SimConfig, WebSession

BOTH = frozenset({"8.1", "8.3"})
ONLY_83 = frozenset({"8.3"})
ONLY_81 = frozenset({"8.1"})


@dataclass
class Response:
    """What a handler returns; the wire layer adds Content-Length and keep-alive."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(status, json.dumps(data, separators=(",", ":")).encode(), "application/json")

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain;charset=utf-8") -> Response:
        return cls(status, text.encode(), content_type)

    @classmethod
    def html(cls, page: str, status: int = 200) -> Response:
        return cls(status, page.encode(), "text/html;charset=utf-8")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        return cls(status, b"", None, [("Location", location)])

    @classmethod
    def download(cls, data: bytes, filename: str, content_type: str = "application/octet-stream") -> Response:
        disposition = f'attachment; filename="{filename}"'
        return cls(200, data, content_type, [("Content-Disposition", disposition)])

    def set_cookie(self, name: str, value: str, path: str = "/", extra: str = "HttpOnly") -> Response:
        self.headers.append(("Set-Cookie", f"{name}={value}; Path={path}; {extra}"))
        return self


@dataclass
class Principal:
    """Who made the request: an API token (by name) or a web session user."""

    kind: str  # "token" | "session"
    name: str
    read_only: bool = False
    session: WebSession | None = None


@dataclass
class Request:
    """One parsed request as route handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    state: GatewayState
    config: SimConfig
    params: dict[str, str] = field(default_factory=dict)
    principal: Principal | None = None
    router: Router | None = None

    @classmethod
    def parse_query(cls, raw: str) -> dict[str, list[str]]:
        return parse_qs(raw, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def require_arg(self, name: str) -> str:
        """A required query parameter; 400 (Jetty page) when missing or blank."""
        from igtk_tui.simulator.errors import HttpError

        value = self.arg(name)
        if value is None or value == "":
            raise HttpError(400, f"Missing required query parameter '{name}'")
        return value

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "").strip().lower() in ("true", "1", "yes")

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default) or default

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    @property
    def cookies(self) -> dict[str, str]:
        jar: dict[str, str] = {}
        for part in self.header("Cookie").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                jar[name] = value
        return jar

    def json(self) -> Any:
        """The JSON body; a missing or malformed body is Ignition's 422."""
        from igtk_tui.simulator.errors import Unprocessable

        if not self.body.strip():
            raise Unprocessable("Request body is required but was empty")
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise Unprocessable(f"Unable to parse JSON body: {exc}") from None

    def json_object(self) -> dict[str, Any]:
        from igtk_tui.simulator.errors import Unprocessable

        data = self.json()
        if not isinstance(data, dict):
            raise Unprocessable("Request body must be a JSON object")
        return data

    def form(self) -> dict[str, str]:
        """Fields of an urlencoded or multipart form body (strings only)."""
        if self.content_type.startswith("multipart/"):
            return {k: v.decode("utf-8", "replace") for k, (_, v) in self.multipart().items()}
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}

    def multipart(self) -> dict[str, tuple[str | None, bytes]]:
        """multipart/form-data parts: field name -> (filename, bytes)."""
        from email.parser import BytesParser
        from email.policy import HTTP

        head = f"Content-Type: {self.header('Content-Type')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        parts: dict[str, tuple[str | None, bytes]] = {}
        if not message.is_multipart():
            return parts
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                payload = part.get_payload(decode=True)
                parts[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
        return parts

    @property
    def full_path(self) -> str:
        return quote(self.path)


Handler = Callable[[Request], Response]
AuthPolicy = str | Callable[["SimConfig"], str]


@dataclass
class Route:
    """A handler with its policy.

    auth: "none"; "token" (8.3 API key or web-UI session); "session"
      (8.1 web session, 401 without); "login" (8.1 web page, 302 to /web/login
      without); or a callable choosing one of these from the config.
    versions: which gateway lines serve it (others: as if it did not exist).
    always: still answered during STARTING (StatusPing, gwinfo).
    commissioning: answered while the gateway waits for commissioning.
    ping: exempt from error/drop faults unless faults.ping_errors.
    write: needs a token with write permission (default: not GET/HEAD).
    """

    method: str
    pattern: str
    handler: Handler
    auth: AuthPolicy = "none"
    versions: frozenset[str] = BOTH
    always: bool = False
    commissioning: bool = False
    ping: bool = False
    write: bool | None = None
    segments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.segments = _split(self.pattern)
        if self.write is None:
            self.write = self.method not in ("GET", "HEAD")

    def auth_mode(self, config: SimConfig) -> str:
        return self.auth(config) if callable(self.auth) else self.auth

    def match(self, segments: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for index, part in enumerate(self.segments):
            if part.startswith("{") and part.endswith(":path}"):
                rest = segments[index:]
                if not rest:
                    return None
                params[part[1:-6]] = "/".join(rest)
                return params
            if index >= len(segments):
                return None
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = segments[index]
            elif part != segments[index]:
                return None
        return params if len(segments) == len(self.segments) else None

    @property
    def specificity(self) -> tuple[int, int]:
        literal = sum(1 for s in self.segments if not s.startswith("{"))
        return literal, len(self.segments)


def _split(path: str) -> tuple[str, ...]:
    return tuple(part for part in path.strip("/").split("/") if part != "")


class Router:
    """The registry route modules add to."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: Handler, **policy: Any) -> Route:
        route = Route(method, pattern, handler, **policy)
        self.routes.append(route)
        return route

    def get(self, pattern: str, handler: Handler, **policy: Any) -> Route:
        return self.add("GET", pattern, handler, **policy)

    def post(self, pattern: str, handler: Handler, **policy: Any) -> Route:
        return self.add("POST", pattern, handler, **policy)

    def put(self, pattern: str, handler: Handler, **policy: Any) -> Route:
        return self.add("PUT", pattern, handler, **policy)

    def delete(self, pattern: str, handler: Handler, **policy: Any) -> Route:
        return self.add("DELETE", pattern, handler, **policy)

    def group(self, prefix: str, **defaults: Any) -> RouteGroup:
        """Routes under `prefix` sharing a policy (e.g. the 8.3 API: token auth, 8.3 only)."""
        return RouteGroup(self, prefix.rstrip("/"), defaults)

    def resolve(
        self, method: str, segments: list[str], version: str
    ) -> tuple[Route | None, dict[str, str], bool]:
        """(route, params, path_known): path_known without route means 405."""
        lookup = "GET" if method == "HEAD" else method.upper()
        best: tuple[Route, dict[str, str]] | None = None
        path_known = False
        for route in self.routes:
            if version not in route.versions:
                continue
            params = route.match(segments)
            if params is None:
                continue
            path_known = True
            if route.method != lookup:
                continue
            if best is None or route.specificity > best[0].specificity:
                best = (route, params)
        if best is None:
            return None, {}, path_known
        return best[0], best[1], True


class RouteGroup:
    def __init__(self, router: Router, prefix: str, defaults: dict[str, Any]) -> None:
        self.router, self.prefix, self.defaults = router, prefix, defaults

    def add(self, method: str, pattern: str, handler: Handler, **policy: Any) -> Route:
        merged = {**self.defaults, **policy}
        return self.router.add(method, self.prefix + "/" + pattern.lstrip("/"), handler, **merged)

    def get(self, pattern: str, handler: Handler, **policy: Any) -> Route:
        return self.add("GET", pattern, handler, **policy)

    def post(self, pattern: str, handler: Handler, **policy: Any) -> Route:
        return self.add("POST", pattern, handler, **policy)

    def put(self, pattern: str, handler: Handler, **policy: Any) -> Route:
        return self.add("PUT", pattern, handler, **policy)

    def delete(self, pattern: str, handler: Handler, **policy: Any) -> Route:
        return self.add("DELETE", pattern, handler, **policy)


def route_modules() -> list[ModuleType]:
    """Every module of this package that defines `register(router)`, by name."""
    import igtk_tui.simulator as package

    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if callable(getattr(module, "register", None)):
            found.append(module)
    return found


def build_router(extra: Iterable[ModuleType] = ()) -> Router:
    router = Router()
    for module in [*route_modules(), *extra]:
        module.register(router)
    return router
