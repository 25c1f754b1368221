"""gateway.* config-resource steps: read, create or update, and delete
resources and singletons by type/name and collection (deployment mode), with the
gateway's signature-based optimistic concurrency: an update or delete carries the
signature the resource had when it was read, so a change made meanwhile by someone
else is a conflict (409), never overwritten."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.gateway.errors import NotFound
from igtk_tui.steps.gateway_common import gateway_step
from igtk_tui.steps.registry import Output, Param, step

if TYPE_CHECKING:
    from igtk_tui.gateway.client import GatewayClient

TYPE = Param("resource_type", "string",
             description="MODULE/TYPE, e.g. ignition/database-connection or ignition/system-properties")
NAME = Param("name", "string", description="Resource name (leave out for a singleton type)")
COLLECTION = Param("collection", "string", description="core, local, or a deployment mode's name (that mode's override)")
SIGNATURE = Output("signature", "string", "The resource's signature now (base of the next change)", nullable=True)


def _check_type(resource_type: str) -> None:
    if len([p for p in resource_type.split("/") if p]) != 2:
        raise StepFailure(f"resource_type {resource_type!r} must be MODULE/TYPE, e.g. ignition/database-connection")


@step(
    "gateway.list_resources",
    description="Every resource of one type in a collection.",
    params=[TYPE, COLLECTION],
    outputs=[Output("resources", "list", "The resource records"), Output("names", "list", "Their names"),
             Output("count", "integer", "How many")],
)
@gateway_step
async def list_resources(ctx: StepContext, client: GatewayClient, resource_type: str,
                         collection: str = "core") -> dict[str, Any]:
    _check_type(resource_type)
    records = await client.list_resources(resource_type, collection)
    return {"resources": records, "names": [r.get("name") for r in records], "count": len(records)}


@step(
    "gateway.get_resource",
    description="One resource (or a type's singleton) with its config and current signature.",
    params=[TYPE, NAME, COLLECTION],
    outputs=[Output("resource", "dict", "The resource record"), Output("config", "dict", "Its config", nullable=True),
             SIGNATURE],
)
@gateway_step
async def get_resource(ctx: StepContext, client: GatewayClient, resource_type: str, name: str | None = None,
                       collection: str = "core") -> dict[str, Any]:
    _check_type(resource_type)
    record = await client.get_resource(resource_type, name, collection)
    return {"resource": record, "config": record.get("config"), "signature": record.get("signature")}


@step(
    "gateway.save_resource",
    description="Create a resource, or update it when it exists (with the signature read now, or the "
    "one given, so a concurrent change is refused with a conflict rather than overwritten).",
    params=[
        TYPE, NAME, COLLECTION,
        Param("config", "dict", description="The resource's config object"),
        Param("enabled", "boolean", description="Enable or disable the resource (default: unchanged)"),
        Param("description", "string", description="Resource description (default: unchanged)"),
        Param("signature", "string",
              description="The signature the change is based on (from gateway.get_resource); "
                          "default: the current one"),
    ],
    outputs=[Output("status", "string", "created or updated"), SIGNATURE,
             Output("changes", "list", "The gateway's list of changes")],
)
@gateway_step
async def save_resource(ctx: StepContext, client: GatewayClient, resource_type: str, config: dict[str, Any],
                        name: str | None = None, collection: str = "core", enabled: bool | None = None,
                        description: str | None = None, signature: str | None = None) -> dict[str, Any]:
    _check_type(resource_type)
    try:
        current = await client.get_resource(resource_type, name, collection)
    except NotFound:
        current = None
    record: dict[str, Any] = {"name": name or "", "collection": collection, "config": config}
    if enabled is not None:
        record["enabled"] = enabled
    if description is not None:
        record["description"] = description
    if current is None:
        if signature:
            raise StepFailure(f"{resource_type} {name or '(singleton)'!r} does not exist in collection "
                              f"{collection!r}, but a signature was given: it was deleted meanwhile")
        result = await client.create_resource(resource_type, record)
        status = "created"
    else:
        record["signature"] = signature or current.get("signature")
        result = await client.update_resource(resource_type, record)
        status = "updated"
    changes = result.get("changes") or []
    new_signature = changes[0].get("newSignature") if changes and isinstance(changes[0], dict) else None
    ctx.log(f"{resource_type} {name or '(singleton)'} {status} in {collection}")
    return {"status": status, "signature": new_signature, "changes": changes}


@step(
    "gateway.delete_resource",
    description="Delete a resource (or singleton); refused without confirm: true, and a conflict when "
    "it changed since the given signature.",
    params=[
        TYPE, NAME, COLLECTION,
        Param("signature", "string", description="Signature it must still have (default: the current one)"),
        Param("confirm", "boolean", description="Must be true: the deletion is not undone"),
    ],
    outputs=[Output("status", "string", "deleted"), Output("name", "string", "The resource's name", nullable=True)],
)
@gateway_step
async def delete_resource(ctx: StepContext, client: GatewayClient, resource_type: str, name: str | None = None,
                          collection: str = "core", signature: str | None = None,
                          confirm: bool = False) -> dict[str, Any]:
    _check_type(resource_type)
    if not confirm:
        raise StepFailure(f"deleting {resource_type} {name or '(singleton)'!r} needs confirm: true; nothing "
                          "was deleted")
    if not signature:
        signature = str((await client.get_resource(resource_type, name, collection)).get("signature") or "")
    await client.delete_resource(resource_type, name, signature, collection)
    return {"status": "deleted", "name": name}
