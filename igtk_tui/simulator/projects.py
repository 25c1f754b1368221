"""Project data <-> JSON shapes and zips, shared by the projects API and backups.

A project export has the layout of `data/projects/<name>/`: `project.json`
at the zip root plus resource folders [UNVERIFIED: exact zip root; an
import also accepts a single top-level folder].
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from igtk_tui.gateway.gwbk import BackupProject
from igtk_tui.simulator.errors import Unprocessable
from igtk_tui.simulator.state import GatewayState, Project

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
_FIELDS = {  # JSON property -> Project attribute
    "title": "title",
    "description": "description",
    "enabled": "enabled",
    "parent": "parent",
    "inheritable": "inheritable",
    "defaultDb": "default_db",
    "tagProvider": "tag_provider",
    "userSource": "user_source",
    "identityProvider": "identity_provider",
}
_BOOLS = {"enabled", "inheritable"}


def project_item(state: GatewayState, project: Project) -> dict[str, Any]:
    return {
        "name": project.name,
        "description": project.description,
        "title": project.title,
        "enabled": project.enabled,
        "parent": project.parent,
        "inheritable": project.inheritable,
        "invalidParent": bool(project.parent) and project.parent not in state.projects,
        "mutable": True,
        "defaultDb": project.default_db,
        "tagProvider": project.tag_provider,
        "userSource": project.user_source,
        "identityProvider": project.identity_provider,
    }


def apply_fields(project: Project, data: dict[str, Any]) -> None:
    """Copy known properties from a request body; blank values keep the current ones."""
    for key, attr in _FIELDS.items():
        if key not in data or data[key] is None or data[key] == "":
            continue
        value = data[key]
        if key in _BOOLS:
            if isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            if not isinstance(value, bool):
                raise Unprocessable(
                    f"Property '{key}' must be a boolean",
                    field_messages=[{"field": key, "messages": ["must be a boolean"]}],
                )
        elif not isinstance(value, str):
            raise Unprocessable(
                f"Property '{key}' must be a string",
                field_messages=[{"field": key, "messages": ["must be a string"]}],
            )
        setattr(project, attr, value)


def project_json(project: Project) -> dict[str, Any]:
    return {
        "title": project.title,
        "description": project.description,
        "parent": project.parent,
        "enabled": project.enabled,
        "inheritable": project.inheritable,
    }


def from_project_json(name: str, config: dict[str, Any], resources: dict[str, bytes]) -> Project:
    project = Project(name, resources=dict(resources))
    project.title = str(config.get("title") or "")
    project.description = str(config.get("description") or "")
    project.parent = config.get("parent") or None
    project.enabled = bool(config.get("enabled", True))
    project.inheritable = bool(config.get("inheritable", False))
    return project


def export_zip(project: Project) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.json", json.dumps(project_json(project), indent=2))
        for path, content in sorted(project.resources.items()):
            archive.writestr(path, content)
    return out.getvalue()


def read_project_zip(name: str, data: bytes) -> Project:
    """ValueError with a plain reason when the zip is not a project export."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError("the body is not a zip archive") from None
    with archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        prefix = ""
        if "project.json" not in names:
            roots = {n.split("/", 1)[0] for n in names}
            if len(roots) == 1 and f"{next(iter(roots))}/project.json" in names:
                prefix = next(iter(roots)) + "/"
            else:
                raise ValueError("project.json is missing from the archive")
        try:
            config = json.loads(archive.read(prefix + "project.json"))
        except ValueError:
            raise ValueError("project.json is not valid JSON") from None
        resources = {
            n[len(prefix) :]: archive.read(n)
            for n in names
            if n.startswith(prefix) and n != prefix + "project.json"
        }
    return from_project_json(name, config if isinstance(config, dict) else {}, resources)


def backup_projects(state: GatewayState) -> list[BackupProject]:
    return [BackupProject(p.name, project_json(p), dict(p.resources)) for p in state.projects.values()]
