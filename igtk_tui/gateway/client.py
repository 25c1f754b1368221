"""GatewayClient: every operation the gateway.* steps need, over one GatewaySession.

- Version auto-detection from `/system/gwinfo` (answered without authentication).
- Ignition 8.3: the REST API under `/data/api/v1` with `X-Ignition-API-Token:
  name:secret` (or `Authorization: Bearer`), or a web session (cookie +
  `X-CSRF-Token`) when given username/password.
- Ignition 8.1: no REST API; web-session login through the IdP and
  the few JSON routes the web UI uses (`/data/status/trial`).
- TLS verification on by default, a per-gateway CA bundle, and an explicit
  opt-out that logs a warning every time a client is made with it.
- Retries with backoff only for idempotent calls (GET/HEAD, toggles) on a
  dropped connection or 500/502/503/504 (never 401/403); uploads, installs, restarts and restores
  are sent exactly once.
- Cancellation: every call is a plain httpx await, so cancelling the task
  stops it at once; downloads delete their partial file (transfer.py).

The transport, auth and version detection are in session.py; scans, logs, tags,
config resources, the gateway network and project delete in admin.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from igtk_tui.gateway import web81
from igtk_tui.gateway.errors import (
    Forbidden,
    GatewayError,
    GatewayUnreachable,
    NotSupported,
    Unauthorised,
)
from igtk_tui.gateway.modules import GatewayModules
from igtk_tui.gateway.session import ANY_STATUS, JSON
from igtk_tui.gateway.transfer import DownloadedFile, file_chunks, receive_file, suggested_filename
from igtk_tui.gateway.transport import API_PREFIX
from igtk_tui.timefmt import file_stamp


class GatewayClient(GatewayModules):
    """Every gateway operation the steps need, for Ignition 8.3 (REST) and 8.1 (web session)."""

    # -- 8.3 info ----------------------------------------------------------------------------
    async def gateway_info(self) -> dict[str, Any]:
        return await self._api("GET", "/gateway-info", "reading gateway-info") or {}

    async def overview(self) -> dict[str, Any]:
        return await self._api("GET", "/overview", "reading the gateway overview") or {}

    async def licenses(self) -> dict[str, Any]:
        return await self._api("GET", "/licenses", "reading the licences") or {}

    # -- restart ------------------------------------------------------------------------------
    async def restart(self) -> Any:
        """`POST restart-tasks/restart?confirm=true`; sent once, never retried."""
        what = f"restarting the gateway at {self.base_url}"
        if await self._is_81(what):
            # No documented HTTP restart on 8.1; web81 speaks the simulator's stand-in page and
            # says NotSupported (gwcmd -r, the service) when the gateway has no such route.
            await web81.restart(self)
            return True
        return await self._api("POST", "/restart-tasks/restart", what, params={"confirm": "true"},
                               idempotent=False)

    # -- projects ---------------------------------------------------------------------------------
    async def list_projects(self) -> list[dict[str, Any]]:
        return await self._list_all("/projects/list", "listing projects")

    async def project_names(self) -> list[str]:
        data = await self._api("GET", "/projects/names", "listing project names")
        return [str(n) for n in (data.get("items", []) if isinstance(data, dict) else data or [])]

    async def get_project(self, name: str) -> dict[str, Any]:
        return await self._api("GET", f"/projects/find/{quote(name, safe='')}", f"reading project {name!r}") or {}

    async def export_project(self, name: str) -> bytes:
        what = f"exporting project {name!r}"
        await self._require_api(what)
        response = await self._send("GET", f"{API_PREFIX}/projects/export/{quote(name, safe='')}", what=what,
                                    headers={"Accept": "application/zip, application/json;q=0.5"})
        return response.content

    async def import_project(self, name: str, data: bytes, *, overwrite: bool = False) -> dict[str, Any]:
        what = f"importing project {name!r}"
        result = await self._api("POST", f"/projects/import/{quote(name, safe='')}", what,
                                 params={"overwrite": "true" if overwrite else "false"}, content=data,
                                 headers={"Content-Type": "application/zip"}, idempotent=False) or {}
        if isinstance(result, dict) and result.get("success") is False:
            problem = (result.get("problem") or {}).get("message") or "the gateway reported a failure"
            raise GatewayError(f"{what}: {problem}")
        return result

    # -- backup / restore -------------------------------------------------------------------------------
    async def download_backup(self, dest: Path | Callable[[str], Path], *,
                              include_peer_local: bool = False) -> DownloadedFile:
        """Stream the `.gwbk` to a file; `dest` may be a function of the gateway's suggested name.

        Checks Content-Length and zip integrity; any failure or cancel deletes the partial file.
        """
        what = f"downloading a gateway backup from {self.base_url}"
        accept = {"Accept": "application/octet-stream, application/json;q=0.5"}
        if await self._is_81(what):
            # [UNVERIFIED] the simulator's stand-in for the Wicket "Download Backup" link.
            response = await self._send("GET", web81.BACKUP_DOWNLOAD, what=what, stream=True, headers=accept,
                                        allow=(302, 404, 405))
            if response.status_code != 200:
                await response.aclose()
                raise NotSupported(f"{what}: this Ignition 8.1 gateway has no {web81.BACKUP_DOWNLOAD} route "
                                   f"(HTTP {response.status_code}); take the backup in the web UI or with "
                                   "gwcmd -b on the host", status=response.status_code)
        else:
            await self._require_api(what)
            response = await self._send(
                "GET", f"{API_PREFIX}/backup", what=what, stream=True,
                # includePeerLocal is the 8.3.8 spec's parameter; older notes use ?type= [UNVERIFIED].
                params={"includePeerLocal": "true" if include_peer_local else "false"}, headers=accept)
        try:
            filename = suggested_filename(response.headers.get("content-disposition")) \
                or f"gateway-backup-{file_stamp()}.gwbk"
            path = dest(filename) if callable(dest) else Path(dest)
            return await receive_file(response, path, what, filename=filename)
        finally:
            await response.aclose()

    async def restore_backup(self, path: Path, *, restore_disabled: bool = False,
                             disable_temp_project_backup: bool = False, new_name: str | None = None) -> str:
        """Stream a `.gwbk` to `POST /data/api/v1/backup`; the gateway restarts afterwards. Never retried."""
        what = f"restoring {path.name} to {self.base_url}"
        size = path.stat().st_size
        if await self._is_81(what):
            # [UNVERIFIED] the simulator's stand-in restore form; a real 8.1 restores with gwcmd -s.
            await web81._call(
                self, "POST", web81.BACKUP_RESTORE, what, content=file_chunks(path),
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
                idempotent=False)
            return "Restore operation successfully initiated"
        await self._require_api(what)
        params = {
            "restoreDisabled": str(restore_disabled).lower(),
            "disableTempProjectBackup": str(disable_temp_project_backup).lower(),
            "renameEnabled": "true" if new_name else "false",
        }
        if new_name:
            params["newName"] = new_name
        response = await self._send(
            "POST", f"{API_PREFIX}/backup", what=what, params=params, content=file_chunks(path),
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size), **JSON},
            idempotent=False)
        return response.text.strip()

    # -- trial and licences ---------------------------------------------------------------------
    async def trial(self) -> dict[str, Any]:
        """Trial state, normalised: mode, state, seconds_left, expired, raw (8.3 and 8.1)."""
        version = await self.ensure_version()
        if version.has_rest_api:
            # Captured without auth on 8.3.6; the token is sent anyway when there is one.
            response = await self._send("GET", f"{API_PREFIX}/trial", what="reading the trial state",
                                        headers=JSON)
        else:
            response = await self._send("GET", "/data/status/trial", what="reading the trial state",
                                        auth=False, headers=JSON)
        return normalise_trial(self._json(response, "reading the trial state") or {})

    async def reset_trial(self) -> dict[str, Any]:
        """Restart the 2-hour trial. 8.3: POST /data/api/v1/trial (403 unless expired);
        8.1: PUT /data/status/trial with the web session, Origin and Referer [UNVERIFIED whether required]."""
        what = f"resetting the trial on {self.base_url}"
        version = await self.ensure_version()
        await self.ensure_auth()
        try:
            if version.has_rest_api:
                # Not in the OpenAPI spec: seen with a session + CSRF (8.3.3 capture) and with an
                # API key (a third-party script) [UNVERIFIED for every 8.3 build].
                response = await self._send("POST", f"{API_PREFIX}/trial", what=what, headers=JSON,
                                            idempotent=False)
            else:
                if not self._session:
                    raise Unauthorised(f"{what}: Ignition 8.1 needs a web login (username and password) for this")
                headers = {**JSON, "Origin": self.base_url, "Referer": f"{self.base_url}/web/status/"}
                response = await self._send("PUT", "/data/status/trial", what=what, headers=headers,
                                            idempotent=False)
        except Forbidden as exc:
            raise Forbidden(f"{exc}; note that Ignition only allows a trial reset once the trial has "
                            "expired", status=exc.status, url=exc.url, detail=exc.detail) from None
        data = self._json(response, what)
        if isinstance(data, dict) and ("trialSecondsLeft" in data or "remainingSeconds" in data):
            return normalise_trial(data)
        return await self.trial()


def normalise_trial(data: dict[str, Any]) -> dict[str, Any]:
    """8.3 `{licenseMode, trialState, trialSecondsLeft, expired}` and 8.1
    `{trialState, remainingSeconds, remainingDisplay, expired}` (field names
    from a third-party script [UNVERIFIED]) in one shape."""
    seconds = data.get("trialSecondsLeft", data.get("remainingSeconds"))
    try:
        seconds = int(seconds) if seconds is not None else None
    except (TypeError, ValueError):
        seconds = None
    expired = data.get("expired")
    if expired is None and seconds is not None:
        expired = seconds <= 0
    return {
        "mode": data.get("licenseMode"),
        "state": data.get("trialState"),
        "seconds_left": seconds,
        "expired": bool(expired),
        "raw": data,
    }


async def probe(url: str, verify: bool = True, timeout: float = 5.0, *, ca_bundle: str | None = None) -> None:
    """Raise GatewayUnreachable (exit 3) unless something answers HTTP at `url`/StatusPing.

    Any HTTP status counts as reachable (a starting gateway answers 503, and a
    proxy in front may answer 502): this only rules out refused connections,
    DNS and TLS failures and silence.
    """
    try:
        # No TLS warning here: the execution's first client says it, once, in the run's log.
        client = GatewayClient(url, verify=verify, ca_bundle=ca_bundle, connect_timeout=timeout,
                               read_timeout=timeout, retries=0, warn_insecure=False)
    except GatewayError as exc:
        raise GatewayUnreachable(str(exc), url=url) from None
    async with client:
        await client._send("GET", "/StatusPing", what=f"checking the gateway at {client.base_url}",
                           auth=False, retry=False, allow=ANY_STATUS)


__all__ = ["GatewayClient", "DownloadedFile", "normalise_trial", "probe"]
