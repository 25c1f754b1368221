"""The 8.3 list envelope and its query parameters (sources: docs/simulator.md).

`{"items":[...],"metadata":{"total","matching","limit","offset"}}` with
`limit` (-1 = all), `offset`, `search` (free text over item values),
`sortBy` (`asc(field)` / `desc(field)` / `field`) and `filter`
(`field[op]=value`, ops eq ne cn sw ew gt gte lt lte rgx; repeatable).
"""

from __future__ import annotations

import re
from typing import Any

from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.routes import Request, Response

_FILTER_RE = re.compile(r"^\s*([\w.]+)\s*(?:\[(\w+)\])?\s*=(.*)$")


def _int_arg(req: Request, name: str, default: int) -> int:
    raw = req.arg(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise HttpError(400, f"Query parameter '{name}' must be an integer") from None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _compare(value: Any, op: str, wanted: str) -> bool:
    text = _text(value)
    if op == "eq":
        return text.lower() == wanted.lower()
    if op == "ne":
        return text.lower() != wanted.lower()
    if op == "cn":
        return wanted.lower() in text.lower()
    if op == "sw":
        return text.lower().startswith(wanted.lower())
    if op == "ew":
        return text.lower().endswith(wanted.lower())
    if op == "rgx":
        try:
            return re.search(wanted, text) is not None
        except re.error:
            raise HttpError(400, f"Invalid regular expression in filter: {wanted!r}") from None
    try:
        left, right = float(text), float(wanted)
    except ValueError:
        left, right = text, wanted  # type: ignore[assignment]
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[op]


def _field(item: Any, path: str) -> Any:
    value = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def filter_items(req: Request, items: list[Any]) -> list[Any]:
    search = (req.arg("search") or "").strip().lower()
    if search:

        def hit(item: Any) -> bool:
            values = item.values() if isinstance(item, dict) else [item]
            return any(search in _text(v).lower() for v in values if not isinstance(v, (dict, list)))

        items = [i for i in items if hit(i)]
    for spec in req.query.get("filter", []):
        if not spec.strip():
            continue
        match = _FILTER_RE.match(spec)
        op = (match[2] or "eq").lower() if match else ""
        if not match or op not in ("eq", "ne", "cn", "sw", "ew", "gt", "gte", "lt", "lte", "rgx"):
            raise HttpError(400, f"Invalid filter expression: {spec!r}")
        items = [
            i for i in items if _compare(_field(i, match[1]) if isinstance(i, dict) else i, op, match[3])
        ]
    sort = (req.arg("sortBy") or "").strip()
    if sort:
        match = re.match(r"^(asc|desc)\((.+)\)$", sort, re.I)
        field, reverse = (match[2], match[1].lower() == "desc") if match else (sort, False)
        items = sorted(
            items,
            key=lambda i: _text(_field(i, field) if isinstance(i, dict) else i).lower(),
            reverse=reverse,
        )
    return items


def paginate(req: Request, items: list[Any]) -> tuple[list[Any], dict[str, int]]:
    total = len(items)
    matching = filter_items(req, items)
    limit = _int_arg(req, "limit", -1)
    offset = max(0, _int_arg(req, "offset", 0))
    page = matching[offset:] if limit < 0 else matching[offset : offset + limit]
    return page, {"total": total, "matching": len(matching), "limit": limit, "offset": offset}


def envelope(req: Request, items: list[Any]) -> Response:
    page, metadata = paginate(req, items)
    return Response.json({"items": page, "metadata": metadata})


def result(changes: list[dict[str, Any]], status: int = 200, problem: str | None = None) -> Response:
    """The `{"success","changes","problem"}` envelope of mutating project/resource calls."""
    body = {
        "success": problem is None,
        "changes": changes if problem is None else [],
        "problem": None if problem is None else {"message": problem, "stacktrace": None},
    }
    return Response.json(body, status)
