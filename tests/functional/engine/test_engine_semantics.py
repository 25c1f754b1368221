"""Engine semantics: statuses, on_failure, rollback, retries, timeouts, `when:`, references."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from igtk_tui.config import Settings, load_settings
from igtk_tui.engine.events import ExecutionStatus, StepStatus
from igtk_tui.paths import resolve_paths
from tests.support.engine import (
    FLAKY_CALLS,
    TinyCredential,
    TinyProvider,
    finish,
    load,
    make,
    pid_alive,
    script_pid,
    start,
)


async def run(tmp_path: Path, text: str, params: dict[str, Any] | None = None, **kwargs: Any):  # noqa: ANN201
    execution, rec = make(load(tmp_path, text), params, tmp_path=tmp_path, **kwargs)
    result = await finish(start(execution))
    return execution, rec, result


async def test_a_completed_run_lists_steps_up_front_and_reports_every_step(tmp_path: Path) -> None:
    execution, rec, result = await run(tmp_path, """\
        name: Flow
        version: 1
        parameters:
          - {name: n, type: integer, default: 2}
        steps:
          - id: setv
            name: "Step 1: set"
            type: utility.set_variable
            parameters: {name: count, value: "{{ parameter.n }}"}
          - id: say
            name: "Step 2: say"
            type: utility.log
            parameters: {message: "count={{ variable.count }} from {{ step.setv.variable }}"}
        """, {"n": "5"})
    assert result.status == ExecutionStatus.COMPLETED and execution.status == ExecutionStatus.COMPLETED
    assert result.error is None and result.failed_steps == 0
    started = rec.events[0]
    assert started.kind == "execution_started"
    assert [s.path for s in started.steps] == ["setv", "say"]
    assert started.parameters == {"n": 5}
    assert rec.kinds() == [
        "execution_started",
        "step_started", "attempt_finished", "step_finished",
        "step_started", "log", "attempt_finished", "step_finished",
        "execution_finished",
    ]
    assert rec.finished() == [("setv", "completed"), ("say", "completed")]
    # A whole-value reference keeps its type: the variable is the integer 5, not "5".
    assert rec.step("setv").output == {"variable": "count", "value": 5}
    assert rec.step("setv").variables == {"count": 5}
    assert rec.step("say").output["logged"] == "count=5 from count"
    assert result.outputs["setv"]["value"] == 5 and result.variables == {"count": 5}
    finished = rec.events[-1]
    assert finished.status == ExecutionStatus.COMPLETED and finished.failed_steps == 0


async def test_on_failure_continue_completes_with_a_failed_step_count(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Continue
        version: 1
        steps:
          - {id: bad, name: bad, type: test.flaky, on_failure: continue, parameters: {key: cont, failures: 9}}
          - {id: after, name: after, type: utility.log, parameters: {message: still here}}
        """)
    FLAKY_CALLS.pop("cont", None)
    assert result.status == ExecutionStatus.COMPLETED
    assert result.failed_steps == 1 and rec.events[-1].failed_steps == 1
    assert rec.finished() == [("bad", "failed"), ("after", "completed")]
    assert rec.step("bad").error == "planned failure 1 of 9"


async def test_abort_fails_the_run_naming_the_step_and_stops(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Abort
        version: 1
        steps:
          - {id: ok, name: ok, type: utility.log, parameters: {message: fine}}
          - {id: broken, name: broken, type: utility.python, parameters: {script: "raise SystemExit('boom')"}}
          - {id: never, name: never, type: utility.log, parameters: {message: unreachable}}
        """)
    assert result.status == ExecutionStatus.FAILED
    assert result.error.startswith("step 'broken' failed: script failed (exit 1): boom")
    assert rec.events[-1].error == result.error
    assert rec.finished() == [("ok", "completed"), ("broken", "failed")]
    assert not rec.of("step_started", step_id="never")


async def test_rollback_runs_compensation_steps_in_reverse_order(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Rollback
        version: 1
        steps:
          - id: one
            name: one
            type: utility.log
            parameters: {message: one}
            on_rollback:
              - {id: undo_one, name: undo one, type: utility.log, parameters: {message: "undo {{ step.one.logged }}"}}
          - id: two
            name: two
            type: utility.log
            parameters: {message: two}
            on_rollback:
              - {id: undo_two_a, name: undo two a, type: utility.log, parameters: {message: undo two a}}
              - {id: undo_two_b, name: undo two b, type: utility.log, parameters: {message: undo two b}}
          - id: three
            name: three
            type: test.flaky
            on_failure: rollback
            parameters: {key: rb, failures: 1}
            on_rollback:
              - {id: undo_three, name: undo three, type: utility.log, parameters: {message: undo three}}
          - {id: four, name: four, type: utility.log, parameters: {message: never}}
        on_rollback:
          - {id: cleanup, name: cleanup, type: utility.log, parameters: {message: cleanup}}
        """)
    FLAKY_CALLS.pop("rb", None)
    assert result.status == ExecutionStatus.FAILED
    assert result.error.startswith("step 'three' failed: planned failure 1 of 1 (rolled back")
    assert [s for s, _ in rec.finished()] == [
        "one", "two", "three", "undo_three", "undo_two_a", "undo_two_b", "undo_one", "cleanup"]
    added = rec.of("steps_added")
    assert len(added) == 1
    assert [(s.path, s.role, s.parent) for s in added[0].steps] == [
        ("undo_three", "rollback", "three"), ("undo_two_a", "rollback", "two"),
        ("undo_two_b", "rollback", "two"), ("undo_one", "rollback", "one"), ("cleanup", "rollback", None)]
    assert rec.step("undo_one").output["logged"] == "undo one"
    assert not rec.of("step_started", step_id="four")


async def test_rollback_without_compensation_steps_says_so(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Rollback
        version: 1
        steps:
          - {id: x, name: x, type: test.flaky, on_failure: rollback, parameters: {key: rb0, failures: 1}}
        """)
    FLAKY_CALLS.pop("rb0", None)
    assert result.status == ExecutionStatus.FAILED and "rolled back: 0 of 0 compensation steps completed" in result.error
    assert "rollback requested but no on_rollback steps are defined" in rec.logs()


async def test_retries_record_every_attempt_with_delay_and_backoff(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Retry
        version: 1
        steps:
          - id: flaky
            name: flaky
            type: test.flaky
            retry_count: 3
            retry_delay: 0.05
            backoff: 2
            parameters: {key: retry, failures: 2}
        """)
    FLAKY_CALLS.pop("retry", None)
    assert result.status == ExecutionStatus.COMPLETED
    attempts = rec.of("attempt_finished", step_id="flaky")
    assert [(a.attempt, a.ok, a.error) for a in attempts] == [
        (1, False, "planned failure 1 of 2"), (2, False, "planned failure 2 of 2"), (3, True, None)]
    starts = rec.of("step_started", step_id="flaky")
    assert [(s.attempt, s.max_attempts) for s in starts] == [(1, 4), (2, 4), (3, 4)]
    assert starts[1].ts - starts[0].ts >= 0.05
    assert starts[2].ts - starts[1].ts >= 0.1  # backoff doubles the delay
    done = rec.step("flaky")
    assert done.status == StepStatus.COMPLETED and done.attempts == 3 and done.output == {"calls": 3}
    warnings = [m for m in rec.logs("flaky") if "retrying" in m]
    assert warnings == [
        "attempt 1/4 failed: planned failure 1 of 2; retrying in 0.05 s",
        "attempt 2/4 failed: planned failure 2 of 2; retrying in 0.1 s",
    ]


async def test_exhausted_retries_fail_with_the_last_error(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Retry
        version: 1
        steps:
          - {id: flaky, name: flaky, type: test.flaky, retry_count: 1, retry_delay: 0,
             parameters: {key: exhaust, failures: 5}}
        """)
    FLAKY_CALLS.pop("exhaust", None)
    assert result.status == ExecutionStatus.FAILED
    done = rec.step("flaky")
    assert done.attempts == 2 and done.error == "planned failure 2 of 5"
    assert len(rec.of("attempt_finished", step_id="flaky")) == 2


async def test_a_parameter_that_cannot_resolve_fails_without_retrying(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Unresolvable
        version: 1
        steps:
          - {id: maybe, name: maybe, type: utility.log, when: "false", parameters: {message: skipped}}
          - {id: uses, name: uses, type: utility.log, retry_count: 3, retry_delay: 5,
             parameters: {message: "{{ step.maybe.logged }}"}}
        """)
    assert result.status == ExecutionStatus.FAILED
    done = rec.step("uses")
    assert done.attempts == 1
    assert done.error == "cannot resolve {{ step.maybe.logged }}: step 'maybe' has no output (it is skipped)"


async def test_per_step_timeout_fails_the_step(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Timeout
        version: 1
        steps:
          - {id: slow, name: slow, type: utility.sleep, timeout: 0.2, on_failure: continue, parameters: {seconds: 30}}
          - id: slow_script
            name: slow script
            type: utility.python
            timeout: 0.5
            parameters:
              script: |
                import os, time
                print(f"PID={os.getpid()}")
                time.sleep(60)
        """)
    assert result.status == ExecutionStatus.FAILED
    slow = rec.step("slow")
    assert slow.status == StepStatus.FAILED and slow.error == "timed out after 0.2 s" and slow.duration < 5
    script = rec.step("slow_script")
    assert script.error == "timed out after 0.5 s"
    pid = await script_pid(rec, "slow_script")
    assert not pid_alive(pid), "the timed-out script's process must be killed"


async def test_per_execution_timeout_comes_from_settings(tmp_path: Path) -> None:
    text = """\
        name: Long
        version: 1
        steps:
          - {id: first, name: first, type: utility.log, parameters: {message: hi}}
          - {id: long, name: long, type: utility.sleep, parameters: {seconds: 60}}
        """
    started = time.monotonic()
    _, rec, result = await run(tmp_path, text, settings=Settings(execution_timeout=0.3))
    assert time.monotonic() - started < 10
    assert result.status == ExecutionStatus.FAILED
    assert result.error == "execution timed out after 0.3 s"
    assert rec.step("long").status == StepStatus.CANCELLED
    assert rec.step("long").error == "interrupted: timed out"
    # The same setting from the environment (IGTK_EXECUTION_TIMEOUT), not a hard-coded cap.
    settings = load_settings(resolve_paths(), {"IGTK_EXECUTION_TIMEOUT": "0.25"})
    _, _, result = await run(tmp_path, text, settings=settings)
    assert result.error == "execution timed out after 0.25 s"


async def test_when_true_runs_false_skips_with_reason_condition(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: When
        version: 1
        parameters:
          - {name: reset_trial, type: boolean, default: false}
          - {name: mode, type: string, default: fast}
        steps:
          - {id: probe, name: probe, type: utility.set_variable, parameters: {name: state, value: active}}
          - {id: reset, name: reset, type: utility.log, when: "{{ parameter.reset_trial }}",
             parameters: {message: resetting}}
          - {id: fast, name: fast, type: utility.log, when: "mode == 'fast' and step.probe.value == 'active'",
             parameters: {message: going fast}}
          - {id: slow, name: slow, type: utility.log, when: "variable.state != 'active'",
             parameters: {message: going slow}}
        """, {"reset_trial": "no"})
    assert result.status == ExecutionStatus.COMPLETED
    assert rec.finished() == [("probe", "completed"), ("reset", "skipped"), ("fast", "completed"),
                              ("slow", "skipped")]
    assert rec.step("reset").reason == "condition" and rec.step("slow").reason == "condition"
    assert rec.step("fast").reason is None
    assert not rec.of("step_started", step_id="reset")


async def test_a_condition_that_cannot_be_evaluated_fails_the_run(tmp_path: Path) -> None:
    _, _, result = await run(tmp_path, """\
        name: When
        version: 1
        parameters:
          - {name: n, type: integer, default: 1}
        steps:
          - {id: a, name: a, type: utility.log, when: "n > 'x'", parameters: {message: hi}}
        """)
    assert result.status == ExecutionStatus.FAILED
    assert result.error.startswith("step 'a': when: cannot compare 1 and 'x'")


async def test_credential_references_through_a_credential_typed_parameter(tmp_path: Path) -> None:
    provider = TinyProvider(TinyCredential("plant", "operator", "hunter2-secret"),
                            TinyCredential("other", "someone", "other-secret"))
    _, rec, result = await run(tmp_path, """\
        name: Creds
        version: 1
        parameters:
          - {name: gateway_credential, type: credential}
        steps:
          - id: who
            name: who
            type: utility.log
            parameters:
              message: "user={{ parameter.gateway_credential.username }} pw={{ parameter.gateway_credential.password }}"
          - id: direct
            name: direct
            type: utility.set_variable
            parameters: {name: pw, value: "{{ credential.other.password }}"}
          - id: bad_field
            name: bad field
            type: utility.log
            on_failure: continue
            parameters: {message: "{{ credential.other.pin }}"}
        """, {"gateway_credential": "plant"}, credentials=provider)
    assert set(provider.asked) == {"other", "plant"}
    assert rec.step("who").output["logged"] == "user=operator pw=••••"
    assert rec.step("direct").status == StepStatus.COMPLETED
    assert result.variables["pw"] == "other-secret"  # the real value reaches the steps...
    assert rec.step("direct").output["value"] == "••••"  # ...but never an event
    assert rec.step("bad_field").error == "cannot resolve credential.other.pin: credential 'other' has no field 'pin'"
    for event in rec.events:
        text = repr(event.to_dict())
        assert "hunter2-secret" not in text and "other-secret" not in text


async def test_a_credential_reference_without_a_vault_fails_the_step_clearly(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Creds
        version: 1
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: "{{ credential.plant.username }}"}}
        """)
    assert result.status == ExecutionStatus.FAILED
    assert rec.step("a").error == "credential 'plant' is needed but no vault is open"


async def test_python_steps_get_data_not_pasted_text_and_return_outputs(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Python
        version: 1
        parameters:
          - {name: folder, type: string, default: "C:\\\\mods \\"quoted\\" 'x'"}
          - {name: n, type: integer, default: 4}
        steps:
          - id: calc
            name: calc
            type: utility.python
            parameters:
              params:
                folder: "{{ parameter.folder }}"
                n: "{{ parameter.n }}"
              script: |
                assert isinstance(params["n"], int)
                print(f"FOLDER={params['folder']}")
                print("DOUBLE=" + str(params["n"] * 2))
                set_variable("seen", {"n": params["n"]})
                print("not a key value line")
          - {id: after, name: after, type: utility.log, parameters: {message: "{{ step.calc.DOUBLE }} {{ variable.seen }}"}}
        """)
    assert result.status == ExecutionStatus.COMPLETED, result.error
    out = rec.step("calc").output
    assert out["FOLDER"] == "C:\\mods \"quoted\" 'x'" and out["DOUBLE"] == "8"
    assert out["_output"].splitlines() == ["FOLDER=C:\\mods \"quoted\" 'x'", "DOUBLE=8", "not a key value line"]
    assert result.variables == {"seen": {"n": 4}}
    assert rec.step("after").output["logged"] == "8 {'n': 4}"


async def test_a_failing_script_reports_the_end_of_its_stderr(tmp_path: Path) -> None:
    _, rec, result = await run(tmp_path, """\
        name: Python
        version: 1
        steps:
          - id: bad
            name: bad
            type: utility.python
            parameters:
              script: |
                import sys
                print("working")
                print("careful", file=sys.stderr)
                raise ValueError("the module file is missing")
        """)
    error = rec.step("bad").error
    assert error.startswith("script failed (exit 1): careful\nTraceback")
    assert error.endswith("ValueError: the module file is missing")
    assert "careful" in [e.message for e in rec.of("log", level="warning")]


async def test_unknown_step_parameter_edits_are_rejected_at_run_time(tmp_path: Path) -> None:
    execution, rec = make(load(tmp_path, """\
        name: Edit
        version: 1
        steps:
          - {id: a, name: a, type: utility.log, parameters: {message: hi}}
        """), tmp_path=tmp_path)
    execution.controls.set_step_parameters("a", {"mesage": "typo"})
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.FAILED
    assert rec.step("a").error == "unknown parameters: mesage"


async def test_a_handler_timeout_is_not_mistaken_for_the_step_timeout(tmp_path: Path) -> None:
    _, rec, _ = await run(tmp_path, """\
        name: Raise
        version: 1
        steps:
          - {id: t, name: t, type: test.raise, on_failure: continue, parameters: {kind: timeout, message: read timed out}}
          - {id: v, name: v, type: test.raise, parameters: {kind: value}}
        """)
    assert rec.step("t").error == "TimeoutError: read timed out"
    assert rec.step("v").error == "ValueError"


async def test_a_secret_registered_mid_run_is_masked_in_later_variable_snapshots(tmp_path: Path) -> None:
    provider = TinyProvider(TinyCredential("plant", "operator", "hunter2-late"))
    _, rec, result = await run(tmp_path, """\
        name: Late secret
        version: 1
        steps:
          - {id: early, name: early, type: utility.set_variable, parameters: {name: copy, value: hunter2-late}}
          - {id: listy, name: listy, type: utility.set_variable, parameters: {name: items, value: [a]}}
          - {id: load, name: load, type: utility.log, parameters: {message: "{{ credential.plant.username }}"}}
          - {id: again, name: again, type: utility.log, parameters: {message: later}}
        """, credentials=provider)
    assert result.status == ExecutionStatus.COMPLETED
    # Before the vault was read the value was not known to be secret...
    assert rec.step("early").variables["copy"] == "hunter2-late"
    # ...from then on every snapshot masks it, although the variable itself did not change.
    assert rec.step("load").variables["copy"] == "••••"
    assert rec.step("again").variables == {"copy": "••••", "items": ["a"]}
    result.variables["items"].append("hunter2-late")  # a mutable value changed in place is re-scrubbed
    from igtk_tui.engine.frame import Frame

    frame = Frame(playbook=None, params={}, variables=result.variables)  # type: ignore[arg-type]
    assert frame.scrubbed_variables() == {"copy": "••••", "items": ["a", "••••"]}
    assert frame.scrubbed_variables() == {"copy": "••••", "items": ["a", "••••"]}


def test_variable_snapshots_rescrub_exactly_what_changed() -> None:
    """Each step's snapshot reuses the scrubbed form of unchanged values: a changed value, a
    value that became a secret's, and a mutable value (changed in place) are all re-scrubbed."""
    from igtk_tui import redact
    from igtk_tui.engine.frame import Frame

    redact.register("first-secret")
    variables: dict[str, Any] = {f"v{i}": f"value {i}" for i in range(50)}
    frame = Frame(playbook=None, params={}, variables=variables)  # type: ignore[arg-type]
    assert frame.scrubbed_variables() == variables
    variables["v7"] = "now first-secret"
    assert frame.scrubbed_variables()["v7"] == "now ••••"
    assert frame.scrubbed_variables()["v8"] == "value 8"
    redact.register("value 9")  # a new secret: every value is judged again
    assert frame.scrubbed_variables()["v9"] == "••••"
    variables["v3"] = ["a"]
    assert frame.scrubbed_variables()["v3"] == ["a"]
    variables["v3"].append("first-secret")
    assert frame.scrubbed_variables()["v3"] == ["a", "••••"]
    del variables["v3"]
    assert "v3" not in frame.scrubbed_variables()


async def test_rollback_steps_honour_when(tmp_path: Path) -> None:
    """Compensation steps are ordinary steps: `when: false` skips one, and the
    error counts only the compensation steps that completed."""
    _, rec, result = await run(tmp_path, """\
        name: Rollback conditions
        version: 1
        steps:
          - id: one
            name: one
            type: utility.log
            parameters: {message: one}
            on_rollback:
              - {id: undo_skipped, name: never, type: utility.log, when: "false", parameters: {message: no}}
              - {id: undo_one, name: undo one, type: utility.log, parameters: {message: undo one}}
          - {id: two, name: two, type: test.flaky, on_failure: rollback, parameters: {key: rbw, failures: 1}}
        """)
    FLAKY_CALLS.pop("rbw", None)
    assert result.status == ExecutionStatus.FAILED
    assert "rolled back: 1 of 2 compensation steps completed" in result.error
    skipped = rec.step("undo_skipped")
    assert skipped.status.value == "skipped" and skipped.reason == "condition"
    assert rec.step("undo_one").output["logged"] == "undo one"
