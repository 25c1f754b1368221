"""playbook.run: where children are found, the verified gate, depth and cycles checked
before running, child parameters, failure propagation, outputs, nested events and controls."""

from __future__ import annotations

from pathlib import Path

import pytest

from igtk_tui.engine.events import ExecutionStatus, StepStatus
from igtk_tui.engine.nesting import NestingError, PlaybookResolver
from igtk_tui.playbook.loader import load_file
from tests.support.engine import TinyCredential, TinyProvider, finish, load, make, start
from tests.support.playbooks import write_playbook

CHILD = """\
    name: Child {tag}
    version: 1
    verified: true
    parameters:
      - {{name: count, type: integer, default: 1}}
      - {{name: label, type: string, required: false}}
    steps:
      - {{id: first, name: first, type: utility.set_variable, parameters: {{name: seen, value: "{{{{ parameter.count }}}}"}}}}
      - {{id: second, name: second, type: utility.log, parameters: {{message: "{tag} {{{{ parameter.label }}}}"}}}}
    """


def child(tag: str) -> str:
    return CHILD.format(tag=tag)


def parent(call: str, extra: str = "", *, params: str = "") -> str:
    return f"""\
name: Parent
version: 1
{params}
steps:
  - {{id: before, name: before, type: utility.log, parameters: {{message: before}}}}
  - id: call
    name: "Step 2: nested"
    type: playbook.run
    {extra}
    parameters: {call}
  - {{id: after, name: after, type: utility.log, parameters: {{message: "{{{{ step.call.status }}}}"}}}}
"""


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    return tmp_path / "library"


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    return tmp_path / "project"


async def test_child_is_found_next_to_the_parent_before_the_library(tmp_path: Path, lib: Path, proj: Path) -> None:
    write_playbook(proj, child("local"), "child.yaml")
    write_playbook(lib, child("library"), "child.yaml")
    write_playbook(lib, child("login"), "gateway/login.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml, label: x}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path, roots=(lib,))
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED, result.error
    assert rec.step("call/second").output["logged"] == "local x"
    # Not next to the parent: the library roots, with or without the suffix.
    pb = load_file(write_playbook(proj, parent("{playbook: gateway/login}"), "parent2.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path, roots=(lib,))
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED, result.error
    assert rec.step("call/second").output["logged"] == "login "
    resolver = PlaybookResolver([lib])
    with pytest.raises(NestingError, match="'nowhere.yaml' not found"):
        resolver.find(pb, "nowhere.yaml")


async def test_legacy_flat_child_parameters_keep_their_types_and_results_come_back(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, child("c"), "child.yaml")
    pb = load_file(write_playbook(proj, parent(
        '{playbook: child.yaml, count: "{{ parameter.n }}", label: "n is {{ parameter.n }}"}',
        params="parameters:\n  - {name: n, type: integer, default: 7}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path)
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED, result.error
    out = rec.step("call").output
    assert out["playbook"] == "Child c" and out["status"] == "completed"
    assert out["steps_executed"] == 2 and out["failed_steps"] == 0
    assert out["steps"] == [{"id": "first", "name": "first", "status": "completed"},
                            {"id": "second", "name": "second", "status": "completed"}]
    assert out["variables"] == {"seen": 7}  # an integer, not "7"
    assert out["outputs"]["second"]["logged"] == "c n is 7"
    assert rec.step("after").output["logged"] == "completed"
    # Parent variables are not mixed with the child's.
    assert result.variables == {}


async def test_nested_progress_events(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, child("c"), "child.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path)
    await finish(start(execution))
    added = rec.of("steps_added")
    assert len(added) == 1 and added[0].parent == "call"
    assert [(s.path, s.id, s.parent) for s in added[0].steps] == [
        ("call/first", "first", "call"), ("call/second", "second", "call")]
    assert [s.path for s in rec.events[0].steps] == ["before", "call", "after"]
    assert [e.step_id for e in rec.of("step_started")] == ["before", "call", "call/first", "call/second", "after"]
    assert rec.finished() == [("before", "completed"), ("call/first", "completed"), ("call/second", "completed"),
                              ("call", "completed"), ("after", "completed")]
    first_child = next(i for i, e in enumerate(rec.events) if getattr(e, "step_id", None) == "call/first")
    assert rec.kinds().index("steps_added") < first_child


async def test_unverified_child_is_rejected(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, child("c").replace("verified: true", "verified: false"), "child.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml}"), "parent.yaml"))
    with pytest.raises(NestingError, match="'child.yaml' is not verified; only verified playbooks may be nested"):
        PlaybookResolver().check_tree(pb)
    execution, rec = make(pb, tmp_path=tmp_path)
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.FAILED
    assert "is not verified" in rec.step("call").error
    # A library's own verified flag (metadata) can decide instead of the YAML.
    PlaybookResolver(is_verified=lambda child_pb: True).check_tree(pb)


def chain(folder: Path, levels: int) -> Path:
    """p0 -> p1 -> ... -> p<levels>; returns p0."""
    for n in range(levels, -1, -1):
        call = (f"  - {{id: down, name: down, type: playbook.run, parameters: {{playbook: p{n + 1}.yaml}}}}\n"
                if n < levels else "")
        write_playbook(folder, f"name: P{n}\nversion: 1\nverified: true\nsteps:\n"
              f"  - {{id: here, name: here, type: utility.log, parameters: {{message: level {n}}}}}\n{call}", f"p{n}.yaml")
    return folder / "p0.yaml"


async def test_three_levels_of_nesting_run(tmp_path: Path, proj: Path) -> None:
    pb = load_file(chain(proj, 3))
    PlaybookResolver().check_tree(pb)
    execution, rec = make(pb, tmp_path=tmp_path)
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED, result.error
    assert rec.step("down/down/down/here").output["logged"] == "level 3"


async def test_a_fourth_level_is_rejected_before_running_and_at_run_time(tmp_path: Path, proj: Path) -> None:
    pb = load_file(chain(proj, 4))
    with pytest.raises(NestingError, match="nests deeper than 3 levels"):
        PlaybookResolver().check_tree(pb)
    # A child named by a parameter is only known at run time: the engine enforces the limit too.
    write_playbook(proj, (proj / "p3.yaml").read_text().replace("playbook: p4.yaml", 'playbook: "{{ parameter.next }}"')
          .replace("steps:", "parameters:\n  - {name: next, type: string, default: p4.yaml}\nsteps:"), "p3.yaml")
    pb = load_file(proj / "p0.yaml")
    PlaybookResolver().check_tree(pb)  # cannot see past the dynamic reference
    execution, rec = make(pb, tmp_path=tmp_path)
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.FAILED
    assert rec.step("down/down/down/down").error == "nesting deeper than 3 levels is not allowed"


@pytest.mark.parametrize("shape", ["self", "pair"])
async def test_cycles_are_rejected_before_running(tmp_path: Path, proj: Path, shape: str) -> None:
    if shape == "self":
        path = write_playbook(proj, """\
            name: A
            version: 1
            verified: true
            steps:
              - {id: again, name: again, type: playbook.run, parameters: {playbook: a.yaml}}
            """, "a.yaml")
        expected = "cycle a.yaml -> a.yaml"
    else:
        path = write_playbook(proj, """\
            name: A
            version: 1
            verified: true
            steps:
              - {id: to_b, name: to b, type: playbook.run, parameters: {playbook: b.yaml}}
            """, "a.yaml")
        write_playbook(proj, """\
            name: B
            version: 1
            verified: true
            steps:
              - {id: to_a, name: to a, type: playbook.run, parameters: {playbook: a.yaml}}
            """, "b.yaml")
        expected = "cycle a.yaml -> b.yaml -> a.yaml"
    pb = load_file(path)
    with pytest.raises(NestingError) as info:
        PlaybookResolver().check_tree(pb)
    assert expected in str(info.value)
    assert str(info.value).startswith(f"{path.resolve()}:5:5: " if shape == "self" else f"{(proj / 'b.yaml').resolve()}:5:5: ")


async def test_a_cycle_through_a_dynamic_reference_is_stopped_at_run_time(tmp_path: Path, proj: Path) -> None:
    path = write_playbook(proj, """\
        name: A
        version: 1
        verified: true
        parameters:
          - {name: target, type: string, default: a.yaml}
        steps:
          - {id: again, name: again, type: playbook.run, parameters: {playbook: "{{ parameter.target }}"}}
        """, "a.yaml")
    execution, rec = make(load_file(path), tmp_path=tmp_path)
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.FAILED
    assert "cycle a.yaml -> a.yaml" in rec.step("again").error


async def test_child_parameters_are_validated_like_a_top_level_run(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, child("c").replace("default: 1}", "}"), "child.yaml")
    pb = load_file(write_playbook(proj, parent(
        "{playbook: child.yaml, count: many, colour: red}", extra="retry_count: 2"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path)
    result = await finish(start(execution))
    error = rec.step("call").error
    assert rec.step("call").status == StepStatus.FAILED and rec.step("call").attempts == 1
    assert "parameter 'count': must be a whole number, got 'many'" in error
    assert "unknown parameter 'colour'" in error
    assert error.startswith("invalid parameters:")
    assert not rec.of("step_started", step_id="call/first")
    assert result.status == ExecutionStatus.FAILED and result.failed_steps == 1


async def test_child_failure_fails_the_parent_step(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, """\
        name: Failing child
        version: 1
        verified: true
        steps:
          - {id: boom, name: boom, type: test.flaky, parameters: {key: child_boom, failures: 99}}
          - {id: never, name: never, type: utility.log, parameters: {message: never}}
        """, "child.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path)
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.FAILED
    assert rec.step("call/boom").status == StepStatus.FAILED
    assert rec.step("call").error == ("nested playbook 'Failing child' failed: step 'call/boom' failed: "
                                      "planned failure 1 of 99")
    assert result.error.startswith("step 'call' failed: nested playbook 'Failing child' failed")
    assert not rec.of("step_started", step_id="call/never") and not rec.of("step_started", step_id="after")


async def test_child_on_failure_continue_is_honoured(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, """\
        name: Tolerant child
        version: 1
        verified: true
        steps:
          - {id: boom, name: boom, type: test.flaky, on_failure: continue, parameters: {key: child_cont, failures: 99}}
          - {id: next, name: next, type: utility.log, parameters: {message: next}}
        """, "child.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path)
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED
    out = rec.step("call").output
    assert out["status"] == "completed" and out["failed_steps"] == 1
    assert [s["status"] for s in out["steps"]] == ["failed", "completed"]
    assert rec.step("call").status == StepStatus.COMPLETED


NAPPING_CHILD = """\
    name: Napping child
    version: 1
    verified: true
    steps:
      - {id: nap, name: nap, type: utility.sleep, parameters: {seconds: SECONDS}}
      - {id: wake, name: wake, type: utility.log, parameters: {message: awake}}
    """


async def test_skip_inside_a_child_skips_the_child_step_not_the_parent(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, NAPPING_CHILD.replace("SECONDS", "600"), "child.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path)
    rec.on("step_started", lambda e: execution.skip(), step_id="call/nap")
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED
    assert rec.step("call/nap").status == StepStatus.SKIPPED and rec.step("call/nap").reason == "operator"
    assert rec.step("call/wake").status == StepStatus.COMPLETED
    assert rec.step("call").status == StepStatus.COMPLETED
    assert [s["status"] for s in rec.step("call").output["steps"]] == ["skipped", "completed"]


async def test_pause_inside_a_child(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, NAPPING_CHILD.replace("SECONDS", "0.3"), "child.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path)
    rec.on("step_started", lambda e: execution.pause(), step_id="call/nap")
    task = start(execution)
    paused = await rec.wait("paused")
    assert paused.step_id == "call/nap"
    assert execution.status == ExecutionStatus.PAUSED
    execution.resume()
    assert (await finish(task)).status == ExecutionStatus.COMPLETED
    assert rec.step("call/nap").status == StepStatus.COMPLETED


async def test_cancel_inside_a_child(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, NAPPING_CHILD.replace("SECONDS", "600"), "child.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path)
    rec.on("step_started", lambda e: execution.cancel(), step_id="call/nap")
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.CANCELLED
    assert rec.step("call/nap").status == StepStatus.CANCELLED
    assert rec.step("call").status == StepStatus.CANCELLED
    assert not rec.of("step_started", step_id="call/wake")


async def test_breakpoints_inside_a_child(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, NAPPING_CHILD.replace("SECONDS", "0").replace(
        "{id: nap,", "{id: nap, breakpoint: true,"), "child.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path, breakpoints=("call/wake",))
    task = start(execution)
    first = await rec.wait("paused")
    assert (first.step_id, first.reason) == ("call/nap", "breakpoint")
    assert [s.breakpoint for s in rec.of("steps_added")[0].steps] == [True, True]
    execution.resume()
    second = await rec.wait("paused", n=2)
    assert (second.step_id, second.reason) == ("call/wake", "breakpoint")
    execution.resume()
    assert (await finish(task)).status == ExecutionStatus.COMPLETED


async def test_step_back_inside_a_child(tmp_path: Path, proj: Path) -> None:
    write_playbook(proj, NAPPING_CHILD.replace("SECONDS", "0.1"), "child.yaml")
    pb = load_file(write_playbook(proj, parent("{playbook: child.yaml}"), "parent.yaml"))
    execution, rec = make(pb, tmp_path=tmp_path)
    rec.on("step_started", lambda e: execution.step_back(), step_id="call/wake")
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED
    assert [e.step_id for e in rec.of("step_reset")] == ["call/wake", "call/nap"]
    assert [s for s, _ in rec.finished()] == ["before", "call/nap", "call/nap", "call/wake", "call", "after"]


def test_nesting_in_rollback_steps_is_checked_too(tmp_path: Path, proj: Path) -> None:
    path = write_playbook(proj, """\
        name: A
        version: 1
        verified: true
        steps:
          - {id: x, name: x, type: utility.log, parameters: {message: x}}
        on_rollback:
          - {id: undo, name: undo, type: playbook.run, parameters: {playbook: a.yaml}}
        """, "a.yaml")
    with pytest.raises(NestingError, match="cycle"):
        PlaybookResolver().check_tree(load(proj, path.read_text(), "a.yaml"))


async def test_a_childs_secret_parameters_are_masked_and_its_credentials_open_the_vault_lazily(
        tmp_path: Path, proj: Path) -> None:

    from igtk_tui.engine.launch import LazyCredentials

    write_playbook(proj, """\
        name: Child with secrets
        version: 1
        verified: true
        parameters:
          - {name: password, type: string}
        steps:
          - {id: say, name: say, type: utility.log, parameters: {message: "pw={{ parameter.password }}"}}
          - {id: cred, name: cred, type: utility.log, parameters: {message: "{{ credential.plant.password }}"}}
        """, "child.yaml")
    pb = load_file(write_playbook(proj, parent('{playbook: child.yaml, password: "{{ parameter.pw }}"}',
                                                     params="parameters:\n  - {name: pw, type: string}"), "parent.yaml"))
    opened: list[int] = []

    def opener() -> TinyProvider:
        opened.append(1)
        return TinyProvider(TinyCredential("plant", "op", "vault-secret-9"))

    lazy = LazyCredentials(opener)
    execution, rec = make(pb, {"pw": "child-secret-7"}, tmp_path=tmp_path, credentials=lazy)
    assert not opened  # nothing asked for a credential yet
    result = await finish(start(execution))
    assert result.status == ExecutionStatus.COMPLETED, result.error
    assert opened == [1]
    assert rec.step("call/say").output["logged"] == "pw=••••"
    assert rec.step("call/cred").output["logged"] == "••••"
    # The parent did not declare `pw` secret, so its ExecutionStarted shows it; from the moment the
    # child binds it to its `password` parameter on, nothing does.
    child_started = rec.events.index(rec.of("steps_added")[0])
    for event in rec.events[child_started:]:
        text = repr(event.to_dict())
        assert "child-secret-7" not in text and "vault-secret-9" not in text
