"""Modules on a gateway: list, upload (8.3: into quarantine), certificate and licence (EULA)
acceptance, install, uninstall and state toggles; 8.1 installs through its web UI's upload.

The 8.3 flow: upload the raw .modl bytes -> the module waits in quarantine -> accept its
certificate -> accept its EULA -> install -> it stays pending until a restart. A certificate or
licence is accepted only when the caller says so (AcceptanceRequired otherwise).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from igtk_tui.gateway import web81
from igtk_tui.gateway.admin import GatewayAdmin
from igtk_tui.gateway.errors import (
    AcceptanceRequired,
    Conflict,
    GatewayError,
    NotFound,
)
from igtk_tui.gateway.session import JSON
from igtk_tui.gateway.transport import API_PREFIX


class GatewayModules(GatewayAdmin):
    """The module operations of a gateway client (GatewayClient adds the rest)."""

    async def list_modules(self, *, retry: bool = True) -> list[dict[str, Any]]:
        """Installed modules (8.3 `modules/healthy`, which also lists FAULTED ones; 8.1 the modules page).

        `retry=False` when polling (see `_list_all`)."""
        if await self._is_81("listing modules"):
            return await web81.list_modules(self)
        return await self._list_all("/modules/healthy", "listing modules", retry=retry)

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
        return await self._accept("certificate", "the certificate", module_id)

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
        """True when accepted now, False when it already was."""
        return await self._accept("eula", "the licence", module_id)

    async def _accept(self, route: str, what: str, module_id: str) -> bool:
        try:
            await self._api("POST", f"/modules/{route}", f"accepting {what} of {module_id}",
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
        # On 8.3 an install does not hot-swap; it waits for a restart.
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

    async def restart_tasks_pending(self) -> list[str]:
        data = await self._api("GET", "/restart-tasks/pending", "reading pending restart tasks") or {}
        pending = data.get("pending") if isinstance(data, dict) else data
        return [str(p) for p in pending or []]
