"""What resume and rerun take from a record: masked secrets, credential autofill, start step."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from igtk_tui.engine.replay import masked_names, merge_parameters, resume_state
from igtk_tui.errors import InvalidInput
from igtk_tui.playbook.loader import load_text
from igtk_tui.store.execution_records import ExecutionDetail, ExecutionSummary, StepRecord
from igtk_tui.vault.model import Credential

PLAYBOOK = load_text(textwrap.dedent("""\
    name: replay
    version: "1"
    parameters:
      - {name: username, type: string, required: false}
      - {name: password, type: string, required: false}
      - {name: gateway_url, type: string, required: false}
      - {name: pin, type: string, secret: true, required: false}
      - {name: site, type: string, default: north}
    steps:
      - {id: a, name: a, type: utility.set_variable, parameters: {name: x, value: 1}}
      - {id: b, name: b, type: utility.log, parameters: {message: hi}, on_failure: continue}
      - {id: c, name: c, type: utility.log, parameters: {message: "{{ variable.x }}"}}
      - {id: d, name: d, type: utility.log, parameters: {message: end}}
    """))


def record(status: str, steps: list[tuple[str, str, Any]], *, role: dict[str, str] | None = None) -> ExecutionDetail:
    summary = ExecutionSummary(
        id="0f0f0f0f-1111-2222-3333-444444444444", playbook="replay", playbook_path=None, playbook_rel=None,
        status=status, started_at=1.0, finished_at=2.0, duration=1.0, failed_steps=0, trigger="cli",
        gateway_url=None, resumed_from=None, resumed_by=None, rerun_of=None, host="h", user="u", error=None)
    rows = tuple(StepRecord(path=p, step_id=p.rpartition("/")[2], parent=p.rpartition("/")[0] or None, position=i,
                            name=p, type="utility.log", role=(role or {}).get(p, "step"), status=st,
                            attempts=1, started_at=1.0, finished_at=2.0, duration=0.1,
                            output={"value": p} if st == "completed" else None, error=None, reason=None,
                            variables=vars_)
                 for i, (p, st, vars_) in enumerate(steps))
    return ExecutionDetail(summary=summary, playbook_hash="h", source=None, parameters={}, credentials=[],
                           debug=False, owner_pid=1, browser_version=None, steps=rows, logs=(), log_count=0,
                           artifacts=())


def test_masked_values_are_found_wholly_or_in_part() -> None:
    stored = {"password": "••••", "url": "http://u:••••@gw", "site": "north", "none": None, "n": 3,
              "nested": {"k": ["••••"]}}
    assert masked_names(stored) == {"password", "url", "nested"}


def test_a_masked_parameter_must_be_given_again() -> None:
    stored = {"username": "ops", "password": "••••", "pin": "••••", "site": "south", "gone": "x"}
    with pytest.raises(InvalidInput) as info:
        merge_parameters(PLAYBOOK, stored, {})
    assert "'password'" in str(info.value) and "'pin'" in str(info.value) and "-p pin=" in str(info.value)
    merged = merge_parameters(PLAYBOOK, stored, {"password": "pw1", "pin": "1234"})
    assert merged == {"username": "ops", "password": "pw1", "pin": "1234", "site": "south"}  # "gone" dropped


def test_a_credential_supplies_and_replaces_its_fields() -> None:
    stored = {"username": "old-user", "password": "••••", "site": "south"}
    cred = Credential(name="plant", type="basic", username="new-user", secret="s3cret-pw",
                      gateway_url="http://gw-new:8088")
    merged = merge_parameters(PLAYBOOK, stored, {}, credential=cred)
    assert merged == {"site": "south"}  # build_request's autofill then fills user, password, url
    with pytest.raises(InvalidInput, match="'pin'"):
        merge_parameters(PLAYBOOK, {**stored, "pin": "••••"}, {}, credential=cred)


def test_gateway_flag_replaces_recorded_gateway_parameters() -> None:
    merged = merge_parameters(PLAYBOOK, {"gateway_url": "http://old:8088", "site": "x"}, {},
                              gateway_url="http://new:8088")
    assert "gateway_url" not in merged


def test_resume_starts_at_the_first_unfinished_top_level_step() -> None:
    detail = record("interrupted", [("a", "completed", {"x": 1}), ("b", "failed", {"x": 1}),
                                    ("c", "interrupted", None), ("d", "pending", None)])
    state = resume_state(detail, PLAYBOOK)
    # b failed with on_failure: continue, so the run had moved past it.
    assert state.start_step == "c" and state.outputs == {"a": {"value": "a"}} and state.variables == {"x": 1}
    assert state.resumed_from == detail.id


def test_variables_come_from_the_last_boundary_that_recorded_them() -> None:
    detail = record("failed", [("a", "completed", {"x": 1}), ("b", "skipped", None), ("c", "failed", None),
                               ("d", "pending", None)])
    state = resume_state(detail, PLAYBOOK)
    assert state.start_step == "c" and state.variables == {"x": 1}


@pytest.mark.parametrize(("status", "message"), [("completed", "rerun"), ("running", "still running")])
def test_only_stopped_unfinished_executions_resume(status: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        resume_state(record(status, [("a", "completed", {})]), PLAYBOOK)


def test_a_rolled_back_execution_is_not_resumable() -> None:
    detail = record("failed", [("a", "completed", {}), ("b", "failed", None), ("undo", "completed", None)],
                    role={"undo": "rollback"})
    with pytest.raises(InvalidInput, match="rolled back"):
        resume_state(detail, PLAYBOOK)
