"""Start-up and shutdown: lazy heavy imports, SIGHUP (SSH drop) leaving the run
going in the agent, scrubbed crash reports, themes from files (remembered in
config.toml), NO_COLOR, and `igtk demo`'s wiring (its agent stopped with it)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from igtk_tui import redact
from igtk_tui.tui.app import DemoInfo, IgtkApp
from tests.support.tui import cancel_and_wait, library_ready, make_runtime, start_playbook, wait_step, wait_until

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("httpx", "playwright", "cryptography", "aiosqlite", "keyring")


def test_first_screen_imports_nothing_heavy() -> None:
    """Importing the app and building it (what happens before the first paint) stays light."""
    code = ("import sys; import igtk_tui.commands.tui; from igtk_tui.tui.app import IgtkApp; "
            "from igtk_tui.tui.deferred import DeferredRuntime; IgtkApp(DeferredRuntime()); "
            f"print([m for m in {HEAVY + ('igtk_tui.engine.execution', 'yaml')!r} if m in sys.modules])")
    env = {**os.environ, "IGTK_HOME": "/tmp/igtk-import-check"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                         check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_listing_the_library_imports_no_gateway_or_browser_stack() -> None:
    """The library worker validates every shipped playbook (their step types load their modules)
    before the operator can act: the step modules must not pull httpx or Playwright in with them."""
    code = ("import sys; from igtk_tui.tui.deferred import DeferredRuntime; "
            "entries = DeferredRuntime().library.discover(); assert entries; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    env = {**os.environ, "IGTK_HOME": "/tmp/igtk-import-check"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO,
                         check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_headless_commands_never_import_textual() -> None:
    code = "import sys, igtk_tui.cli as c; c.build_parser(); print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"


async def test_sighup_leaves_and_a_run_started_from_the_form_goes_on_in_the_agent(runtime) -> None:
    """The run started from the TUI's own form lives in the agent: SIGHUP of the TUI leaves it
    running, and a new TUI shows it live with its backlog and drives it."""
    app = IgtkApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        view = await start_playbook(pilot, app, "utility/slow.yaml")
        await wait_step(pilot, view, "wait", "running")
        app._on_hangup(signal.SIGHUP)
        await wait_until(pilot, lambda: not app.is_running, what="the app to exit", timeout=30)
    second = IgtkApp(runtime)
    async with second.run_test(size=(80, 24)) as pilot:
        again = await wait_until(pilot, lambda: second.executions.views.get(view.id), what="the run again")
        await wait_until(pilot, lambda: again.steps.get("wait") is not None and again.steps["wait"].status == "running",
                         what="its live step state")
        assert again.steps["first"].status == "completed"
        assert any("starting the slow steps" in line.text for line in again.logs), "the backlog"
        second.main_screen.select_execution(view.id)
        await pilot.press("p")
        await wait_until(pilot, lambda: again.status == "paused", what="paused from the new TUI")
        await cancel_and_wait(pilot, second, again)
    from igtk_tui.store import Store

    store = await Store.open(runtime.paths)
    try:
        detail = await store.executions.get(view.id)
        assert detail.status == "cancelled" and detail.step("first").status == "completed"
    finally:
        await store.close()


async def test_a_crash_writes_a_scrubbed_report(runtime) -> None:
    secret = "crash-canary-Secret-9"
    redact.register(secret)
    app = IgtkApp(runtime, open_services=False)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await library_ready(pilot, app)

            def boom() -> None:
                raise RuntimeError(f"gateway said {secret}")

            app.call_later(boom)
            await wait_until(pilot, lambda: app.return_code == 1, what="the crash")
    reports = list(runtime.paths.crash_dir.glob("crash-*.txt"))
    assert len(reports) == 1
    text = reports[0].read_text()
    assert "RuntimeError: gateway said ••••" in text and secret not in text
    assert oct(reports[0].stat().st_mode & 0o777) == "0o600"


def test_every_shipped_theme_loads(tmp_path: Path) -> None:
    from igtk_tui.paths import builtin_themes_dir
    from igtk_tui.tui.themes import load_themes

    themes, problems = load_themes(builtin_themes_dir())  # every colour checked (the app trusts these)
    assert problems == []
    assert {"igtk-dark", "igtk-light", "high-contrast", "terminal", "monochrome"} <= set(themes)
    assert themes["terminal"].ansi is True
    bad = tmp_path / "broken.toml"
    bad.write_text('name = "broken"\nprimary = "not-a-colour"\n')
    (tmp_path / "typo.toml").write_text('name = "typo"\nprimray = "#fff"\n')
    _themes, problems = load_themes(tmp_path)
    assert len(problems) == 2 and "primray" in " ".join(problems)


def test_remembering_a_theme_keeps_every_other_key(tmp_path: Path) -> None:
    from igtk_tui.tui.themes import remember_theme

    config = tmp_path / "config.toml"
    config.write_text('# site config\nlog_max_lines = 5000\n\n[tui]\ntheme = "igtk-light"  # old\nmouse = false\n'
                      '\n[keymap]\npause = "f5"\n')
    remember_theme(config, "high-contrast")
    data = tomllib.loads(config.read_text())
    assert data["tui"]["theme"] == "high-contrast"
    assert data["log_max_lines"] == 5000 and data["keymap"] == {"pause": "f5"}
    assert config.read_text().startswith("# site config")
    fresh = tmp_path / "new" / "config.toml"
    remember_theme(fresh, "monochrome")
    assert tomllib.loads(fresh.read_text()) == {"theme": "monochrome"}


async def test_theme_from_the_palette_is_applied_and_remembered(runtime) -> None:
    app = IgtkApp(runtime, open_services=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        assert app.theme == "igtk-dark"
        await pilot.press("ctrl+p", *"theme: high", "enter")
        await wait_until(pilot, lambda: app.theme == "high-contrast")
    assert tomllib.loads(runtime.paths.config_file.read_text())["theme"] == "high-contrast"
    app2 = IgtkApp(make_runtime(runtime.paths.config_dir.parent), open_services=False)
    assert app2.theme == "high-contrast"


async def test_user_themes_are_loaded_and_a_bad_one_is_reported(runtime) -> None:
    folder = runtime.paths.user_themes_dir
    folder.mkdir(parents=True)
    (folder / "plant.toml").write_text('name = "plant"\nprimary = "#00aa00"\n')
    (folder / "oops.toml").write_text('name = "oops"\n')
    app = IgtkApp(runtime, theme="plant", open_services=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await library_ready(pilot, app)
        assert app.theme == "plant"
        await wait_until(pilot, lambda: any("oops.toml" in n.message for n in app._notifications))


async def test_no_color_strips_colour_but_keeps_glyphs_and_words(runtime, monkeypatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = IgtkApp(runtime, open_services=False)
    assert app.no_color and app.ansi_color is True
    async with app.run_test(size=(80, 24)) as pilot:
        await library_ready(pilot, app)
        svg = app.export_screenshot()
        assert "✓ verified" in svg.replace("&#160;", " ")


async def test_demo_banner_and_prefilled_gateway(runtime) -> None:
    demo = DemoInfo("http://127.0.0.1:65000", "igtk:tok", "/tmp/demo-root", credential="demo-gateway")
    app = IgtkApp(runtime, demo=demo, open_services=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await library_ready(pilot, app)
        banner = app.screen.query_one("#demo-banner")
        text = str(banner.render())
        assert "DEMO" in text and "http://127.0.0.1:65000" in text and "igtk:tok" in text


def test_demo_environment_seeds_a_working_vault(tmp_path: Path, fast_kdf) -> None:
    from igtk_tui.commands.demo import DEMO_TOKEN_CREDENTIAL, demo_environment, seed_vault
    from igtk_tui.runtime import Runtime
    from igtk_tui.simulator.server import SimulatedGateway
    from igtk_tui.vault import Vault

    env = demo_environment(tmp_path, {"PATH": os.environ.get("PATH", "")})
    assert env["IGTK_HOME"] == str(tmp_path) and env["IGTK_VAULT_BACKEND"] == "file"
    passphrase_file = Path(env["IGTK_VAULT_PASSPHRASE_FILE"])
    assert oct(passphrase_file.stat().st_mode & 0o777) == "0o600"
    with SimulatedGateway() as gateway:
        runtime = Runtime(env=env)
        assert seed_vault(runtime, gateway.url, gateway.api_token, ("admin", "password")) is None
        assert seed_vault(runtime, gateway.url, gateway.api_token, ("admin", "password")) is None  # idempotent
        vault = Vault.open(runtime.paths, env=env, backend="file")
        cred = vault.get(DEMO_TOKEN_CREDENTIAL)
        assert cred.token == gateway.api_token and cred.gateway_url == gateway.url
        assert runtime.settings.vault_backend == "file"


def test_demo_cleans_its_throwaway_root(tmp_path: Path, monkeypatch) -> None:
    """`igtk demo` without IGTK_HOME removes its temporary state root on exit."""
    from igtk_tui.commands import demo

    made: list[Path] = []
    real_mkdtemp = demo.tempfile.mkdtemp

    def mkdtemp(prefix: str = "") -> str:
        path = real_mkdtemp(prefix=prefix, dir=tmp_path)
        made.append(Path(path))
        return path

    monkeypatch.delenv("IGTK_HOME", raising=False)
    monkeypatch.setattr(demo.tempfile, "mkdtemp", mkdtemp)
    seen: dict = {}

    def fake_run_app(runtime, **kwargs):  # the TUI itself is tested elsewhere
        seen["home"] = runtime.paths.data_dir.parent
        seen["demo"] = kwargs["demo"]
        return 0

    import igtk_tui.tui.app as app_module

    monkeypatch.setattr(app_module, "run_app", fake_run_app)
    monkeypatch.setattr(demo, "seed_vault", lambda *a, **k: None)
    assert demo.run(type("A", (), {"gateway_version": "8.3", "theme": None, "mouse": None})()) == 0
    assert seen["home"] == made[0] and seen["demo"].temporary
    assert json.dumps(seen["demo"].url).startswith('"http://127.0.0.1:')
    assert not made[0].exists()



@contextlib.contextmanager
def demo_agent_stopped(root: Path) -> Iterator[None]:
    """What `igtk demo` does when it ends: its agent (of its own state root) is stopped, none left."""
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.commands.demo import stop_demo_agent
    from igtk_tui.paths import resolve_paths

    paths = resolve_paths({"IGTK_HOME": str(root)})
    try:
        yield
    finally:
        stop_demo_agent(paths)
    assert not AgentLocation.of(paths).alive(), "the demo's agent outlived the demo"


async def test_demo_runs_a_gateway_playbook_out_of_the_box(tmp_path: Path, fast_kdf) -> None:
    """What `igtk demo` wires (simulator, seeded vault, prefilled form) runs a shipped gateway playbook."""
    from igtk_tui.commands.demo import DEMO_TOKEN_CREDENTIAL, demo_environment, seed_vault
    from igtk_tui.simulator.server import SimulatedGateway
    from igtk_tui.tui.deferred import DeferredRuntime
    from igtk_tui.tui.messages import ExecutionEnded
    from igtk_tui.tui.screens.params_form import ParamsForm

    if not (REPO / "playbooks" / "gateway" / "health_check.yaml").exists():
        pytest.skip("playbooks/gateway/health_check.yaml is not shipped")
    env = demo_environment(tmp_path, {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    with SimulatedGateway() as gateway, demo_agent_stopped(tmp_path):
        runtime = DeferredRuntime(env)
        assert seed_vault(runtime, gateway.url, gateway.api_token, ("admin", "password")) is None
        demo = DemoInfo(gateway.url, gateway.api_token, str(tmp_path), credential=DEMO_TOKEN_CREDENTIAL,
                        temporary=False)
        app = IgtkApp(runtime, demo=demo)
        messages: list = []
        async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
            await library_ready(pilot, app)
            await wait_until(pilot, lambda: app.vault_state == "open")
            app.open_params_form(next(e for e in app.library_entries if e.rel_path == "gateway/health_check.yaml"))
            form = await wait_until(pilot, lambda: isinstance(app.screen, ParamsForm) and app.screen.query("#run")
                                    and app.screen)
            assert form.query_one("#param-gateway").value == DEMO_TOKEN_CREDENTIAL  # prefilled
            await pilot.press("ctrl+r")
            ended = await wait_until(pilot, lambda: next((m for m in messages if isinstance(m, ExecutionEnded)),
                                                         None), timeout=60)
            view = app.executions.views[ended.execution_id]
            assert ended.status == "completed", (view.error, [ln.text for ln in view.logs][-5:])
            secret = gateway.api_token.split(":", 1)[1]  # shown in the demo banner on purpose, nowhere else
            assert all(secret not in line for line in app.main_screen.query_one("#log").lines)


async def test_demo_seeds_its_vault_after_the_library_is_listed_and_says_a_seeding_problem(tmp_path: Path,
                                                                                           fast_kdf) -> None:
    """`igtk demo` seeds its vault in the vault's thread once the library is listed (the key
    derivation is not on the way to the first screen); the vault opens with the demo credentials,
    and a seeding problem is said."""
    from igtk_tui.commands.demo import DEMO_LOGIN_CREDENTIAL, DEMO_TOKEN_CREDENTIAL, demo_environment, seed_vault
    from igtk_tui.tui.deferred import DeferredRuntime
    from igtk_tui.tui.messages import LibraryLoaded, VaultChanged

    env = demo_environment(tmp_path, {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    runtime = DeferredRuntime(env)
    url, token = "http://127.0.0.1:65000", "igtk:demo-token-Secret-7"
    demo = DemoInfo(url, token, str(tmp_path), credential=DEMO_TOKEN_CREDENTIAL, temporary=False,
                    seed=lambda: seed_vault(runtime, url, token, ("admin", "password")))
    messages: list = []
    with demo_agent_stopped(tmp_path):
        app = IgtkApp(runtime, demo=demo)
        async with app.run_test(size=(100, 30), message_hook=messages.append) as pilot:
            await library_ready(pilot, app)
            await wait_until(pilot, lambda: app.vault_state == "open", what="the seeded vault open")
            assert {DEMO_TOKEN_CREDENTIAL, DEMO_LOGIN_CREDENTIAL} <= {c.name for c in app.vault_infos}
        order = [type(m).__name__ for m in messages if isinstance(m, (LibraryLoaded, VaultChanged))]
        assert order[0] == "LibraryLoaded", order

        failing = DemoInfo(url, token, str(tmp_path), credential=DEMO_TOKEN_CREDENTIAL, temporary=False,
                           seed=lambda: "the vault file is read-only")
        app = IgtkApp(runtime, demo=failing)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: any("demo vault not seeded: the vault file is read-only" in str(n.message)
                                                for n in app._notifications), what="the seeding problem said")


async def test_collector_runs_once_started_and_the_startup_heap_is_released_at_exit(runtime) -> None:
    """Started through `cli.main` the collector is paused; the TUI turns it back on once its
    library is loaded (freezing the start-up heap), and unfreezes that heap when it closes."""
    import gc

    gc.disable()  # as `cli.main` leaves it for the start-up
    try:
        app = IgtkApp(runtime)
        async with app.run_test(size=(80, 24)) as pilot:
            await library_ready(pilot, app)
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_throwaway_demo_reads_the_users_config_and_keeps_its_crash_reports(tmp_path: Path, monkeypatch) -> None:
    """Issue 14 items 7 and 11: the user's keymap applies in `igtk demo`, and a crash report
    outlives the demo's throwaway state (a real app, driven by Pilot inside `demo.run`)."""
    import asyncio

    from igtk_tui.commands import demo
    from igtk_tui.tui.screens.history import HistoryScreen

    config, state = tmp_path / "xdg-config", tmp_path / "xdg-state"
    (config / "igtk").mkdir(parents=True)
    (config / "igtk" / "config.toml").write_text('[keymap]\nhistory = "H"\n', encoding="utf-8")
    monkeypatch.delenv("IGTK_HOME", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setattr(demo, "seed_vault", lambda *a, **k: None)
    seen: dict = {}

    async def drive(runtime, demo_info) -> None:
        app = IgtkApp(runtime, demo=demo_info)
        with pytest.raises(RuntimeError):
            async with app.run_test(size=(100, 30)) as pilot:
                await library_ready(pilot, app)
                await pilot.press("H")  # the user's key for history
                await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="history on H")
                app.call_later(lambda: (_ for _ in ()).throw(RuntimeError("demo bug")))
                await wait_until(pilot, lambda: getattr(app, "crash_report", None) is not None)
        seen["report"], seen["root"] = app.crash_report, Path(demo_info.root)

    import igtk_tui.tui.app as app_module

    monkeypatch.setattr(app_module, "run_app", lambda runtime, **kw: asyncio.run(drive(runtime, kw["demo"])) or 0)
    assert demo.run(type("A", (), {"gateway_version": "8.3", "theme": None, "mouse": None})()) == 0
    assert not seen["root"].exists()  # the throwaway state is gone
    assert seen["report"].is_file() and seen["report"].is_relative_to(state)  # the report is not
    assert not (tmp_path / "xdg-data").exists()  # the demo's data stayed in its throwaway root
