"""Gateway administration over the 8.3 REST API: scans, logs, tags, config resources,
the gateway network and project delete (paths from a real 8.3.8 gateway's OpenAPI spec).
GatewayClient inherits these.

Ignition 8.1 has no REST API: each of these raises NotSupported there (`_require_api`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from igtk_tui.gateway.errors import Conflict, GatewayError, NotSupported, Unauthorised
from igtk_tui.gateway.session import GatewaySession
from igtk_tui.gateway.transfer import DownloadedFile, receive_file, suggested_filename
from igtk_tui.gateway.transport import API_PREFIX
from igtk_tui.timefmt import file_stamp

SCAN_KINDS = ("projects", "config")
SCAN_MODULE = "/data/project-scan-endpoint"  # 8.1: the third-party Project Scan Endpoint module


def _segment(text: str) -> str:
    return quote(text, safe="")


def _resource_path(resource_type: str) -> str:
    """The URL path of a MODULE/TYPE resource type (each part escaped); ValueError otherwise."""
    parts = [p for p in resource_type.strip().split("/") if p]
    if len(parts) != 2:
        raise ValueError(f"resource type {resource_type!r} must be MODULE/TYPE, e.g. ignition/database-connection")
    return "/".join(_segment(p) for p in parts)


def _envelope(result: Any, what: str) -> dict[str, Any]:
    """A `{success, changes, problem}` answer; success false is an error naming the problem."""
    if isinstance(result, dict) and result.get("success") is False:
        problem = (result.get("problem") or {}).get("message") or "the gateway reported a failure"
        raise GatewayError(f"{what}: {problem}")
    return result if isinstance(result, dict) else {}


class GatewayAdmin(GatewaySession):
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

    # -- scans ------------------------------------------------------------------------------
    async def scan_status(self, kind: str, *, retry: bool = True) -> dict[str, Any]:
        return await self._api("GET", f"/scan/{kind}", f"reading the {kind} scan status", retry=retry) or {}

    async def request_scan(self, kind: str) -> None:
        """`POST /scan/projects|config`: asking twice only rescans, so it may be retried."""
        await self._api("POST", f"/scan/{kind}", f"requesting a {kind} scan", idempotent=True)

    async def scan_projects_81(self, *, update_designers: bool = True, force_update: bool = False) -> None:
        """8.1 has no scan route of its own: the third-party Project Scan Endpoint module's, where
        installed (`/data/project-scan-endpoint/scan`); NotSupported when it is not."""
        what = f"requesting a project scan on {self.base_url}"
        probe = await self._send("GET", f"{SCAN_MODULE}/confirm-support", what=what, allow=(404,),
                                 headers={"Accept": "application/json"})
        if probe.status_code == 404 or not (self._json(probe, what) or {}).get("supported"):
            raise NotSupported(f"{what}: Ignition 8.1 has no project scan route; install the Project Scan "
                               "Endpoint module (/data/project-scan-endpoint), or restart the gateway to pick "
                               "up the new files", status=probe.status_code)
        await self._send("POST", f"{SCAN_MODULE}/scan", what=what, idempotent=True,
                         params={"updateDesigners": str(update_designers).lower(),
                                 "forceUpdate": str(force_update).lower()},
                         headers={"Accept": "application/json"})

    # -- logs ---------------------------------------------------------------------------------
    async def list_loggers(self) -> list[dict[str, Any]]:
        return await self._list_all("/logs/loggers", "listing the gateway's loggers")

    async def set_logger_level(self, logger: str, level: str) -> None:
        await self._api("POST", f"/logs/loggers/{_segment(logger)}", f"setting logger {logger} to {level}",
                        params={"level": level}, idempotent=True)

    async def download_logs(self, dest: Path | Callable[[str], Path]) -> DownloadedFile:
        """The gateway's log database (SQLite `.idb`), streamed to a file; no partial file on failure."""
        what = f"downloading the gateway logs from {self.base_url}"
        await self._require_api(what)
        response = await self._send("GET", f"{API_PREFIX}/logs/download", what=what, stream=True,
                                    headers={"Accept": "application/x-sqlite3, application/json;q=0.5"})
        try:
            filename = suggested_filename(response.headers.get("content-disposition")) \
                or f"gateway-logs-{file_stamp()}.idb"
            path = dest(filename) if callable(dest) else Path(dest)
            return await receive_file(response, path, what, zip_expected=False, filename=filename)
        finally:
            await response.aclose()

    # -- tags ---------------------------------------------------------------------------------
    async def export_tags(self, provider: str, path: str = "", *, recursive: bool = True) -> bytes:
        what = f"exporting tags of provider {provider!r}"
        await self._require_api(what)
        response = await self._send(
            "GET", f"{API_PREFIX}/tags/export", what=what,
            params={"provider": provider, "type": "json", "path": path, "recursive": str(recursive).lower()},
            headers={"Accept": "application/octet-stream, application/json;q=0.5"})
        return response.content

    async def import_tags(self, provider: str, data: bytes, *, path: str = "",
                          collision_policy: str = "Abort") -> list[dict[str, Any]]:
        """The non-Good quality codes the gateway reports (empty: every tag imported). Sent once."""
        result = await self._api(
            "POST", "/tags/import", f"importing tags into provider {provider!r}",
            params={"provider": provider, "type": "json", "path": path, "collisionPolicy": collision_policy},
            content=data, headers={"Content-Type": "application/octet-stream"}, idempotent=False)
        if isinstance(result, dict):  # [UNVERIFIED] the counts-object form of one fixture
            return list(result.get("failures") or [])
        return [q for q in result or [] if isinstance(q, dict)]

    # -- config resources ------------------------------------------------------------------------
    async def list_resources(self, resource_type: str, collection: str = "core") -> list[dict[str, Any]]:
        return await self._list_all(f"/resources/list/{_resource_path(resource_type)}?collection="
                                    f"{_segment(collection)}", f"listing {resource_type} resources")

    async def get_resource(self, resource_type: str, name: str | None = None, collection: str = "core", *,
                           default_if_undefined: bool = False) -> dict[str, Any]:
        """One resource by name, or the type's singleton when `name` is empty."""
        base = _resource_path(resource_type)
        params = {"collection": collection}
        if name:
            path, what = f"/resources/find/{base}/{_segment(name)}", f"reading {resource_type} {name!r}"
        else:
            path, what = f"/resources/singleton/{base}", f"reading the {resource_type} singleton"
            if default_if_undefined:
                params["defaultIfUndefined"] = "true"
        return await self._api("GET", path, what, params=params) or {}

    async def create_resource(self, resource_type: str, record: dict[str, Any]) -> dict[str, Any]:
        what = f"creating {resource_type} {record.get('name') or '(singleton)'!r}"
        return _envelope(await self._api("POST", f"/resources/{_resource_path(resource_type)}", what,
                                         json=[record], idempotent=False), what)

    async def update_resource(self, resource_type: str, record: dict[str, Any]) -> dict[str, Any]:
        """PUT with the record's `signature`: a stale one is a Conflict (someone changed it since)."""
        what = f"updating {resource_type} {record.get('name') or '(singleton)'!r}"
        try:
            result = await self._api("PUT", f"/resources/{_resource_path(resource_type)}", what,
                                     json=[record], idempotent=False)
        except Conflict as exc:
            raise Conflict(f"{exc}; the resource changed since its signature was read: read it again and "
                           "re-apply the change", status=exc.status, url=exc.url, detail=exc.detail) from None
        return _envelope(result, what)

    async def delete_resource(self, resource_type: str, name: str | None, signature: str,
                              collection: str = "core") -> dict[str, Any]:
        base = _resource_path(resource_type)
        path = f"/resources/{base}/{_segment(name)}/{_segment(signature)}" if name \
            else f"/resources/{base}/{_segment(signature)}"
        what = f"deleting {resource_type} {name or '(singleton)'!r}"
        return _envelope(await self._api("DELETE", path, what, params={"collection": collection},
                                         idempotent=False), what)

    # -- gateway network (8.3.8 spec `gateway-network`) -------------------------------------------------
    async def network_gateways(self) -> list[dict[str, Any]]:
        return await self._list_all("/gateway-network/gateways", "listing the gateway network")

    async def network_connections(self) -> list[dict[str, Any]]:
        return await self._list_all("/gateway-network/connections", "listing the gateway network connections")

    async def approve_connection(self, remote_id: str, approve: bool = True) -> None:
        verb = "approving" if approve else "revoking approval of"
        await self._api("PUT", f"/gateway-network-incoming/toggleApproval/{_segment(remote_id)}/"
                        f"{str(approve).lower()}", f"{verb} the incoming connection from {remote_id!r}",
                        idempotent=True)

    # -- projects (issue 17 item 14) --------------------------------------------------------------
    async def delete_project(self, name: str) -> dict[str, Any]:
        """`DELETE /projects/{name}`: real 8.3 needs no confirm parameter. Sent once."""
        what = f"deleting project {name!r}"
        return _envelope(await self._api("DELETE", f"/projects/{_segment(name)}", what, idempotent=False), what)
