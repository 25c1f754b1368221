"""gateway.backup and gateway.restore: `.gwbk` files that are checked before trusting them.

A backup is streamed into the execution's artifact folder, verified as a real
gateway backup (zip + backupinfo.xml + config, `validate_gwbk`) and only then
reported; a dropped download leaves no file. A restore is refused unless
`confirm: true`, and the file is validated before anything is sent.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.steps.gateway_common import (
    DEFAULT_WAIT,
    FILE_OUTS,
    gateway_step,
    restart_marker,
    wait_params,
    wait_until_ready,
)
from igtk_tui.steps.registry import Output, Param, step

if TYPE_CHECKING:
    from igtk_tui.gateway.client import GatewayClient

VERSION = Output("version", "string", "The Ignition version the backup is of")


def _validate(path: Path, *, crc_checked: bool = False) -> str:
    # validate_gwbk lives with the simulator's backup code (it builds and reads .gwbk files too).
    from igtk_tui.gateway.gwbk import validate_gwbk

    return validate_gwbk(path, crc_checked=crc_checked)


def _prefix(ctx: StepContext) -> str:
    """Backups this playbook copies into dest_dir start with this, so `keep` touches only its own."""
    name = re.sub(r"[^\w.-]+", "-", ctx.frame.playbook.name).strip("-.") or "playbook"
    return f"igtk-{name}_"


def _copy_into(src: Path, dest_dir: Path, name: str) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / name
    n = 1
    while target.exists():
        n += 1
        target = dest_dir / f"{Path(name).stem}-{n}{Path(name).suffix}"
    part = target.with_name(target.name + ".part")
    try:
        os.link(src, part)  # same filesystem: no second copy of a large file
    except OSError:
        shutil.copy2(src, part)
    os.replace(part, target)
    return target


def _prune(dest_dir: Path, prefix: str, keep: int, newest: Path) -> list[str]:
    mine = sorted((p for p in dest_dir.glob(f"{prefix}*.gwbk") if p.is_file()),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    mine = [newest] + [p for p in mine if p != newest]
    deleted = []
    for old in mine[keep:]:
        old.unlink(missing_ok=True)
        deleted.append(str(old))
    return deleted


@step(
    "gateway.backup",
    description="Download a gateway backup (.gwbk) into the execution's artifacts, verify it, and "
    "optionally copy it to dest_dir keeping the newest N.",
    params=[
        Param("dest_dir", "string", description="Also copy the backup into this folder"),
        Param("keep", "integer", min=1, max=10000,
              description="With dest_dir: keep only this many backups made by this playbook there"),
    ],
    outputs=[Output("status", "string", "downloaded"), *FILE_OUTS, VERSION,
             Output("filename", "string", "The name the gateway gave the file"),
             Output("dest_path", "string", "The copy in dest_dir", nullable=True),
             Output("deleted", "list", "Older backups deleted from dest_dir (keep)")],
)
@gateway_step
async def backup(ctx: StepContext, client: GatewayClient, dest_dir: str | None = None,
                 keep: int | None = None) -> dict[str, Any]:
    if keep is not None and not dest_dir:
        raise StepFailure("keep needs dest_dir: it prunes older backups of this playbook in that folder")
    got = await client.download_backup(lambda suggested: ctx.artifact_path(Path(suggested).stem, ".gwbk"))
    try:
        version = await asyncio.to_thread(_validate, got.path, crc_checked=True)  # checked while received
    except ValueError as exc:
        got.path.unlink(missing_ok=True)
        raise StepFailure(f"the file the gateway sent is not a valid gateway backup: {exc}; it was deleted") from None
    except BaseException:
        got.path.unlink(missing_ok=True)
        raise
    ctx.add_artifact(got.path, "gateway-backup")
    ctx.log(f"backup {got.filename}: {got.size} bytes, Ignition {version}, sha256 {got.sha256[:12]}…")
    out: dict[str, Any] = {"status": "downloaded", "path": str(got.path), "size": got.size, "sha256": got.sha256,
                           "version": version, "filename": got.filename, "dest_path": None, "deleted": []}
    if dest_dir:
        folder = ctx.resolve_path(dest_dir)
        prefix = _prefix(ctx)
        target = await asyncio.to_thread(_copy_into, got.path, folder, prefix + got.filename)
        out["dest_path"] = str(target)
        if keep:
            out["deleted"] = await asyncio.to_thread(_prune, folder, prefix, keep, target)
            for old in out["deleted"]:
                ctx.log(f"deleted old backup {old} (keep {keep})")
    return out


@step(
    "gateway.restore",
    description="Restore a .gwbk onto the gateway (replaces its configuration and restarts it); needs "
    "confirm: true, then waits until the gateway is ready unless told not to.",
    params=[
        Param("file", "string", description="The .gwbk file (relative to the playbook)"),
        Param("confirm", "boolean", description="Must be true: a restore replaces the gateway's configuration"),
        Param("restore_disabled", "boolean", description="Restore with connections and devices disabled"),
        Param("wait_for_ready", "boolean", description="Wait for the gateway to come back"),
        *wait_params(),
    ],
    outputs=[Output("status", "string", "restored, or restore_started without wait_for_ready"),
             Output("file", "string", "The backup file"), VERSION,
             Output("message", "string", "The gateway's answer"),
             Output("ready", "boolean", "Whether the gateway was seen ready again"),
             Output("waited_seconds", "number", "How long the wait took")],
)
@gateway_step
async def restore(ctx: StepContext, client: GatewayClient, file: str, confirm: bool = False,
                  restore_disabled: bool = False, wait_for_ready: bool = True, timeout: float = DEFAULT_WAIT,
                  poll_interval: float = 1.0) -> dict[str, Any]:
    if not confirm:
        raise StepFailure("gateway.restore replaces the gateway's configuration and restarts it: "
                          "set confirm: true to proceed (nothing was sent)")
    path = ctx.resolve_path(file)
    if not path.is_file():
        raise StepFailure(f"backup file {path} does not exist (nothing was sent)")
    try:
        version = await asyncio.to_thread(_validate, path)
    except ValueError as exc:
        raise StepFailure(f"{path} is not a valid gateway backup: {exc} (nothing was sent)") from None
    await client.ensure_auth()
    marker = await restart_marker(client)
    message = await client.restore_backup(path, restore_disabled=restore_disabled)
    ctx.log(f"restore of {path.name} (Ignition {version}) accepted: {message}")
    out: dict[str, Any] = {"status": "restore_started", "file": str(path), "version": version,
                           "message": message, "ready": False, "waited_seconds": 0.0}
    if wait_for_ready:
        ready = await wait_until_ready(ctx, client, timeout=timeout, interval=poll_interval, marker=marker)
        out.update(status="restored", ready=True, waited_seconds=ready["waited_seconds"])
    return out
