"""The main screen: library (1), steps of the selected execution (2) with the
executions list above them, logs (3) and the vault (4).

Everything it shows of an execution arrives through `ExecutionsUpdated`, the
service's coalesced tick; the keys act on the selected execution through the
service. At 80x24 the panes shrink (breakpoint classes) and `z` zooms one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events, getters, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static, Tree

from igtk_tui.engine.events import RESUMABLE_STATUSES
from igtk_tui.tui import actions
from igtk_tui.tui.actions import ActionState
from igtk_tui.tui.fit import Part, gap
from igtk_tui.tui.fit import name as name_part
from igtk_tui.tui.keymap import RegistryChecks, bindings_for, key_text
from igtk_tui.tui.messages import ExecutionsUpdated, LastResults, LibraryLoaded
from igtk_tui.tui.screens.execution_keys import ExecutionKeys
from igtk_tui.tui.viewmodel import ExecutionView
from igtk_tui.tui.widgets.executions_bar import ExecutionsBar
from igtk_tui.tui.widgets.field import Field
from igtk_tui.tui.widgets.key_hints import KeyHints
from igtk_tui.tui.widgets.log_view import LogView
from igtk_tui.tui.widgets.pane import Pane
from igtk_tui.tui.widgets.playbook_tree import PlaybookTree, entry_flags
from igtk_tui.tui.widgets.status_bar import DemoBanner, StatusBar
from igtk_tui.tui.widgets.step_tree import StepTree
from igtk_tui.tui.widgets.vault_list import VaultList

if TYPE_CHECKING:
    from igtk_tui.tui.app import IgtkApp

AUTO_INSPECT = ("breakpoint", "debug", "failure")


class MainScreen(ExecutionKeys, RegistryChecks, Screen[None]):
    SCOPE = "main"
    AUTO_FOCUS = "#library"
    BINDINGS = bindings_for("main")
    NARROW_BELOW = 100  # columns: the left column shrinks to a fixed width
    NARROWER_BELOW = 70  # columns: and narrower still, so the steps keep room for their status
    SHORT_BELOW = 32  # rows: the vault pane shows its state only, until it has focus

    if TYPE_CHECKING:  # the app this screen runs in, for the type checker only (as Textual does)
        app = getters.app(IgtkApp)

    def __init__(self) -> None:
        super().__init__(id="main")
        self.selected_id: str | None = None
        self._shown_pause: tuple[str, int] | None = None
        self._follow_new = True
        self._footer_key: tuple[Any, ...] = ()
        self._short = False

    # -- layout -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        demo = getattr(self.app, "demo", None)
        if demo is not None:
            yield DemoBanner(demo.url, demo.token, demo.root_label, id="demo-banner")
        yield StatusBar(id="status")
        with Horizontal(id="panes"):
            with Vertical(id="left"):
                with Pane(id="library-pane", classes="pane"):
                    field = Field(placeholder="filter playbooks (fuzzy)", id="library-filter", compact=True)
                    field.display = False
                    yield field
                    yield PlaybookTree(id="library")
                with Pane(id="vault-pane", classes="pane"):
                    yield Static("", id="vault-note", markup=False)
                    yield VaultList(id="vault-list")
            with Vertical(id="right"):
                with Pane(id="steps-pane", classes="pane"):
                    yield ExecutionsBar(id="executions")
                    yield Static(f"No execution yet: pick a playbook ({key_text(self.app, 'focus-library')}) and "
                                 f"press {key_text(self.app, 'run-open')}.", id="steps-empty", markup=False)
                    yield StepTree(id="steps")
                with Pane(id="logs-pane", classes="pane"):
                    yield LogView(max_lines=self.app.settings.log_max_lines, clock=self.app.clock, id="log")
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one("#library-pane").border_title = "1 Playbooks (loading…)"
        self.query_one("#steps-pane").border_title = "2 Steps"
        self.query_one("#logs-pane").border_title = "3 Logs"
        self.query_one("#vault-pane").border_title = "4 Vault"
        log = self.query_one(LogView)
        log.status_changed = self._log_status
        log.set_tints(self.app.status_styles)
        self._log_status(log)
        self.app.executions.subscribe(self)
        self.query_one("#steps").display = False
        self.query_one("#executions").display = False
        self.query_one(PlaybookTree).focus()
        self.vault_changed()
        self.refresh_status()

    def on_unmount(self) -> None:
        self.app.executions.unsubscribe(self)

    def on_resize(self, event: events.Resize) -> None:
        """Reflow for small terminals (80x24). Classes go on the two panes concerned, not on the
        screen: a screen-wide class change restyles every widget (start-up time, redraw bytes)."""
        self._short = event.size.height < self.SHORT_BELOW
        bar = self.query_one(ExecutionsBar)
        bar.max_rows = 3 if self._short else 5
        bar.fit_height()
        left = self.query_one("#left")
        left.set_class(event.size.width < self.NARROW_BELOW, "-narrow")
        left.set_class(event.size.width < self.NARROWER_BELOW, "-narrower")
        self.query_one("#vault-pane").set_class(self._short, "-short")

    def on_screen_resume(self) -> None:
        """Back on top (a dialog closed): a pause that arrived meanwhile opens its debug view now."""
        view = self.selected_view
        if view is not None:
            self.call_after_refresh(self._maybe_inspect, view)

    # -- services -> widgets --------------------------------------------------------------------
    @on(LibraryLoaded)
    def library_loaded(self, message: LibraryLoaded) -> None:
        tree = self.query_one(PlaybookTree)
        tree.tints = self.app.status_styles
        tree.set_entries(message.entries)
        self._library_title()
        if message.error:
            self.notify(message.error, title="Library", severity="error", markup=False)

    @on(LastResults)
    def last_results(self, message: LastResults) -> None:
        self.query_one(PlaybookTree).set_results(message.results)

    @on(ExecutionsUpdated)
    def executions_updated(self, message: ExecutionsUpdated) -> None:
        service = self.app.executions
        now = self.app.clock.now()
        styles = self.app.status_styles
        bar = self.query_one(ExecutionsBar)
        bar.sync(service.ordered(), message.changed, now, styles)
        if message.added and self._follow_new:
            # Runs started here, or (with nothing selected yet) an agent's run this TUI found.
            started = [i for i in message.added
                       if i in service.started_here or (i in service.remote and self.selected_id is None)]
            newest = started[-1] if started else None
            if newest is not None:
                self._follow_new = False
                bar.select_id(newest)
                self.select_execution(newest)
        selected = service.views.get(self.selected_id or "")
        if selected is not None:
            if self.selected_id in message.changed:
                self.query_one(StepTree).update_view(now, styles)
            lines = message.logs.get(selected.id)
            if lines:
                self.query_one(LogView).append(lines)
            self._maybe_inspect(selected)
        self.refresh_status()
        self._refresh_footer_if_needed()

    def _refresh_footer_if_needed(self) -> None:
        """The footer re-renders on refresh_bindings: only when what is available changed."""
        view = self.selected_view
        key = (self.selected_id, view.status if view else None, bool(view and view.pause_requested))
        if key != self._footer_key:
            self._footer_key = key
            self.refresh_bindings()

    def follow_next(self) -> None:
        """Select the next execution that starts, as soon as it appears."""
        self._follow_new = True

    def theme_changed(self) -> None:
        """Status tints come from the theme: re-render what carries them."""
        styles, now = self.app.status_styles, self.app.clock.now()
        tree = self.query_one(PlaybookTree)
        tree.tints = styles
        tree.rebuild()
        self.query_one(StepTree).update_view(now, styles, force=True)
        service = self.app.executions
        self.query_one(ExecutionsBar).sync(service.ordered(), frozenset(service.views), now, styles, force=True)
        self.query_one(LogView).set_tints(styles)

    def refresh_status(self) -> None:
        views = self.app.executions.active
        running = sum(1 for v in views if v.status == "running")
        paused = sum(1 for v in views if v.status == "paused")
        self.query_one(StatusBar).show(running=running, paused=paused, vault=self.app.vault_state)

    def vault_changed(self) -> None:
        state = self.app.vault_state
        note = self.query_one("#vault-note", Static)
        texts: dict[str, str] = {
            "opening": "opening the vault…",
            "locked": f"locked: press {key_text(self.app, 'vault-unlock')} (on this pane) to unlock",
            "unavailable": "unavailable: " + (self.app.vault_detail or ""),
        }
        empty = state == "open" and not self.app.vault_infos
        if empty:
            texts["open"] = f"no credentials yet: press {key_text(self.app, 'vault-add')} (on this pane) to add " \
                            "the first"
        note.update(texts.get(state, ""))
        note.display = state != "open" or empty
        count = len(self.app.vault_infos) if state == "open" else 0
        self.query_one("#vault-pane").border_title = f"4 Vault ({count})" if state == "open" else f"4 Vault: {state}"
        self.query_one(VaultList).show_state(state, self.app.vault_infos)
        self.refresh_status()

    # -- selection ---------------------------------------------------------------------------------
    @property
    def selected_view(self) -> ExecutionView | None:
        return self.app.executions.views.get(self.selected_id or "")

    def select_execution(self, execution_id: str | None) -> None:
        if execution_id == self.selected_id:
            return
        self.selected_id = execution_id
        view = self.selected_view
        steps = self.query_one(StepTree)
        steps.show(view, self.app.clock.now(), self.app.status_styles)
        if steps.display != (view is not None):
            steps.display = view is not None
            self.query_one("#steps-empty").display = view is None
        self.query_one(LogView).show(view)
        title = f"2 Steps · #{view.seq} {view.playbook}" if view else "2 Steps"
        self.query_one("#steps-pane").border_title = title
        self.refresh_bindings()

    @on(OptionList.OptionHighlighted, "#executions")
    def execution_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Only the operator's cursor selects: programmatic highlights (new rows) must not race it."""
        if event.option.id and self.focused is event.option_list:
            self.select_execution(event.option.id)

    @on(Tree.NodeHighlighted, "#steps")
    def step_highlighted(self) -> None:
        self.refresh_bindings()

    def selected_step_path(self) -> str | None:
        return self.query_one(StepTree).selected_path

    def _log_status(self, log: LogView) -> None:
        self.query_one("#logs-pane", Pane).subtitle_parts(log.describe_parts())

    def _maybe_inspect(self, view: ExecutionView) -> None:
        """A breakpoint, debug or failure pause of the selected execution opens the debug view once."""
        pause = view.pause
        if pause is None or pause.reason not in AUTO_INSPECT:
            return
        key = (view.id, id(pause))
        if self._shown_pause == key or self.app.screen is not self:
            return
        self._shown_pause = key
        self.action_inspect()

    # -- availability --------------------------------------------------------------------------------
    def focused_pane(self) -> str | None:
        focused = self.focused
        if focused is None:
            return None
        for pane_id, name in (("#library-pane", "library"), ("#vault-pane", "vault"), ("#logs-pane", "logs")):
            if self.query_one(pane_id) in focused.ancestors_with_self:
                return name
        if isinstance(focused, ExecutionsBar):
            return "executions"
        if isinstance(focused, StepTree):
            return "steps"
        return None

    def action_state(self) -> ActionState:
        view = self.selected_view
        live = view is not None and self.app.executions.execution(view.id) is not None
        pane = self.focused_pane()
        entry = self.query_one(PlaybookTree).selected_entry
        openable = {
            "library": entry is not None,
            "executions": self.query_one(ExecutionsBar).selected_id is not None,
            "steps": view is not None and view.status == "paused",
        }.get(pane or "", False)
        field = self.query_one("#library-filter", Input)
        return ActionState(
            screen="main", pane=pane, live=live, paused=bool(view and view.status == "paused"),
            can_back=self.maximized is not None or field.display or bool(field.value),
            step_selected=self.selected_step_path() is not None,
            resumable=bool(view and not view.live and view.status in RESUMABLE_STATUSES and self.app.store is not None),
            rerunnable=bool(view and not view.live), openable=openable,
            running=len(self.app.executions.active),
        )

    def hint_label(self, action: actions.Action) -> str | None:
        """Footer words that follow the state: what enter does in this pane, pause or resume."""
        view = self.selected_view
        if action.id == "run-open":
            return {"library": "run", "executions": "open", "steps": "inspect"}.get(self.focused_pane() or "")
        if action.id == "pause" and view is not None and (view.status == "paused" or view.pause_requested):
            return "resume"
        if action.id == "filter" and self.focused_pane() == "logs":
            return "search"
        if action.id == "back":
            return "unzoom" if self.maximized is not None else "clear"
        return None

    # -- actions ---------------------------------------------------------------------------------------
    def action_run_open(self) -> None:
        pane = self.focused_pane()
        if pane == "library":
            entry = self.query_one(PlaybookTree).selected_entry
            if entry is not None:
                self.app.open_params_form(entry)
        elif pane == "executions":
            chosen = self.query_one(ExecutionsBar).selected_id
            if chosen:
                self.select_execution(chosen)
            self.action_focus_pane("steps")
        elif pane == "steps":
            self.action_inspect()

    def action_prev_execution(self) -> None:
        self._step_execution(-1)

    def action_next_execution(self) -> None:
        self._step_execution(1)

    def _step_execution(self, delta: int) -> None:
        bar = self.query_one(ExecutionsBar)
        bar.step(delta)
        if bar.selected_id:
            self.select_execution(bar.selected_id)

    def action_focus_pane(self, name: str) -> None:
        if self.maximized is not None:
            self.minimize()
        target = {
            "library": "#library", "steps": "#steps", "logs": "#log", "vault": "#vault-list",
            "executions": "#executions",
        }[name]
        widget = self.query_one(target)
        if not widget.display:
            widget = self.query_one("#executions") if name == "steps" and self.selected_view else widget
        if widget.display:
            self.set_focus(widget)
        else:
            self.set_focus(self.query_one(f"#{'steps' if name in ('steps', 'executions') else name}-pane"))

    def action_zoom(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)

    def action_filter(self, text: str = "") -> None:
        """`/` (or `:filter TEXT`): search the log when it has focus, else filter the library."""
        pane = self.focused_pane()
        if pane == "logs":
            self.query_one(LogView).ask_search(text)
            return
        if pane == "vault":
            self.app.action_vault()
            return
        field = self.query_one("#library-filter", Input)
        field.display = True
        if text:
            field.value = text
        self.set_focus(field)  # at once: keys typed right after `/` must land in the field

    def _library_title(self) -> None:
        """`1 Playbooks (N)`, or `(n of N)` while filtered, and how many are invalid."""
        tree = self.query_one(PlaybookTree)
        total = len(tree.entries)
        invalid = sum(1 for e in tree.entries if not entry_flags(e)["valid"])
        count = f"{tree.visible_count} of {total}" if tree.filter_text.strip() else str(total)
        parts = [Part("1 "), name_part("Playbooks", keep=2), Part(f" ({count})")]
        if invalid:
            parts += [gap(" "), Part(f"{invalid} invalid")]
        self.query_one("#library-pane", Pane).title_parts(parts)

    @on(Input.Changed, "#library-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.query_one(PlaybookTree).set_query(event.value)
        self._library_title()

    @on(Input.Submitted, "#library-filter")
    def filter_done(self) -> None:
        self.set_focus(self.query_one(PlaybookTree))

    def clear_filter(self) -> bool:
        """esc on the main screen: clear the library filter (True if there was one)."""
        field = self.query_one("#library-filter", Input)
        if not field.display and not field.value:
            return False
        field.value = ""
        field.display = False
        self.query_one(PlaybookTree).set_query("")
        self._library_title()
        self.query_one(PlaybookTree).focus()
        return True
