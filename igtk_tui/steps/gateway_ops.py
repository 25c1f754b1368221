"""gateway.* steps for scans, logs, tags and the gateway network over the 8.3 REST API
(igtk_tui/gateway/admin.py)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.steps.gateway_common import FILE_OUTS, gateway_step, read_input, save_artifact, wait_params
from igtk_tui.steps.registry import Output, Param, step

if TYPE_CHECKING:
    from igtk_tui.gateway.client import GatewayClient

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
COLLISION_POLICIES = ("Abort", "Overwrite", "Rename", "Ignore", "MergeOverwrite")
PROVIDER = Param("provider", "string", description="Tag provider")


@step(
    "gateway.scan",
    description="Ask the gateway to scan projects and/or config from disk (after a file or git deploy) "
    "and wait until each scan has finished (8.1: projects only, with the Project Scan Endpoint module).",
    params=[
        Param("scan", "string", choices=("projects", "config", "both"), description="What to scan"),
        Param("wait", "boolean", description="Wait until each scan has finished"),
        *wait_params(),
    ],
    outputs=[Output("status", "string", "scanned, or requested (without wait, and always on 8.1)"),
             Output("scans", "dict", "Each scan's status by kind (projects, config)"),
             Output("waited_seconds", "number", "How long the wait took")],
)
@gateway_step
async def scan(ctx: StepContext, client: GatewayClient, scan: str = "both", wait: bool = True,
               timeout: float = 120.0, poll_interval: float = 1.0) -> dict[str, Any]:
    from igtk_tui.gateway.admin import SCAN_KINDS  # here: the step registry loads without httpx

    started = time.monotonic()
    version = await client.ensure_version()
    if not version.has_rest_api:
        return await _scan_81(ctx, client, scan, started)
    kinds = SCAN_KINDS if scan == "both" else (scan,)
    before = {kind: (await client.scan_status(kind)).get("lastScanTimestamp") for kind in kinds}
    for kind in kinds:
        await client.request_scan(kind)
        ctx.log(f"{kind} scan requested on {client.base_url}")
    results: dict[str, Any] = {}
    for kind in kinds:
        if not wait:
            results[kind] = await client.scan_status(kind)
            continue

        async def finished(kind: str = kind) -> dict[str, Any] | None:
            status = await client.scan_status(kind, retry=False)
            done = not status.get("scanActive") and status.get("lastScanTimestamp") != before[kind]
            return status if done else None

        results[kind] = await ctx.poll(finished, timeout=timeout, interval=poll_interval,
                                       what=f"the {kind} scan on {client.base_url} to finish")
        ctx.log(f"{kind} scan finished ({results[kind].get('lastScanDuration')} ms)")
    return {"status": "scanned" if wait else "requested", "scans": results,
            "waited_seconds": round(time.monotonic() - started, 3)}


async def _scan_81(ctx: StepContext, client: GatewayClient, scan: str, started: float) -> dict[str, Any]:
    """8.1: projects only, through the Project Scan Endpoint module; it has no status to wait on."""
    if scan == "config":
        raise StepFailure("Ignition 8.1 keeps its configuration in the internal database: there is no config "
                          "scan (scan: projects, or restart the gateway)")
    await client.scan_projects_81()
    ctx.log(f"project scan requested on {client.base_url} (8.1 Project Scan Endpoint module; "
            "8.1 has no config scan and no scan status to wait on)")
    return {"status": "requested", "scans": {"projects": {"module": "project-scan-endpoint"}},
            "waited_seconds": round(time.monotonic() - started, 3)}


@step(
    "gateway.list_loggers",
    description="The gateway's loggers and their current levels.",
    outputs=[Output("loggers", "list", "Each logger: name, level"), Output("count", "integer", "How many")],
)
@gateway_step
async def list_loggers(ctx: StepContext, client: GatewayClient) -> dict[str, Any]:
    loggers = await client.list_loggers()
    return {"loggers": loggers, "count": len(loggers)}


@step(
    "gateway.set_logger_level",
    description="Set a logger's level; with restore_after, keep it for that long and then put the "
    "previous level back (also when the step is cancelled or times out: give the step a timeout "
    "above restore_after).",
    params=[
        Param("logger", "string", description="Logger name, e.g. gateway.Router"),
        Param("level", "string", choices=LEVELS, description="The level to set"),
        Param("restore_after", "number", unit="s", min=0, max=7 * 24 * 3600,
              description="Hold the level this long, then restore the previous one"),
    ],
    outputs=[Output("logger", "string", "The logger"), Output("level", "string", "The level set"),
             Output("previous_level", "string", "Its level before (None for a new logger)", nullable=True),
             Output("restored", "boolean", "Whether the previous level was put back")],
)
@gateway_step
async def set_logger_level(ctx: StepContext, client: GatewayClient, logger: str, level: str,
                           restore_after: float | None = None) -> dict[str, Any]:
    known = {lg.get("name"): lg.get("level") for lg in await client.list_loggers()}
    previous = known.get(logger)
    await client.set_logger_level(logger, level)
    ctx.log(f"logger {logger}: {previous or '(new)'} -> {level}")
    restored = False
    if restore_after is not None:
        try:
            await ctx.sleep(restore_after)
        finally:
            if previous:
                await asyncio.shield(client.set_logger_level(logger, previous))
                restored = True
                ctx.log(f"logger {logger} back to {previous}")
    return {"logger": logger, "level": level, "previous_level": previous, "restored": restored}


@step(
    "gateway.download_logs",
    description="Download the gateway's log database (SQLite .idb) into the execution's artifacts.",
    outputs=[*FILE_OUTS, Output("filename", "string", "The name the gateway gave the file")],
)
@gateway_step
async def download_logs(ctx: StepContext, client: GatewayClient) -> dict[str, Any]:
    got = await client.download_logs(lambda suggested: ctx.artifact_path(Path(suggested).stem, ".idb"))
    ctx.add_artifact(got.path, "gateway-logs")
    return {"path": str(got.path), "size": got.size, "sha256": got.sha256, "filename": got.filename}


def _count_tags(tags: Any) -> int:
    if not isinstance(tags, list):
        return 0
    return sum(1 + _count_tags(t.get("tags")) for t in tags if isinstance(t, dict))


@step(
    "gateway.export_tags",
    description="Export a tag provider's configuration (JSON) into the execution's artifacts, e.g. "
    "as a backup before an upgrade.",
    params=[
        PROVIDER,
        Param("path", "string", description="Folder inside the provider (default: all)"),
        Param("recursive", "boolean", description="Include sub-folders"),
    ],
    outputs=[*FILE_OUTS, Output("provider", "string", "The tag provider"),
             Output("tag_count", "integer", "Tags and folders exported")],
)
@gateway_step
async def export_tags(ctx: StepContext, client: GatewayClient, provider: str = "default", path: str = "",
                      recursive: bool = True) -> dict[str, Any]:
    data = await client.export_tags(provider, path, recursive=recursive)
    try:
        document = json.loads(data)
    except ValueError:
        raise StepFailure(f"the tag export of provider {provider!r} is not JSON; nothing was saved") from None
    count = _count_tags(document.get("tags") if isinstance(document, dict) else document)
    return {**await save_artifact(ctx, data, f"tags-{provider}", ".json", "tag-export"), "provider": provider,
            "tag_count": count}


@step(
    "gateway.import_tags",
    description="Import a tag export (JSON) into a provider; fails listing the gateway's errors unless "
    "every tag was imported.",
    params=[
        Param("file", "string", description="Tag export JSON (relative to the playbook)"),
        PROVIDER,
        Param("path", "string", description="Folder to import into (default: the root)"),
        Param("collision_policy", "string", choices=COLLISION_POLICIES,
              description="What to do with tags that already exist"),
    ],
    outputs=[Output("status", "string", "imported"), Output("provider", "string", "The tag provider"),
             Output("problems", "list", "Always empty: any problem fails the step")],
)
@gateway_step
async def import_tags(ctx: StepContext, client: GatewayClient, file: str, provider: str = "default",
                      path: str = "", collision_policy: str = "Abort") -> dict[str, Any]:
    source, data = await read_input(ctx, file, "tag file")
    try:
        json.loads(data)
    except ValueError:
        raise StepFailure(f"{source} is not a JSON tag export; nothing was sent") from None
    problems = await client.import_tags(provider, data, path=path, collision_policy=collision_policy)
    if problems:
        listed = "; ".join(str(p.get("diagnosticMessage") or p) for p in problems[:5])
        raise StepFailure(f"importing {source.name} into provider {provider!r}: {len(problems)} problem(s): "
                          f"{listed} (collision_policy {collision_policy})")
    return {"status": "imported", "provider": provider, "problems": []}


# [UNVERIFIED] the status word of an incoming connection waiting for approval (the simulator's).
PENDING_WORDS = ("pendingapproval", "pending approval", "pending", "unapproved")


@step(
    "gateway.list_network_gateways",
    description="Gateways on this gateway's network and its connections; `pending` lists the remote "
    "ids of incoming connections waiting for approval.",
    outputs=[Output("gateways", "list", "The gateways on the network"),
             Output("connections", "list", "This gateway's connections"),
             Output("count", "integer", "How many gateways"),
             Output("pending", "list", "Remote ids of incoming connections waiting for approval")],
)
@gateway_step
async def list_network_gateways(ctx: StepContext, client: GatewayClient) -> dict[str, Any]:
    gateways = await client.network_gateways()
    connections = await client.network_connections()
    pending = [c.get("remoteId") or c.get("remoteGateway") for c in connections
               if str(c.get("direction")).lower() == "incoming"
               and str(c.get("status", "")).lower() in PENDING_WORDS]
    return {"gateways": gateways, "connections": connections, "count": len(gateways), "pending": pending}


@step(
    "gateway.approve_connection",
    description="Approve (or revoke) an incoming gateway network connection.",
    params=[
        Param("remote_id", "string",
              description="The remote gateway's full id, e.g. name|uuid (gateway.list_network_gateways pending)"),
        Param("approve", "boolean", description="false revokes the approval"),
    ],
    outputs=[Output("status", "string", "approved or revoked"), Output("remote_id", "string", "The connection")],
)
@gateway_step
async def approve_connection(ctx: StepContext, client: GatewayClient, remote_id: str,
                             approve: bool = True) -> dict[str, Any]:
    await client.approve_connection(remote_id, approve)
    return {"status": "approved" if approve else "revoked", "remote_id": remote_id}
