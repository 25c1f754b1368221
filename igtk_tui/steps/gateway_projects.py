"""gateway.* project steps over the 8.3 REST API (ignition-gateway.md §2.6)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.gateway.errors import NotFound
from igtk_tui.steps.gateway_common import client_for, connection_params, gateway_step, split_connection
from igtk_tui.steps.registry import Param, step

PROJECT_KEYS = ("name", "title", "enabled", "description", "parent", "inheritable")


def project_row(p: dict[str, Any]) -> dict[str, Any]:
    """The earlier keys first (name, title, enabled, description, parent, version), then the rest."""
    row = {k: p.get(k) for k in PROJECT_KEYS}
    row["version"] = p.get("version")
    row.update({k: v for k, v in p.items() if k not in row})
    return row


@step(
    "gateway.list_projects",
    description="Every project on the gateway.",
    params=connection_params(),
    outputs=["projects", "count"],
)
@gateway_step
async def list_projects(ctx: StepContext, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    projects = [project_row(p) for p in await client.list_projects()]
    return {"projects": projects, "count": len(projects)}


@step(
    "gateway.get_project",
    description="One project's settings; fails naming the existing projects when it is missing.",
    params=connection_params(Param("project_name", "string", required=True, description="Project name")),
    outputs=["project"],
)
@gateway_step
async def get_project(ctx: StepContext, project_name: str, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    try:
        project = await client.get_project(project_name)
    except NotFound:
        names = await client.project_names()
        raise StepFailure(f"project {project_name!r} not found on {client.base_url} "
                          f"(projects: {', '.join(names) or 'none'})") from None
    return {"project": project_row(project)}


@step(
    "gateway.export_project",
    description="Export a project as a zip into the execution's artifacts.",
    params=connection_params(Param("project_name", "string", required=True, description="Project name")),
    outputs=["path", "size", "sha256", "project_name"],
)
@gateway_step
async def export_project(ctx: StepContext, project_name: str, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    data = await client.export_project(project_name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile:
        bad = "(not a zip)"
    if bad is not None:
        raise StepFailure(f"the export of {project_name!r} is not a valid zip archive: {bad}")
    path = ctx.artifact_path(project_name, ".zip")
    await asyncio.to_thread(path.write_bytes, data)
    ctx.add_artifact(path, "project-export")
    return {"path": str(path), "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "project_name": project_name}


@step(
    "gateway.import_project",
    description="Import a project zip (an export) under a name; refuses to overwrite unless told to.",
    params=connection_params(
        Param("project_name", "string", required=True, description="Name to import the project as"),
        Param("file", "string", required=True, description="Project export zip (relative to the playbook)"),
        Param("overwrite", "boolean", default=False, description="Replace an existing project of that name"),
    ),
    outputs=["status", "project_name", "changes"],
)
@gateway_step
async def import_project(ctx: StepContext, project_name: str, file: str, overwrite: bool = False,
                         **params: Any) -> dict[str, Any]:
    path = ctx.resolve_path(file)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise StepFailure(f"cannot read project file {path}: {exc.strerror or exc}") from None
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise StepFailure(f"{path} is not a zip archive (a project export); nothing was sent")
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    result = await client.import_project(project_name, data, overwrite=overwrite)
    return {"status": "imported", "project_name": project_name, "changes": result.get("changes", [])}


@step(
    "gateway.delete_project",
    description="Delete a project; refused without confirm: true (export it first to keep a copy).",
    params=connection_params(
        Param("project_name", "string", required=True, description="Project name"),
        Param("confirm", "boolean", default=False, description="Must be true: the deletion is not undone"),
    ),
    outputs=["status", "project_name"],
)
@gateway_step
async def delete_project(ctx: StepContext, project_name: str, confirm: bool = False,
                         **params: Any) -> dict[str, Any]:
    if not confirm:
        raise StepFailure(f"deleting project {project_name!r} needs confirm: true; nothing was deleted")
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    try:
        await client.delete_project(project_name)
    except NotFound:
        names = await client.project_names()
        raise StepFailure(f"project {project_name!r} not found on {client.base_url} "
                          f"(projects: {', '.join(names) or 'none'})") from None
    ctx.log(f"project {project_name} deleted from {client.base_url}")
    return {"status": "deleted", "project_name": project_name}
