"""gateway.* steps: session, health, restart and readiness, trial.

Step names, parameters and output keys follow the earlier toolkit
(prior-art-features.md §2.1) where it had them; the HTTP calls are the real
8.3 REST API / 8.1 web routes (igtk_tui/gateway/client.py). Module, project
and backup steps live in gateway_modules.py, gateway_projects.py and
gateway_backup.py, imported at the bottom so one import registers them all.
"""

from __future__ import annotations

from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.gateway.errors import GatewayError, TransferFailed
from igtk_tui.steps.gateway_common import (
    CURRENT,
    RESOURCE_PREFIX,
    client_for,
    connection_params,
    forget_client,
    gateway_step,
    restart_marker,
    split_connection,
    wait_params,
    wait_until_ready,
)
from igtk_tui.steps.registry import Param, step


@step(
    "gateway.login",
    description="Authenticate to a gateway (API token on 8.3, web login on 8.1/8.3); later gateway.* "
    "steps in this execution reuse the session without credentials.",
    params=connection_params(
        Param("bearer", "boolean", default=False,
              description="Send the API token as Authorization: Bearer instead of X-Ignition-API-Token"),
    ),
    outputs=["status", "gateway_url", "version", "auth"],
)
@gateway_step
async def login(ctx: StepContext, bearer: bool = False, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn, bearer=bearer, replace=True)
    if client.auth_mode == "none":
        raise StepFailure("gateway.login needs credentials: api_token (NAME:SECRET, Ignition 8.3), "
                          "username and password, or a credential")
    await client.login()
    ctx.resources.put(CURRENT, client.base_url)
    ctx.log(f"logged in to {client.base_url} (Ignition {client.version}) with "
            f"{'an API token' if client.auth_mode == 'token' else 'a web session as ' + repr(client.username)}")
    return {"status": "logged_in", "gateway_url": client.base_url, "version": str(client.version),
            "auth": "api-token" if client.auth_mode == "token" else "session"}


@step(
    "gateway.logout",
    description="End the web session (if any) and forget the gateway's client for this execution.",
    params=[Param("gateway_url", "string", description="Default: the execution's gateway")],
    outputs=["status"],
)
@gateway_step
async def logout(ctx: StepContext, gateway_url: str | None = None) -> dict[str, Any]:
    url = gateway_url or ctx.resources.get(CURRENT)
    client = None
    if url:
        from igtk_tui.values import normalise_url

        try:
            client = ctx.resources.get(RESOURCE_PREFIX + normalise_url(url))
        except ValueError as exc:
            raise StepFailure(str(exc)) from None
    if client is None:
        ctx.log("not logged in to a gateway in this execution; nothing to do")
        return {"status": "logged_out"}
    await client.logout()
    forget_client(ctx, client)
    return {"status": "logged_out"}


@step(
    "gateway.ping",
    description="Check /StatusPing; never fails unless require_running is set.",
    params=connection_params(
        Param("require_running", "boolean", default=False,
              description="Fail unless the gateway answers and its state is RUNNING"),
    ),
    outputs=["status", "response", "state", "gateway_url"],
)
@gateway_step
async def ping(ctx: StepContext, require_running: bool = False, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    try:
        data = await client.status_ping(retry=False)  # a ping reports; it does not ride out outages
    except GatewayError as exc:
        if require_running:
            raise
        ctx.log(str(exc), "warning")
        return {"status": "unreachable", "response": False, "state": None, "gateway_url": client.base_url}
    state = data.get("state")
    answered = "http_status" not in data
    if require_running and state != "RUNNING":
        raise StepFailure(f"the gateway at {client.base_url} is {state}, not RUNNING")
    return {"status": "ok" if answered else "unavailable", "response": answered, "state": state,
            "details": data.get("details"), "gateway_url": client.base_url}


async def _info(ctx: StepContext, client: Any) -> dict[str, Any]:
    """gwinfo (no auth) plus, on 8.3 with credentials, gateway-info and overview."""
    fresh = client.version is None
    version = await client.ensure_version()  # on a new client this has just read /system/gwinfo
    gw = client.gwinfo_data if fresh and client.gwinfo_data else await client.gwinfo()
    info: dict[str, Any] = {
        "version": version.plain,
        "platform_version": str(version),
        "line": version.line,
        "edition": gw.get("PlatformEdition") or "standard",
        "name": gw.get("PlatformName"),
        "context_status": gw.get("ContextStatus"),
        "os": gw.get("OS"),
        "java_version": gw.get("RuntimeVersion"),
        "redundancy": gw.get("RedundancyStatus"),
        "require_ssl": (gw.get("RequireSsl") or "").lower() == "true",
        "uptime_seconds": None,
    }
    if version.has_rest_api and client.auth_mode != "none":
        try:
            detail = await client.gateway_info()
            overview = await client.overview()
        except GatewayError as exc:
            ctx.log(f"REST details unavailable: {exc}", "warning")
        else:
            info["platform_version"] = detail.get("ignitionVersion") or info["platform_version"]
            info["edition"] = detail.get("edition") or info["edition"]
            info["name"] = detail.get("name") or info["name"]
            info["deployment_mode"] = detail.get("deploymentMode")
            info["license_mode"] = (detail.get("license") or {}).get("mode")
            info["allow_unsigned_modules"] = detail.get("allowUnsignedModules")
            if overview.get("uptime") is not None:
                info["uptime_seconds"] = round(float(overview["uptime"]) / 1000.0, 1)
    return info


@step(
    "gateway.get_info",
    description="Version, edition, name and platform details (gwinfo, plus the 8.3 REST details when "
    "authenticated).",
    params=connection_params(),
    outputs=["info"],
)
@gateway_step
async def get_info(ctx: StepContext, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    return {"info": await _info(ctx, client)}


@step(
    "gateway.get_health",
    description="RUNNING state, faulted modules, pending restart tasks and trial time in one summary.",
    params=connection_params(
        Param("fail_if_unhealthy", "boolean", default=False, description="Fail the step when not healthy"),
    ),
    outputs=["health"],
)
@gateway_step
async def get_health(ctx: StepContext, fail_if_unhealthy: bool = False, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    problems: list[str] = []
    ping_data = await client.status_ping()
    state = ping_data.get("state")
    if state != "RUNNING":
        problems.append(f"state is {state}")
    if ping_data.get("details") == "COMMISSIONING":
        problems.append("waiting for commissioning")
    info = await _info(ctx, client)
    health: dict[str, Any] = {"state": state, "version": info["version"], "uptime_seconds": info["uptime_seconds"],
                              "faulted_modules": [], "pending_restart_tasks": [], "trial_seconds_left": None}
    if client.auth_mode != "none" and state == "RUNNING":
        try:
            modules = await client.list_modules()
            health["faulted_modules"] = [{"id": m.get("id"), "name": m.get("name"), "fault_cause": m.get("faultCause")}
                                         for m in modules if str(m.get("state", "")).upper() == "FAULTED"]
            if client.version and client.version.has_rest_api:
                health["pending_restart_tasks"] = await client.restart_tasks_pending()
            trial = await client.trial()
            health["trial_seconds_left"] = trial["seconds_left"]
        except GatewayError as exc:
            problems.append(f"details unavailable: {exc}")
    problems += [f"module {m['name'] or m['id']} FAULTED: {m['fault_cause']}" for m in health["faulted_modules"]]
    health["healthy"] = not problems
    health["problems"] = problems
    if fail_if_unhealthy and problems:
        raise StepFailure(f"the gateway at {client.base_url} is not healthy: {'; '.join(problems)}")
    return {"health": health}


@step(
    "gateway.restart",
    description="Restart the gateway (8.3: restart-tasks/restart?confirm=true) and, by default, wait until "
    "it is RUNNING and its API answers again.",
    params=connection_params(
        Param("wait_for_ready", "boolean", default=True, description="Wait for the gateway to come back"),
        *wait_params(),
    ),
    outputs=["status", "ready", "waited_seconds", "pending_tasks", "version"],
)
@gateway_step
async def restart(ctx: StepContext, wait_for_ready: bool = True, timeout: float = 240.0,
                  poll_interval: float = 1.0, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    await client.ensure_auth()
    marker = await restart_marker(client)
    pending: list[str] = []
    if client.version and client.version.has_rest_api:
        pending = await client.restart_tasks_pending()
    dropped = False
    try:
        await client.restart()
    except TransferFailed as exc:
        # A process restart may close the connection before answering ([UNVERIFIED §1.5]: the REST
        # restart was captured answering `true` first); only a wait with evidence can tell.
        if not wait_for_ready:
            raise
        dropped = True
        ctx.log(f"{exc}; waiting to see whether the restart happened", "warning")
    ctx.log(f"restart requested on {client.base_url}" + (f" (pending: {', '.join(pending)})" if pending else ""))
    out: dict[str, Any] = {"status": "restart_requested", "ready": False, "waited_seconds": 0.0,
                           "pending_tasks": pending, "version": str(client.version)}
    if wait_for_ready:
        ready = await wait_until_ready(ctx, client, timeout=timeout, interval=poll_interval, marker=marker,
                                       require_evidence=dropped)
        out.update(status="restarted", ready=True, waited_seconds=ready["waited_seconds"], version=ready["version"])
    return out


@step(
    "gateway.wait_for_ready",
    description="Wait until /StatusPing says RUNNING and, on 8.3, /data/api/v1 answers; pause-aware, no "
    "fixed sleeps.",
    params=connection_params(*wait_params()),
    outputs=["status", "waited_seconds", "state", "version"],
)
@gateway_step
async def wait_for_ready(ctx: StepContext, timeout: float = 240.0, poll_interval: float = 1.0,
                         **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    ready = await wait_until_ready(ctx, client, timeout=timeout, interval=poll_interval)
    return {"status": "ready", **ready}


@step(
    "gateway.trial_status",
    description="The trial licence's state and remaining seconds (8.3 /data/api/v1/trial, 8.1 /data/status/trial).",
    params=connection_params(),
    outputs=["status", "expired", "seconds_left", "trial_state", "license_mode", "trial"],
)
@gateway_step
async def trial_status(ctx: StepContext, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    trial = await client.trial()
    return _trial_output(trial, "expired" if trial["expired"] else "active")


def _trial_output(trial: dict[str, Any], status: str) -> dict[str, Any]:
    return {"status": status, "expired": trial["expired"], "seconds_left": trial["seconds_left"],
            "trial_state": trial["state"], "license_mode": trial["mode"], "trial": trial["raw"]}


@step(
    "gateway.reset_trial",
    description="Restart the 2-hour trial once it has expired (a running trial is left alone unless force).",
    params=connection_params(
        Param("force", "boolean", default=False,
              description="Ask for a reset even when the trial has not expired (8.3 refuses with 403)"),
    ),
    outputs=["status", "reset", "expired", "seconds_left", "trial_state", "license_mode", "trial"],
)
@gateway_step
async def reset_trial(ctx: StepContext, force: bool = False, **params: Any) -> dict[str, Any]:
    conn, _ = split_connection(params)
    client = await client_for(ctx, conn)
    before = await client.trial()
    if not before["expired"] and not force:
        ctx.log(f"the trial has not expired ({before['seconds_left']} s left); nothing to reset")
        return {**_trial_output(before, "not_expired"), "reset": False}
    after = await client.reset_trial()
    ctx.log(f"trial reset: {after['seconds_left']} s left")
    return {**_trial_output(after, "reset"), "reset": True}


# Registering the other gateway.* steps (modules, projects, backup, scan/logs/tags/network, resources)
# with this module's import.
from igtk_tui.steps import (  # noqa: E402, F401
    gateway_backup,
    gateway_modules,
    gateway_ops,
    gateway_projects,
    gateway_resources,
)
