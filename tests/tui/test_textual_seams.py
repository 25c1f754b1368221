"""The private parts of Textual that igtk relies on (issue 18 item 5), each with the shape
igtk_tui/tui/textual_seams.py uses, and a check that nothing else in igtk_tui/tui reaches
into a Textual object's private attributes. A Textual upgrade that changes one fails here."""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static
from tui_helpers import wait_until

from igtk_tui.tui.textual_seams import CrashHookedApp, set_theme_before_start

TUI = Path(__file__).resolve().parents[2] / "igtk_tui" / "tui"
SEAMS = TUI / "textual_seams.py"


def test_textual_still_has_the_crash_hooks_with_the_shapes_used() -> None:
    assert list(inspect.signature(App._handle_exception).parameters) == ["self", "error"]
    assert list(inspect.signature(App._fatal_error).parameters) == ["self"]
    assert list(inspect.signature(App._close_messages_no_wait).parameters) == ["self"]
    source = inspect.getsource(App._handle_exception)
    assert "self._fatal_error()" in source, "Textual no longer prints unhandled errors through _fatal_error"
    assert isinstance(App()._exit_renderables, list)


def test_textual_still_has_the_ansi_filter_refresh_the_quiet_theme_start_uses() -> None:
    assert list(inspect.signature(App._refresh_truecolor_filter).parameters) == ["self", "theme"]
    app = App()
    set_theme_before_start(app, "textual-light")
    assert app.theme == "textual-light" and app.current_theme.name == "textual-light"
    assert {"-theme-textual-light", "-light-mode"} <= set(app.classes) and "-dark-mode" not in app.classes


class _Crashing(CrashHookedApp):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Exception] = []

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("x")

    def crashed(self, error: Exception) -> None:
        self.seen.append(error)

    def crash_text(self) -> str:
        return "igtk crash text"

    def on_mount(self) -> None:
        def boom() -> None:
            local_secret = "canary-local-variable"  # noqa: F841 - Textual's traceback would print it
            raise RuntimeError("boom")

        self.call_later(boom)


async def test_an_unhandled_error_reaches_crashed_and_prints_crash_text_not_the_traceback() -> None:
    app = _Crashing()
    printed: list[object] = []
    app.error_console = Console(file=io.StringIO())
    app.error_console.print = lambda *r, **_kw: printed.extend(r)  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        async with app.run_test() as pilot:
            await wait_until(pilot, lambda: app.seen, what="the crash hook")
    assert [str(e) for e in app.seen] == ["boom"]
    assert "igtk crash text" in printed and not any("canary-local-variable" in str(r) for r in printed)


def _textual_defines(cls: type, name: str) -> bool:
    """True when a Textual class in `cls`'s bases has `name` (a method, or `self.name` set in its source)."""
    for base in cls.__mro__:
        if not base.__module__.startswith("textual"):
            continue
        if name in vars(base):
            return True
        if name in _instance_privates(base):
            return True
    return False


@functools.cache
def _instance_privates(cls: type) -> frozenset[str]:
    """The `self._x` names a Textual class's own source uses."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return frozenset()
    return frozenset(re.findall(r"self\.(_[a-zA-Z]\w*)", source))


def _modules() -> list[tuple[Path, object]]:
    out = []
    for path in sorted(TUI.rglob("*.py")):
        if path == SEAMS:
            continue
        name = ".".join(path.relative_to(TUI.parents[1]).with_suffix("").parts)
        out.append((path, importlib.import_module(name.removesuffix(".__init__"))))
    return out


def test_only_the_seams_module_touches_textuals_private_attributes() -> None:
    """A `_name` of a Textual class, read, set or overridden by a class of ours that derives from
    it (`self._x`, `def _x`), or read off any object (`app._keymap`, `Log._process_line`)."""
    offenders: list[str] = []
    for path, module in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                cls = getattr(module, node.name, None)
                if not isinstance(cls, type):
                    continue
                used = {n.name for n in ast.walk(node) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
                used |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
                         and isinstance(n.value, ast.Name) and n.value.id == "self"}
                used |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
                         and isinstance(n.value, ast.Call) and getattr(n.value.func, "id", "") == "super"}
                for name in sorted(used):
                    if name.startswith("_") and not name.startswith("__") and _textual_defines(cls, name):
                        offenders.append(f"{path.name}: {node.name}.{name}")
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                receiver = node.value
                if isinstance(receiver, ast.Name):
                    target = getattr(module, receiver.id, None)
                    if isinstance(target, type) and _textual_defines(target, node.attr):
                        offenders.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
                if node.attr in _TEXTUAL_APP_PRIVATE:
                    offenders.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    assert not offenders, f"Textual private API outside textual_seams.py: {offenders}"


# Private attributes of the App and Screen an `app.`/`screen.` reference could reach.
_TEXTUAL_APP_PRIVATE = {name for cls in (App, Screen, Widget) for name in
                        set(vars(cls)) | set(re.findall(r"self\.(_[a-z]\w*)", inspect.getsource(cls)))
                        if name.startswith("_") and not name.startswith("__")}
