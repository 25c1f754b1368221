"""gateway.* module steps: list, upload (+certificate/licence/install), wait, uninstall.

The 8.3 flow: upload the raw .modl bytes -> the module waits in quarantine -> accept its
certificate -> accept its EULA -> install -> it stays pending until a restart -> ACTIVE (or
FAULTED with a faultCause). 8.1 loads a module at once, without a restart.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.gateway.errors import AcceptanceRequired, GatewayStarting, GatewayUnreachable
from igtk_tui.gateway.modl import read_module_info
from igtk_tui.gateway.version import version_numbers
from igtk_tui.steps.gateway_common import DEFAULT_WAIT, gateway_step, read_input, wait_params
from igtk_tui.steps.registry import Output, Param, step

if TYPE_CHECKING:
    from igtk_tui.gateway.client import GatewayClient

RUNNING_STATES = frozenset({"ACTIVE", "RUNNING"})


class ModuleFaulted(StepFailure):
    """The module came up FAULTED: waiting longer cannot help."""


def module_row(m: dict[str, Any], *, quarantined: bool = False) -> dict[str, Any]:
    """One module in the output shape (the earlier keys name/version/state/description first)."""
    return {
        "name": m.get("name"),
        "id": m.get("id"),
        "version": m.get("version"),
        "state": "QUARANTINED" if quarantined else m.get("state"),
        "description": m.get("description", ""),
        "license_state": m.get("licenseState"),
        "fault_cause": m.get("faultCause"),
        "on_startup": m.get("onStartup"),
        "quarantined": quarantined,
    }


@step(
    "gateway.list_modules",
    description="Installed modules with id, version and state (ACTIVE, INACTIVE, FAULTED...).",
    params=[Param("include_quarantined", "boolean",
                  description="Also list uploaded modules waiting for certificate/licence acceptance")],
    outputs=[Output("modules", "list", "name, id, version, state, description, license_state, fault_cause, "
                    "on_startup, quarantined of each module"), Output("count", "integer", "How many")],
)
@gateway_step
async def list_modules(ctx: StepContext, client: GatewayClient, include_quarantined: bool = False) -> dict[str, Any]:
    modules = [module_row(m) for m in await client.list_modules()]
    if include_quarantined and client.has_rest_api:
        modules += [module_row(m, quarantined=True) for m in await client.list_quarantined()]
    return {"modules": modules, "count": len(modules)}


@step(
    "gateway.upload_module",
    description="Upload a .modl and install it, trusting its certificate and accepting its licence only "
    "when told to; on 8.3 the module runs after the next restart.",
    params=[
        Param("file", "string", description="The .modl file (relative to the playbook's folder)"),
        Param("accept_certificate", "boolean",
              description="Trust the module's signing certificate if the gateway does not yet"),
        Param("accept_license", "boolean", description="Accept the module's licence (EULA)"),
    ],
    outputs=[Output("module_id", "string", "The module's id"), Output("name", "string", "The module's name"),
             Output("version", "string", "The module's version (module.xml)"),
             Output("status", "string", "pending_restart (8.3) or installed"),
             Output("certificate_accepted", "boolean", "Whether its certificate was accepted now"),
             Output("license_accepted", "boolean", "Whether its licence was accepted now"),
             Output("certificate", "dict", "subject, issuer, self_signed, serial of its signing certificate",
                    nullable=True),
             Output("restart_required", "boolean", "Whether it runs only after a restart"),
             Output("pending_restart_tasks", "list", "The gateway's pending restart tasks"),
             Output("file", "string", "The file uploaded")],
)
@gateway_step
async def upload_module(ctx: StepContext, client: GatewayClient, file: str, accept_certificate: bool = False,
                        accept_license: bool = False) -> dict[str, Any]:
    path, data = await read_input(ctx, file, "module file")
    try:
        info = read_module_info(data)
    except ValueError as exc:
        raise StepFailure(f"{path} is not a usable module file: {exc}") from None
    ctx.log(f"uploading {path.name}: {info.name} {info.version} ({info.id})")
    try:
        result = await client.install_module_file(data, path.name, accept_certificate=accept_certificate,
                                                  accept_license=accept_license)
    except AcceptanceRequired as exc:
        raise StepFailure(str(exc)) from None
    cert = result.get("certificate")
    return {
        "module_id": result.get("module_id") or info.id,
        "name": info.name,
        "version": info.version,
        "status": "pending_restart" if result["restart_required"] else "installed",
        "certificate_accepted": result["certificate_accepted"],
        "license_accepted": result["license_accepted"],
        "certificate": {"subject": cert.get("subjectName"), "issuer": cert.get("issuerName"),
                        "self_signed": cert.get("selfSigned"), "serial": cert.get("serialNumber")} if cert else None,
        "restart_required": result["restart_required"],
        "pending_restart_tasks": result.get("pending", []),
        "file": str(path),
    }


def versions_match(expected: str, actual: str) -> bool:
    """`1.2.3.2026010112` vs `1.2.3 (b2026010112)`, or `1.2.3` vs `1.2.3 (b...)`: a module.xml
    version against the gateway's form of it.

    [UNVERIFIED] how a real gateway renders a third-party module.xml version; compare the numbers.
    """
    want = version_numbers(expected or "", build=True)
    have = version_numbers(actual or "", build=True)
    if not want:
        return True
    return want == have or (len(want) >= 3 and have[: len(want)] == want) or \
        (len(have) >= 3 and want[: len(have)] == have)


def find_module(modules: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    """By id, else by name (case-insensitive)."""
    for m in modules:
        if m.get("id") == key:
            return m
    lowered = key.strip().lower()
    for m in modules:
        if str(m.get("name", "")).lower() == lowered:
            return m
    return None


@step(
    "gateway.wait_for_module_installation",
    description="Wait until a module is ACTIVE (running), optionally at a given version; fails at once "
    "if it comes up FAULTED.",
    params=[
        Param("module_name", "string", description="Module name or id (the earlier toolkit's parameter)"),
        Param("module_id", "string", description="Module id, e.g. com.example.mymodule"),
        Param("version", "string", description="Also require this version (module.xml or gateway form)"),
        *wait_params(),
    ],
    outputs=[Output("status", "string", "installed"), Output("module_name", "string", "The module's name"),
             Output("module_id", "string", "The module's id"), Output("version", "string", "Its version"),
             Output("state", "string", "Its state (ACTIVE or RUNNING)"),
             Output("waited_seconds", "number", "How long the wait took")],
)
@gateway_step
async def wait_for_module_installation(ctx: StepContext, client: GatewayClient, module_name: str | None = None,
                                       module_id: str | None = None, version: str | None = None,
                                       timeout: float = DEFAULT_WAIT, poll_interval: float = 1.0) -> dict[str, Any]:
    key = module_id or module_name
    if not key:
        raise StepFailure("give module_id or module_name")
    last = ["not checked yet"]
    started = asyncio.get_running_loop().time()

    async def probe() -> dict[str, Any] | None:
        try:
            modules = await client.list_modules(retry=False)  # ctx.poll is the retry
        except (GatewayStarting, GatewayUnreachable) as exc:
            last[0] = f"gateway not answering ({str(exc).split(': ')[-1][:120]})"
            return None
        found = find_module(modules, key)
        if found is None:
            last[0] = "module not listed"
            return None
        state = str(found.get("state", "")).upper()
        if state == "FAULTED":
            cause = found.get("faultCause") or found.get("exception") or "no cause given"
            raise ModuleFaulted(f"module {found.get('name') or key} ({found.get('id')}) is FAULTED: {cause}")
        if state in RUNNING_STATES and (not version or versions_match(version, str(found.get("version")))):
            return found
        last[0] = f"state {state}, version {found.get('version')}"
        return None

    try:
        found = await ctx.poll(probe, timeout=timeout, interval=poll_interval, what=f"module {key}",
                               state=lambda: last[0])
    except ModuleFaulted:
        raise
    except StepFailure:
        want = f" at version {version}" if version else ""
        raise StepFailure(f"module {key} was not running{want} within {timeout:g} s (last seen: {last[0]}); "
                          "on 8.3 an installed module starts only after gateway.restart") from None
    return {"status": "installed", "module_name": found.get("name"), "module_id": found.get("id"),
            "version": found.get("version"), "state": found.get("state"),
            "waited_seconds": round(asyncio.get_running_loop().time() - started, 3)}


@step(
    "gateway.uninstall_module",
    description="Uninstall a module (on 8.3 it is removed at the next restart).",
    params=[
        Param("module_id", "string", description="Module id"),
        Param("module_name", "string", description="Module name (looked up when no id is given)"),
    ],
    outputs=[Output("status", "string", "pending_restart (8.3) or uninstalled"),
             Output("module_id", "string", "The module's id"),
             Output("restart_required", "boolean", "Whether it goes only at the next restart"),
             Output("message", "string", "The gateway's answer")],
)
@gateway_step
async def uninstall_module(ctx: StepContext, client: GatewayClient, module_id: str | None = None,
                           module_name: str | None = None) -> dict[str, Any]:
    if not (module_id or module_name):
        raise StepFailure("give module_id or module_name")
    if not module_id:
        modules = await client.list_modules()
        found = find_module(modules, module_name or "")
        if found is None:
            names = ", ".join(sorted(str(m.get("name")) for m in modules))
            raise StepFailure(f"no installed module named {module_name!r} (installed: {names})")
        module_id = str(found["id"])
    result = await client.uninstall_module(module_id)
    pending = client.has_rest_api
    return {"status": "pending_restart" if pending else "uninstalled", "module_id": module_id,
            "restart_required": pending, "message": result.get("message", "")}
