"""GatewayClient: every operation the gateway.* steps need, over one GatewaySession.

- Version auto-detection from `/system/gwinfo` (ignition-gateway.md §1.2).
- Ignition 8.3: the REST API under `/data/api/v1` with `X-Ignition-API-Token:
  name:secret` (or `Authorization: Bearer`, §2.2), or a web session (cookie +
  `X-CSRF-Token`) when given username/password.
- Ignition 8.1: no REST API (§3); web-session login through the IdP (§3.1) and
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

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any
from urllib.parse import quote

from igtk_tui.gateway import web81
from igtk_tui.gateway.admin import GatewayAdmin
from igtk_tui.gateway.errors import (
    AcceptanceRequired,
    Conflict,
    Forbidden,
    GatewayError,
    GatewayUnreachable,
    NotFound,
    NotSupported,
    Unauthorised,
)
from igtk_tui.gateway.session import ANY_STATUS, JSON
from igtk_tui.gateway.transfer import DownloadedFile, file_chunks, receive_file, suggested_filename
from igtk_tui.gateway.transport import API_PREFIX
from igtk_tui.timefmt import file_stamp


class GatewayClient(GatewayAdmin):
    """Every gateway operation the steps need, for Ignition 8.3 (REST) and 8.1 (web session)."""

    # -- 8.3 info ----------------------------------------------------------------------------
    async def gateway_info(self) -> dict[str, Any]:
        return await self._api("GET", "/gateway-info", "reading gateway-info") or {}

    async def overview(self) -> dict[str, Any]:
        return await self._api("GET", "/overview", "reading the gateway overview") or {}

    async def licenses(self) -> dict[str, Any]:
        return await self._api("GET", "/licenses", "reading the licences") or {}

    # -- modules (§2.5) ------------------------------------------------------------------------
    async def list_modules(self, *, retry: bool = True) -> list[dict[str, Any]]:
        """Installed modules (8.3 `modules/healthy`, which also lists FAULTED ones; 8.1 the modules page).

        `retry=False` when polling (see `_list_all`)."""
        if await self._is_81("listing modules"):
            return await web81.list_modules(self)
        return await self._list_all("/modules/healthy", "listing modules", retry=retry)

    async def _is_81(self, what: str) -> bool:
        """True on 8.1, after making sure there is a web session (its pages need one)."""
        version = await self.ensure_version()
        if version.has_rest_api:
            return False
        await self.ensure_auth()
        if not self._session:
            raise Unauthorised(f"{what}: Ignition {version} has no REST API; this needs a web login "
                               "(username and password)")
        return True

    async def list_quarantined(self) -> list[dict[str, Any]]:
        return await self._list_all("/modules/quarantined", "listing quarantined modules")

    async def upload_module(self, data: bytes, filename: str) -> dict[str, Any]:
        """Raw bytes with `?fileName=` (not multipart). Sent once: never retried."""
        return await self._api(
            "POST", "/modules/upload", f"uploading module {filename}", params={"fileName": filename},
            content=data, headers={"Content-Type": "application/octet-stream"}, idempotent=False) or {}

    async def module_certificate(self, module_id: str) -> dict[str, Any] | None:
        """The certificate to accept, or None when the module has none (404)."""
        try:
            certificate: dict[str, Any] | None = await self._api(
                "GET", "/modules/certificate", f"reading the certificate of {module_id}", params={"moduleId": module_id})
        except NotFound:
            return None
        return certificate

    async def accept_certificate(self, module_id: str) -> bool:
        """True when accepted now, False when it already was (409 `already accepted` is fine)."""
        try:
            await self._api("POST", "/modules/certificate", f"accepting the certificate of {module_id}",
                            params={"moduleId": module_id}, idempotent=False)
        except Conflict:
            return False
        return True

    async def module_eula(self, module_id: str) -> str | None:
        """The licence text (HTML), or None when the module has none."""
        what = f"reading the licence of {module_id}"
        await self._require_api(what)
        try:
            response = await self._send("GET", f"{API_PREFIX}/modules/eula", what=what,
                                        params={"moduleId": module_id},
                                        headers={"Accept": "text/html, application/json;q=0.5"})
        except NotFound:
            return None
        return response.text

    async def accept_eula(self, module_id: str) -> bool:
        try:
            await self._api("POST", "/modules/eula", f"accepting the licence of {module_id}",
                            params={"moduleId": module_id}, idempotent=False)
        except Conflict:
            return False
        return True

    async def install_module(self, module_id: str) -> dict[str, Any]:
        return await self._api("POST", "/modules/install", f"installing module {module_id}",
                               params={"moduleId": module_id}, idempotent=False) or {}

    async def install_module_file(self, data: bytes, filename: str, *, accept_certificate: bool = False,
                                  accept_license: bool = False) -> dict[str, Any]:
        """Upload, trust the certificate and accept the licence when allowed, then install.

        Raises AcceptanceRequired (the module stays quarantined) when the gateway
        needs an acceptance the caller did not allow. Returns module_id,
        certificate (subject/issuer/... or None), certificate_accepted,
        license_accepted, install (the gateway's install answer), restart_required.
        """
        if await self._is_81(f"uploading module {filename}"):
            return await self._install_81(data, filename, accept_certificate, accept_license)
        up = await self.upload_module(data, filename)
        module_id = str(up.get("moduleId") or "")
        if not module_id:
            raise GatewayError(f"uploading module {filename}: the gateway's answer names no moduleId")
        result: dict[str, Any] = {"module_id": module_id, "certificate": None,
                                  "certificate_accepted": bool(up.get("certAccepted")),
                                  "license_accepted": bool(up.get("licenseAccepted"))}
        if up.get("containsCert"):
            result["certificate"] = await self.module_certificate(module_id)
            if not up.get("certAccepted"):
                self._check_allowed("certificate", module_id, accept_certificate, result["certificate"])
                await self.accept_certificate(module_id)
                result["certificate_accepted"] = True
        if up.get("containsEula") and not up.get("licenseAccepted"):
            self._check_allowed("license", module_id, accept_license, None)
            await self.accept_eula(module_id)
            result["license_accepted"] = True
        result["install"] = await self.install_module(module_id)
        result["pending"] = await self.restart_tasks_pending()
        # §2.5: on 8.3 an install does not hot-swap; it waits for a restart.
        result["restart_required"] = True
        return result

    async def _install_81(self, data: bytes, filename: str, accept_certificate: bool,
                          accept_license: bool) -> dict[str, Any]:
        step = await web81.upload(self, data, filename)
        result: dict[str, Any] = {"module_id": step.module_id, "certificate": None,
                                  "certificate_accepted": True, "license_accepted": True}
        for _ in range(3):
            if step.kind == "installed":
                break
            module_id = step.module_id or ""
            result["module_id"] = module_id
            kind = "license" if step.kind == "eula" else "certificate"
            self._check_allowed(kind, module_id, accept_certificate if kind == "certificate" else accept_license,
                                None)
            step = await web81.accept(self, step.kind, module_id)
        if step.kind != "installed":
            raise GatewayError(f"uploading module {filename}: the 8.1 install did not finish (stuck at {step.kind})")
        result["module_id"] = step.module_id or result["module_id"]
        result["install"] = {"onStartup": None}
        result["pending"] = []
        result["restart_required"] = False  # 8.1 hot-loads modules
        return result

    @staticmethod
    def _check_allowed(kind: str, module_id: str, allowed: bool, cert: dict[str, Any] | None) -> None:
        if allowed:
            return
        if kind == "certificate":
            who = ""
            if cert:
                who = f" (subject {cert.get('subjectName')}, issuer {cert.get('issuerName')})"
            raise AcceptanceRequired(
                f"module {module_id} is signed with a certificate this gateway does not trust yet{who}: "
                "set accept_certificate: true to trust it (the module stays in quarantine until then)",
                kind=kind, module_id=module_id)
        raise AcceptanceRequired(
            f"module {module_id} has a licence agreement (EULA) that is not accepted on this gateway: "
            "set accept_license: true to accept it (the module stays in quarantine until then)",
            kind=kind, module_id=module_id)

    async def uninstall_module(self, module_id: str) -> dict[str, Any]:
        """JSON body `{"uninstall":[id]}` (8.3.8 spec); falls back to `?moduleId=` (older collection)."""
        what = f"uninstalling module {module_id}"
        if await self._is_81(what):
            await web81.uninstall(self, module_id)
            return {"success": True, "message": f"{module_id} uninstalled (8.1 applies it at once)"}
        await self._require_api(what)
        url = f"{API_PREFIX}/modules/uninstall"
        # [UNVERIFIED] what an older gateway answers to the JSON form; 400/415/422 trigger the fallback.
        response = await self._send("DELETE", url, what=what, json={"uninstall": [module_id]},
                                    headers=JSON, allow=(400, 415, 422), idempotent=False)
        if response.status_code in (400, 415, 422):
            response = await self._send("DELETE", url, what=what, params={"moduleId": module_id},
                                        headers=JSON, idempotent=False)
        return self._json(response, what) or {}

    async def toggle_module_state(self, enable: Collection[str] = (), disable: Collection[str] = ()) -> dict[str, Any]:
        """Setting a state twice is harmless, so this PUT may be retried."""
        return await self._api("PUT", "/modules/toggle-state", "changing module states",
                               json={"enable": list(enable), "disable": list(disable)}, idempotent=True) or {}

    # -- restart (§2.8) ------------------------------------------------------------------------------
    async def restart_tasks_pending(self) -> list[str]:
        data = await self._api("GET", "/restart-tasks/pending", "reading pending restart tasks") or {}
        pending = data.get("pending") if isinstance(data, dict) else data
        return [str(p) for p in pending or []]

    async def restart(self) -> Any:
        """`POST restart-tasks/restart?confirm=true`; sent once, never retried."""
        what = f"restarting the gateway at {self.base_url}"
        if await self._is_81(what):
            # §3.4: no documented HTTP restart on 8.1; web81 speaks the simulator's stand-in page and
            # says NotSupported (gwcmd -r, the service) when the gateway has no such route.
            await web81.restart(self)
            return True
        return await self._api("POST", "/restart-tasks/restart", what, params={"confirm": "true"},
                               idempotent=False)

    # -- projects (§2.6) ---------------------------------------------------------------------------------
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

    # -- backup / restore (§2.7) -------------------------------------------------------------------------------
    async def download_backup(self, dest: Path | Callable[[str], Path], *,
                              include_peer_local: bool = False) -> DownloadedFile:
        """Stream the `.gwbk` to a file; `dest` may be a function of the gateway's suggested name.

        Checks Content-Length and zip integrity; any failure or cancel deletes the partial file.
        """
        what = f"downloading a gateway backup from {self.base_url}"
        accept = {"Accept": "application/octet-stream, application/json;q=0.5"}
        if await self._is_81(what):
            # [UNVERIFIED §3.3] the simulator's stand-in for the Wicket "Download Backup" link.
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
                # includePeerLocal is the 8.3.8 spec's parameter; older notes use ?type= [UNVERIFIED §2.7].
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
            # [UNVERIFIED §3.4] the simulator's stand-in restore form; a real 8.1 restores with gwcmd -s.
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

    # -- trial and licences (§2.9, §3.2) ---------------------------------------------------------------------
    async def trial(self) -> dict[str, Any]:
        """Trial state, normalised: mode, state, seconds_left, expired, raw (8.3 and 8.1)."""
        version = await self.ensure_version()
        if version.has_rest_api:
            # §2.9: captured without auth on 8.3.6; the token is sent anyway when there is one.
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
                # Not in the OpenAPI spec (§2.9): seen with a session + CSRF (8.3.3 capture) and with an
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
    `{trialState, remainingSeconds, remainingDisplay, expired}` (§3.2, field names
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
