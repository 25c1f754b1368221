"""The one action registry: keys, footer, `?` help, the command palette and the
`:` command line are all generated from `ACTIONS`.

An action that is not registered here cannot be bound, is not in the help and
not in the palette (Harlequin's rule). Each entry names:

- `id`: the binding id (`[keymap]` in config.toml remaps it) and the `:` command;
- `key`: default keys, Textual key names, comma-separated;
- `handler`: the `action_<handler>` method every screen/widget in `scopes` implements;
- `scopes`: where the binding lives ("app", or a screen/widget scope name);
- `when`: availability from an `ActionState` snapshot: True (enabled) or
  None (shown dimmed, blocked), as Textual's `check_action` expects.

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
    show: bool = False  # in the footer
    key_display: str | None = None
    priority: bool = False
    aliases: tuple[str, ...] = field(default=())  # extra `:` command names
    label: str = ""  # short footer text (the description is for help and the palette)
    in_palette: bool = True  # cursor moves act on the focused widget: keys and help only

    @property
    def footer(self) -> str:
        return self.label or self.description.split(" (", 1)[0]

    def available(self, state: ActionState) -> bool | None:
        """Textual's check_action contract: True runs it, None dims and blocks it."""
        if self.when is None:
            return True
        return True if self.when(state) else None


def _live(s: ActionState) -> bool:
    return s.live


MAIN = ("main",)
RUN_SCREENS = ("main", "history", "detail")
# The widgets with a cursor or a scroll position: trees (library, steps), the log pane, the
# executions bar, the vault list and the history table. Each implements the handlers below.
LISTS = ("tree", "log", "executions", "vault-list", "history-table", "schedule-table")

ACTIONS: tuple[Action, ...] = (
    # -- execution controls (main screen; some also in the debug pause dialog) --
    Action("run-open", "enter", "Run the playbook (parameter form) / open", "Execution", "run_open",
           ("main", "history", "fleets", "fleet"), lambda s: s.openable, show=True, key_display="⏎",
           aliases=("run", "open"), label="run/open"),
    Action("pause", "p", "Pause / resume the execution", "Execution", "pause", ("main", "debug"), _live, show=True,
           label="pause"),
    Action("skip", "s", "Skip the current step", "Execution", "skip", ("main", "debug"), _live),
    Action("step-back", "b", "Step back: re-run the previous step", "Execution", "step_back", ("main", "debug"),
           _live),
    Action("cancel", "x", "Cancel the execution (asks y/n)", "Execution", "cancel", ("main", "debug"), _live,
           show=True, label="cancel"),
    Action("debug", "d", "Toggle debug mode (pause after each step and on failure)", "Execution", "debug",
           MAIN, _live),
    Action("breakpoint", "t", "Toggle a breakpoint on the selected step", "Execution", "breakpoint", MAIN,
           lambda s: s.live and s.step_selected),
    Action("inspect", "i", "Inspect the pause: step, parameters, failure context", "Execution", "inspect", MAIN,
           lambda s: s.paused),
    Action("resume", "r", "Resume an interrupted or failed execution", "Execution", "resume", RUN_SCREENS,
           lambda s: s.resumable),
    Action("rerun", "R", "Rerun with the same (non-secret) parameters", "Execution", "rerun", RUN_SCREENS,
           lambda s: s.rerunnable),
    Action("prev-execution", "left_square_bracket", "Select the previous execution", "Execution",
           "prev_execution", MAIN, key_display="["),
    Action("next-execution", "right_square_bracket", "Select the next execution", "Execution", "next_execution",
           MAIN, key_display="]"),
    # -- navigation ------------------------------------------------------------------
    # Focus moves are priority bindings: they run when the key is read, before the keys typed after
    # them are routed, so a burst like `/slow⏎` or `3/` over SSH lands where it was meant.
    # (A focused Input still gets these keys: Textual drops bindings of keys an Input consumes.)
    Action("filter", "slash", "Filter the list / search the log or help", "Navigation", "filter",
           ("main", "history", "vault", "help", "fleet", "inventory"), key_display="/", priority=True),
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
           lambda s: s.screen != "history", show=True,
           label="history"),
    Action("vault", "v", "Credential vault", "Navigation", "vault", ("app",), lambda s: s.screen != "vault"),
    Action("fleets", "F", "Fleet runs (igtk run --on), live: gateways x status", "Navigation", "fleets", ("app",),
           lambda s: s.screen not in ("fleets", "fleet"), key_display="F", label="fleets"),
    Action("fleet-start", "n", "Start a fleet run: playbook, targets and options (through the agent)", "Navigation",
           "start_fleet", ("fleets",), show=True, label="new run"),
    Action("inventory", "I", "Gateway inventory: list, add, edit, remove", "Navigation", "inventory", ("app",),
           lambda s: s.screen != "inventory", key_display="I", label="inventory"),
    # `S` (the suggestion) is the history screen's status filter: schedules are `c` (cron).
    Action("schedules", "c", "Schedules: playbooks that run on their own (cron), next fires, last results",
           "Navigation", "schedules", ("app",), lambda s: s.screen != "schedules", aliases=("schedule",)),
    Action("back", "escape", "Back / close / clear the filter", "Navigation", "back",
           ("app", "params", "debug", "confirm", "help", "unlock", "prompt", "credential", "report-format",
            "gateway-form", "quit", "schedule-form", "fleet-form"),
           key_display="esc"),
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
    # -- app -------------------------------------------------------------------------
    Action("help", "question_mark", "Keys and actions (this list)", "App", "help", ("app",), show=True,
           key_display="?", label="help"),
    Action("command-palette", "ctrl+p", "Command palette", "App", "command_palette", ("app",), priority=True),
    Action("command-line", "colon", "Command line (:pause, :w FILE, :theme NAME ...)", "App", "command_line",
           ("app",), key_display=":"),
    Action("quit", "q,ctrl+q", "Quit (asks when executions run: detach, cancel them, or stay)", "App", "quit",
           ("app",), show=True, aliases=("q",),
           label="quit"),
    Action("quit-hint", "ctrl+c", "Say how to quit (ctrl+c does not quit; it copies in a text field)", "App",
           "quit_hint", ("app",)),
    # -- logs (bound on the log pane) ------------------------------------------------------------
    Action("log-follow", "end,G", "Follow the log (resume tailing)", "Logs", "follow", ("log",)),
    Action("log-search-next", "n", "Next search match", "Logs", "search_next", ("log",)),
    Action("log-search-prev", "N", "Previous search match", "Logs", "search_prev", ("log",)),
    Action("log-level", "l", "Cycle the level filter (all, info+, warning+, error)", "Logs", "cycle_level",
           ("log",)),
    Action("log-step", "f", "Show only the selected step's lines (again for all)", "Logs", "toggle_step_filter",
           ("log",)),
    Action("log-save", "w", "Save the execution's log to a file", "Logs", "save", ("log",), aliases=("w",)),
    # -- vault (bound on the vault list, in the pane and on the vault screen) ------------------
    Action("vault-add", "a", "Add a credential", "Vault", "add", ("vault-list",), lambda s: s.vault_open),
    Action("vault-edit", "enter", "Edit the selected credential", "Vault", "edit", ("vault-list",),
           lambda s: s.vault_open and s.vault_item, key_display="⏎"),
    Action("vault-delete", "delete", "Delete the selected credential (asks)", "Vault", "delete", ("vault-list",),
           lambda s: s.vault_open and s.vault_item, key_display="del"),
    Action("vault-unlock", "u", "Unlock the vault with its passphrase", "Vault", "unlock", ("vault-list",),
           lambda s: not s.vault_open),
    # -- inventory (the inventory screen) -------------------------------------------------------
    Action("inventory-add", "a", "Add a gateway to the inventory", "Inventory", "add", ("inventory",),
           show=True, label="add"),
    Action("inventory-edit", "enter", "Edit the selected gateway", "Inventory", "edit", ("inventory",),
           lambda s: s.openable, key_display="⏎", show=True, label="edit"),
    Action("inventory-delete", "delete", "Remove the selected gateway from the inventory (asks)", "Inventory",
           "delete", ("inventory",), lambda s: s.deletable, key_display="del", show=True, label="remove"),
    Action("inventory-save", "ctrl+s", "Save the gateway", "Inventory", "save", ("gateway-form",), show=True,
           label="save"),
    # -- schedules (the schedules screen) ----------------------------------------------------------
    Action("schedule-add", "a", "Add a schedule", "Schedules", "add", ("schedules",), show=True, label="add"),
    Action("schedule-edit", "enter", "Edit the selected schedule", "Schedules", "edit", ("schedules",),
           lambda s: s.schedule_selected, key_display="⏎", show=True, label="edit"),
    Action("schedule-toggle", "space", "Enable / disable the selected schedule", "Schedules", "toggle_enabled",
           ("schedules",), lambda s: s.schedule_selected, show=True, label="on/off"),
    Action("schedule-run", "n", "Run the selected schedule now (through the agent, started if needed)",
           "Schedules", "run_now", ("schedules",), lambda s: s.schedule_selected, show=True, label="run now"),
    Action("schedule-delete", "delete", "Delete the selected schedule and its fire records (asks)", "Schedules",
           "delete", ("schedules",), lambda s: s.schedule_selected, key_display="del"),
    # -- history and detail ----------------------------------------------------------------
    Action("delete-execution", "delete", "Delete the execution record and its artifacts (asks)", "History",
           "delete", ("history", "detail"), lambda s: s.deletable, key_display="del"),
    Action("history-status", "S", "Cycle the status filter", "History", "cycle_status", ("history",)),
    Action("report", "o", "Write the execution's report: HTML, JSON, JUnit or Markdown (asks; to its artifacts "
           "folder)", "History", "report", ("history", "detail"), lambda s: s.reportable, label="report"),
    # -- dialogs -------------------------------------------------------------------------------
    Action("form-run", "ctrl+r", "Run with these parameters", "Parameter form", "run", ("params",), show=True,
           label="run"),
    Action("form-save-preset", "ctrl+s", "Save these parameters as a preset", "Parameter form", "save_preset",
           ("params",), show=True, label="save preset"),
    Action("schedule-save", "ctrl+s", "Check and save the schedule", "Schedule form", "save", ("schedule-form",),
           show=True, label="save"),
    Action("fleet-form-start", "ctrl+r", "Start the fleet run", "Fleet form", "start", ("fleet-form",), show=True,
           label="start"),
    Action("debug-save", "ctrl+s", "Validate and save the step's parameters", "Debug pause", "save_params",
           ("debug",), show=True, label="save params"),
    Action("confirm-yes", "y", "Yes", "Dialog", "yes", ("confirm",), show=True),
    Action("confirm-no", "n", "No", "Dialog", "no", ("confirm",), show=True),
    Action("quit-detach", "d", "Quit: detach, the runs go on in the agent", "Dialog", "detach", ("quit",),
           show=True, label="detach"),
    Action("quit-cancel", "c", "Quit: cancel the running executions first", "Dialog", "cancel_runs", ("quit",),
           show=True, label="cancel them"),
    Action("quit-stay", "s", "Quit: stay in igtk", "Dialog", "stay", ("quit",), show=True, label="stay"),
    Action("report-html", "w", "HTML report", "Dialog", "choose('html')", ("report-format",), show=True, label="html"),
    Action("report-json", "j", "JSON report", "Dialog", "choose('json')", ("report-format",), show=True, label="json"),
    Action("report-junit", "u", "JUnit XML report", "Dialog", "choose('junit')", ("report-format",), show=True,
           label="junit"),
    Action("report-md", "m", "Markdown report", "Dialog", "choose('md')", ("report-format",), show=True,
           label="md"),
)

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}
GROUP_ORDER = ("Execution", "Navigation", "Moving", "Logs", "Vault", "Inventory", "Schedules", "History",
               "Parameter form", "Schedule form", "Debug pause", "Dialog", "App")


def for_scope(scope: str) -> list[Action]:
    return [a for a in ACTIONS if scope in a.scopes]


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
            if not shared:
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
