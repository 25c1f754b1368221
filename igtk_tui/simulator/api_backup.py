"""Gateway backup download and restore (sources: docs/simulator.md).

GET answers a real `.gwbk` zip built from the current state; POST takes the
raw bytes, validates zip + backupinfo.xml version (400 if unusable or newer
than the gateway), answers `Restore operation successfully initiated` and
restarts; the backup's projects (and name) replace the current ones when the
restart completes. Shared by the 8.1 web backup page.
"""

from __future__ import annotations

import re
import time

from igtk_tui.gateway.gwbk import build_gwbk, read_gwbk, version_tuple
from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.projects import backup_projects, from_project_json
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router
from igtk_tui.simulator.seed import set_system_name
from igtk_tui.simulator.state import GatewayState, PendingTask

RESTORE_OK = "Restore operation successfully initiated"


def clean_name(name: str) -> str:
    """`My Gateway` -> `My_Gateway` (overview/name `cleanGatewayName`)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def backup_response(state: GatewayState) -> Response:
    data = build_gwbk(
        state.config.full_version, state.gateway_name, backup_projects(state), state.config.edition
    )
    stamp = time.strftime("%Y%m%d-%H%M")
    filename = f"{clean_name(state.gateway_name)}_Ignition-backup-{stamp}.gwbk"
    return Response.download(data, filename)


def restore(state: GatewayState, data: bytes, new_name: str | None = None) -> None:
    """Validate and schedule a restore, then restart; HttpError(400) when unusable."""
    if not data:
        raise HttpError(400, "No backup data in the request body")
    try:
        contents = read_gwbk(data)
    except ValueError as exc:
        raise HttpError(400, f"Invalid gateway backup: {exc}") from None
    if version_tuple(contents.version) > version_tuple(state.config.plain_version):
        raise HttpError(
            400,
            f"Backup version {contents.version} is newer than this gateway ({state.config.plain_version})",
        )

    def apply(gateway: GatewayState) -> None:
        gateway.projects = {
            name: from_project_json(name, p.config, p.resources) for name, p in contents.projects.items()
        }
        # The backup's system name (system-properties singleton) applies, unless renamed on restore.
        set_system_name(gateway, new_name or contents.gateway_name or gateway.gateway_name)
        gateway.restores += 1

    state.pending.append(PendingTask("Gateway Backup Restore", apply, visible=False))
    state.begin_restart()


BACKUP_PEER_DOWN = "Unable to create a gateway backup: the redundant backup node is not connected"


def _download(req: Request) -> Response:
    # `includePeerLocal` (8.3.8 spec) and `type` (older notes) are accepted and ignored.
    # Issue 17 item 8: a master whose backup is down answers 503 with the reason [wording UNVERIFIED].
    if req.config.redundancy_role == "Master" and not req.state.redundant_peer_connected:
        raise HttpError(503, BACKUP_PEER_DOWN)
    return backup_response(req.state)


def _restore(req: Request) -> Response:
    new_name = req.arg("newName") if req.flag("renameEnabled") else None
    restore(req.state, req.body, new_name or None)
    return Response.text(RESTORE_OK)


def register(router: Router) -> None:
    api = router.group("/data/api/v1", auth="token", versions=ONLY_83)
    api.get("/backup", _download)
    api.post("/backup", _restore)
