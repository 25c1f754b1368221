"""The one action registry: keys, footer, `?` help, the command palette and the
`:` command line are all generated from `ACTIONS`.

An action that is not registered here cannot be bound, is not in the help and
not in the palette (Harlequin's rule). Each entry names:

- `id`: the binding id (`[keymap]` in config.toml remaps it) and the `:` command;
- `key`: default keys, Textual key names, comma-separated;
- `handler`: the `action_<handler>` method every screen/widget in `scopes` implements;
- `scopes`: where the binding lives ("app", or a screen/widget scope name);
- `when`: availability from an `ActionState` snapshot: True (enabled) or
  None (shown dimmed, blocked), as Textual's `check_action` expects;
- `argument`: what the `:` command takes after its name (`:w FILE`), passed to the
  handler as one string ("" when left out); an action without a default `key` is a
  `:` command only (it is in the help and the palette, not bound to a key).

Pure data, no textual import: tests, the help generator and the CLI can read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

# Keys a terminal over SSH/tmux cannot deliver reliably (platform-notes.md):
# ctrl+m/i/h arrive as enter/tab/backspace; alt+ and ctrl+shift+ need luck.
UNRELIABLE_EXACT = ("ctrl+m", "ctrl+i", "ctrl+h")
UNRELIABLE_PREFIXES = ("alt+", "ctrl+shift+", "shift+ctrl+", "meta+", "super+")


@dataclass(frozen=True)
class ActionState:
    """What the predicates may look at; each screen builds one on demand."""

    screen: str = "main"
    pane: str | None = None
    live: bool = False  # the selected execution is running or paused: controls apply
    paused: bool = False
    step_selected: bool = False
    resumable: bool = False
    rerunnable: bool = False
    openable: bool = False  # enter has something to open/run in the focused pane
    deletable: bool = False
    reportable: bool = False  # an execution is selected: its report can be written
    vault_open: bool = False
    vault_item: bool = False
    running: int = 0
    schedule_selected: bool = False  # the schedules screen's cursor is on a schedule
    editing: bool = False  # the operator is editing text (debug pause): letter commands are text, not commands
    can_back: bool = True  # esc has something to close, clear or leave
    searching: bool = False  # the log has a search term: n / N move between its matches
    following: bool = True  # the log tails new lines
    detachable: bool = True  # quitting may leave the runs to the agent (not in `igtk demo`: its agent stops)


Predicate = Callable[[ActionState], bool]


@dataclass(frozen=True)
class Action:
    id: str
    key: str
    description: str
    group: str
    handler: str
    scopes: tuple[str, ...]
    when: Predicate | None = None
    hint: int = 0  # in the footer while available: the higher, the longer it stays when space runs out
    key_display: str | None = None
    priority: bool = False
    aliases: tuple[str, ...] = field(default=())  # extra `:` command names
    label: str = ""  # short footer text (the description is for help and the palette)
    in_palette: bool = True  # cursor moves act on the focused widget: keys and help only
    argument: str = ""  # the `:` command's argument, e.g. "FILE" (empty: none)
    labels: tuple[tuple[str, str], ...] = ()  # the footer text in a given scope, e.g. (("confirm", "no"),)
    overrides: tuple[str, ...] = ()  # ids whose key this one takes over in its scopes, on purpose

    @property
    def show(self) -> bool:
        return self.hint > 0

    @property
    def footer(self) -> str:
        return self.label or self.description.split(" (", 1)[0]

    def footer_in(self, scope: str) -> str:
        return dict(self.labels).get(scope, self.footer)

    @property
    def command_name(self) -> str:
        """The shortest name the `:` line knows it by (`w` for log-save)."""
        return min((self.id, *self.aliases), key=len)

    @property
    def command_form(self) -> str:
        """`:w FILE`, `:theme NAME`, `:q!`: how the `:` line calls it."""
        return f":{self.command_name}" + (f" {self.argument}" if self.argument else "")

    def available(self, state: ActionState) -> bool | None:
        """Textual's check_action contract: True runs it, None dims and blocks it."""
        if self.when is None:
            return True
        return True if self.when(state) else None


def _live(s: ActionState) -> bool:
    return s.live and not s.editing


MAIN = ("main",)
RUN_SCREENS = ("main", "history", "detail")
# The widgets with a cursor or a scroll position: trees (library, steps), the log pane, the
# executions bar, the vault list and the history table. Each implements the handlers below.
LISTS = ("tree", "log", "executions", "vault-list", "history-table", "schedule-table")

ACTIONS: tuple[Action, ...] = (
    # -- execution controls (main screen; some also in the debug pause dialog) --
    Action("run-open", "enter", "Run the playbook (parameter form) / open", "Execution", "run_open",
           ("main", "history", "fleets", "fleet"), lambda s: s.openable, hint=7, key_display="⏎",
           aliases=("open",), label="run/open", labels=(("history", "details"), ("fleets", "open"),
                                                        ("fleet", "open"))),
    Action("run-playbook", "", "Run a playbook by its library path or name (opens its form)", "Execution",
           "run_playbook", ("app",), aliases=("run",), argument="PLAYBOOK"),
    Action("pause", "p", "Pause / resume the execution", "Execution", "pause", ("main", "debug"), _live, hint=8,
           label="pause", labels=(("debug", "resume"),)),
    Action("skip", "s", "Skip the current step", "Execution", "skip", ("main", "debug"), _live, hint=8,
           label="skip"),
    Action("step-back", "b", "Step back: re-run the previous step", "Execution", "step_back", ("main", "debug"),
           _live, hint=8, label="back"),
    Action("cancel", "x", "Cancel the execution (asks y/n)", "Execution", "cancel", ("main", "debug"), _live,
           hint=8, label="cancel"),
    Action("debug", "d", "Toggle debug mode (pause after each step and on failure)", "Execution", "debug",
           MAIN, _live, hint=7, label="debug"),
    Action("breakpoint", "t", "Toggle a breakpoint on the selected step", "Execution", "breakpoint", MAIN,
           lambda s: s.live and s.step_selected, hint=6, label="break"),
    Action("inspect", "i", "Inspect the pause: step, parameters, failure context", "Execution", "inspect", MAIN,
           lambda s: s.paused, hint=7, label="inspect"),
    Action("resume", "r", "Resume an interrupted or failed execution", "Execution", "resume", RUN_SCREENS,
           lambda s: s.resumable, hint=7, label="resume"),
    Action("rerun", "R", "Rerun with the same (non-secret) parameters", "Execution", "rerun", RUN_SCREENS,
           lambda s: s.rerunnable, hint=7, label="rerun"),
    Action("prev-execution", "left_square_bracket", "Select the previous execution", "Execution",
           "prev_execution", MAIN, key_display="["),
    Action("next-execution", "right_square_bracket", "Select the next execution", "Execution", "next_execution",
           MAIN, key_display="]"),
    # -- navigation ------------------------------------------------------------------
    # Focus moves are priority bindings: they run when the key is read, before the keys typed after
    # them are routed, so a burst like `/slow⏎` or `3/` over SSH lands where it was meant.
    # (A focused Input still gets these keys: Textual drops bindings of keys an Input consumes.)
    Action("filter", "slash", "Filter the list / search the log or help", "Navigation", "filter",
           ("main", "history", "vault", "help", "fleet", "inventory"), key_display="/", priority=True,
           argument="TEXT", hint=5, label="filter", labels=(("history", "search"), ("help", "search"))),
    Action("focus-library", "1", "Focus the playbook library", "Navigation", "focus_pane('library')", MAIN,
           priority=True),
    Action("focus-steps", "2", "Focus the steps of the selected execution", "Navigation", "focus_pane('steps')",
           MAIN, priority=True),
    Action("focus-logs", "3", "Focus the logs", "Navigation", "focus_pane('logs')", MAIN, priority=True),
    Action("focus-vault", "4", "Focus the credential vault", "Navigation", "focus_pane('vault')", MAIN,
           priority=True),
    Action("focus-executions", "e", "Focus the executions list", "Navigation", "focus_pane('executions')", MAIN,
           priority=True),
    Action("zoom", "z", "Zoom the focused pane (again to restore)", "Navigation", "zoom", MAIN),
    Action("history", "h", "History of executions", "Navigation", "history", ("app",),
           lambda s: s.screen != "history" and not s.editing, hint=4, label="history"),
    Action("vault", "v", "Credential vault", "Navigation", "vault", ("app",),
           lambda s: s.screen != "vault" and not s.editing),
    Action("fleets", "F", "Fleet runs (igtk run --on), live: gateways x status", "Navigation", "fleets", ("app",),
           lambda s: s.screen not in ("fleets", "fleet") and not s.editing, key_display="F", label="fleets"),
    Action("fleet-start", "n", "Start a fleet run: playbook, targets and options (through the agent)", "Navigation",
           "start_fleet", ("fleets",), hint=7, label="new run"),
    Action("inventory", "I", "Gateway inventory: list, add, edit, remove", "Navigation", "inventory", ("app",),
           lambda s: s.screen != "inventory" and not s.editing, key_display="I", label="inventory"),
    # `S` (the suggestion) is the history screen's status filter: schedules are `c` (cron).
    Action("schedules", "c", "Schedules: playbooks that run on their own (cron), next fires, last results",
           "Navigation", "schedules", ("app",), lambda s: s.screen != "schedules" and not s.editing,
           aliases=("schedule",)),
    Action("back", "escape", "Back / close / clear the filter", "Navigation", "back",
           ("app", "params", "debug", "confirm", "help", "unlock", "prompt", "credential", "report-format",
            "gateway-form", "quit", "schedule-form", "fleet-form"),
           lambda s: s.can_back, key_display="esc", hint=6, label="back",
           labels=(("params", "cancel"), ("debug", "close"), ("confirm", "no"), ("help", "close"),
                   ("unlock", "cancel"), ("prompt", "cancel"), ("credential", "cancel"), ("report-format", "cancel"),
                   ("gateway-form", "cancel"), ("quit", "stay"), ("schedule-form", "cancel"),
                   ("fleet-form", "cancel"))),
    # -- moving in a list, tree or the log (bound on the widget; remappable like any other) --------
    Action("nav-up", "up,k", "Move up a line", "Moving", "cursor_up", LISTS, in_palette=False),
    Action("nav-down", "down,j", "Move down a line", "Moving", "cursor_down", LISTS, in_palette=False),
    Action("nav-page-up", "pageup", "Move up a page", "Moving", "page_up", LISTS, in_palette=False),
    Action("nav-page-down", "pagedown", "Move down a page", "Moving", "page_down", LISTS, in_palette=False),
    Action("nav-top", "home,g", "Go to the first line", "Moving", "scroll_top", LISTS, in_palette=False),
    Action("nav-bottom", "end,G", "Go to the last line (the log: log-follow)", "Moving", "scroll_bottom",
           ("tree", "executions", "vault-list", "history-table", "schedule-table"), in_palette=False),
    Action("tree-toggle", "space", "Expand / collapse the tree node", "Moving", "toggle_node", ("tree",),
           in_palette=False),
    Action("tree-parent", "shift+left,left", "Go to the parent node", "Moving", "cursor_parent", ("tree",),
           in_palette=False),
    Action("log-page-down", "space", "Move the log down a page", "Moving", "page_down", ("log",),
           in_palette=False),
    Action("log-scroll-left", "left", "Scroll the log left", "Moving", "scroll_left", ("log",), in_palette=False),
    Action("log-scroll-right", "right", "Scroll the log right", "Moving", "scroll_right", ("log",),
           in_palette=False),
    # -- text fields and the one-line prompt (bound on the field / the prompt) ---------------------------
    Action("field-submit", "enter", "Submit the field: done filtering, unlock, save, run the command", "Moving",
           "submit", ("field",), hint=8, key_display="⏎", label="done", in_palette=False),
    Action("prompt-earlier", "up", "The prompt's previous entry (its history)", "Moving", "history(-1)",
           ("prompt",), hint=3, key_display="↑", label="earlier", in_palette=False),
    Action("prompt-later", "down", "The prompt's next entry (its history)", "Moving", "history(1)", ("prompt",),
           in_palette=False),
    # -- app -------------------------------------------------------------------------
    Action("help", "question_mark", "Keys and actions (this list)", "App", "help", ("app",), hint=9,
           key_display="?", label="help"),
    Action("help-close", "q,question_mark", "Close the help", "App", "back", ("help",), in_palette=False,
           overrides=("quit", "help")),
    Action("command-palette", "ctrl+p", "Command palette", "App", "command_palette", ("app",), priority=True,
           hint=2, label="palette"),
    Action("command-line", "colon", "Command line (:pause, :w FILE, :theme NAME ...)", "App", "command_line",
           ("app",), key_display=":"),
    Action("quit", "q,ctrl+q", "Quit (asks when executions run: detach, cancel them, or stay)", "App", "quit",
           ("app",), lambda s: not s.editing, hint=4, aliases=("q",), label="quit"),
    Action("quit-now", "", "Quit at once without asking: the runs go on in the agent", "App", "quit_now",
           ("app",), aliases=("q!",)),
    Action("theme", "", "Switch the theme and remember it (without a name: list the themes)", "App", "theme",
           ("app",), argument="NAME"),
    Action("quit-hint", "ctrl+c", "Say how to quit (ctrl+c does not quit; it copies in a text field)", "App",
           "quit_hint", ("app",)),
    # -- logs (bound on the log pane) ------------------------------------------------------------
    Action("log-follow", "end,G", "Follow the log (resume tailing)", "Logs", "follow", ("log",),
           lambda s: not s.following, hint=7, label="follow"),
    Action("log-search-next", "n", "Next search match", "Logs", "search_next", ("log",), lambda s: s.searching,
           hint=6, label="next"),
    Action("log-search-prev", "N", "Previous search match", "Logs", "search_prev", ("log",), lambda s: s.searching,
           hint=6, label="prev"),
    Action("log-level", "l", "Cycle the level filter (all, info+, warning+, error)", "Logs", "cycle_level",
           ("log",), hint=5, label="level"),
    Action("log-step", "f", "Show only the selected step's lines (again for all)", "Logs", "toggle_step_filter",
           ("log",), hint=5, label="step"),
    Action("log-save", "w", "Save the execution's log to a file (without a name: asks)", "Logs", "save", ("log",),
           aliases=("w",), argument="FILE", hint=5, label="save"),
    # -- vault (bound on the vault list, in the pane and on the vault screen) ------------------
    Action("vault-add", "a", "Add a credential", "Vault", "add", ("vault-list",), lambda s: s.vault_open, hint=6,
           label="add"),
    Action("vault-edit", "enter", "Edit the selected credential", "Vault", "edit", ("vault-list",),
           lambda s: s.vault_open and s.vault_item, key_display="⏎", hint=6, label="edit"),
    Action("vault-delete", "delete", "Delete the selected credential (asks)", "Vault", "delete", ("vault-list",),
           lambda s: s.vault_open and s.vault_item, key_display="del", hint=5, label="delete"),
    Action("vault-unlock", "u", "Unlock the vault with its passphrase", "Vault", "unlock", ("vault-list",),
           lambda s: not s.vault_open, hint=7, label="unlock"),
    # -- inventory (the inventory screen) -------------------------------------------------------
    Action("inventory-add", "a", "Add a gateway to the inventory", "Inventory", "add", ("inventory",),
           hint=7, label="add"),
    Action("inventory-edit", "enter", "Edit the selected gateway", "Inventory", "edit", ("inventory",),
           lambda s: s.openable, key_display="⏎", hint=7, label="edit"),
    Action("inventory-delete", "delete", "Remove the selected gateway from the inventory (asks)", "Inventory",
           "delete", ("inventory",), lambda s: s.deletable, key_display="del", hint=5, label="remove"),
    Action("inventory-save", "ctrl+s", "Save the gateway", "Inventory", "save", ("gateway-form",), hint=8,
           label="save"),
    # -- schedules (the schedules screen) ----------------------------------------------------------
    Action("schedule-add", "a", "Add a schedule", "Schedules", "add", ("schedules",), hint=7, label="add"),
    Action("schedule-edit", "enter", "Edit the selected schedule", "Schedules", "edit", ("schedules",),
           lambda s: s.schedule_selected, key_display="⏎", hint=7, label="edit"),
    Action("schedule-toggle", "space", "Enable / disable the selected schedule", "Schedules", "toggle_enabled",
           ("schedules",), lambda s: s.schedule_selected, hint=6, label="on/off"),
    Action("schedule-run", "n", "Run the selected schedule now (through the agent, started if needed)",
           "Schedules", "run_now", ("schedules",), lambda s: s.schedule_selected, hint=6, label="run now"),
    Action("schedule-delete", "delete", "Delete the selected schedule and its fire records (asks)", "Schedules",
           "delete", ("schedules",), lambda s: s.schedule_selected, key_display="del", hint=3, label="delete"),
    # -- history and detail ----------------------------------------------------------------
    Action("delete-execution", "delete", "Delete the execution record and its artifacts (asks)", "History",
           "delete", ("history", "detail"), lambda s: s.deletable, key_display="del", hint=5, label="delete"),
    Action("history-status", "S", "Cycle the status filter", "History", "cycle_status", ("history",), hint=5,
           label="status"),
    Action("report", "o", "Write the execution's report: HTML, JSON, JUnit or Markdown (asks; to its artifacts "
           "folder)", "History", "report", ("history", "detail"), lambda s: s.reportable, hint=5, label="report"),
    # -- dialogs -------------------------------------------------------------------------------
    Action("form-run", "ctrl+r", "Run with these parameters", "Parameter form", "run", ("params",), hint=9,
           label="run"),
    Action("form-save-preset", "ctrl+s", "Save these parameters as a preset", "Parameter form", "save_preset",
           ("params",), hint=7, label="save preset"),
    Action("schedule-save", "ctrl+s", "Check and save the schedule", "Schedule form", "save", ("schedule-form",),
           hint=8, label="save"),
    Action("fleet-form-start", "ctrl+r", "Start the fleet run", "Fleet form", "start", ("fleet-form",), hint=8,
           label="start"),
    Action("debug-save", "ctrl+s", "Validate and save the step's parameters", "Debug pause", "save_params",
           ("debug",), hint=7, label="save params"),
    Action("confirm-yes", "y", "Yes", "Dialog", "yes", ("confirm",), hint=9, label="yes"),
    Action("confirm-no", "n", "No", "Dialog", "no", ("confirm",), hint=9, label="no"),
    Action("quit-detach", "d", "Quit: detach, the runs go on in the agent", "Dialog", "detach", ("quit",),
           lambda s: s.detachable, hint=9, label="detach"),
    Action("quit-cancel", "c", "Quit: cancel the running executions first", "Dialog", "cancel_runs", ("quit",),
           hint=9, label="cancel them", overrides=("schedules",)),  # the modal dialog's c, not the app's
    Action("quit-stay", "s", "Quit: stay in igtk", "Dialog", "stay", ("quit",), hint=9, label="stay"),
    Action("report-write", "enter", "Write the highlighted format", "Dialog", "write", ("report-format",), hint=8,
           key_display="⏎", label="write"),
    Action("report-html", "w", "HTML report", "Dialog", "choose('html')", ("report-format",), hint=7, label="html"),
    Action("report-json", "j", "JSON report", "Dialog", "choose('json')", ("report-format",), hint=7, label="json"),
    Action("report-junit", "u", "JUnit XML report", "Dialog", "choose('junit')", ("report-format",), hint=7,
           label="junit"),
    Action("report-md", "m", "Markdown report", "Dialog", "choose('md')", ("report-format",), hint=7,
           label="md"),
)

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}
GROUP_ORDER = ("Execution", "Navigation", "Moving", "Logs", "Vault", "Inventory", "Schedules", "History",
               "Parameter form", "Schedule form", "Fleet form", "Debug pause", "Dialog", "App")


def for_scope(scope: str) -> list[Action]:
    return [a for a in ACTIONS if scope in a.scopes]


def commands_hint() -> str:
    """The `:` line's reminder: the commands that take an argument, then the rule for the rest."""
    forms = [a.command_form for a in ACTIONS if a.argument or not a.key]
    return ", ".join(forms) + " · or any action's id (pause, skip, history…)"


def by_handler(scope: str, handler: str) -> Action | None:
    """The action a binding in `scope` runs (Textual gives check_action the handler name)."""
    for action in ACTIONS:
        if scope in action.scopes and action.handler.split("(", 1)[0] == handler:
            return action
    return None


def command(name: str) -> Action | None:
    """The action a `:` command names: its id or an alias."""
    name = name.strip().lower()
    for action in ACTIONS:
        if name == action.id or name in action.aliases:
            return action
    return None


def keys_of(keys: str) -> list[str]:
    return [k.strip() for k in keys.split(",") if k.strip()]


def key_conflicts(keymap: dict[str, str]) -> list[str]:
    """A line per key that two actions answer to where both are active, the keymap applied.

    Bindings of one scope clash, and an app binding clashes with any other scope's, because
    app keys are live everywhere and the focused widget's binding shadows them silently
    (`history = "g"` would never reach history from a list, where `g` goes to the top).
    """
    keys = {a.id: keys_of(keymap.get(a.id) or a.key) for a in ACTIONS}
    problems: list[str] = []
    for i, first in enumerate(ACTIONS):
        for second in ACTIONS[i + 1:]:
            shared = set(first.scopes) & set(second.scopes)
            if not shared and "app" in first.scopes + second.scopes:
                shared = set(first.scopes + second.scopes) - {"app"}
            if not shared or first.id in second.overrides or second.id in first.overrides:
                continue
            for key in (k for k in keys[first.id] if k in keys[second.id]):
                problems.append(f"[keymap] key {key!r} is bound to both {first.id!r} and {second.id!r} "
                                f"({', '.join(sorted(shared))}): remap one of them")
    return problems


def key_is_reliable(keys: str) -> bool:
    """False when every key in `keys` is one a terminal over SSH may not deliver."""
    parts = [k.strip().lower() for k in keys.split(",") if k.strip()]
    return any(not (k in UNRELIABLE_EXACT or k.startswith(UNRELIABLE_PREFIXES)) for k in parts)


def grouped(actions: Iterable[Action] = ACTIONS) -> list[tuple[str, list[Action]]]:
    groups: dict[str, list[Action]] = {}
    for action in actions:
        groups.setdefault(action.group, []).append(action)
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    return sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order)))
