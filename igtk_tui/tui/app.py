"""The igtk App: themes, keymap, palette, global keys and the services.

Start-up order (the first screen must appear fast): construct with nothing
heavy, paint, then open the library, the vault and the store in workers.
Executions run in the agent, never here (tui/agent_feed.py): leaving (q, SIGHUP,
SIGTERM, a crash) never touches them. `q` with runs going asks: detach, cancel
them, or stay. At start the TUI says what runs in the agent and what was
interrupted since the operator's last visit (tui/visits.py).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from igtk_tui import startup
from igtk_tui.tui import actions
from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.agent_feed import AgentFeed
from igtk_tui.tui.keymap import bindings_for, check_keymap, key_text
from igtk_tui.tui.launcher import Launch, Launcher
from igtk_tui.tui.messages import ExecutionEnded, LastResults, LibraryLoaded, StoreReady, VaultChanged
from igtk_tui.tui.palette import ActionsProvider, PlaybookProvider, ThemeProvider
from igtk_tui.tui.render import Clock
from igtk_tui.tui.services import ExecutionService
from igtk_tui.tui.textual_seams import CrashHookedApp, set_theme_before_start
from igtk_tui.tui.themes import DEFAULT_THEME, load_themes, remember_theme, status_styles
from igtk_tui.tui.vault_ui import VaultController
from igtk_tui.tui.widgets.status_bar import user_at_host

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.notifications import SeverityLevel

ENDED_DIGEST_DELAY = 1.0  # seconds of execution ends gathered into one notification
CANCEL_WAIT = 30.0  # seconds `q` → "cancel them" waits for the agent to record the ends


@dataclass(frozen=True)
class DemoInfo:
    """What `igtk demo` started: shown in the banner, used to prefill forms."""

    url: str
    token: str
    root: str
    credential: str = ""
    temporary: bool = True
    note: str = ""  # a seeding problem to tell the operator

    @property
    def root_label(self) -> str:
        return self.root + (" (removed on exit)" if self.temporary else "")


class IgtkApp(CrashHookedApp, inherit_bindings=False):
    CSS_PATH = "app.tcss"
    TITLE = "igtk"
    BINDINGS = bindings_for("app")
    COMMANDS = {ActionsProvider, PlaybookProvider, ThemeProvider}
    NOTIFICATION_TIMEOUT = 6

    def __init__(self, runtime: Any, *, clock: Clock | None = None, demo: DemoInfo | None = None,
                 theme: str | None = None, open_services: bool = True) -> None:
        # NO_COLOR: Textual strips colour; with native ANSI it keeps bold/reverse (NoColor, not greys).
        super().__init__(ansi_color=True if os.environ.get("NO_COLOR") is not None else None)
        self.runtime = runtime
        self.settings = runtime.settings
        self.clock = clock or Clock()
        self.demo = demo
        self.open_services = open_services
        self.animation_level = "none"
        self.executions = ExecutionService(self, clock=self.clock, refresh_hz=self.settings.ui_refresh_hz,
                                           log_max_lines=self.settings.log_max_lines)
        self.agent = AgentFeed(self.executions, runtime, lambda text, severity: self.notify(
            text, title="Agent", severity=severity, markup=False))
        self.vault_ui = VaultController(self)
        self.launcher = Launcher(self)
        self.vault_state = "opening"
        self.vault_infos: list[Any] = []
        self.vault_detail = ""
        self.store: Any = None
        self.library_entries: list[Any] = []
        self.search_history: list[str] = []
        self.command_history: list[str] = []
        self.startup_problems: list[str] = []
        self.status_styles: dict[str, str] = {}
        self.where = user_at_host()  # in the status line: which jump host this is (tests fix it)
        self._quitting = False
        self._ended: list[ExecutionEnded] = []
        self._close_task: asyncio.Future[None] | None = None
        self._register_themes(theme or self.settings.theme)
        keymap, problems = check_keymap(dict(self.settings.keymap))
        self.startup_problems += problems + actions.key_conflicts(keymap)
        self.keymap_in_force = keymap  # what help, hints and the palette show as each action's keys
        if keymap:
            self.set_keymap(keymap)

    # -- themes ---------------------------------------------------------------------------------
    def _register_themes(self, wanted: str) -> None:
        from igtk_tui.paths import builtin_themes_dir

        shipped = builtin_themes_dir()
        themes, problems = load_themes(shipped, self.runtime.paths.user_themes_dir, trusted=shipped)
        self.startup_problems += [f"theme {p}" for p in problems]
        for theme in themes.values():
            self.register_theme(theme)
        if wanted not in self.available_themes:
            self.startup_problems.append(f"theme {wanted!r} not found; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        set_theme_before_start(self, wanted)

    def watch_theme(self, theme: str) -> None:
        self.status_styles = status_styles(self.get_css_variables())
        for screen in self.screen_stack if self.is_running else ():
            hook = getattr(screen, "theme_changed", None)
            if hook is not None:
                hook()

    def choose_theme(self, name: str) -> None:
        """From the palette or `:theme`: switch, and remember in config.toml."""
        if name not in self.available_themes:
            self.notify(f"no theme {name!r}", severity="error", markup=False)
            return
        self.theme = name
        try:
            remember_theme(self.runtime.paths.config_file, name)
        except (OSError, ValueError) as exc:
            self.notify(f"theme not remembered: {exc}", severity="warning", markup=False)

    # -- start-up ---------------------------------------------------------------------------------
    def get_default_screen(self) -> Any:
        from igtk_tui.tui.screens.main import MainScreen

        self.main_screen = MainScreen()
        return self.main_screen

    def on_mount(self) -> None:
        self.status_styles = status_styles(self.get_css_variables())
        self.executions.start_ticker()
        if not self.is_headless:  # tests drive `_on_hangup` themselves
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, self._on_hangup, sig)
                except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                    pass
        if self.demo is not None and self.demo.note:
            self.startup_problems.append(f"demo vault not seeded: {self.demo.note}")
        for problem in self.startup_problems:
            self.notify(problem, title="Configuration", severity="warning", markup=False, timeout=10)
        self.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        """Heavy services only once the first screen is on the terminal."""
        self.load_library()
        if not self.open_services:
            return
        self.vault_ui.open_in_background()
        self.run_worker(self._open_store(), group="store", exit_on_error=False, name="open store")
        self.run_worker(self.agent.run(), group="agent", exit_on_error=False, name="agent feed")

    def _load_engine(self) -> None:
        import igtk_tui.engine.launch  # noqa: F401 - what the form needs, loaded off the loop

        getattr(self.runtime, "real", None)  # a DeferredRuntime builds the real one

    def load_library(self) -> None:
        self.run_worker(self._discover, thread=True, group="library", exclusive=True, exit_on_error=False,
                        name="load library")

    def _discover(self) -> None:
        try:
            entries = self.runtime.library.discover()
            error = None
        except Exception as exc:  # noqa: BLE001 - a broken folder must not stop the app
            entries, error = [], f"could not read the playbook library: {exc}"
        self.main_screen.post_message(LibraryLoaded(entries, error))

    def on_library_loaded(self, message: LibraryLoaded) -> None:
        first = not self.library_entries
        self.library_entries = message.entries
        if first:
            self._freeze_startup_heap()

    async def _open_store(self) -> None:
        """History for the screens (the agent records the runs), and what happened while away."""
        from igtk_tui.tui import visits

        try:
            # The runtime and the engine are built and imported here, in a thread, not on the loop.
            await asyncio.to_thread(self._load_engine)
            store = await self.runtime.open_store(retention=True)
        except Exception as exc:  # noqa: BLE001 - the UI works without history
            self.post_message(StoreReady(error=str(exc)))
            return
        state_dir = self.runtime.paths.state_dir
        last = await asyncio.to_thread(visits.read_visit, state_dir)
        await asyncio.to_thread(visits.write_visit, state_dir)
        self.store = store
        self.post_message(StoreReady())
        await self.refresh_last_results()
        from igtk_tui.tui.relaunch import view_from_detail

        for item in store.recovered:
            detail = await store.executions.get(item.id, logs=200)
            if detail is not None:
                self.executions.add_view(view_from_detail(detail))
        interrupted = await visits.interrupted_since(store, last)
        recovered = {item.id for item in store.recovered}
        count = len(recovered | {s.id for s in interrupted})
        if count:
            self.notify(f"{count} execution(s) were interrupted since your last visit: press "
                        f"{key_text(self, 'history')} to see them in history ({key_text(self, 'resume')} "
                        "resumes one)", title="History", severity="warning", timeout=12, markup=False)

    async def refresh_last_results(self) -> None:
        if self.store is None:
            return
        results = await self.store.executions.last_results()
        by_key: dict[str, Any] = {}
        for name, last in results.items():
            value = {"status": last.status, "duration": last.duration, "id": last.id}
            by_key[name] = value
            if last.playbook_rel:
                by_key[last.playbook_rel] = value
        self.main_screen.post_message(LastResults(by_key))

    def on_store_ready(self, message: StoreReady) -> None:
        if message.error:
            self.notify(f"history is not available: {message.error}", title="History", severity="warning",
                        markup=False)
        self._freeze_startup_heap()

    def _freeze_startup_heap(self) -> None:
        """Once the first screen, the library and the engine are loaded (called when each is).

        That heap (modules, widgets, classes) lives as long as the app: moved out of the
        collector's sight, a full collection during a log burst scans only what the session
        made since, pausing the loop for tens of ms instead of ~100 (benchmarks/tui.py logs).
        Unfrozen when the app closes, so an embedding process gets it collected again.
        Start-up is over here too: the collector, paused by `cli.main`, runs from now on.
        """
        gc.freeze()
        startup.resume()

    def on_vault_changed(self, message: VaultChanged) -> None:
        self.vault_state = message.state
        self.vault_infos = list(message.credentials)
        self.vault_detail = message.detail
        for screen in self.screen_stack:
            hook = getattr(screen, "vault_changed", None)
            if hook is not None:
                hook()

    @property
    def vault(self) -> Any:
        return self.vault_ui.vault

    def on_execution_ended(self, message: ExecutionEnded) -> None:
        """Ends are gathered for a second: a hundred finishing runs make one toast, not a hundred."""
        if self._quitting:
            return
        self._ended.append(message)
        if len(self._ended) == 1:
            self.set_timer(ENDED_DIGEST_DELAY, self._announce_ended)

    def _announce_ended(self) -> None:
        ended, self._ended = self._ended, []
        if not ended or self._quitting:
            return
        if len(ended) == 1:
            only = ended[0]
            text, worst = f"{only.playbook}: {only.status}", only.status
        else:
            counts: dict[str, int] = {}
            for message in ended:
                counts[message.status] = counts.get(message.status, 0) + 1
            text = f"{len(ended)} executions finished: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            worst = "failed" if "failed" in counts else "cancelled" if "cancelled" in counts else "completed"
        severity: SeverityLevel = "information" if worst == "completed" else "error" if worst == "failed" else "warning"
        self.notify(text, title="Execution", severity=severity, markup=False)
        self.run_worker(self.refresh_last_results(), group="last-results", exclusive=True, exit_on_error=False)

    # -- starting executions (the Launcher does the work) -----------------------------------------
    def open_params_form(self, entry: Any, **options: Any) -> None:
        self.launcher.open_form(entry, **options)

    def start_execution(self, launch: Launch) -> None:
        self.launcher.start(launch)

    def rerun_execution(self, execution_id: str) -> None:
        self.run_worker(self.launcher.relaunch(execution_id, resume=False), group="relaunch",
                        exclusive=True, exit_on_error=False)

    def resume_execution(self, execution_id: str) -> None:
        self.run_worker(self.launcher.relaunch(execution_id, resume=True), group="relaunch",
                        exclusive=True, exit_on_error=False)

    # -- app-wide actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        entry = actions.by_handler("app", action)
        if entry is None:
            return True
        state = getattr(self.screen, "action_state", None)
        current = state() if state is not None else ActionState(screen=getattr(self.screen, "SCOPE", ""))
        return entry.available(current)

    def action_help(self) -> None:
        from igtk_tui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_history(self) -> None:
        from igtk_tui.tui.screens.history import HistoryScreen

        self.push_screen(HistoryScreen())

    def action_vault(self) -> None:
        from igtk_tui.tui.screens.vault import VaultScreen

        self.push_screen(VaultScreen())

    def action_fleets(self) -> None:
        from igtk_tui.tui.screens.fleets import FleetRunsScreen

        self.push_screen(FleetRunsScreen())

    def action_inventory(self) -> None:
        from igtk_tui.tui.screens.inventory import InventoryScreen

        self.push_screen(InventoryScreen())

    def action_schedules(self) -> None:
        from igtk_tui.tui.screens.schedules import SchedulesScreen

        self.push_screen(SchedulesScreen())

    # Textual dispatches sync and async actions alike; ours are sync so key handlers call them directly.
    def action_back(self) -> None:  # type: ignore[override]
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif hasattr(screen, "clear_filter") and screen.clear_filter():
            return
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    def action_command_line(self) -> None:
        from igtk_tui.tui import command_line

        command_line.ask(self)

    def action_theme(self, name: str = "") -> None:
        """`:theme NAME`; without a name, the themes there are."""
        if name:
            self.choose_theme(name)
        else:
            self.notify("themes: " + ", ".join(sorted(self.available_themes)), markup=False)

    def action_run_playbook(self, query: str = "") -> None:
        """`:run PLAYBOOK`: the best library match by path or name opens its form."""
        from igtk_tui.tui.widgets.playbook_tree import fuzzy_score

        entries = self.library_entries
        if not query or not entries:
            self.notify(f"usage: {actions.BY_ID['run-playbook'].command_form} (library path or name)",
                        severity="warning", markup=False)
            return
        scored = sorted(((max(fuzzy_score(query, e.rel_path), fuzzy_score(query, e.name)), e) for e in entries),
                        key=lambda se: -se[0])
        if not scored or scored[0][0] <= 0:
            self.notify(f"no playbook matches {query!r}", severity="warning", markup=False)
            return
        self.open_params_form(scored[0][1])

    def action_quit_now(self) -> None:
        self.shutdown()

    def action_quit_hint(self) -> None:
        """ctrl+c out of habit: answer with the quit keys in force (after [keymap]) instead of nothing."""
        self.notify(f"Press {key_text(self, 'quit')} to quit igtk", title=f"{key_text(self, 'quit-hint')} does not quit")

    def action_quit(self) -> None:  # type: ignore[override]  # sync, as action_back above
        """Leave at once when nothing runs; else ask: detach (the runs go on), cancel them, or stay."""
        from igtk_tui.tui.screens.quit import CANCEL, DETACH, QuitScreen

        running = [v.id for v in self.executions.active]
        if not running:
            self.shutdown()
            return
        if isinstance(self.screen, QuitScreen):
            return

        def answered(choice: str | None) -> None:
            if choice == DETACH:
                self.shutdown()
            elif choice == CANCEL:
                self.run_worker(self._cancel_then_quit(running), group="shutdown", exit_on_error=False,
                                name="cancel and quit")

        self.push_screen(QuitScreen(len(running), can_detach=self.demo is None), answered)

    async def _cancel_then_quit(self, execution_ids: list[str]) -> None:
        """The operator's cancel of each run (recorded `cancelled` by the agent), then leave."""
        self.notify(f"cancelling {len(execution_ids)} execution(s)…", markup=False)
        await self.agent.cancel(execution_ids)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CANCEL_WAIT
        while any(v.live for i in execution_ids if (v := self.executions.views.get(i)) is not None):
            if loop.time() > deadline:
                break
            await asyncio.sleep(0.05)  # the feed applies the ends as the agent records them
        self.shutdown()

    # -- leaving ---------------------------------------------------------------------------------------
    def _on_hangup(self, sig: int) -> None:
        """SIGHUP (SSH dropped) or SIGTERM: just leave; the runs are the agent's and go on."""
        self.shutdown()

    def shutdown(self) -> None:
        if not self._quitting:
            self._quitting = True
            self.run_worker(self._quit_cleanly(), group="leave", exit_on_error=False, name="shutdown")

    async def _quit_cleanly(self) -> None:
        try:
            await self._close_services()
        finally:
            self.exit(0)

    def _close_services(self) -> Awaitable[None]:
        """Close once, whoever asks first (quit, SIGHUP, or the unmount after Textual's own exit)."""
        if self._close_task is None:
            self._close_task = asyncio.ensure_future(self._close_services_once())
        return asyncio.shield(self._close_task)

    async def _close_services_once(self) -> None:
        """Remember this visit (with what still runs), stop following the agent, close the store."""
        from igtk_tui.tui import visits

        if self.open_services:
            live = [v.id for v in self.executions.active]
            await asyncio.to_thread(visits.write_visit, self.runtime.paths.state_dir, live)
        await self.agent.close()
        self.store = None
        await self.runtime.close()
        gc.unfreeze()

    async def on_unmount(self) -> None:
        """Safety net for exits that did not go through `shutdown` (an exception, a dead terminal)."""
        await self._close_services()

    # -- crashes (CrashHookedApp calls these) ----------------------------------------------------------
    def crashed(self, error: Exception) -> None:
        from igtk_tui.tui.crash import write_crash_report

        self.crash_error = error
        self.crash_report = write_crash_report(self.runtime.paths.crash_dir, error)
        # Nothing to stop: the runs are the agent's, so a TUI bug never touches them.

    def crash_text(self) -> RenderableType:
        """Textual prints a traceback with local variables (they may hold secrets): print a scrubbed one."""
        from igtk_tui.tui.crash import scrubbed_traceback_text

        return scrubbed_traceback_text(getattr(self, "crash_error", None), getattr(self, "crash_report", None))


def run_app(runtime: Any, *, demo: DemoInfo | None = None, theme: str | None = None,
            mouse: bool | None = None) -> int:
    app = IgtkApp(runtime, demo=demo, theme=theme)
    result = app.run(mouse=runtime.settings.mouse if mouse is None else mouse)
    return int(app.return_code or 0) if result is None else int(result)
