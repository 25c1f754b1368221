"""The agent's API as written down: the served routes match docs/agent-openapi.json,
and engine events survive the trip through JSON with their types."""

from __future__ import annotations

import json
from pathlib import Path

from igtk_tui.agent import wire
from igtk_tui.engine.events import (
    ArtifactAdded,
    AttemptFinished,
    ControlsChanged,
    ExecutionFinished,
    ExecutionNote,
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
    StepWaiting,
)
from tests.support.agent import LONG
from tests.support.cli import Igtk
from tests.support.playbooks import write_playbook

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "agent-openapi.json"


def test_served_routes_match_the_openapi_document(home: Path) -> None:
    from igtk_tui.agent.location import AgentLocation
    from igtk_tui.agent.server import Agent
    from igtk_tui.runtime import Runtime

    runtime = Runtime()
    agent = Agent(runtime, AgentLocation.of(runtime.paths))
    served = {(method.lower(), route.path) for route in agent.app.routes for method in route.methods or ()
              if method != "HEAD"}
    documented = {(method, path) for path, item in json.loads(SCHEMA.read_text())["paths"].items()
                  for method in item}
    assert served == documented


EID = "e1"
STEPS = (StepInfo("a", "a", "first", "utility.log", breakpoint=True),
         StepInfo("p/c", "c", "child", "utility.sleep", parent="p"))
EVERY_EVENT = [
    ExecutionStarted(EID, playbook="P", playbook_path="/x/p.yaml", playbook_hash="h", parameters={"n": [1, 2]},
                     steps=STEPS, debug=True, credentials=("gw",), resumed_from=None),
    StepsAdded(EID, parent="p", steps=STEPS[1:]),
    StepStarted(EID, step_id="a", attempt=1, max_attempts=3),
    AttemptFinished(EID, step_id="a", attempt=1, ok=False, error="boom", duration=0.5),
    StepFinished(EID, step_id="a", status=StepStatus.SKIPPED, output={"k": {"v": [1]}}, error=None, attempts=2,
                 duration=1.5, artifacts=("/a/b.png",), variables={"x": 1}, reason="operator"),
    StepReset(EID, step_id="a"),
    LogRecord(EID, step_id="a", level="warning", message="careful"),
    StepWaiting(EID, step_id="a", what="the gateway to be ready", waited=5.0, timeout=240.0, last="HTTP 503"),
    ArtifactAdded(EID, step_id="a", path="/a/b.png", artifact_kind="screenshot"),
    ExecutionNote(EID, key="browser_version", value="131.0"),
    ExecutionPaused(EID, step_id="a", reason="breakpoint", context={"message": "look"}),
    ExecutionResumed(EID),
    ControlsChanged(EID, debug=False, breakpoints=("a", "b"), pause_requested=True),
    ExecutionFinished(EID, status=ExecutionStatus.FAILED, error="x", failed_steps=1, duration=3.0),
]


def test_every_event_kind_round_trips_through_json_with_its_types() -> None:
    assert {type(e) for e in EVERY_EVENT} == set(wire.EVENT_TYPES.values())
    for event in EVERY_EVENT:
        back = wire.decode(json.loads(wire.dumps(wire.encode(event))))
        assert type(back) is type(event)
        assert back.to_dict() == event.to_dict()
        for name, value in vars(event).items():
            if name != "playbook_source":
                assert type(getattr(back, name)) is type(value), name
    started = wire.decode(wire.encode(EVERY_EVENT[0]))
    assert isinstance(started.steps[0], StepInfo) and started.steps[0].breakpoint  # type: ignore[attr-defined]
    assert started.steps[1].parent == "p"  # type: ignore[attr-defined]


def test_plain_igtk_run_imports_no_agent_http_stack(tmp_path: Path, home: Path) -> None:
    import textwrap

    pb = write_playbook(tmp_path, LONG, "long.yaml")
    code = textwrap.dedent(f"""\
        import sys
        from igtk_tui.cli import main
        rc = main(["run", {str(pb)!r}, "-p", "seconds=0"])
        print("RC", rc, "LOADED", ",".join(m for m in ("starlette", "uvicorn", "igtk_tui.agent") if m in sys.modules))
        """)
    proc = Igtk(home).python(code)
    assert proc.code == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "RC 0 LOADED"
