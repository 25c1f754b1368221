"""8.3 REST tag configuration export/import (sources: docs/simulator.md).

`GET /tags/export?provider=&type=json&path=&recursive=` answers an
octet-stream JSON tag document; `POST /tags/import?provider=&type=json&
collisionPolicy=&path=` takes one and answers a JSON array of the non-Good
quality codes (empty = success) [UNVERIFIED: a fixture shows a counts object
instead]. Only the JSON form is simulated (`type=xml|csv` answers 400).
Collision policies: Abort (nothing imported, an Error per collision),
Overwrite / MergeOverwrite (replace), Ignore (keep), Rename (`name_1`).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router

POLICIES = ("Abort", "Overwrite", "Rename", "Ignore", "MergeOverwrite")


def _provider(req: Request) -> list[dict[str, Any]]:
    name = req.arg("provider") or "default"
    if name not in req.state.tags:
        raise HttpError(400, f"Tag provider '{name}' does not exist")
    return req.state.tags[name]


def _json_only(req: Request) -> None:
    kind = (req.arg("type") or "json").lower()
    if kind != "json":
        raise HttpError(400, f"Export type '{kind}' is not served by the simulator (json only)")


def _folder(tags: list[dict[str, Any]], path: str, create: bool = False) -> list[dict[str, Any]]:
    """The child list of the folder at `path` ("" = the provider root)."""
    current = tags
    for part in [p for p in path.strip("/").split("/") if p]:
        node = next((t for t in current if t.get("name") == part), None)
        if node is None and create:
            node = {"name": part, "tagType": "Folder", "tags": []}
            current.append(node)
        if node is None or node.get("tagType") != "Folder":
            raise HttpError(400, f"No tag folder at path '{path}'")
        current = node.setdefault("tags", [])
    return current


def _export(req: Request) -> Response:
    _json_only(req)
    tags = copy.deepcopy(_folder(_provider(req), req.arg("path") or ""))
    if req.arg("recursive") == "false":
        for tag in tags:
            if tag.get("tagType") == "Folder":
                tag["tags"] = []
    document = {"name": req.arg("path") or "", "tagType": "Provider" if not req.arg("path") else "Folder",
                "tags": tags}
    return Response.download(json.dumps(document, indent=2).encode(), "tags.json")


def _import(req: Request) -> Response:
    _json_only(req)
    policy = req.arg("collisionPolicy") or "Abort"
    if policy not in POLICIES:
        raise HttpError(400, f"Invalid collisionPolicy '{policy}': use one of {', '.join(POLICIES)}")
    try:
        document = json.loads(req.body)
    except ValueError as exc:
        raise HttpError(400, f"The tag file is not valid JSON: {exc}") from None
    incoming = document.get("tags") if isinstance(document, dict) and "tags" in document else document
    if isinstance(incoming, dict):
        incoming = [incoming]
    if not isinstance(incoming, list) or not all(isinstance(t, dict) and t.get("name") for t in incoming):
        raise HttpError(400, "The tag file holds no tags (expected {\"tags\": [...]})")
    target = _folder(_provider(req), req.arg("path") or "", create=True)
    existing = {t["name"]: i for i, t in enumerate(target)}
    collisions = [t["name"] for t in incoming if t["name"] in existing]
    if policy == "Abort" and collisions:
        return Response.json([{"level": "Error", "userCode": 0,
                               "diagnosticMessage": f"Tag '{name}' already exists"} for name in collisions])
    for tag in copy.deepcopy(incoming):
        name = tag["name"]
        if name not in existing:
            target.append(tag)
        elif policy in ("Overwrite", "MergeOverwrite"):
            target[existing[name]] = tag
        elif policy == "Rename":
            n = 1
            while f"{name}_{n}" in existing:
                n += 1
            tag["name"] = f"{name}_{n}"
            target.append(tag)
    return Response.json([])


def register(router: Router) -> None:
    api = router.group("/data/api/v1/tags", auth="token", versions=ONLY_83)
    api.get("/export", _export)
    api.post("/import", _import)
