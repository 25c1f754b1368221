"""8.1 config pages for modules, restart and backup, signed-in only.

[UNVERIFIED] The real pages are Wicket forms with generated URLs
(`?N-1.ILinkListener-...`); these are stable stand-ins with the same steps so
a client can do the 8.1 equivalents over HTTP with a session:

  GET  /web/config/system.modules                       list + upload form
  POST /web/config/system.modules/upload                multipart `file` or raw body + ?fileName=
  GET|POST /web/config/system.modules/certificate?moduleId=   view / trust the certificate
  GET|POST /web/config/system.modules/eula?moduleId=          view / accept the licence
  POST /web/config/system.modules/uninstall?moduleId=
  GET|POST /web/config/system.restart                   POST restarts the gateway
  GET  /web/config/system.backup                        page with the download link
  GET  /web/config/system.backup/download               the .gwbk
  POST /web/config/system.backup/restore                multipart `file` or raw body

After an accepted upload the module is installed at once (8.1 hot-loads
modules; no restart needed). Each POST redirects to the next step.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from igtk_tui.simulator import lifecycle
from igtk_tui.simulator.api_backup import RESTORE_OK, backup_response, restore
from igtk_tui.simulator.errors import HttpError
from igtk_tui.simulator.routes import ONLY_81, Request, Response, Router
from igtk_tui.simulator.state import QuarantinedModule
from igtk_tui.simulator.web81 import page

BASE = "/web/config/system.modules"
_STATE_LABEL = {"ACTIVE": "Running", "FAULTED": "Faulted", "INACTIVE": "Loaded"}


def _uploaded_file(req: Request) -> tuple[str, bytes]:
    if req.content_type.startswith("multipart/"):
        parts = req.multipart()
        filename, data = parts.get("file", (None, b""))
        return filename or req.arg("fileName") or "module.modl", data
    return req.require_arg("fileName"), req.body


def _next_step(req: Request, entry: QuarantinedModule) -> Response:
    """Certificate, then EULA, then install (at once on 8.1)."""
    mid = quote(entry.id)
    if entry.cert_fingerprint and not entry.cert_accepted:
        return Response.redirect(f"{BASE}/certificate?moduleId={mid}")
    if entry.license_crc is not None and not entry.license_accepted:
        return Response.redirect(f"{BASE}/eula?moduleId={mid}")
    lifecycle.install(req.state, entry.id, immediate=True)
    return Response.redirect(f"{BASE}?installed={mid}")


def _modules(req: Request) -> Response:
    esc = html.escape
    rows = "".join(
        f'<tr class="module-row" data-module-id="{esc(m.id)}"><td class="module-name">{esc(m.name)}</td>'
        f'<td class="module-version">{esc(m.version)}</td>'
        f'<td class="module-state">{_STATE_LABEL.get(m.state, m.state)}</td>'
        f'<td><form method="post" action="{BASE}/uninstall?moduleId={quote(m.id)}">'
        f'<button type="submit" class="uninstall-button">Uninstall</button></form></td></tr>'
        for m in req.state.modules.values()
    )
    installed = req.arg("installed")
    notice = f'<div class="notice installed">Module {esc(installed)} installed.</div>' if installed else ""
    body = (
        f'{notice}<table class="modules"><tr><th>Name</th><th>Version</th><th>State</th><th></th></tr>'
        f"{rows}</table><h2>Install or Upgrade a Module</h2>"
        f'<form method="post" action="{BASE}/upload" enctype="multipart/form-data">'
        '<input type="file" name="file" accept=".modl">'
        '<button type="submit" id="install-module">Install</button></form>'
    )
    return page(req, "Modules", body)


def _upload(req: Request) -> Response:
    filename, data = _uploaded_file(req)
    return _next_step(req, lifecycle.upload(req.state, filename, data))


def _certificate_page(req: Request) -> Response:
    entry = lifecycle.quarantined(req.state, req.require_arg("moduleId"))
    info = lifecycle.certificate_info(entry)
    esc = html.escape
    body = (
        f'<div class="certificate" data-module-id="{esc(entry.id)}">'
        f'<div class="subject">{esc(str(info["subjectName"]))}</div>'
        f'<div class="issuer">{esc(str(info["issuerName"]))}</div>'
        f'<div class="serial">{esc(str(info["serialNumber"]))}</div></div>'
        '<form method="post"><button type="submit" id="accept-certificate">I accept / Trust</button></form>'
    )
    return page(req, f"Module Certificate: {entry.name}", body)


def _accept_certificate(req: Request) -> Response:
    entry = lifecycle.quarantined(req.state, req.require_arg("moduleId"))
    if not entry.cert_accepted:
        lifecycle.accept_certificate(req.state, entry.id)
    return _next_step(req, entry)


def _eula_page(req: Request) -> Response:
    entry = lifecycle.quarantined(req.state, req.require_arg("moduleId"))
    if entry.license_text is None:
        raise HttpError(404, f"Module '{entry.id}' has no EULA")
    body = (
        f'<div class="eula" data-module-id="{html.escape(entry.id)}">{entry.license_text}</div>'
        '<form method="post"><button type="submit" id="accept-eula">I accept</button></form>'
    )
    return page(req, f"License Agreement: {entry.name}", body)


def _accept_eula(req: Request) -> Response:
    entry = lifecycle.quarantined(req.state, req.require_arg("moduleId"))
    if not entry.license_accepted:
        lifecycle.accept_eula(req.state, entry.id)
    return _next_step(req, entry)


def _uninstall(req: Request) -> Response:
    module_id = req.arg("moduleId") or req.form().get("moduleId") or ""
    if not lifecycle.uninstall(req.state, [module_id], immediate=True):
        raise HttpError(404, f"Module '{module_id}' is not installed")
    return Response.redirect(BASE)


def _restart_page(req: Request) -> Response:
    body = (
        '<form method="post"><input type="hidden" name="confirm" value="true">'
        '<button type="submit" id="restart-gateway">Restart Gateway</button></form>'
    )
    return page(req, "Restart", body)


def _restart(req: Request) -> Response:
    req.state.begin_restart()
    return page(req, "Restart", '<div class="notice restarting">The gateway is restarting.</div>')


def _backup_page(req: Request) -> Response:
    body = (
        '<a id="download-backup" href="/web/config/system.backup/download">Download Backup</a>'
        "<h2>Restore</h2>"
        '<form method="post" action="/web/config/system.backup/restore" enctype="multipart/form-data">'
        '<input type="file" name="file" accept=".gwbk">'
        '<button type="submit" id="restore-backup">Restore</button></form>'
    )
    return page(req, "Backup/Restore", body)


def _restore(req: Request) -> Response:
    data = (
        req.multipart().get("file", (None, b""))[1] if req.content_type.startswith("multipart/") else req.body
    )
    restore(req.state, data)
    return page(req, "Backup/Restore", f'<div class="notice restoring">{RESTORE_OK}</div>')


def register(router: Router) -> None:
    web = router.group("/web/config", auth="login", versions=ONLY_81)
    web.get("/system.modules", _modules)
    web.post("/system.modules/upload", _upload)
    web.get("/system.modules/certificate", _certificate_page)
    web.post("/system.modules/certificate", _accept_certificate)
    web.get("/system.modules/eula", _eula_page)
    web.post("/system.modules/eula", _accept_eula)
    web.post("/system.modules/uninstall", _uninstall)
    web.get("/system.restart", _restart_page)
    web.post("/system.restart", _restart)
    web.get("/system.backup", _backup_page)
    web.get("/system.backup/download", lambda req: backup_response(req.state))
    web.post("/system.backup/restore", _restore)
