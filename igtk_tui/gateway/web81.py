"""Ignition 8.1 equivalents over the web UI with a logged-in session.

8.1 has no REST API (it arrived with 8.3). Its config pages are Wicket
forms whose URLs are generated per session ([UNVERIFIED]), so there is
no stable HTTP route to target on a real 8.1 gateway. These functions speak
the stable stand-ins the simulator serves (igtk_tui/simulator/web81_config.py):

    GET  /web/config/system.modules                 module table (rows: data-module-id)
    POST /web/config/system.modules/upload          multipart `file`
    POST /web/config/system.modules/certificate?moduleId=   trust the certificate
    POST /web/config/system.modules/eula?moduleId=          accept the licence
    POST /web/config/system.modules/uninstall?moduleId=
    POST /web/config/system.restart
    GET  /web/config/system.backup/download
    POST /web/config/system.backup/restore          raw body

Every POST answers with a redirect naming the next step (certificate, EULA,
or `?installed=`); 8.1 hot-loads modules, so no restart follows an install.
Against a real 8.1 gateway these routes are expected to be missing: the
caller gets a NotSupported error saying so, never a silent success.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx

from igtk_tui.gateway.errors import GatewayError, NotSupported, Unauthorised

if TYPE_CHECKING:
    from igtk_tui.gateway.session import GatewaySession as GatewayClient

MODULES = "/web/config/system.modules"
RESTART = "/web/config/system.restart"
BACKUP_DOWNLOAD = "/web/config/system.backup/download"
BACKUP_RESTORE = "/web/config/system.backup/restore"
# The page's state labels -> the 8.3 REST states, so steps compare one vocabulary.
STATE_LABELS = {"running": "ACTIVE", "faulted": "FAULTED", "loaded": "INACTIVE", "installed": "INACTIVE"}
ANSWERS = frozenset({200, 302, 303, 400, 401, 403, 404, 405, 409})


@dataclass
class NextStep:
    """Where an 8.1 module form sent us: `certificate`, `eula` or `installed`."""

    kind: str
    module_id: str | None


async def _call(client: GatewayClient, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
    response = await client._send(method, url, what=what, allow=ANSWERS, **kwargs)
    if _to_login(response) and client._session and client.username and client.password \
            and isinstance(kwargs.get("content"), (type(None), bytes)):
        client._note(f"{what}: the web session expired; logging in again", "info")
        await client._relogin()  # pages answer a redirect to the login, not 401, when a session ends
        response = await client._send(method, url, what=what, allow=ANSWERS, **kwargs)
    if _to_login(response):
        raise Unauthorised(f"{what}: Ignition 8.1 needs a web login for this: give username and password "
                           "(or run gateway.login first)", status=response.status_code)
    if response.status_code in (404, 405):
        raise NotSupported(f"{what}: this Ignition 8.1 gateway has no {url.split('?')[0]} route (HTTP "
                           f"{response.status_code}); 8.1 config pages are Wicket forms with generated URLs, "
                           "so do this in the gateway's web UI or with gwcmd on the host")
    if response.status_code >= 400:
        from igtk_tui.gateway import transport

        raise transport.http_error(response, what, auth_mode=client.auth_mode, base_url=client.base_url,
                                   line="8.1")
    return response


def _to_login(response: httpx.Response) -> bool:
    return response.status_code in (302, 303) and "/web/login" in response.headers.get("location", "")


def next_step(response: httpx.Response) -> NextStep:
    location = response.headers.get("location", "")
    query = parse_qs(urlsplit(location).query)
    path = urlsplit(location).path
    if path.endswith("/certificate"):
        return NextStep("certificate", (query.get("moduleId") or [None])[0])
    if path.endswith("/eula"):
        return NextStep("eula", (query.get("moduleId") or [None])[0])
    if "installed" in query:
        return NextStep("installed", query["installed"][0])
    raise GatewayError(f"the 8.1 module form answered HTTP {response.status_code} without a next step"
                       + (f" (redirect to {location})" if location else ""))


async def upload(client: GatewayClient, data: bytes, filename: str) -> NextStep:
    response = await _call(client, "POST", f"{MODULES}/upload", f"uploading module {filename}",
                           files={"file": (filename, data, "application/octet-stream")}, idempotent=False)
    return next_step(response)


async def accept(client: GatewayClient, kind: str, module_id: str) -> NextStep:
    """POST the certificate or EULA form; returns the step after it."""
    what = f"accepting the {'certificate' if kind == 'certificate' else 'licence'} of {module_id}"
    response = await _call(client, "POST", f"{MODULES}/{kind}", what, params={"moduleId": module_id},
                           idempotent=False)
    return next_step(response)


_ROW = re.compile(r'<tr[^>]*class="module-row"[^>]*data-module-id="([^"]+)"[^>]*>(.*?)</tr>', re.S)
_CELL = re.compile(r'<td[^>]*class="module-(name|version|state)"[^>]*>(.*?)</td>', re.S)


async def list_modules(client: GatewayClient) -> list[dict[str, Any]]:
    """Module rows of the modules page, in the 8.3 item vocabulary (id, name, version, state)."""
    response = await _call(client, "GET", MODULES, "listing modules")
    modules = []
    for module_id, row in _ROW.findall(response.text):
        cells = {k: html.unescape(re.sub(r"<[^>]+>", "", v)).strip() for k, v in _CELL.findall(row)}
        label = cells.get("state", "")
        state = STATE_LABELS.get(label.lower(), label.upper() or "UNKNOWN")
        modules.append({"id": html.unescape(module_id), "name": cells.get("name", module_id),
                        "version": cells.get("version", ""), "state": state, "stateLabel": label,
                        "faultCause": None})
    return modules


async def uninstall(client: GatewayClient, module_id: str) -> None:
    await _call(client, "POST", f"{MODULES}/uninstall", f"uninstalling module {module_id}",
                params={"moduleId": module_id}, idempotent=False)


async def restart(client: GatewayClient) -> None:
    await _call(client, "POST", RESTART, f"restarting the gateway at {client.base_url}",
                data={"confirm": "true"}, idempotent=False)
