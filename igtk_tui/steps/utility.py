"""utility.* steps: sleep, log, set_variable and python (a cancellable subprocess)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

from igtk_tui.engine.context import StepContext, StepFailure
from igtk_tui.slots import slots
from igtk_tui.steps.registry import Output, Param, step

LEVELS = ("debug", "info", "warning", "error")


@step(
    "utility.sleep",
    description="Wait a number of seconds; honours pause and stops at once on cancel or skip.",
    params=[Param("seconds", "number", unit="s", min=0, description="How long to wait")],
    outputs=[Output("slept", "number", "The seconds waited (paused time included)")],
)
async def sleep(ctx: StepContext, seconds: float) -> dict[str, Any]:
    await ctx.sleep(seconds)
    return {"slept": seconds}


@step(
    "utility.log",
    description="Write a message to the execution's log.",
    params=[
        Param("message", "any", description="Text to log (references allowed)"),
        Param("level", "string", choices=LEVELS, description="Log level"),
    ],
    outputs=[Output("logged", "string", "The text logged (a value that is not text, as JSON)"),
             Output("level", "string", "The level")],
)
async def log(ctx: StepContext, message: Any, level: str = "info") -> dict[str, Any]:
    text = message if isinstance(message, str) else json.dumps(message, default=str)
    ctx.log(text, level)
    return {"logged": text, "level": level}


@step(
    "utility.set_variable",
    description="Set a runtime variable, readable later as {{ variable.NAME }}.",
    params=[
        Param("name", "string", description="Variable name"),
        Param("value", "any", description="Value (keeps its type)"),
    ],
    outputs=[Output("variable", "string", "The variable's name"),
             Output("value", "any", "Its value", nullable=True)],
)
async def set_variable(ctx: StepContext, name: str, value: Any = None) -> dict[str, Any]:
    ctx.set_variable(name, value)
    return {"variable": name, "value": value}


# The script runs in a fresh interpreter. References reach it as data in
# `params`, never pasted into the source; the earlier toolkit's helpers
# (set_variable, get_variable) and pre-imported names keep working.
# stdout is block-buffered and flushed every 50 ms by a daemon thread: a script's
# line still shows within 50 ms, and a burst of 100,000 lines costs ~100 writes to the pipe,
# not one system call (and one reader wake-up) a line as `-u` did. stderr stays line-buffered.
_BOOTSTRAP = r"""
import json, sys, threading, time as _time

def _flusher():
    while True:
        _time.sleep(0.05)
        try:
            sys.stdout.flush()
        except Exception:
            pass

threading.Thread(target=_flusher, name="igtk-flush", daemon=True).start()
_payload = json.loads(sys.stdin.readline())
_MARK = _payload["marker"]
variables = dict(_payload["variables"])
params = _payload["params"]

def set_variable(name, value):
    variables[name] = value
    sys.stdout.write(_MARK + json.dumps({"name": name, "value": value}, default=str) + "\n")
    sys.stdout.flush()

def get_variable(name, default=None):
    return variables.get(name, default)

import os, re, time, zipfile
from pathlib import Path
import xml.etree.ElementTree as ET
_globals = {"__name__": "__main__", "params": params, "variables": variables,
            "set_variable": set_variable, "get_variable": get_variable,
            "json": json, "os": os, "re": re, "time": time, "zipfile": zipfile, "Path": Path, "ET": ET}
if _payload["earlier"]:  # the earlier toolkit's scripts used these without importing them
    import asyncio, subprocess
    _globals.update(asyncio=asyncio, subprocess=subprocess)
exec(compile(_payload["script"], "<utility.python>", "exec"), _globals)
"""
_MARKER = "\x1eIGTK-SET-VARIABLE\x1e"


@step(
    "utility.python",
    description="Run a Python script in a subprocess (killed on cancel, skip or timeout); "
    "KEY=value lines on stdout become outputs.",
    params=[
        Param("script", "string", description="Python source; read inputs from `params`"),
        Param("params", "dict", description="Data handed to the script as `params` (references allowed)"),
    ],
    outputs=[Output("_output", "string", "Everything the script printed on stdout")],
    extra_outputs="string",  # KEY=value lines of stdout, each as output KEY
)
async def python(ctx: StepContext, script: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    # One interpreter start costs tens of ms of CPU: a hundred executions reaching their
    # script step together would starve the TUI and the engine on a 2-core plant server.
    # Scripts beyond the limit wait for a slot (a wait that cancel and skip interrupt).
    scripts = slots("utility.python", ctx.settings.script_concurrency)
    if scripts.locked():
        ctx.log("waiting for a free script slot (setting script_concurrency: scripts run at once)", "info")
    async with scripts:
        return await _run_script(ctx, script, params)


async def _run_script(ctx: StepContext, script: str, params: dict[str, Any] | None) -> dict[str, Any]:
    payload = json.dumps({"script": script, "params": params or {}, "variables": ctx.variables,
                          "marker": _MARKER, "earlier": ctx.frame.playbook.earlier_format}, default=str)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _BOOTSTRAP,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=str(ctx.playbook_dir), start_new_session=True, env=_script_env(),
    )
    outputs: dict[str, Any] = {}
    stdout_lines: list[str] = []
    stderr_lines: list[str] = []

    async def read_stdout() -> None:
        assert proc.stdout
        async for line in _lines(proc.stdout):
            if line.startswith(_MARKER):
                item = json.loads(line[len(_MARKER):])
                ctx.set_variable(item["name"], item["value"])
                continue
            stdout_lines.append(line)
            key, sep, value = line.partition("=")
            if sep and key.strip().isidentifier():
                outputs[key.strip()] = value.strip()
            ctx.log(line, "info")

    async def read_stderr() -> None:
        assert proc.stderr
        async for line in _lines(proc.stderr):
            stderr_lines.append(line)
            ctx.log(line, "warning")

    try:
        assert proc.stdin
        proc.stdin.write(payload.encode("utf-8") + b"\n")
        await proc.stdin.drain()
        proc.stdin.close()
        work = asyncio.ensure_future(asyncio.gather(read_stdout(), read_stderr()))
        suspender = asyncio.create_task(_suspend_while_paused(ctx, proc))
        try:
            waiting: set[asyncio.Future[Any]] = {work, suspender}
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if suspender in done:
                suspender.result()  # skip/back chosen at the pause (StepInterrupted) or cancel
            await work
            code = await proc.wait()
        finally:
            for task in (suspender, work):
                task.cancel()
            await asyncio.gather(suspender, work, return_exceptions=True)
    finally:
        if proc.returncode is None:
            _kill(proc)
            await proc.wait()
    if code != 0:
        tail = "\n".join(stderr_lines[-8:]) or f"exit status {code}"
        raise StepFailure(f"script failed (exit {code}): {tail}")
    outputs["_output"] = "\n".join(stdout_lines)
    return outputs


async def _lines(stream: asyncio.StreamReader) -> AsyncIterator[str]:
    """The stream's lines, read in chunks: a burst of 100,000 lines costs ~100 reads,
    not one `readline` round trip a line; a line is still passed on as soon as it ends."""
    rest = b""
    while chunk := await stream.read(65536):
        *whole, rest = (rest + chunk).split(b"\n")
        for raw in whole:
            yield raw.decode("utf-8", "replace")
    if rest:
        yield rest.decode("utf-8", "replace")


# The vault's passphrase is igtk's secret, not the script's: a script that printed its
# environment would otherwise put it in the log, the outputs and the history.
_WITHHELD_ENV = ("IGTK_VAULT_PASSPHRASE", "IGTK_VAULT_NEW_PASSPHRASE")


def _script_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _WITHHELD_ENV}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


async def _suspend_while_paused(ctx: StepContext, proc: asyncio.subprocess.Process) -> None:
    """Pause stops the script at once: SIGSTOP its process group, SIGCONT on resume.

    Why not wait for the next safe point: a script has none, so it ran to its end
    after `p`. Cancel and skip still kill it (SIGKILL reaches a stopped process).
    """
    while proc.returncode is None:
        await ctx.wait_pause_request()
        if not _signal_group(proc, signal.SIGSTOP):
            return
        ctx.log("script suspended while the run is paused", "info")
        try:
            await ctx.checkpoint()  # the pause itself: blocks until resume, skip, back or cancel
        finally:
            _signal_group(proc, signal.SIGCONT)


def _signal_group(proc: asyncio.subprocess.Process, sig: int) -> bool:
    if proc.returncode is not None:
        return False
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _kill(proc: asyncio.subprocess.Process) -> None:
    """Kill the script and anything it started (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass
