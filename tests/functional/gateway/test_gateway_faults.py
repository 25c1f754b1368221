"""Fault modes: restarts that never finish, 503 storms, dropped uploads and downloads, latency,
refused connections during a restart, faulted modules, and cancelling a wait."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from igtk_tui.engine.events import ExecutionStatus, LogRecord, StepStarted
from igtk_tui.gateway.client import GatewayClient
from igtk_tui.gateway.errors import GatewayError, GatewayStarting, GatewayUnreachable, TransferFailed
from igtk_tui.simulator import SimulatedGateway
from tests.support.gateway import CuttingProxy, make_execution, run_playbook


def playbook(gw: SimulatedGateway, steps: str) -> str:
    return f"""
name: faults
version: '1.0'
steps:
  - id: login
    name: Log in
    type: gateway.login
    parameters: {{gateway_url: "{gw.url}", api_token: "{gw.api_token}"}}
{steps}"""


async def test_restart_that_never_completes_ends_in_a_clear_timeout(tmp_path: Path, gw: SimulatedGateway) -> None:
    gw.faults.restart_never_completes = True
    started = time.monotonic()
    run = await run_playbook(tmp_path, playbook(gw, """
  - {id: restart, name: Restart, type: gateway.restart, parameters: {timeout: 1.5, poll_interval: 0.1}}
"""))
    error = run.error("restart")
    assert "did not become ready within 1.5 s" in error
    assert "last seen: StatusPing STARTING" in error
    assert time.monotonic() - started < 10
    assert run.result.status == ExecutionStatus.FAILED


async def test_503_storm_is_retried_for_gets_then_fails_clearly(gw: SimulatedGateway) -> None:
    async with GatewayClient(gw.url, api_token=gw.api_token, retry_backoff=0.01) as client:
        await client.login()
        gw.faults.restart_never_completes = True
        gw.restart()
        try:
            await client.list_modules()
        except GatewayStarting as exc:
            message = str(exc)
        else:
            raise AssertionError("a 503 storm must fail")
        assert "503 Service Unavailable after 4 attempts" in message and "wait_for_ready" in message
        assert [s for _, p, s in gw.requests if p == "/data/api/v1/modules/healthy"] == [503, 503, 503, 503]
        # a POST is never retried: one restart request, one 503
        before = len(gw.requests)
        try:
            await client.restart()
        except GatewayStarting:
            pass
        restarts = [r for r in gw.requests[before:] if r[1] == "/data/api/v1/restart-tasks/restart"]
        assert restarts == [("POST", "/data/api/v1/restart-tasks/restart", 503)]


async def test_dropped_upload_is_not_reported_as_success(tmp_path: Path, gw: SimulatedGateway, modl_file) -> None:
    path = modl_file()
    text = playbook(gw, f"""
  - id: arm
    name: Arm the fault
    type: utility.log
    parameters: {{message: arm}}
  - id: upload
    name: Upload
    type: gateway.upload_module
    parameters: {{file: "{path}", accept_certificate: true, accept_license: true}}
""")

    def on_event(event: object, execution: object) -> None:
        if isinstance(event, StepStarted) and event.step_id == "upload":
            gw.faults.drop_rate = 1.0

    run = await run_playbook(tmp_path, text, on_event=on_event)
    error = run.error("upload")
    assert "dropped" in error and "not sent again" in error
    uploads = [r for r in gw.requests if r[1] == "/data/api/v1/modules/upload"]
    assert uploads == [("POST", "/data/api/v1/modules/upload", None)]
    assert "com.example.widget" not in gw.state.quarantine and "com.example.widget" not in gw.state.modules


async def test_dropped_backup_download_leaves_no_file(tmp_path: Path, gw: SimulatedGateway) -> None:
    async with CuttingProxy(gw.port, b"GET /data/api/v1/backup", keep=1200) as proxy:
        text = playbook(gw, "  - {id: backup, name: Backup, type: gateway.backup}\n").replace(gw.url, proxy.url)
        run = await run_playbook(tmp_path, text)
        assert proxy.cut.is_set()
    error = run.error("backup")
    assert "dropped" in error or "received" in error
    assert "partial file was deleted" in error
    leftovers = [p for p in (tmp_path / "artifacts").rglob("*") if p.is_file()]
    assert leftovers == []


async def test_download_stuck_midway_then_cancelled_leaves_no_file(tmp_path: Path, gw: SimulatedGateway) -> None:
    async with CuttingProxy(gw.port, b"GET /data/api/v1/backup", keep=1200, mode="stall") as proxy:
        async with GatewayClient(proxy.url, api_token=gw.api_token) as client:
            task = asyncio.create_task(client.download_backup(tmp_path / "b.gwbk"))
            await asyncio.wait_for(proxy.cut.wait(), 10)
            assert (tmp_path / "b.gwbk.part").exists()  # the partial file is being written
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=0.5)
            assert done, "cancel did not stop the download within 0.5 s"
    assert list(tmp_path.iterdir()) == []


async def test_latency_is_tolerated_and_read_timeout_is_explained(gw: SimulatedGateway) -> None:
    gw.faults.latency = 0.3
    async with GatewayClient(gw.url, api_token=gw.api_token) as client:
        assert len(await client.list_modules()) >= 6
    async with GatewayClient(gw.url, api_token=gw.api_token, read_timeout=0.1, retries=0) as client:
        try:
            await client.gwinfo()
        except GatewayUnreachable as exc:
            assert "did not answer within 0.1 s" in str(exc)
        else:
            raise AssertionError("expected a read timeout")


async def test_connection_refused_during_restart_is_ridden_out(tmp_path: Path, make_gw) -> None:
    gw = make_gw(restart_seconds=0.8)
    gw.faults.refuse_during_restart = True
    run = await run_playbook(tmp_path, playbook(gw, """
  - {id: restart, name: Restart, type: gateway.restart, parameters: {timeout: 20, poll_interval: 0.1}}
  - {id: modules, name: Modules, type: gateway.list_modules}
"""))
    assert run.ok, run.result.error
    assert run.output("restart")["status"] == "restarted"
    assert any("connection refused" in m or "dropped" in m for m in run.logs())
    assert run.output("modules")["count"] >= 6


async def test_faulted_module_fails_the_wait_with_its_cause(tmp_path: Path, gw: SimulatedGateway, modl_file) -> None:
    path = modl_file(module_id="com.example.broken", name="Broken")
    gw.faults.failing_modules = {"com.example.broken"}
    run = await run_playbook(tmp_path, playbook(gw, f"""
  - id: upload
    name: Upload
    type: gateway.upload_module
    parameters: {{file: "{path}", accept_certificate: true, accept_license: true}}
  - {{id: restart, name: Restart, type: gateway.restart, parameters: {{timeout: 20, poll_interval: 0.1}}}}
  - id: wait
    name: Wait
    type: gateway.wait_for_module_installation
    parameters: {{module_id: com.example.broken, timeout: 30, poll_interval: 0.1}}
"""))
    error = run.error("wait")
    assert "FAULTED" in error and "failed to start (simulated fault)" in error
    assert run.finished("wait").duration < 5  # it fails at once, not at the timeout


async def test_cancel_during_wait_for_ready_stops_within_half_a_second(tmp_path: Path, gw: SimulatedGateway) -> None:
    gw.faults.restart_never_completes = True
    gw.restart()
    polling = asyncio.Event()

    def on_event(event: object, execution: object) -> None:
        if isinstance(event, LogRecord) and event.step_id == "wait" and "StatusPing STARTING" in event.message:
            polling.set()

    execution = make_execution(tmp_path, f"""
name: cancel
version: '1.0'
steps:
  - id: wait
    name: Wait
    type: gateway.wait_for_ready
    parameters: {{gateway_url: "{gw.url}", timeout: 600, poll_interval: 1}}
""", on_event=on_event)
    task = asyncio.create_task(execution.run())
    await asyncio.wait_for(polling.wait(), 10)
    started = time.monotonic()
    execution.cancel()
    result = await asyncio.wait_for(task, 5)
    elapsed = time.monotonic() - started
    assert result.status == ExecutionStatus.CANCELLED
    assert elapsed < 0.5, f"cancel took {elapsed:.3f} s"


async def test_pause_during_wait_for_ready_holds_then_completes(tmp_path: Path, gw: SimulatedGateway) -> None:
    gw.faults.restart_never_completes = True
    gw.restart()
    polling = asyncio.Event()
    paused = asyncio.Event()

    def on_event(event: object, execution: object) -> None:
        if isinstance(event, LogRecord) and event.step_id == "wait" and "STARTING" in event.message:
            polling.set()
        if getattr(event, "kind", "") == "paused":
            paused.set()

    execution = make_execution(tmp_path, f"""
name: pause
version: '1.0'
steps:
  - id: wait
    name: Wait
    type: gateway.wait_for_ready
    parameters: {{gateway_url: "{gw.url}", timeout: 2, poll_interval: 0.1}}
""", on_event=on_event)
    task = asyncio.create_task(execution.run())
    await asyncio.wait_for(polling.wait(), 10)
    execution.pause()
    await asyncio.wait_for(paused.wait(), 5)
    gw.faults.restart_never_completes = False  # the restart may finish while the run is paused
    assert not task.done()
    execution.resume()
    result = await asyncio.wait_for(task, 10)
    assert result.status == ExecutionStatus.COMPLETED, result.error
    assert result.outputs["wait"]["status"] == "ready"


async def test_transfer_errors_are_typed(gw: SimulatedGateway) -> None:
    async with GatewayClient(gw.url, api_token=gw.api_token) as client:
        await client.login()
        gw.faults.drop_rate = 1.0
        try:
            await client.install_module("com.example.nothing")
        except TransferFailed as exc:
            assert "not sent again" in str(exc)
        else:
            raise AssertionError("expected TransferFailed")


async def test_503_storm_fails_a_step_clearly(tmp_path: Path, gw: SimulatedGateway) -> None:
    def storm(event: object, execution: object) -> None:
        if isinstance(event, StepStarted) and event.step_id == "modules":
            gw.faults.restart_never_completes = True
            gw.restart()

    run = await run_playbook(tmp_path, playbook(gw, "  - {id: modules, name: Modules, type: gateway.list_modules}\n"),
                             on_event=storm)
    error = run.error("modules")
    assert "503 Service Unavailable after 4 attempts" in error and "gateway.wait_for_ready" in error
    assert sum("retrying in" in m for m in run.logs("warning")) == 3


async def test_unsigned_module_rejection_is_passed_on(tmp_path: Path, gw: SimulatedGateway, modl_file) -> None:
    path = modl_file(signed=False)
    run = await run_playbook(tmp_path, playbook(gw, f"""
  - {{id: upload, name: Upload, type: gateway.upload_module, parameters: {{file: "{path}", accept_certificate: true}}}}
"""))
    error = run.error("upload")
    assert "HTTP 400" in error and "not signed" in error


async def test_requests_in_flight_are_bounded_per_process(gw: SimulatedGateway) -> None:
    """Six slow requests through two slots take three rounds (a burst of executions must not
    hold a hundred requests in flight while the operator's key presses wait)."""
    gw.faults.latency = 0.2
    async with GatewayClient(gw.url, api_token=gw.api_token, concurrency=2) as client:
        t0 = time.monotonic()
        await asyncio.gather(*(client.gwinfo() for _ in range(6)))
        elapsed = time.monotonic() - t0
    assert elapsed >= 0.55, f"six requests at 0.2 s each through two slots took only {elapsed:.2f} s"


async def test_a_module_wait_across_a_refusing_restart_polls_without_inner_retries(tmp_path: Path, make_gw) -> None:
    """The wait's own poll is the retry: a request that fails is not retried with backoff
    (and a warning) inside every poll while the gateway refuses connections."""
    gw = make_gw(restart_seconds=0.8)
    gw.faults.refuse_during_restart = True
    run = await run_playbook(tmp_path, playbook(gw, """
  - {id: restart, name: Restart, type: gateway.restart, parameters: {wait_for_ready: false}}
  - id: wait
    name: Wait
    type: gateway.wait_for_module_installation
    parameters: {module_id: com.inductiveautomation.perspective, timeout: 30, poll_interval: 0.1}
"""))
    assert run.ok, run.result.error
    waited = [e.message for e in run.events if e.kind == "log" and e.step_id == "wait"]
    assert run.finished("wait").duration > 0.5  # it polled through the 0.8 s the gateway refused
    assert not [m for m in waited if "retrying in" in m], waited


async def test_500_is_retried_like_503_for_gets_and_names_the_failing_gateway(gw: SimulatedGateway) -> None:
    """A gateway answering Jetty 500s and 503s (error_rate 1.0): every GET is sent 4 times, whatever
    the mix, and the error says the gateway failed, not 'is this an Ignition gateway?'."""
    gw.faults.seed = 7
    async with GatewayClient(gw.url, api_token=gw.api_token, retry_backoff=0.01) as client:
        await client.login()
        gw.faults.error_rate = 1.0
        with pytest.raises(GatewayError) as err:
            await client.list_modules()
    statuses = [s for _, p, s in gw.requests if p == "/data/api/v1/modules/healthy"]
    assert len(statuses) == 4 and 500 in statuses[:3], statuses  # a 500 before the last try was retried
    assert "after 4 attempts" in str(err.value)
    assert "is this an Ignition gateway" not in str(err.value)


async def test_version_detection_against_a_failing_gateway_does_not_ask_if_it_is_one(gw: SimulatedGateway) -> None:
    gw.faults.error_rate = 1.0  # StatusPing still answers (exempt), gwinfo and the REST API fail
    async with GatewayClient(gw.url, retry_backoff=0.01) as client:
        assert (await client.status_ping(retry=False)).get("state") == "RUNNING"
        with pytest.raises(GatewayError) as err:
            await client.detect_version()
    assert "is this an Ignition gateway" not in str(err.value)
    assert "after 4 attempts" in str(err.value), str(err.value)


async def test_a_refused_token_is_not_retried_by_the_step(tmp_path: Path, gw: SimulatedGateway) -> None:
    text = f"""
name: wrong token
version: '1.0'
steps:
  - id: login
    name: Log in
    type: gateway.login
    retry_count: 3
    retry_delay: 0
    parameters: {{gateway_url: "{gw.url}", api_token: "wrong:token-value"}}
"""
    run = await run_playbook(tmp_path, text)
    assert "HTTP 401" in run.error("login")
    assert [e.attempt for e in run.events if isinstance(e, StepStarted)] == [1]
    assert len([r for r in gw.requests if r[2] == 401]) == 1
