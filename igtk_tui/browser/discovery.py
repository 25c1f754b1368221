"""Finding a Chromium binary, without starting anything.

Order (what operators on plant servers expect): the configured
`browser_path` (config or IGTK_BROWSER_PATH), then Playwright's own browser when
it is installed, then chromium / chromium-browser / google-chrome on PATH. A
configured path that does not work is an error, never silently replaced: the
operator asked for that binary. When nothing is found, `BrowserUnavailable`
(exit 3) names the fixes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igtk_tui.errors import InvalidInput, ServiceUnavailable

if TYPE_CHECKING:
    from igtk_tui.engine.nesting import PlaybookResolver
    from igtk_tui.playbook.model import Playbook

PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FIXES = ("install Chromium (apt-get install chromium), or set browser_path in config.toml "
         "(or IGTK_BROWSER_PATH) to a Chromium or Chrome binary")


class BrowserUnavailable(ServiceUnavailable):
    """No usable browser: browser steps cannot run (exit 3)."""


@dataclass(frozen=True)
class BrowserBinary:
    path: str
    source: str  # where it was found, for logs and `igtk info`


def find_browser(settings: Any = None, env: dict[str, str] | None = None) -> BrowserBinary:
    """The browser to launch, or BrowserUnavailable naming what was tried and the fixes."""
    env = dict(os.environ if env is None else env)
    configured, origin = _configured(settings, env)
    if configured:
        path = _executable(configured, env)
        if path is None:
            raise BrowserUnavailable(
                f"the configured browser {configured!r} ({origin}) does not exist or is not executable; "
                f"fix the path, or unset it to use a browser found automatically. To get one: {FIXES}"
            )
        return BrowserBinary(path, origin)
    own = playwright_browser(env)
    if own:
        return BrowserBinary(own, "Playwright's browser")
    for name in PATH_NAMES:
        import shutil  # first use only: `igtk run` of a REST playbook never looks for a browser

        found = shutil.which(name, path=env.get("PATH", os.defpath))
        if found:
            return BrowserBinary(found, "PATH")
    raise BrowserUnavailable(
        "no Chromium browser found: browser_path is not set, Playwright's own browser is not installed, "
        f"and none of {', '.join(PATH_NAMES)} is on PATH. To fix: {FIXES}"
    )


def _configured(settings: Any, env: dict[str, str]) -> tuple[str | None, str]:
    value = getattr(settings, "browser_path", None)
    if value:
        return str(value), "setting browser_path"
    if env.get("IGTK_BROWSER_PATH"):
        return env["IGTK_BROWSER_PATH"], "IGTK_BROWSER_PATH"
    return None, ""


def _executable(value: str, env: dict[str, str]) -> str | None:
    path = Path(value).expanduser()
    if os.sep not in value and not path.exists():
        import shutil

        found = shutil.which(value, path=env.get("PATH", os.defpath))
        return found
    if path.is_file() and os.access(path, os.X_OK):
        return str(path)
    return None


def playwright_browser(env: dict[str, str]) -> str | None:
    """Playwright's downloaded Chromium for this Playwright version, if installed.

    Computed from the driver's browsers.json and the cache folder so that no
    driver has to start just to answer (Playwright's own lookup needs one).
    """
    package = _driver_package()
    root = _browsers_root(env, package)
    if root is None or not root.is_dir():
        return None
    revisions = _revisions(package)
    candidates: list[Path] = []
    for name, rev in (("chromium", revisions.get("chromium")),
                      ("chromium_headless_shell", revisions.get("chromium-headless-shell"))):
        folders = [root / f"{name}-{rev}"] if rev else sorted(root.glob(f"{name}-*"), reverse=True)
        for folder in folders:
            candidates += [folder / "chrome-linux64" / "chrome", folder / "chrome-linux" / "chrome",
                           folder / "chrome-headless-shell-linux64" / "chrome-headless-shell",
                           folder / "chrome-linux" / "headless_shell"]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _driver_package() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("playwright")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "driver" / "package"


def _browsers_root(env: dict[str, str], package: Path | None) -> Path | None:
    custom = env.get("PLAYWRIGHT_BROWSERS_PATH")
    if custom == "0":
        return package / ".local-browsers" if package else None
    if custom:
        return Path(custom).expanduser()
    cache = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(cache) / "ms-playwright"


def _revisions(package: Path | None) -> dict[str, str]:
    try:
        import json

        data = json.loads((package / "browsers.json").read_text()) if package else {}
    except (OSError, ValueError):
        return {}
    return {b.get("name", ""): str(b.get("revision", "")) for b in data.get("browsers", [])}


def playbook_needs_browser(playbook: Playbook, resolver: PlaybookResolver | None = None) -> bool:
    """True when the playbook, or a playbook it runs (by literal path), has browser steps."""
    try:
        tree = resolver.check_tree(playbook) if resolver is not None else [playbook]
    except InvalidInput:  # a broken tree is refused by the run's own tree check
        tree = [playbook]
    return any(pb.uses_browser for pb in tree)


def preflight(tree: Iterable[Playbook], settings: Any, env: dict[str, str] | None = None) -> BrowserBinary | None:
    """Before any step runs: a playbook tree (`PlaybookResolver.check_tree`) that needs a
    browser fails now (exit 3) if none exists."""
    if not any(pb.uses_browser for pb in tree):
        return None
    return find_browser(settings, env)
