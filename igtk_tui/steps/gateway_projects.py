"""gateway.* project steps over the 8.3 REST API (/data/api/v1/projects: list, find, export,
import, delete)."""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.gateway.errors import NotFound
from igtk_tui.steps.gateway_common import FILE_OUTS, gateway_step, read_input, save_artifact
from igtk_tui.steps.registry import Output, Param, step

if TYPE_CHECKING:
    from igtk_tui.gateway.client import GatewayClient

PROJECT_KEYS = ("name", "title", "enabled", "description", "parent", "inheritable")
PROJECT_NAME = Param("project_name", "string", description="Project name")
NAME_OUT = Output("project_name", "string", "The project's name")


def project_row(p: dict[str, Any]) -> dict[str, Any]:
    """The earlier keys first (name, title, enabled, description, parent, version), then the rest."""
    row = {k: p.get(k) for k in PROJECT_KEYS}
    row["version"] = p.get("version")
    row.update({k: v for k, v in p.items() if k not in row})
    return row


@step(
    "gateway.list_projects",
    description="Every project on the gateway.",
    outputs=[Output("projects", "list", "Each project: name, title, enabled, description, parent, version, ..."),
             Output("count", "integer", "How many")],
)
@gateway_step
async def list_projects(ctx: StepContext, client: GatewayClient) -> dict[str, Any]:
    projects = [project_row(p) for p in await client.list_projects()]
    return {"projects": projects, "count": len(projects)}


@step(
    "gateway.get_project",
    description="One project's settings; fails naming the existing projects when it is missing.",
    params=[PROJECT_NAME],
    outputs=[Output("project", "dict", "name, title, enabled, description, parent, version, ...")],
)
@gateway_step
async def get_project(ctx: StepContext, client: GatewayClient, project_name: str) -> dict[str, Any]:
    async with _named_project(client, project_name):
        project = await client.get_project(project_name)
    return {"project": project_row(project)}


@step(
    "gateway.export_project",
    description="Export a project as a zip into the execution's artifacts.",
    params=[PROJECT_NAME],
    outputs=[*FILE_OUTS, NAME_OUT],
)
@gateway_step
async def export_project(ctx: StepContext, client: GatewayClient, project_name: str) -> dict[str, Any]:
    data = await client.export_project(project_name)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile:
        bad = "(not a zip)"
    if bad is not None:
        raise StepFailure(f"the export of {project_name!r} is not a valid zip archive: {bad}")
    return {**await save_artifact(ctx, data, project_name, ".zip", "project-export"), "project_name": project_name}


@step(
    "gateway.import_project",
    description="Import a project zip (an export) under a name; refuses to overwrite unless told to.",
    params=[
        Param("project_name", "string", description="Name to import the project as"),
        Param("file", "string", description="Project export zip (relative to the playbook)"),
        Param("overwrite", "boolean", description="Replace an existing project of that name"),
    ],
    outputs=[Output("status", "string", "imported"), NAME_OUT,
             Output("changes", "list", "The gateway's list of resource changes")],
)
@gateway_step
async def import_project(ctx: StepContext, client: GatewayClient, project_name: str, file: str,
                         overwrite: bool = False) -> dict[str, Any]:
    path, data = await read_input(ctx, file, "project file")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise StepFailure(f"{path} is not a zip archive (a project export); nothing was sent")
    result = await client.import_project(project_name, data, overwrite=overwrite)
    return {"status": "imported", "project_name": project_name, "changes": result.get("changes", [])}


@step(
    "gateway.delete_project",
    description="Delete a project; refused without confirm: true (export it first to keep a copy).",
    params=[PROJECT_NAME, Param("confirm", "boolean", description="Must be true: the deletion is not undone")],
    outputs=[Output("status", "string", "deleted"), NAME_OUT],
)
@gateway_step
async def delete_project(ctx: StepContext, client: GatewayClient, project_name: str,
                         confirm: bool = False) -> dict[str, Any]:
    if not confirm:
        raise StepFailure(f"deleting project {project_name!r} needs confirm: true; nothing was deleted")
    async with _named_project(client, project_name):
        await client.delete_project(project_name)
    ctx.log(f"project {project_name} deleted from {client.base_url}")
    return {"status": "deleted", "project_name": project_name}


@contextlib.asynccontextmanager
async def _named_project(client: GatewayClient, project_name: str) -> AsyncIterator[None]:
    """A project that is not there fails the step naming the projects that are."""
    try:
        yield
    except NotFound:
        names = await client.project_names()
        raise StepFailure(f"project {project_name!r} not found on {client.base_url} "
                          f"(projects: {', '.join(names) or 'none'})") from None
