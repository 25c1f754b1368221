"""The plain parts under the widgets: view models fed by engine events, status
text (glyph and word), fuzzy filter, form error mapping, path completion,
resume/rerun parameters and the debug editor's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from igtk_tui import redact
from igtk_tui.engine.events import (
    ControlsChanged,
    ExecutionFinished,
    ExecutionPaused,
    ExecutionResumed,
    ExecutionStarted,
    ExecutionStatus,
    LogRecord,
    StepFinished,
    StepInfo,
    StepReset,
    StepsAdded,
    StepStarted,
    StepStatus,
)
from igtk_tui.tui.render import GLYPHS, FixedClock, elapsed, execution_label, step_label
from igtk_tui.tui.viewmodel import ExecutionView


def _view() -> ExecutionView:
    view = ExecutionView("e", 1, "pb")
    view.apply(ExecutionStarted("e", ts=100.0, playbook="pb", playbook_path=None, playbook_hash="h",
                                parameters={"a": 1}, steps=(StepInfo("one", "one", "One", "t"),
                                                            StepInfo("two", "two", "Two", "playbook.run"))))
    return view


def test_view_model_follows_a_run_with_nesting_retries_reset_pause_and_end() -> None:
    view = _view()
    assert view.status == "running" and view.roots == ["one", "two"]
    view.apply(StepStarted("e", ts=101.0, step_id="one", attempt=2, max_attempts=3))
    assert (view.steps["one"].attempt, view.steps["one"].max_attempts) == (2, 3)
    view.apply(StepFinished("e", step_id="one", status=StepStatus.COMPLETED, output={}, error=None, attempts=2,
                            duration=1.5))
    view.apply(StepsAdded("e", parent="two", steps=(StepInfo("two/x", "x", "X", "t", parent="two"),)))
    assert view.steps["two"].children == ["two/x"] and "two/x" not in view.roots
    view.apply(StepStarted("e", step_id="two/x", attempt=1, max_attempts=1))
    view.apply(StepReset("e", step_id="two"))
    assert view.steps["two/x"].status == "pending"  # children reset with their parent
    view.apply(ControlsChanged("e", debug=True, breakpoints=("two",), pause_requested=True))
    assert view.debug and view.steps["two"].breakpoint
    view.apply(ExecutionPaused("e", step_id="two", reason="breakpoint", context={"step": "two"}))
    assert view.status == "paused" and view.pause.reason == "breakpoint"
    view.apply(ExecutionResumed("e"))
    assert view.status == "running" and view.pause is None
    view.apply(LogRecord("e", step_id="one", level="info", message="hello"))
    assert [ln.seq for ln in view.take_pending_logs()] == [1] and view.take_pending_logs() == []
    view.apply(ExecutionFinished("e", status=ExecutionStatus.FAILED, error="boom", failed_steps=1, duration=3.0))
    assert view.status == "failed" and not view.live and view.progress == (1, 2)


def test_log_lines_are_scrubbed_even_if_a_secret_slipped_through() -> None:
    redact.register("unit-canary-secret")
    view = _view()
    view.apply(LogRecord("e", step_id=None, level="info", message="token unit-canary-secret"))
    assert "unit-canary-secret" not in view.logs[-1].text


def test_a_multi_line_message_becomes_one_log_row_per_line() -> None:
    """The log pane draws one row per LogLine (a newline would be drawn as a control glyph)."""
    view = _view()
    view.apply(LogRecord("e", step_id="s", level="error", message="script failed (exit 1):\nTraceback\r\n  boom"))
    view.apply(LogRecord("e", step_id="s", level="info", message="after"))
    assert [(ln.text, ln.level, ln.step) for ln in view.logs] == [
        ("script failed (exit 1):", "error", "s"), ("Traceback", "error", "s"), ("  boom", "error", "s"),
        ("after", "info", "s")]
    assert [ln.seq for ln in view.logs] == [1, 2, 3, 4] and len(view.take_pending_logs()) == 4


def test_status_is_a_glyph_and_a_word() -> None:
    view = _view()
    view.apply(StepStarted("e", ts=100.0, step_id="one", attempt=1, max_attempts=3))
    clock = FixedClock(112.4)
    label = step_label(view.steps["one"], view, clock.now(), {"running": "bold"}).plain
    assert label.startswith(f"{GLYPHS['running']} running") and "try 1/3" in label and "12s" in label
    row = execution_label(view, clock.now()).plain
    assert row.startswith("#1 ▶ running") and "0/2" in row
    assert elapsed(3.25) == "3.2s" and elapsed(3.25, live=True) == "3s" and elapsed(3725) == "1h02m"
    assert len(set(GLYPHS.values())) == len(GLYPHS)  # every state has its own glyph


def test_fuzzy_filter_prefers_substrings_and_accepts_initials() -> None:
    from igtk_tui.tui.widgets.playbook_tree import fuzzy_score

    assert fuzzy_score("backup", "Gateway backup gateway/backup.yaml") >= 2
    assert 0 < fuzzy_score("gwbk", "Gateway backup") < 2
    assert fuzzy_score("zzz", "Gateway backup") == 0


def test_form_errors_are_mapped_to_their_fields() -> None:
    from igtk_tui.tui.screens.params_form import field_errors

    message = ("invalid parameters:\n  unknown parameter 'coutn' (did you mean 'count'?)\n"
               "  missing required parameter 'target' (string): the line\n"
               "  parameter 'count': must be at most 10, got 99")
    per_field, other = field_errors(message, ["target", "count"])
    assert per_field == {"target": "missing required parameter 'target' (string): the line",
                         "count": "must be at most 10, got 99"}
    assert other == ["unknown parameter 'coutn' (did you mean 'count'?)"]


async def test_file_parameters_complete_paths(tmp_path: Path) -> None:
    from igtk_tui.tui.screens.params_form import PathSuggester

    (tmp_path / "backups").mkdir()
    (tmp_path / "backups" / "gateway-2026.gwbk").write_text("x")
    suggester = PathSuggester(tmp_path)
    assert await suggester.get_suggestion("back") == "backups/"
    assert await suggester.get_suggestion("backups/gat") == "backups/gateway-2026.gwbk"
    assert await suggester.get_suggestion(f"{tmp_path}/nothing-here") is None


def test_debug_editor_sends_only_changes_and_refuses_masked_or_invalid_values() -> None:
    from igtk_tui.tui.screens.debug_pause import changed_parameters, validate_for_step

    original = {"seconds": 30, "token": "••••"}
    assert changed_parameters(original, {"seconds": 5, "token": "••••"}) == {"seconds": 5}
    with pytest.raises(ValueError, match="masked"):
        changed_parameters(original, {"seconds": 30, "token": "•••• new"})
    with pytest.raises(ValueError, match="removed"):
        changed_parameters(original, {"seconds": 30})
    assert validate_for_step("utility.sleep", {"seconds": "soon"})
    assert validate_for_step("utility.sleep", {"seconds": 2}) == []
    assert validate_for_step("utility.sleep", {"seconds": "{{ parameter.x }}"}) == []
    assert "no parameter" in validate_for_step("utility.sleep", {"secs": 2})[0]


def test_registry_command_lookup() -> None:
    from igtk_tui.tui import actions

    assert actions.command("q").id == "quit" and actions.command("pause").id == "pause"
    assert actions.command("nope") is None
    assert actions.by_handler("main", "focus_pane").id.startswith("focus-")


def test_compensation_steps_follow_the_steps_in_execution_order_marked() -> None:
    view = _view()
    view.apply(StepsAdded("e", parent=None, steps=(
        StepInfo("undo_two", "undo_two", "Undo two", "t", parent="two", role="rollback"),
        StepInfo("undo_one", "undo_one", "Undo one", "t", parent="one", role="rollback"))))
    assert view.roots == ["one", "two", "undo_two", "undo_one"]  # not under the steps they undo
    assert view.steps["one"].children == [] and view.steps["two"].children == []
    label = step_label(view.steps["undo_two"], view, 0.0).plain
    assert "Undo two" in label and "rollback" in label
