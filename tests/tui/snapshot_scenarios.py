"""Deterministic app states for the SVG snapshots: a fixed clock, fixed
user@host, fixed ids and timestamps. Executions are fed as engine events
(the same events the bus delivers) so every line of the screen is stable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_helpers import make_runtime

from igtk_tui.engine.events import (
    AttemptFinished,
    ExecutionFinished,
    ExecutionPaused,
    ExecutionStarted,
    ExecutionStatus,
    LogRecord,
    StepFinished,
    StepInfo,
    StepsAdded,
    StepStarted,
    StepStatus,
)
from igtk_tui.tui.app import IgtkApp
from igtk_tui.tui.render import FixedClock
from igtk_tui.tui.viewmodel import ExecutionView
from igtk_tui.vault.model import CredentialInfo

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
NOW = T0 + 42.4


def build_app(home: Path, *, theme: str = "igtk-dark") -> IgtkApp:
    app = IgtkApp(make_runtime(home), clock=FixedClock(NOW), theme=theme, open_services=False)
    app.where = "operator@plant-jump-01"
    app.vault_state = "open"
    app.vault_detail = "encrypted file"
    app.vault_infos = [
        CredentialInfo(name="plant-gw-01", type="api-token", username="igtk", gateway_url="http://10.1.0.5:8088",
                       description="", created_at="", updated_at=""),
        CredentialInfo(name="plant-gw-02", type="basic", username="admin", gateway_url="http://10.1.0.6:8088",
                       description="", created_at="", updated_at=""),
    ]
    return app


def _completed(eid: str, name: str, ts: float) -> list[Any]:
    steps = (StepInfo("check", "check", "Check the gateway", "gateway.status"),)
    return [
        ExecutionStarted(eid, ts=ts, playbook=name, playbook_path=None, playbook_hash="0", parameters={},
                         steps=steps),
        StepStarted(eid, ts=ts + 0.1, step_id="check", attempt=1, max_attempts=1),
        StepFinished(eid, ts=ts + 1.3, step_id="check", status=StepStatus.COMPLETED, output={}, error=None,
                     attempts=1, duration=1.2),
        ExecutionFinished(eid, ts=ts + 1.3, status=ExecutionStatus.COMPLETED, error=None, failed_steps=0,
                          duration=1.3),
    ]


def _nested_paused(eid: str) -> list[Any]:
    """A nested run: one retry, child steps, logs of every level, then a breakpoint pause."""
    top = (
        StepInfo("backup", "backup", "Back up the gateway", "gateway.backup"),
        StepInfo("child", "child", "Install the module (nested)", "playbook.run"),
        StepInfo("verify", "verify", "Verify the module is running", "gateway.module_status", breakpoint=True),
        StepInfo("report", "report", "Write the report", "utility.log"),
    )
    kids = (
        StepInfo("child/upload", "upload", "Upload the .modl", "gateway.module_upload", parent="child"),
        StepInfo("child/accept", "accept", "Accept certificate and licence", "gateway.module_accept",
                 parent="child"),
        StepInfo("child/restart", "restart", "Restart and wait for RUNNING", "gateway.restart", parent="child"),
    )
    t = T0
    ev: list[Any] = [
        ExecutionStarted(eid, ts=t, playbook="Install a module", playbook_path=None, playbook_hash="1",
                         parameters={"gateway_url": "http://10.1.0.5:8088", "password": "••••"}, steps=top),
        StepStarted(eid, ts=t + 0.2, step_id="backup", attempt=1, max_attempts=3),
        LogRecord(eid, ts=t + 0.3, step_id="backup", level="info", message="GET /data/api/v1/backup"),
        AttemptFinished(eid, ts=t + 5.0, step_id="backup", attempt=1, ok=False, error="HTTP 503", duration=4.8),
        LogRecord(eid, ts=t + 5.0, step_id="backup", level="warning",
                  message="attempt 1/3 failed: HTTP 503; retrying in 2 s"),
        StepStarted(eid, ts=t + 7.0, step_id="backup", attempt=2, max_attempts=3),
        StepFinished(eid, ts=t + 11.2, step_id="backup", status=StepStatus.COMPLETED, output={"size": 1048576},
                     error=None, attempts=2, duration=11.0),
        LogRecord(eid, ts=t + 11.2, step_id="backup", level="info", message="saved gateway.gwbk (1.0 MiB)"),
        StepStarted(eid, ts=t + 11.3, step_id="child", attempt=1, max_attempts=1),
        StepsAdded(eid, ts=t + 11.3, parent="child", steps=kids),
    ]
    for i, (kid, took) in enumerate(zip(kids, (3.1, 0.4, 20.5))):
        start = t + 11.4 + i * 8
        ev += [
            StepStarted(eid, ts=start, step_id=kid.path, attempt=1, max_attempts=1),
            LogRecord(eid, ts=start + 0.1, step_id=kid.path, level="info", message=f"{kid.name.lower()}…"),
            StepFinished(eid, ts=start + took, step_id=kid.path, status=StepStatus.COMPLETED, output={},
                         error=None, attempts=1, duration=took),
        ]
    ev += [
        LogRecord(eid, ts=t + 38.0, step_id="child/restart", level="error",
                  message="gateway answered 503 while STARTING (expected during a restart)"),
        StepFinished(eid, ts=t + 40.0, step_id="child", status=StepStatus.COMPLETED, output={}, error=None,
                     attempts=1, duration=28.7),
        ExecutionPaused(eid, ts=t + 40.1, step_id="verify", reason="breakpoint",
                        context={"step": "verify", "name": "Verify the module is running",
                                 "type": "gateway.module_status",
                                 "parameters": {"module_id": "com.example.line", "expect": "RUNNING",
                                                "token": "••••"}}),
    ]
    return ev


def _failure_paused(eid: str) -> list[Any]:
    steps = (StepInfo("login", "login", "Open the Perspective page", "browser.navigate"),
             StepInfo("press", "press", "Press Start on line 3", "perspective.click"))
    return [
        ExecutionStarted(eid, ts=T0, playbook="Start line 3", playbook_path=None, playbook_hash="2",
                         parameters={}, steps=steps, debug=True),
        StepStarted(eid, ts=T0 + 0.1, step_id="login", attempt=1, max_attempts=1),
        StepFinished(eid, ts=T0 + 2.0, step_id="login", status=StepStatus.COMPLETED, output={}, error=None,
                     attempts=1, duration=1.9),
        StepStarted(eid, ts=T0 + 2.1, step_id="press", attempt=1, max_attempts=1),
        ExecutionPaused(eid, ts=T0 + 12.1, step_id="press", reason="failure", context={
            "step": "press", "name": "Press Start on line 3", "type": "perspective.click",
            "error": "timed out after 10 s waiting for [data-component='ia.input.button']#start-line-3",
            "url": "http://10.1.0.5:8088/data/perspective/client/Line3",
            "screenshot": "/var/lib/igtk/artifacts/e-2/press-failure.png",
            "page_text_excerpt": "Line 3 · Stopped\nSpeed 0 units/h\n[Reset] [Manual]",
            "parameters": {"selector": "#start-line-3", "timeout": 10},
        }),
    ]


def feed(app: IgtkApp, eid: str, seq: int, playbook: str, events: list[Any]) -> ExecutionView:
    view = ExecutionView(eid, seq, playbook)
    for event in events:
        view.apply(event)
    app.executions.add_view(view)
    return view


async def populate(pilot: Any, *, with_failure: bool = False, inspect: bool = False) -> ExecutionView:
    """Library loaded, three executions listed, the last one selected and shown."""
    from tui_helpers import wait_until

    from igtk_tui.tui.widgets.executions_bar import ExecutionsBar

    app = pilot.app
    await wait_until(pilot, lambda: app.library_entries, what="the library")
    feed(app, "e-0", 0, "Gateway status", _completed("e-0", "Gateway status", T0 - 600))
    view = feed(app, "e-1", 0, "Install a module", _nested_paused("e-1"))
    if with_failure:
        view = feed(app, "e-2", 0, "Start line 3", _failure_paused("e-2"))
    main = app.main_screen
    if not inspect:
        main._shown_pause = (view.id, id(view.pause))  # the main screen itself, not the debug pop-up
    bar = main.query_one(ExecutionsBar)
    await wait_until(pilot, lambda: bar.option_count == len(app.executions.views), what="the executions list")
    bar.select_id(view.id)
    main.select_execution(view.id)
    if inspect:
        main._maybe_inspect(view)
    await pilot.pause()
    return view


async def quiet(pilot: Any) -> None:
    """No blinking cursors in a snapshot."""
    from textual.widgets import Input, TextArea

    for widget in pilot.app.screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = False
    await pilot.pause()


def _ended(eid: str, name: str, ts: float, status: ExecutionStatus, error: str | None, took: float,
           trigger: str) -> list[Any]:
    steps = (StepInfo("work", "work", "Do the work", "utility.log"),)
    step_status = {ExecutionStatus.COMPLETED: StepStatus.COMPLETED, ExecutionStatus.FAILED: StepStatus.FAILED,
                   ExecutionStatus.CANCELLED: StepStatus.CANCELLED}[status]
    return [
        ExecutionStarted(eid, ts=ts, playbook=name, playbook_path=None, playbook_hash="3", parameters={},
                         steps=steps, trigger=trigger),
        StepStarted(eid, ts=ts + 0.1, step_id="work", attempt=1, max_attempts=1),
        StepFinished(eid, ts=ts + took, step_id="work", status=step_status, output={}, error=error, attempts=1,
                     duration=took - 0.1),
        ExecutionFinished(eid, ts=ts + took, status=status, error=error, failed_steps=int(error is not None),
                          duration=took),
    ]


HISTORY = [  # oldest first, as they ran
    ("a1b2c3d4-0000-4000-8000-000000000001", "Gateway health check", ExecutionStatus.COMPLETED, None, 3.2, "cli"),
    ("a1b2c3d4-0000-4000-8000-000000000002", "Back up the gateway", ExecutionStatus.FAILED,
     "HTTP 503 from /data/api/v1/backup", 61.0, "tui"),
    ("a1b2c3d4-0000-4000-8000-000000000003", "Install a module", ExecutionStatus.CANCELLED,
     "cancelled by operator", 12.5, "tui"),
    ("a1b2c3d4-0000-4000-8000-000000000004", "Perspective smoke test", ExecutionStatus.COMPLETED, None, 8.9,
     "cron"),
    ("a1b2c3d4-0000-4000-8000-000000000005", "Gateway health check", ExecutionStatus.COMPLETED, None, 2.7, "cli"),
]


async def seed_history(app: IgtkApp) -> None:
    """Record fixed executions through the real store and recorder, then hand the store to
    the app (the snapshot app runs without background services)."""
    store = await app.runtime.open_store()
    recorder = store.recorder()
    for i, (eid, name, status, error, took, trigger) in enumerate(HISTORY):
        for event in _ended(eid, name, T0 - 86400 + i * 3600, status, error, took, trigger):
            recorder(event)
    await recorder.close()
    app.store = store


FLEET_ID = "f1ee7000-0000-4000-8000-000000000001"
FLEET_STEPS = (StepInfo("backup", "backup", "Back up the gateway", "gateway.backup"),
               StepInfo("install", "install", "Install the module", "gateway.module_install"),
               StepInfo("restart", "restart", "Restart and wait", "gateway.restart"))


def fleet_member_state(n: int) -> tuple[str, str | None]:
    """Gateway n (1-based) of the 200-gateway snapshot fleet: (status, step it failed or runs)."""
    if n <= 50:
        return ("failed", "install") if n in (7, 23, 41) else ("completed", None)
    if n <= 90:
        return ("completed", None)
    if n <= 100:
        return ("running", "restart" if n % 2 else "install")
    return ("pending", None)


async def seed_fleet(app: IgtkApp, total: int = 200) -> str:
    """A fleet run of `total` gateways in batches of 50, recorded through the real store and recorder:
    batch 1 done (3 failed), batch 2 running (10 still running), batches 3 and 4 pending."""
    from igtk_tui.store.fleets import PlannedGateway

    store = await app.runtime.open_store()
    plan = [PlannedGateway(i, f"gw{i + 1:03d}", f"http://10.1.{(i + 1) // 250}.{(i + 1) % 250}:8088",
                           ("plant-a" if i < 100 else "plant-b",), i // 50 + 1) for i in range(total)]
    await store.fleets.create(FLEET_ID, playbook="Module upgrade", playbook_path=None,
                              playbook_rel="gateway/module_upgrade.yaml", targets=["plant-a", "plant-b"],
                              options={"forks": 10, "serial": "50", "max_fail": 10.0, "lock_wait": 0.0},
                              plan=plan, started_at=T0)
    recorder = store.recorder()
    for p in plan:
        n = p.position + 1
        status, step = fleet_member_state(n)
        if status == "pending":
            continue
        eid = f"e1ee7000-0000-4000-8000-{n:012d}"
        start = T0 + (0 if n <= 50 else 30) + (n % 10)
        await store.fleets.member_started(FLEET_ID, p.position, ts=start)
        await store.fleets.member_execution(FLEET_ID, p.position, eid)
        recorder.expect(eid, fleet_run_id=FLEET_ID)
        events: list[Any] = [ExecutionStarted(eid, ts=start, playbook="Module upgrade", playbook_path=None,
                                              playbook_hash="4", parameters={}, steps=FLEET_STEPS, trigger="fleet",
                                              gateway_url=p.url)]
        for i, info in enumerate(FLEET_STEPS):
            at = start + 1 + i * 4
            events.append(StepStarted(eid, ts=at, step_id=info.id, attempt=1, max_attempts=1))
            if info.id == step and status == "running":
                break
            failed = info.id == step
            events.append(StepFinished(eid, ts=at + 3, step_id=info.id,
                                       status=StepStatus.FAILED if failed else StepStatus.COMPLETED, output={},
                                       error="HTTP 409: module signature not trusted" if failed else None,
                                       attempts=1, duration=3.0))
            if failed:
                break
        if status != "running":
            end = events[-1].ts
            events.append(ExecutionFinished(eid, ts=end, status=ExecutionStatus(status), error=None,
                                            failed_steps=int(status == "failed"), duration=end - start))
            for event in events:
                recorder(event)
            await recorder.flush()
            await store.fleets.member_finished(FLEET_ID, p.position, status, ts=end,
                                               error="step 'install' failed: HTTP 409" if status == "failed" else None)
        else:
            for event in events:
                recorder(event)
    await recorder.close()
    app.store = store
    return FLEET_ID


async def seed_many(app: IgtkApp, count: int) -> None:
    """`count` recorded executions (for scrolling the history), through the real store."""
    store = await app.runtime.open_store()
    recorder = store.recorder()
    for i in range(count):
        eid = f"b0b0b0b0-0000-4000-8000-{i:012d}"
        for event in _ended(eid, f"Run {i:02d}", T0 - 86400 + i * 60, ExecutionStatus.COMPLETED, None, 1.5, "cli"):
            recorder(event)
    await recorder.close()
    app.store = store
