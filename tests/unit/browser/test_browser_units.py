"""Browser discovery order and errors, Perspective locators and URLs, and the
millisecond timeout schema: everything here runs without a browser."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from igtk_tui.browser.discovery import BrowserUnavailable, find_browser, playbook_needs_browser
from igtk_tui.engine.context import StepFailure
from igtk_tui.playbook.errors import PlaybookError
from igtk_tui.playbook.loader import load_text
from igtk_tui.steps import perspective_common as psp
from igtk_tui.steptypes import REGISTRY


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def env_for(tmp_path: Path, path_dirs: list[Path], **extra: str) -> dict[str, str]:
    empty = tmp_path / "no-browsers"
    empty.mkdir(exist_ok=True)
    return {"PATH": os.pathsep.join(str(d) for d in path_dirs), "HOME": str(tmp_path),
            "PLAYWRIGHT_BROWSERS_PATH": str(empty), **extra}


def test_the_configured_path_comes_first(tmp_path: Path) -> None:
    configured = executable(tmp_path / "custom" / "chrome")
    on_path = executable(tmp_path / "bin" / "chromium")
    found = find_browser(SimpleNamespace(browser_path=str(configured)), env_for(tmp_path, [on_path.parent]))
    assert (found.path, found.source) == (str(configured), "setting browser_path")
    found = find_browser(None, env_for(tmp_path, [on_path.parent], IGTK_BROWSER_PATH=str(configured)))
    assert found.source == "IGTK_BROWSER_PATH"


def test_a_broken_configured_path_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    on_path = executable(tmp_path / "bin" / "chromium")
    with pytest.raises(BrowserUnavailable) as info:
        find_browser(SimpleNamespace(browser_path="/missing/chromium"), env_for(tmp_path, [on_path.parent]))
    message = str(info.value)
    assert "'/missing/chromium' (setting browser_path) does not exist" in message
    assert "apt-get install chromium" in message and info.value.exit_code == 3


def test_playwrights_own_browser_before_path(tmp_path: Path) -> None:
    cache = tmp_path / "ms-playwright"
    own = executable(cache / "chromium-1255" / "chrome-linux64" / "chrome")
    on_path = executable(tmp_path / "bin" / "chromium")
    env = env_for(tmp_path, [on_path.parent], PLAYWRIGHT_BROWSERS_PATH=str(cache))
    found = find_browser(None, env)
    assert found.source == "Playwright's browser" and found.path == str(own)


def test_path_names_in_order_then_a_clear_error(tmp_path: Path) -> None:
    chrome = executable(tmp_path / "bin" / "google-chrome")
    assert find_browser(None, env_for(tmp_path, [chrome.parent])).path == str(chrome)
    chromium_browser = executable(tmp_path / "bin" / "chromium-browser")
    assert find_browser(None, env_for(tmp_path, [chrome.parent])).path == str(chromium_browser)
    with pytest.raises(BrowserUnavailable) as info:
        find_browser(None, env_for(tmp_path, [tmp_path / "nothing-here"]))
    message = str(info.value)
    assert message.startswith("no Chromium browser found")
    for hint in ("chromium, chromium-browser, google-chrome", "apt-get install chromium", "browser_path",
                 "IGTK_BROWSER_PATH"):
        assert hint in message


def test_a_timeout_in_seconds_is_rejected_when_the_playbook_loads() -> None:
    text = "name: t\nversion: '1'\nsteps:\n  - {id: c, name: c, type: browser.click, parameters: {selector: '#x', timeout: 30}}\n"
    with pytest.raises(PlaybookError) as info:
        load_text(text)
    assert "<playbook>:4:" in str(info.value)
    assert "timeout must be at least 100 ms, got 30" in str(info.value)
    for name in REGISTRY.names():
        spec = REGISTRY.get(name).param("timeout")  # type: ignore[union-attr]
        if name.startswith(("browser.", "perspective.")) and spec is not None:
            assert (spec.unit, spec.min, spec.max) == ("ms", 100, 600_000), name


def test_browser_use_is_detected_through_nested_playbooks(tmp_path: Path) -> None:
    from igtk_tui.engine.nesting import PlaybookResolver
    from igtk_tui.playbook.loader import load_file

    (tmp_path / "child.yaml").write_text("name: c\nversion: '1'\nverified: true\nsteps:\n"
                                         "  - {id: s, name: s, type: browser.screenshot}\n")
    parent = tmp_path / "parent.yaml"
    parent.write_text("name: p\nversion: '1'\nsteps:\n  - {id: r, name: r, type: playbook.run, "
                      "parameters: {playbook: child.yaml}}\n")
    assert playbook_needs_browser(load_file(parent), PlaybookResolver([tmp_path]))
    assert not playbook_needs_browser(load_file(parent), None)


def test_component_selectors() -> None:
    assert psp.component_selector(component_id="goButton") == "#goButton"
    assert psp.component_selector(component_id="pump 1") == '[id="pump 1"]'
    assert psp.component_selector(component="ia.input.button") == '[data-component="ia.input.button"]'
    assert psp.component_selector(component="ia.input.button", index=2, text="Go") == \
        '[data-component="ia.input.button"]:has-text("Go") >> nth=2'
    assert psp.component_selector(selector="text=Save") == "text=Save"
    with pytest.raises(StepFailure):
        psp.component_selector()


def test_session_urls() -> None:
    url = "http://gw:8088/data/perspective/client/My%20Project/area/pumps?x=1"
    assert psp.parse_client_url(url) == ("http://gw:8088", "My Project", "/area/pumps")
    assert psp.parse_client_url("http://gw:8088/web/home") is None
    assert psp.target_url(url, None, None, "/overview") == "http://gw:8088/data/perspective/client/My%20Project/overview"
    assert psp.target_url("about:blank", "http://gw:8088/", "Demo", "/") == "http://gw:8088/data/perspective/client/Demo/"
    with pytest.raises(StepFailure, match="no Perspective session is open yet"):
        psp.target_url("about:blank", None, "Demo", "/")


def test_selector_reliability() -> None:
    items = [{"id": "go", "selector": "#go"}, {"component": "ia.input.button", "selector": '[data-component="x"]:has-text("A")'},
             {"component": "ia.input.button", "selector": '[data-component="x"] >> nth=3'},
             {"selector": "div:nth-of-type(2) > span:nth-of-type(1)"}]
    enriched = psp.enrich(items, "now")
    assert [i["metadata"]["selector_reliability"] for i in enriched] == ["high", "medium", "low", "low"]
    assert enriched[0]["metadata"]["recommended_selector"] == "#go"
