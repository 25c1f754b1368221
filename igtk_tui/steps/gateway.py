"""gateway.* steps: session, health, restart and readiness, trial.

Step names, parameters and output keys are the earlier toolkit's where it had them (its
gateway.login, ping, get_info, restart, wait_for_ready, trial_status, reset_trial and module
steps), so its playbooks run unchanged; the HTTP calls are the real 8.3 REST API / 8.1 web
routes (igtk_tui/gateway/client.py). Module, project, backup, operations and resource steps live
in the other gateway_*.py modules, imported at the bottom so one import registers them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.gateway.errors import GatewayError, TransferFailed
from igtk_tui.steps.gateway_common import (
    CURRENT,
    DEFAULT_WAIT,
    RESOURCE_PREFIX,
    client_for,
    forget_client,
    gateway_connection_step,
    gateway_errors,
    gateway_step,
    restart_marker,
    wait_params,
    wait_until_ready,
)
from igtk_tui.steps.registry import Output, Param, step

if TYPE_CHECKING:
    from igtk_tui.gateway.client import GatewayClient

URL = Output("gateway_url", "string", "The gateway's base URL")
VERSION = Output("version", "string", "The gateway's Ignition version, e.g. 8.3.6 (b2026042713)")
TRIAL = (
    Output("expired", "boolean", "Whether the trial has run out"),
    Output("seconds_left", "integer", "Trial seconds left", nullable=True),
    Output("trial_state", "string", "The gateway's word for the trial state", nullable=True),
    Output("license_mode", "string", "trial, activated, ...", nullable=True),
    Output("trial", "dict", "The gateway's trial answer as it came"),
)


@step(
    "gateway.login",
    description="Authenticate to a gateway (API token on 8.3, web login on 8.1/8.3); later gateway.* "
    "steps in this execution reuse the session without credentials.",
    params=[Param("bearer", "boolean",
                  description="Send the API token as Authorization: Bearer instead of X-Ignition-API-Token")],
    outputs=[Output("status", "string", "logged_in"), URL, VERSION,
             Output("auth", "string", "api-token or session")],
)
@gateway_connection_step
async def login(ctx: StepContext, connection: dict[str, Any], bearer: bool = False) -> dict[str, Any]:
    client = await client_for(ctx, connection, bearer=bearer, replace=True)
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
    outputs=[Output("status", "string", "logged_out")],
)
@gateway_errors
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
    params=[Param("require_running", "boolean", description="Fail unless the gateway answers and its state is RUNNING")],
    outputs=[Output("status", "string", "ok, unavailable (it answered, not RUNNING) or unreachable"),
             Output("response", "boolean", "Whether /StatusPing answered"),
             Output("state", "string", "RUNNING, STARTING, ...", nullable=True),
             Output("details", "string", "COMMISSIONING while waiting to be commissioned", nullable=True), URL],
)
@gateway_step
async def ping(ctx: StepContext, client: GatewayClient, require_running: bool = False) -> dict[str, Any]:
    try:
        data = await client.status_ping(retry=False)  # a ping reports; it does not ride out outages
    except GatewayError as exc:
        if require_running:
            raise
        ctx.log(str(exc), "warning")
        return {"status": "unreachable", "response": False, "state": None, "details": None,
                "gateway_url": client.base_url}
    state = data.get("state")
    answered = "http_status" not in data
    if require_running and state != "RUNNING":
        raise StepFailure(f"the gateway at {client.base_url} is {state}, not RUNNING")
    return {"status": "ok" if answered else "unavailable", "response": answered, "state": state,
            "details": data.get("details"), "gateway_url": client.base_url}


async def _info(ctx: StepContext, client: GatewayClient) -> dict[str, Any]:
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
    outputs=[Output("info", "dict", "version, platform_version, line, edition, name, os, java_version, "
                    "redundancy, uptime_seconds ... (the REST details on 8.3 when authenticated)")],
)
@gateway_step
async def get_info(ctx: StepContext, client: GatewayClient) -> dict[str, Any]:
    return {"info": await _info(ctx, client)}


@step(
    "gateway.get_health",
    description="RUNNING state, faulted modules, pending restart tasks and trial time in one summary.",
    params=[Param("fail_if_unhealthy", "boolean", description="Fail the step when not healthy")],
    outputs=[Output("health", "dict", "healthy, problems, state, version, uptime_seconds, faulted_modules, "
                    "pending_restart_tasks, trial_seconds_left")],
)
@gateway_step
async def get_health(ctx: StepContext, client: GatewayClient, fail_if_unhealthy: bool = False) -> dict[str, Any]:
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
            if client.has_rest_api:
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
    params=[Param("wait_for_ready", "boolean", description="Wait for the gateway to come back"), *wait_params()],
    outputs=[Output("status", "string", "restarted, or restart_requested without wait_for_ready"),
             Output("ready", "boolean", "Whether the gateway was seen ready again"),
             Output("waited_seconds", "number", "How long the wait took"),
             Output("pending_tasks", "list", "The restart tasks that were pending (8.3)"), VERSION],
)
@gateway_step
async def restart(ctx: StepContext, client: GatewayClient, wait_for_ready: bool = True,
                  timeout: float = DEFAULT_WAIT, poll_interval: float = 1.0) -> dict[str, Any]:
    await client.ensure_auth()
    marker = await restart_marker(client)
    pending: list[str] = []
    if client.has_rest_api:
        pending = await client.restart_tasks_pending()
    dropped = False
    try:
        await client.restart()
    except TransferFailed as exc:
        # A process restart may close the connection before answering ([UNVERIFIED]: the REST
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
    params=wait_params(),
    outputs=[Output("status", "string", "ready"), Output("waited_seconds", "number", "How long the wait took"),
             Output("state", "string", "The StatusPing state (RUNNING)"), VERSION],
)
@gateway_step
async def wait_for_ready(ctx: StepContext, client: GatewayClient, timeout: float = DEFAULT_WAIT,
                         poll_interval: float = 1.0) -> dict[str, Any]:
    ready = await wait_until_ready(ctx, client, timeout=timeout, interval=poll_interval)
    return {"status": "ready", **ready}


@step(
    "gateway.trial_status",
    description="The trial licence's state and remaining seconds (8.3 /data/api/v1/trial, 8.1 /data/status/trial).",
    outputs=[Output("status", "string", "active or expired"), *TRIAL],
)
@gateway_step
async def trial_status(ctx: StepContext, client: GatewayClient) -> dict[str, Any]:
    trial = await client.trial()
    return _trial_output(trial, "expired" if trial["expired"] else "active")


def _trial_output(trial: dict[str, Any], status: str) -> dict[str, Any]:
    return {"status": status, "expired": trial["expired"], "seconds_left": trial["seconds_left"],
            "trial_state": trial["state"], "license_mode": trial["mode"], "trial": trial["raw"]}


@step(
    "gateway.reset_trial",
    description="Restart the 2-hour trial once it has expired (a running trial is left alone unless force).",
    params=[Param("force", "boolean",
                  description="Ask for a reset even when the trial has not expired (8.3 refuses with 403)")],
    outputs=[Output("status", "string", "reset or not_expired"), Output("reset", "boolean", "Whether it was reset"),
             *TRIAL],
)
@gateway_step
async def reset_trial(ctx: StepContext, client: GatewayClient, force: bool = False) -> dict[str, Any]:
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
