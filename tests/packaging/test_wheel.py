"""The wheel test: `pip wheel` the project, install the wheel into a fresh venv and use the
installed igtk (not the checkout) for the built-in playbooks, validation and a theme switch.

The source is copied to tmp first so a stale build/ folder of the checkout cannot leak into the
wheel and parallel runs do not share one. Dependencies come from the configured package index
through pip's own cache, so this stays well under a minute once the cache is warm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("igtk_tui", "playbooks", "themes", "pyproject.toml", "setup.py", "README.md", "LICENSE")

THEME_PROBE = """
import asyncio, json
import igtk_tui
from igtk_tui.paths import builtin_themes_dir
from igtk_tui.runtime import Runtime
from igtk_tui.tui.app import IgtkApp

async def main():
    app = IgtkApp(Runtime(), open_services=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print(json.dumps({"package": igtk_tui.__file__, "themes_dir": str(builtin_themes_dir()),
                          "theme": app.theme, "problems": app.startup_problems}))

asyncio.run(main())
"""


def _run(cmd: list[str | Path], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """(venv bin folder, environment, working folder) with igtk installed from a fresh wheel."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    for name in SOURCES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif origin.exists():
            src.mkdir(exist_ok=True)
            shutil.copy2(origin, src / name)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("IGTK_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["IGTK_HOME"] = str(root / "home")
    dist = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, src], env, root)
    (wheel,) = dist.glob("igtk-*.whl")
    venv.create(root / "venv", with_pip=True)
    bin_dir = root / "venv" / "bin"
    _run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], env, root)
    shutil.rmtree(src)  # nothing of the checkout left to fall back on
    return bin_dir, env, root


def _site_packages(bin_dir: Path) -> Path:
    (site,) = (bin_dir.parent / "lib").glob("python3*/site-packages")
    return site


def test_installed_wheel_lists_the_built_in_playbooks(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, cwd = installed
    listing = _run([bin_dir / "igtk", "playbooks"], env, cwd).stdout
    for name in ("examples/nesting.yaml", "gateway/health_check.yaml", "perspective/view_smoke_test.yaml"):
        assert any(line.startswith(name) and "built-in" in line for line in listing.splitlines()), listing
    info = json.loads(_run([bin_dir / "igtk", "info", "--json"], env, cwd).stdout)
    expected = _site_packages(bin_dir) / "igtk_tui" / "_shipped" / "playbooks"
    assert f"built-in: {expected}" in info["playbook_roots"]


def test_installed_wheel_validates_every_shipped_playbook(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, cwd = installed
    shipped = _site_packages(bin_dir) / "igtk_tui" / "_shipped" / "playbooks"
    yaml_files = sorted(shipped.rglob("*.yaml"))
    assert {p.relative_to(shipped).as_posix() for p in yaml_files} == {
        p.relative_to(REPO / "playbooks").as_posix() for p in (REPO / "playbooks").rglob("*.yaml")}
    # nesting.yaml resolves its child through the installed library; gateway/ is a whole folder.
    done = _run([bin_dir / "igtk", "validate", shipped / "examples" / "nesting.yaml", shipped / "gateway"], env, cwd)
    count = 1 + len(list((shipped / "gateway").glob("*.yaml")))
    assert f"{count} of {count} playbook(s) valid" in done.stderr, done.stderr


def test_installed_wheel_switches_to_a_shipped_theme(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, cwd = installed
    config = Path(env["IGTK_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[tui]\ntheme = "high-contrast"\n')  # a theme only themes/ ships, not Textual
    try:
        probe = json.loads(_run([bin_dir / "python", "-c", THEME_PROBE], env, cwd).stdout.strip().splitlines()[-1])
    finally:
        config.unlink()
    site = _site_packages(bin_dir)
    assert Path(probe["package"]).is_relative_to(site)
    assert probe["themes_dir"] == str(site / "igtk_tui" / "_shipped" / "themes")
    assert probe["theme"] == "high-contrast" and probe["problems"] == []
