"""The Perspective-like client page: views as data, and one inline SPA shell.

Follows the real client's DOM conventions (sources: docs/simulator.md): every
component root carries `data-component="<type>"` and `data-component-path`,
`meta.domId` becomes the element `id`, docks are `div.docked-view-<side>` with
`div[data-dock-id]` and a `div.view-toggle` handle, popups are `div.popup` with
`.popup-header`, `.popup-body` and `svg.close-icon`, the app bar has
`#gateway-nav`, `#project-nav` and `div.trial-clock`, terminal states are
`h1.terminal-state-header`. Like the real client, the view is rendered by
script after the document loaded (behind `.ignition-loading-spinner`), and
navigation inside the app uses history.pushState without a reload.
No external assets: one HTML document with inline CSS and JS.
"""

from __future__ import annotations

import html
import json
from typing import Any


def _c(ctype: str, dom_id: str | None = None, text: str = "", **props: Any) -> dict[str, Any]:
    return {"type": ctype, "id": dom_id, "text": text, **props}


MAIN_VIEW = [
    _c("ia.display.label", "title", "Demo"),
    _c("ia.display.label", "statusLabel", "Idle"),
    _c("ia.input.button", "goButton", "Go", classes="ia_button--primary psc-primary"),
    _c("ia.input.text-field", "nameField", placeholder="Your name"),
    _c("ia.display.label", "greeting", "Hello, stranger"),
    _c("ia.input.numeric-entry-field", "setpoint", value="42"),
    _c("ia.input.toggle-switch", "pumpToggle"),
    _c("ia.display.label", "pumpState", "Pump off"),
    _c("ia.input.button", "popupButton", "Details", classes="ia_button--secondary"),
    _c("ia.input.button", "lockedButton", "Locked", disabled=True),
    _c("ia.display.label", "hiddenLabel", "Hidden text", visible=False),
    _c("ia.display.icon", "lockIcon", icon="material/lock"),
    _c("sim.display.alarm-badge", "alarmBadge"),
    _c("ia.navigation.link", "toOverview", "Go to overview", href="/overview"),
]
OVERVIEW_VIEW = [
    _c("ia.display.label", "overviewTitle", "Overview"),
    _c(
        "ia.display.table",
        "tagTable",
        rows=[{"name": "Pump1/Running", "value": "true"}, {"name": "Tank1/Level", "value": "42.5"}],
    ),
    _c("ia.input.fileupload", "upload"),
    _c("ia.display.label", "uploadStatus", "No file uploaded"),
    _c("ia.navigation.link", "exportLink", "Export CSV", href="@webdev/report.csv", download=True),
    _c("ia.input.button", "backButton", "Back", navigate="/"),
]
SECURE_VIEW = [
    _c("ia.display.label", "secureTitle", "Secure area"),
    _c("ia.display.label", "welcomeLabel", "Welcome, {user}"),
]
SLOW_VIEW = [_c("ia.display.label", "slowTitle", "Slow page loaded")]
NAV_DOCK = [
    _c("ia.navigation.link", "navMain", "Main", href="/"),
    _c("ia.navigation.link", "navOverview", "Overview", href="/overview"),
    _c("ia.navigation.link", "navSecure", "Secure", href="/secure"),
]

# page url -> view, title and whether the page requires a signed-in user
DEMO_PAGES: dict[str, dict[str, Any]] = {
    "/": {"view": "Main", "title": "Main"},
    "/overview": {"view": "Overview", "title": "Overview"},
    "/secure": {"view": "Secure", "title": "Secure", "secured": True},
    "/slow": {"view": "Slow", "title": "Slow"},
}
DEMO_VIEWS = {"Main": MAIN_VIEW, "Overview": OVERVIEW_VIEW, "Secure": SECURE_VIEW, "Slow": SLOW_VIEW}


def generic_pages(title: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Any other project: one page with its title, so every project launches."""
    return {"/": {"view": "Main", "title": "Main"}}, {"Main": [_c("ia.display.label", "title", title)]}


_CSS = """
*{box-sizing:border-box}body{margin:0;font:14px sans-serif}
.app-bar{display:flex;gap:16px;align-items:center;height:40px;padding:0 12px;background:#263238;color:#fff}
.app-bar a{color:#fff}.trial-clock{margin-left:auto;background:#f9a825;color:#000;padding:2px 8px}
.client{display:flex;min-height:calc(100vh - 40px)}
.docked-view-left{display:flex;background:#eceff1}
.docked-view-left [data-dock-id]{width:200px;padding:8px;display:flex;flex-direction:column;gap:8px}
.view-toggle{width:16px;min-height:60px;background:#90a4ae;cursor:pointer}
.center{flex:1;padding:12px}
[data-component="ia.container.flex"]{display:flex;flex-direction:column;gap:8px;align-items:flex-start}
.ia_toggleSwitch{width:40px;height:20px;background:#bbb;border-radius:10px;cursor:pointer}
.ia_toggleSwitch[aria-checked="true"]{background:#43a047}
.popup{position:fixed;top:120px;left:400px;width:320px;background:#fff;border:1px solid #555;z-index:10}
.popup-header{display:flex;justify-content:space-between;padding:4px 8px;background:#37474f;color:#fff}
.close-icon{width:16px;height:16px;cursor:pointer;fill:#fff}.popup-body{padding:8px}
.modal{position:fixed;inset:0;background:rgba(0,0,0,.3);z-index:9}
.tr{display:flex}.tc{width:160px;padding:2px}
.terminal-state{padding:40px;text-align:center}
"""

_JS = r"""
(function () {
  var CFG = JSON.parse(document.getElementById("perspective-config").textContent);
  var root = document.getElementById("app-container");
  var clicks = 0;
  function pagePath() {
    var p = location.pathname.slice(CFG.base.length) || "/";
    return p.length > 1 ? p.replace(/\/$/, "") : "/";
  }
  function href(h) {
    if (h.indexOf("@webdev/") === 0) return "/system/webdev/" + encodeURIComponent(CFG.project) + "/" + h.slice(8);
    return CFG.base + (h === "/" ? "/" : h);
  }
  function el(tag, attrs, text) {
    var e = tag === "svg" ? document.createElementNS("http://www.w3.org/2000/svg", "svg") : document.createElement(tag);
    for (var k in attrs || {}) if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function setLabel(id, text) { var l = document.getElementById(id); if (l) l.querySelector("span").textContent = text; }
  function component(c, path) {
    var a = {"data-component": c.type, "data-component-path": path, id: c.id};
    var e, t = c.type;
    if (t === "ia.display.label") {
      e = el("div", Object.assign(a, {"class": "ia_labelComponent"}));
      e.appendChild(el("span", {"class": "text"}, c.text.replace("{user}", CFG.user || "")));
    } else if (t === "ia.input.button") {
      e = el("button", Object.assign(a, {"class": "ia_button " + (c.classes || ""), type: "button"}));
      e.appendChild(el("span", {"class": "text"}, c.text));
      if (c.disabled) e.disabled = true;
      e.addEventListener("click", function () { action(c); });
    } else if (t === "ia.input.text-field") {
      e = el("input", Object.assign(a, {type: "text", "class": "ia_inputField text-field", placeholder: c.placeholder}));
      e.addEventListener("input", function () { setLabel("greeting", "Hello, " + (e.value || "stranger")); });
      e.addEventListener("keydown", function (ev) { if (ev.key === "Enter") setLabel("statusLabel", "Submitted " + e.value); });
    } else if (t === "ia.input.numeric-entry-field") {
      e = el("div", Object.assign(a, {"class": "ia_numeralField"}));
      e.appendChild(el("input", {type: "number", "class": "ia_inputField", value: c.value}));
    } else if (t === "ia.input.toggle-switch") {
      e = el("div", Object.assign(a, {"class": "ia_toggleSwitch", role: "switch", "aria-checked": "false", tabindex: "0"}));
      e.addEventListener("click", function () {
        var on = e.getAttribute("aria-checked") !== "true";
        e.setAttribute("aria-checked", String(on)); setLabel("pumpState", on ? "Pump on" : "Pump off");
      });
    } else if (t === "ia.navigation.link") {
      e = el("a", Object.assign(a, {href: href(c.href), download: c.download ? "" : null}), c.text);
      if (!c.download) e.addEventListener("click", function (ev) { ev.preventDefault(); navigate(c.href); });
    } else if (t === "ia.display.icon") {
      e = el("svg", Object.assign(a, {"data-icon": c.icon, width: "24", height: "24", viewBox: "0 0 24 24"}));
      e.innerHTML = '<path d="M6 10V8a6 6 0 1 1 12 0v2h1v12H5V10zm2 0h8V8a4 4 0 1 0-8 0z"/>';
    } else if (t === "ia.display.table") {
      e = el("div", Object.assign(a, {"class": "ia_table"}));
      c.rows.forEach(function (r, i) {
        var tr = el("div", {"class": "tr", "data-row-index": String(i)});
        for (var k in r) tr.appendChild(el("div", {"class": "tc", "data-column-id": k}, r[k]));
        e.appendChild(tr);
      });
    } else if (t === "ia.input.fileupload") {
      e = el("div", Object.assign(a, {"class": "ia_fileUpload"}));
      var f = el("input", {type: "file", "class": "file-input"});
      f.addEventListener("change", function () {
        var file = f.files[0]; setLabel("uploadStatus", file ? "Uploaded " + file.name + " (" + file.size + " bytes)" : "No file uploaded");
      });
      e.appendChild(f);
    } else if (t === "sim.display.alarm-badge") {
      e = el("div", a);
      var shadow = e.attachShadow({mode: "open"});
      var state = el("span", {"class": "badge-state"}, "Active");
      var ack = el("button", {"data-component": "ia.input.button", id: "ackButton", type: "button"}, "Acknowledge");
      ack.addEventListener("click", function () { state.textContent = "Acknowledged"; });
      shadow.appendChild(state); shadow.appendChild(ack);
    } else {
      e = el("div", a, c.text);
    }
    if (c.visible === false) e.style.display = "none";
    return e;
  }
  function container(list, path) {
    var box = el("div", {"data-component": "ia.container.flex", "data-component-path": path, "class": "view-root"});
    list.forEach(function (c, i) { box.appendChild(component(c, path + "$0:" + i)); });
    return box;
  }
  function action(c) {
    if (c.id === "goButton") { clicks += 1; setLabel("statusLabel", "Clicked " + clicks); }
    if (c.id === "popupButton") openPopup();
    if (c.navigate) navigate(c.navigate);
  }
  function openPopup() {
    if (document.getElementById("popup-details")) return;
    var p = el("div", {"class": "popup", id: "popup-details", "data-popup-id": "details"});
    var head = el("div", {"class": "popup-header"});
    head.appendChild(el("span", {"class": "popup-title"}, "Details"));
    var x = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    x.setAttribute("class", "close-icon"); x.setAttribute("viewBox", "0 0 24 24");
    x.innerHTML = '<path d="M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z"/>';
    x.addEventListener("click", function () { p.remove(); });
    head.appendChild(x); p.appendChild(head);
    var body = el("div", {"class": "popup-body"});
    body.appendChild(component({type: "ia.display.label", id: "popupMessage", text: "Pump 1 is running"}, "P$0:0"));
    p.appendChild(body); document.body.appendChild(p);
  }
  function terminal(header, message) {
    root.innerHTML = "";
    var box = el("div", {"class": "terminal-state"});
    box.appendChild(el("h1", {"class": "terminal-state-header"}, header));
    box.appendChild(el("p", {"class": "terminal-state-message"}, message));
    root.appendChild(box); document.title = header;
  }
  function renderView() {
    var page = CFG.pages[pagePath()];
    var center = document.getElementById("center-view");
    center.innerHTML = "";
    if (!page) { center.appendChild(el("h1", {"class": "terminal-state-header"}, "Page not found")); document.title = "Page not found"; return; }
    if (page.secured && !CFG.user) { location.reload(); return; }
    center.setAttribute("data-view-path", page.view);
    center.appendChild(container(CFG.views[page.view], "C"));
    document.title = page.title + " - " + CFG.title;
  }
  function navigate(path) {
    history.pushState({path: path}, "", href(path));
    renderView();
  }
  function clock() {
    var s = Math.max(0, CFG.trialSeconds - Math.floor((Date.now() - CFG.renderedAt) / 1000));
    var t = document.querySelector(".trial-clock");
    if (t) t.textContent = s > 0 ? "Trial Mode " + Math.floor(s / 3600) + ":" + ("0" + Math.floor(s % 3600 / 60)).slice(-2) + ":" + ("0" + s % 60).slice(-2) : "Trial Expired";
  }
  function boot() {
    CFG.renderedAt = Date.now();
    if (CFG.terminal) { terminal(CFG.terminal[0], CFG.terminal[1]); return; }
    root.innerHTML = "";
    var bar = el("div", {"class": "app-bar"});
    var gw = el("div", {id: "gateway-nav"}); gw.appendChild(el("a", {href: CFG.gatewayHome}, "Gateway")); bar.appendChild(gw);
    bar.appendChild(el("div", {id: "project-nav"}, CFG.title));
    bar.appendChild(el("span", {"class": "user-name", id: "user-name"}, CFG.user || "Not signed in"));
    bar.appendChild(el("div", {"class": "trial-clock"}));
    root.appendChild(bar);
    var client = el("div", {"class": "client"});
    var dock = el("div", {"class": "docked-view-left"});
    var content = el("div", {"data-dock-id": "nav", "class": "dock-content", style: "display:none"});
    CFG.dock.forEach(function (c, i) { content.appendChild(component(c, "D$0:" + i)); });
    var toggle = el("div", {"class": "view-toggle", role: "button", title: "Show or hide the nav dock"});
    toggle.addEventListener("click", function () { content.style.display = content.style.display === "none" ? "" : "none"; });
    dock.appendChild(content); dock.appendChild(toggle); client.appendChild(dock);
    client.appendChild(el("div", {"class": "center", id: "center-view"}));
    root.appendChild(client);
    renderView(); clock(); setInterval(clock, 1000);
  }
  window.addEventListener("popstate", renderView);
  window.addEventListener("load", function () { setTimeout(boot, 30); });
})();
"""


def client_page(config: dict[str, Any], title: str) -> str:
    """The whole client document; `config` becomes the page's inline JSON."""
    data = json.dumps(config).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>{_CSS}</style></head>
<body><div id="app-container" class="ia-perspective-client"><div class="ignition-loading-spinner">Loading</div></div>
<script id="perspective-config" type="application/json">{data}</script>
<script>{_JS}</script>
</body></html>
"""
