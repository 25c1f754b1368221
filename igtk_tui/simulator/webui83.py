"""8.3 gateway web-UI pages the earlier toolkit's playbooks click through (issue 13).

Home (`/`, `/web/home`: a "Log In" link, then `nav` and `.ia_homePage`),
`/app/platform/system/modules` (filter, per-row "more" menu with Uninstall and
its confirmation, "Install or Upgrade Module" with the upload, certificate
and licence steps), a "Restart Gateway" control on every platform page
("I understand the risks", `button#restart gateway-button`, the STARTING
cycle), `/app/platform/system/backup-restore/backup` ("Download Backup") and
`/app/platform/system/licensing` (trial state, "Reset" and "Activate").

Like the real React UI, the pages act only through the 8.3 REST API with the
web-UI session cookie and its CSRF token, so everything done on a page changes
exactly the state the API changes (a module installed here is listed there).
The page structure follows the selectors the earlier toolkit's playbooks use
(docs/simulator.md); the markup itself is a stand-in, not IA's.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from igtk_tui.simulator.auth import WEBUI_CLIENT, find_session
from igtk_tui.simulator.routes import ONLY_83, Request, Response, Router
from igtk_tui.simulator.state import WebSession
from igtk_tui.simulator.web81 import display

MODULES = "/app/platform/system/modules"
BACKUP = "/app/platform/system/backup-restore/backup"
LICENSING = "/app/platform/system/licensing"

_COMMON_JS = r"""
var CSRF = document.querySelector("meta[name=csrf-token]").content;
function el(tag, attrs, text) {
  var e = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
  if (text !== undefined) { e.textContent = text; }
  return e;
}
function api(method, path, body, type) {
  var headers = {"X-CSRF-Token": CSRF, "Accept": "application/json"};
  if (type) { headers["Content-Type"] = type; }
  return fetch("/data/api/v1" + path, {method: method, headers: headers, body: body, credentials: "same-origin"})
    .then(function (r) { return r.text().then(function (t) {
      var data; try { data = JSON.parse(t); } catch (e) { data = t; }
      if (!r.ok) { throw new Error((data && data.message) || t || ("HTTP " + r.status)); }
      return data;
    }); });
}
function notice(cls, text) {
  var box = document.getElementById("notices");
  box.replaceChildren(el("div", {"class": "notice " + cls, "role": "status"}, text));
}
function dialog(cls) {
  closeDialogs();
  var d = el("div", {"class": "modal " + cls, "role": "dialog"});
  document.body.appendChild(d);
  return d;
}
function closeDialogs() { document.querySelectorAll(".modal").forEach(function (d) { d.remove(); }); }
function confirmBox(d, labelText, buttonText, buttonId) {
  var box = el("input", {"type": "checkbox"});
  var label = el("label", {}); label.appendChild(box); label.appendChild(document.createTextNode(" " + labelText));
  var button = el("button", {"type": "button", "data-component": "web-ui.button", "data-label": buttonText}, buttonText);
  if (buttonId) { button.id = buttonId; }
  button.disabled = true;
  box.addEventListener("change", function () { button.disabled = !box.checked; });
  d.appendChild(label); d.appendChild(button);
  return button;
}
function showPending() {
  api("GET", "/restart-tasks/pending").then(function (r) {
    var bar = document.getElementById("restart-pending");
    if (r.pending.length) {
      bar.textContent = "Restart required: " + r.pending.join(", ");
      bar.hidden = false;
    } else { bar.hidden = true; }
  });
}
function waitForRunning() {
  fetch("/StatusPing", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (s) {
    document.getElementById("gateway-state").textContent = s.state;
    if (s.state === "RUNNING") { notice("restarted", "Gateway restarted"); showPending(); }
    else { setTimeout(waitForRunning, 300); }
  }, function () { setTimeout(waitForRunning, 300); });
}
document.querySelector(".restart-control").addEventListener("click", function () {
  var d = dialog("restart-dialog");
  d.appendChild(el("h2", {}, "Restart Gateway"));
  d.appendChild(el("p", {}, "All clients disconnect while the gateway restarts."));
  var go = confirmBox(d, "I understand the risks", "Restart", "restart gateway-button");
  go.addEventListener("click", function () {
    api("POST", "/restart-tasks/restart?confirm=true").then(function () {
      closeDialogs();
      document.getElementById("gateway-state").textContent = "STARTING";
      notice("restarting", "Gateway is restarting");
      setTimeout(waitForRunning, 300);
    }, function (err) { notice("error", err.message); });
  });
});
showPending();
"""

_MODULES_JS = r"""
var modules = [];
function render() {
  var words = document.getElementById("module-filter").value.trim().toLowerCase();
  var body = document.getElementById("module-rows");
  body.replaceChildren();
  modules.filter(function (m) {
    return !words || m.name.toLowerCase().indexOf(words) >= 0 || m.id.toLowerCase().indexOf(words) >= 0;
  }).forEach(function (m) {
    var row = el("tr", {"class": "module-row", "data-module-id": m.id});
    row.appendChild(el("td", {"class": "module-name"}, m.name));
    row.appendChild(el("td", {"class": "module-version"}, m.version));
    row.appendChild(el("td", {"class": "module-state"}, m.onStartup ? m.state + " (" + m.onStartup + " at restart)" : m.state));
    var cell = el("td", {});
    var more = el("button", {"type": "button", "aria-label": "more actions", "class": "row-menu"}, "\u22ee");
    more.addEventListener("click", function () { openMenu(m, more); });
    cell.appendChild(more); row.appendChild(cell); body.appendChild(row);
  });
}
function load() { return api("GET", "/modules/healthy").then(function (r) { modules = r.items; render(); showPending(); }); }
function openMenu(m, anchor) {
  document.querySelectorAll(".row-menu-list").forEach(function (x) { x.remove(); });
  var menu = el("ul", {"class": "row-menu-list", "role": "menu"});
  var item = el("li", {"role": "menuitem"}, "Uninstall");
  item.addEventListener("click", function () { menu.remove(); confirmUninstall(m); });
  menu.appendChild(item);
  anchor.parentNode.appendChild(menu);
}
function confirmUninstall(m) {
  var d = dialog("uninstall-dialog");
  d.appendChild(el("p", {}, "Uninstall " + m.name + "? It is removed when the gateway restarts."));
  var cancel = el("button", {"type": "button", "class": "cancel"}, "Cancel");
  cancel.addEventListener("click", closeDialogs);
  var ok = el("button", {"type": "button", "data-component": "web-ui.button", "class": "danger"}, "Uninstall");
  ok.addEventListener("click", function () {
    api("DELETE", "/modules/uninstall", JSON.stringify({uninstall: [m.id]}), "application/json").then(function (r) {
      closeDialogs(); notice("uninstalled", r.message); load();
    }, function (err) { closeDialogs(); notice("error", err.message); });
  });
  d.appendChild(cancel); d.appendChild(ok);
}
function fail(err) { closeDialogs(); notice("error", err.message); load(); }
function nextStep(r) {
  var id = encodeURIComponent(r.moduleId);
  if (r.containsCert && !r.certAccepted) {
    return api("GET", "/modules/certificate?moduleId=" + id).then(function (cert) {
      var d = dialog("certificate-step");
      d.appendChild(el("h2", {}, "Module Certificate"));
      d.appendChild(el("div", {"class": "cert-subject"}, cert.subjectName));
      confirmBox(d, "I accept the module certificate", "Accept").addEventListener("click", function () {
        api("POST", "/modules/certificate?moduleId=" + id).then(function () {
          r.certAccepted = true; nextStep(r);
        }, fail);
      });
    });
  }
  if (r.containsEula && !r.licenseAccepted) {
    return api("GET", "/modules/eula?moduleId=" + id).then(function (text) {
      var d = dialog("license-step");
      d.appendChild(el("h2", {}, "License Agreement"));
      d.appendChild(el("pre", {"class": "eula-text"}, String(text)));
      confirmBox(d, "I accept the terms of the license agreement", "Accept").addEventListener("click", function () {
        api("POST", "/modules/eula?moduleId=" + id).then(function () {
          r.licenseAccepted = true; nextStep(r);
        }, fail);
      });
    });
  }
  return api("POST", "/modules/install?moduleId=" + id).then(function (done) {
    closeDialogs();
    notice("installed", "Module " + r.moduleId + " " + (done.onStartup === "UPGRADE" ? "upgraded" : "installed")
      + ": restart the gateway to finish (Restart Gateway)");
    load();
  }, fail);
}
document.getElementById("install-module").addEventListener("click", function () {
  var d = dialog("install-panel");
  d.appendChild(el("h2", {}, "Install or Upgrade Module"));
  var input = el("input", {"type": "file", "accept": ".modl"});
  var go = el("button", {"type": "button", "data-label": "Install Module", "data-component": "web-ui.button"},
    "Install Module");
  go.disabled = true;
  input.addEventListener("change", function () { go.disabled = !input.files.length; });
  go.addEventListener("click", function () {
    var file = input.files[0];
    go.disabled = true;
    file.arrayBuffer().then(function (data) {
      return api("POST", "/modules/upload?fileName=" + encodeURIComponent(file.name), data,
                 "application/octet-stream");
    }).then(nextStep, fail);
  });
  d.appendChild(input); d.appendChild(go);
});
document.getElementById("module-filter").addEventListener("input", render);
load();
"""

_LICENSING_JS = r"""
function showTrial(t) {
  var box = document.getElementById("trial-status");
  box.dataset.expired = String(t.expired);
  box.textContent = t.expired ? "Trial expired" : "Trial: " + t.remainingDisplay + " remaining";
}
document.getElementById("reset-trial").addEventListener("click", function () {
  api("POST", "/trial").then(function (t) {
    var s = t.trialSecondsLeft;
    t.remainingDisplay = Math.floor(s / 3600) + ":" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + ":"
      + String(s % 60).padStart(2, "0");
    showTrial(t); notice("trial-reset", "Trial reset");
  }, function (err) { notice("error", err.message); });
});
document.getElementById("activate").addEventListener("click", function () {
  var d = dialog("activate-dialog");
  d.appendChild(el("label", {"for": "license-key"}, "License key"));
  d.appendChild(el("input", {"id": "license-key", "type": "text"}));
});
"""

_BACKUP_JS = r"""
document.getElementById("download-backup").addEventListener("click", function () {
  window.location.href = "/data/api/v1/backup";
  notice("backup-started", "Backup download started");
});
"""


def _frame(req: Request, session: WebSession, title: str, body: str, script: str = "") -> Response:
    esc = html.escape
    state = req.state
    return Response.html(f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{esc(title)} | {esc(state.gateway_name)}</title>
<meta name="csrf-token" content="{esc(session.csrf_token)}"></head>
<body class="webui-83">
<nav class="ia_navBar"><span class="gateway-name">{esc(state.gateway_name)}</span>
<a href="/web/home">Home</a> <a href="{MODULES}">Modules</a> <a href="{BACKUP}">Backup</a>
<a href="{LICENSING}">Licensing</a>
<span class="user-name">{esc(session.username)}</span> <span id="gateway-state" class="gateway-state">{state.phase}</span>
<button type="button" class="restart-control">Restart Gateway</button></nav>
<div id="restart-pending" class="restart-required" hidden></div>
<div id="notices"></div>
<main><h1>{esc(title)}</h1>
{body}
</main>
<script>{_COMMON_JS}{script}</script>
</body></html>
""")


def _signed_in(req: Request) -> WebSession | Response:
    session = find_session(req, WEBUI_CLIENT)
    if session is None:
        return Response.redirect(f"/data/app/login?return={quote(req.path)}")
    return session


def _home(req: Request) -> Response:
    session = find_session(req, WEBUI_CLIENT)
    esc = html.escape
    if session is None:
        return Response.html(f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{esc(req.state.gateway_name)}</title></head>
<body class="webui-83 signed-out"><header class="home-header">
<span class="gateway-name">{esc(req.state.gateway_name)}</span>
<a class="login-link" href="/data/app/login?return=/web/home">Log In</a></header>
<div class="welcome">Ignition {esc(req.config.plain_version)}</div></body></html>
""")
    projects = "".join(f'<li class="project">{esc(name)}</li>' for name in req.state.projects)
    body = f'<div class="ia_homePage" data-page="home"><ul class="projects">{projects}</ul></div>'
    return _frame(req, session, "Home", body)


def _modules(req: Request) -> Response:
    session = _signed_in(req)
    if isinstance(session, Response):
        return session
    body = (
        '<input id="module-filter" type="text" placeholder="Filter modules...">'
        '<button type="button" id="install-module">Install or Upgrade Module</button>'
        '<table class="modules"><thead><tr><th>Name</th><th>Version</th><th>State</th><th></th></tr></thead>'
        '<tbody id="module-rows"></tbody></table>'
    )
    return _frame(req, session, "Modules", body, _MODULES_JS)


def _backup(req: Request) -> Response:
    session = _signed_in(req)
    if isinstance(session, Response):
        return session
    body = ('<p>A gateway backup (.gwbk) holds the configuration and projects.</p>'
            '<button type="button" id="download-backup">Download Backup</button>')
    return _frame(req, session, "Backup", body, _BACKUP_JS)


def _licensing(req: Request) -> Response:
    session = _signed_in(req)
    if isinstance(session, Response):
        return session
    expired = req.state.trial_expired()
    text = "Trial expired" if expired else f"Trial: {display(req.state.trial_seconds_left())} remaining"
    body = (
        f'<div id="trial-status" class="trial-status" data-expired="{str(expired).lower()}">{text}</div>'
        '<button type="button" id="reset-trial" class="reset-trial">Reset</button>'
        '<button type="button" id="activate" class="activate-license">Activate</button>'
    )
    return _frame(req, session, "Licensing", body, _LICENSING_JS)


def register(router: Router) -> None:
    router.get("/", _home, versions=ONLY_83)
    router.get("/web/home", _home, versions=ONLY_83)
    router.get(MODULES, _modules, versions=ONLY_83)
    router.get(BACKUP, _backup, versions=ONLY_83)
    router.get(LICENSING, _licensing, versions=ONLY_83)
