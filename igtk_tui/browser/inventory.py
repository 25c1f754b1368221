"""The page inventory script of perspective.discover_page.

It walks the DOM and every open shadow root under a root selector and lists
Perspective components (`data-component`) and native interactive elements
that are not inside one. Per element: id, index, type, tag, classes, the
component type and `data-component-path`, a selector string Playwright can
use (ids and CSS pierce open shadow roots), a CSS path, an XPath (light DOM
only), text, label, placeholder, title, aria-label, position, visible,
disabled, readonly and data attributes.
"""

from __future__ import annotations

INVENTORY_JS = r"""
(args) => {
  const rootEl = document.querySelector(args.root);
  if (!rootEl) return {error: "no element matches the root selector " + args.root};
  const exclude = args.exclude || [];
  const wanted = new Set(args.types || []);
  const NATIVE = "button, a[href], input, select, textarea, [role=button], [role=link], [role=switch], " +
                 "[role=checkbox], [role=tab], [role=menuitem], [role=combobox], [onclick]";
  const out = [];
  const textOf = (el) => ((el.tagName === "INPUT" || el.tagName === "TEXTAREA") ? (el.value || "")
                          : (el.innerText !== undefined && el.shadowRoot === null ? el.innerText : el.textContent) || "")
                          .replace(/\s+/g, " ").trim().slice(0, 200);
  function typeOf(el) {
    const c = el.getAttribute("data-component") || "";
    const tag = el.tagName.toLowerCase(), role = el.getAttribute("role") || "", cls = String(el.className || "");
    if (/button/.test(c) || tag === "button" || role === "button" || /ia_button/.test(cls)) return "button";
    if (/toggle|checkbox/.test(c) || role === "switch" || role === "checkbox" || /ia_toggle|ia_checkbox/.test(cls)
        || (tag === "input" && /checkbox|radio/.test(el.type))) return "toggle";
    if (/dropdown/.test(c) || tag === "select" || role === "combobox" || /ia_dropdown/.test(cls)) return "dropdown";
    if (/text-field|numeric|text-area|password|fileupload|input\./.test(c) || tag === "input" || tag === "textarea"
        || /ia_input/.test(cls)) return "input";
    if (/navigation\.link/.test(c) || tag === "a" || role === "link") return "link";
    if (/display\.label/.test(c)) return "label";
    if (/display\.table/.test(c)) return "table";
    if (/^ia\.container\./.test(c)) return "container";
    if (/^ia\.display\./.test(c)) return "display";
    return c ? "component" : "other";
  }
  function cssPath(el) {
    const parts = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      if (n.id) { parts.unshift("#" + CSS.escape(n.id)); break; }
      let i = 1, s = n;
      while ((s = s.previousElementSibling)) if (s.tagName === n.tagName) i++;
      parts.unshift(n.tagName.toLowerCase() + ":nth-of-type(" + i + ")");
    }
    return parts.join(" > ");
  }
  function xpath(el) {
    if (el.getRootNode() !== document) return null;
    const parts = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentNode) {
      let i = 1, s = n;
      while ((s = s.previousElementSibling)) if (s.tagName === n.tagName) i++;
      parts.unshift(n.tagName.toLowerCase() + "[" + i + "]");
    }
    return "/" + parts.join("/");
  }
  function unique(sel) { try { return document.querySelectorAll(sel).length === 1; } catch (e) { return false; } }
  function selectorFor(el, comp, text, inShadow) {
    if (el.id) return "#" + (/^[A-Za-z_][\w-]*$/.test(el.id) ? el.id : CSS.escape(el.id));
    if (comp) {
      const sameType = allOfType(comp);
      const base = '[data-component="' + comp + '"]';
      if (text && sameType.filter((e) => textOf(e).includes(text)).length === 1)
        return base + ':has-text(' + JSON.stringify(text) + ')';
      return base + " >> nth=" + sameType.indexOf(el);
    }
    for (const a of ["name", "aria-label", "placeholder"]) {
      const v = el.getAttribute(a);
      if (v) { const s = el.tagName.toLowerCase() + "[" + a + "=" + JSON.stringify(v) + "]"; if (inShadow || unique(s)) return s; }
    }
    return cssPath(el);
  }
  const typeCache = {};
  function allOfType(comp) {
    if (!typeCache[comp]) typeCache[comp] = all.filter((e) => e.getAttribute("data-component") === comp);
    return typeCache[comp];
  }
  const all = [];
  (function walk(node, host) {
    for (const el of node.querySelectorAll("*")) {
      all.push(el); el.__igtkHost = host;
      if (el.shadowRoot) walk(el.shadowRoot, el);
    }
  })(rootEl, null);
  for (const el of all) {
    const comp = el.getAttribute("data-component");
    const isNative = el.matches(NATIVE);
    if (!comp && !isNative) continue;
    if (exclude.some((s) => { try { return el.matches(s) || el.closest(s); } catch (e) { return false; } })) continue;
    const owner = el.parentElement && el.parentElement.closest("[data-component]");
    if (!comp && owner && !/^ia\.container\./.test(owner.getAttribute("data-component"))) continue;
    const type = typeOf(el);
    if (wanted.size && !wanted.has(type)) continue;
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    const visible = r.width > 0 && r.height > 0 && st.visibility !== "hidden" && st.display !== "none";
    const text = textOf(el);
    const inShadow = el.getRootNode() !== document;
    const labelEl = el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]');
    const data = {};
    for (const a of el.attributes) if (a.name.startsWith("data-")) data[a.name] = a.value;
    out.push({
      id: el.id || null, index: out.length, type, tagName: el.tagName.toLowerCase(),
      className: typeof el.className === "string" ? el.className : (el.getAttribute("class") || ""),
      component: comp, componentPath: el.getAttribute("data-component-path"),
      componentId: el.id || (owner && owner.id) || null,
      selector: selectorFor(el, comp, text, inShadow), cssPath: cssPath(el), xpath: xpath(el), text,
      label: (labelEl && labelEl.textContent.trim()) || el.getAttribute("aria-label") || el.getAttribute("placeholder") || null,
      placeholder: el.getAttribute("placeholder"), title: el.getAttribute("title"),
      ariaLabel: el.getAttribute("aria-label"), name: el.getAttribute("name"),
      position: {x: Math.round(r.x), y: Math.round(r.y), width: Math.round(r.width), height: Math.round(r.height)},
      visible, disabled: !!el.disabled || el.getAttribute("aria-disabled") === "true",
      readonly: !!el.readOnly, inShadow,
      shadowHost: inShadow && el.__igtkHost ? (el.__igtkHost.id ? "#" + el.__igtkHost.id : cssPath(el.__igtkHost)) : null,
      dataAttributes: data,
    });
    if (out.length >= args.limit) break;
  }
  for (const el of all) delete el.__igtkHost;
  return {items: out};
}
"""
