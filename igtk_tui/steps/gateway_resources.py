"""gateway.* config-resource steps (issue 17 item 12): read, create or update, and delete
resources and singletons by type/name and collection (deployment mode), with the
gateway's signature-based optimistic concurrency: an update or delete carries the
signature the resource had when it was read, so a change made meanwhile by someone
else is a conflict (409), never overwritten."""

from __future__ import annotations

from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.gateway.errors import NotFound
from igtk_tui.steps.gateway_common import client_for, connection_params, gateway_step, split_connection
from igtk_tui.steps.registry import Param, step

TYPE = Param("resource_type", "string", required=True,
             description="MODULE/TYPE, e.g. ignition/database-connection or ignition/system-properties")
NAME = Param("name", "string", description="Resource name (leave out for a singleton type)")
COLLECTION = Param("collection", "string", default="core",
                   description="core, local, or a deployment mode's name (that mode's override)")


def _check_type(resource_type: str) -> None:
    if len([p for p in resource_type.split("/") if p]) != 2:
        raise StepFailure(f"resource_type {resource_type!r} must be MODULE/TYPE, e.g. ignition/database-connection")


@step(
    "gateway.list_resources",
    description="Every resource of one type in a collection.",
    params=connection_params(TYPE, COLLECTION),
    outputs=["resources", "names", "count"],
)
@gateway_step
async def list_resources(ctx: StepContext, resource_type: str, collection: str = "core",
                         **params: Any) -> dict[str, Any]:
    _check_type(resource_type)
    conn, _ = split_connection(params)
    records = await (await client_for(ctx, conn)).list_resources(resource_type, collection)
    return {"resources": records, "names": [r.get("name") for r in records], "count": len(records)}


@step(
    "gateway.get_resource",
    description="One resource (or a type's singleton) with its config and current signature.",
    params=connection_params(TYPE, NAME, COLLECTION),
    outputs=["resource", "config", "signature"],
)
@gateway_step
async def get_resource(ctx: StepContext, resource_type: str, name: str | None = None, collection: str = "core",
                       **params: Any) -> dict[str, Any]:
    _check_type(resource_type)
    conn, _ = split_connection(params)
    record = await (await client_for(ctx, conn)).get_resource(resource_type, name, collection)
    return {"resource": record, "config": record.get("config"), "signature": record.get("signature")}


@step(
    "gateway.save_resource",
    description="Create a resource, or update it when it exists (with the signature read now, or the "
    "one given, so a concurrent change is refused with a conflict rather than overwritten).",
    params=connection_params(
        TYPE, NAME, COLLECTION,
        Param("config", "dict", required=True, description="The resource's config object"),
        Param("enabled", "boolean", description="Enable or disable the resource (default: unchanged)"),
        Param("description", "string", description="Resource description (default: unchanged)"),
        Param("signature", "string",
              description="The signature the change is based on (from gateway.get_resource); "
                          "default: the current one"),
    ),
    outputs=["status", "signature", "changes"],
)
@gateway_step
async def save_resource(ctx: StepContext, resource_type: str, config: dict[str, Any], name: str | None = None,
                        collection: str = "core", enabled: bool | None = None, description: str | None = None,
                        signature: str | None = None, **params: Any) -> dict[str, Any]:
    _check_type(resource_type)
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
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
    params=connection_params(
        TYPE, NAME, COLLECTION,
        Param("signature", "string", description="Signature it must still have (default: the current one)"),
        Param("confirm", "boolean", default=False, description="Must be true: the deletion is not undone"),
    ),
    outputs=["status", "name"],
)
@gateway_step
async def delete_resource(ctx: StepContext, resource_type: str, name: str | None = None,
                          collection: str = "core", signature: str | None = None, confirm: bool = False,
                          **params: Any) -> dict[str, Any]:
    _check_type(resource_type)
    if not confirm:
        raise StepFailure(f"deleting {resource_type} {name or '(singleton)'!r} needs confirm: true; nothing "
                          "was deleted")
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    if not signature:
        signature = str((await client.get_resource(resource_type, name, collection)).get("signature") or "")
    await client.delete_resource(resource_type, name, signature, collection)
    return {"status": "deleted", "name": name}
