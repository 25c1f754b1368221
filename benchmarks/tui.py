"""TUI benchmarks: prints figures, asserts nothing (timings belong here, not in tests).

    .venv/bin/python benchmarks/tui.py            # everything (about two minutes)
    .venv/bin/python benchmarks/tui.py startup    # one part: startup | logs | bytes | concurrent

1. startup    time until the operator can act, in tmux at 80x24: the library listed (its
              title carries the count, not "loading") and focused (its heavy border), for
              `igtk` and `igtk demo` (which starts a simulator), against a bare Textual app
              with one Static measured in the same run (ratio; targets <= 1.5x and <= 2x)
2. logs       100,000 log lines through the log pane (target <= 1 s), with key latency
              while they stream
3. bytes      bytes per second written to a pty (80x24, TERM=xterm-256color) while a run
              streams logs (target <= 20 KiB/s); the pty is opened here, no `script`
4. concurrent 100 executions against the simulated gateway (its own process, as a real
              gateway is) at once, started from the TUI in its agent, with key latency while
              they run
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PY = sys.executable

BARE_APP = '''
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare app ready")

Bare().run()
'''
BARE_READY = re.compile(r"bare app ready")
# The library pane focused (heavy border) with its entries counted: listed, not loading.
IGTK_READY = re.compile(r"┏━ 1 Playbooks \(\d+\)")

STREAM_PLAYBOOK = '''
name: Stream logs
version: "1.0"
description: Prints log lines at a steady rate, for the terminal-bytes benchmark.
parameters:
  - name: per_second
    type: integer
    default: {rate}
  - name: seconds
    type: float
    default: 14
steps:
  - id: stream
    name: Stream lines
    type: utility.python
    timeout: 120
    parameters:
      params: {{per_second: "{{{{ parameter.per_second }}}}", seconds: "{{{{ parameter.seconds }}}}"}}
      script: |
        import sys, time
        n = int(params["per_second"] * params["seconds"])
        for i in range(n):
            print(f"reading counter {{i}} of line 3: value={{i * 7 % 1000}} units/h status=ok")
            sys.stdout.flush()
            time.sleep(1 / params["per_second"])
'''


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


async def key_latency(app, tree) -> float:  # noqa: ANN001 - textual objects, imported late
    """From a key arriving at the app to the library cursor having moved (what an operator waits for)."""
    from textual import events

    before = tree.cursor_line
    key = "down" if before <= 1 else "up"
    started = time.perf_counter()
    app.post_message(events.Key(key, None))
    while tree.cursor_line == before:
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


# -- 1. time to first screen in tmux ---------------------------------------------------------------
def _first_screen(command: str, marker: re.Pattern[str], env: dict[str, str]) -> float:
    name = f"igtk-bench-{uuid.uuid4().hex[:8]}"
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    started = time.perf_counter()
    made = subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24",
                           f"env -i {exports} {command}"], cwd=REPO, capture_output=True, text=True)
    if made.returncode:
        raise RuntimeError(f"tmux: {made.stderr.strip()}")
    try:
        deadline = started + 30
        while time.perf_counter() < deadline:
            out = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            if marker.search(out):
                return time.perf_counter() - started
            time.sleep(0.005)
        raise RuntimeError(f"{marker.pattern!r} never appeared")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def bench_startup(runs: int = 11) -> None:
    if shutil.which("tmux") is None:
        print("startup: tmux not installed, skipped")
        return
    tmp = Path(tempfile.mkdtemp(prefix="igtk-bench-"))
    bare = tmp / "bare.py"
    bare.write_text(BARE_APP)
    env = {"TERM": "xterm-256color", "IGTK_HOME": str(tmp / "home"), "PATH": os.environ["PATH"],
           "HOME": str(tmp)}
    # One idle session keeps the tmux server up, so no run pays for starting it.
    keeper = f"igtk-bench-keep-{uuid.uuid4().hex[:6]}"
    subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 600"], check=True)
    try:
        _startup_runs(bare, env, runs)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keeper], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _startup_runs(bare: Path, env: dict[str, str], runs: int) -> None:
    commands = {"bare Textual app (one Static)": (f"{PY} {bare}", BARE_READY),
                "igtk": (f"{PY} -m igtk_tui tui", IGTK_READY),
                "igtk demo": (f"{PY} -m igtk_tui demo", IGTK_READY)}
    for command, marker in commands.values():
        # Warm the file cache and write the byte code for each, as an installed wheel has it
        # (`env -i`: no PYTHONDONTWRITEBYTECODE inherited from the tmux server's environment).
        _first_screen(command, marker, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so all see the same machine load
        for name, (command, marker) in commands.items():
            times[name].append(_first_screen(command, marker, env))
    bare_median = statistics.median(times["bare Textual app (one Static)"])
    targets = {"igtk": 1.5, "igtk demo": 2.0}
    print(f"startup   until the operator can act, tmux 80x24, median of {runs} (library listed and focused)")
    for name, samples in times.items():
        ratio = statistics.median(samples) / bare_median
        target = targets.get(name)
        verdict = f"   target <= {target}x: {'ok' if ratio <= target else 'MISSED'}" if target else ""
        print(f"          {name:<30} {median_ms(samples):>7}  best {min(samples) * 1000:5.0f} ms  "
              f"{ratio:4.2f}x the bare app{verdict}")


# -- 2. 100,000 log lines through the log pane --------------------------------------------------------
async def _bench_logs(total: int = 100_000, chunk: int = 1000) -> None:
    from igtk_tui.config import load_settings
    from igtk_tui.engine.events import EventBus, LogRecord
    from igtk_tui.paths import resolve_paths
    from igtk_tui.runtime import Runtime
    from igtk_tui.tui.app import IgtkApp
    from igtk_tui.tui.viewmodel import ExecutionView
    from igtk_tui.tui.widgets.log_view import LogView

    env = {"IGTK_HOME": tempfile.mkdtemp(prefix="igtk-bench-")}
    paths = resolve_paths(env)
    settings = load_settings(paths, env).with_overrides(log_max_lines=total)
    app = IgtkApp(Runtime(paths=paths, settings=settings, env=env), open_services=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.library_entries:
            await pilot.pause(0.05)
        tree = app.main_screen.query_one("#library")
        idle = [await key_latency(app, tree) for _ in range(10)]
        view = ExecutionView("bench", 0, "log benchmark", status="running")
        app.executions.add_view(view)
        app.main_screen.select_execution("bench")
        bus = EventBus()
        bus.subscribe(lambda e: app.executions._on_event(view, e))
        log = app.main_screen.query_one(LogView)

        # The engine's side (making the events) is not the log pane's cost: made up front.
        records = [LogRecord("bench", step_id="stream", level="info",
                             message=f"reading counter {i} of line 3: value={i * 7 % 1000} units/h")
                   for i in range(total)]

        async def produce() -> None:
            for start in range(0, total, chunk):
                for record in records[start:start + chunk]:
                    bus.emit(record)
                await asyncio.sleep(0)  # an engine yields between batches of work

        started = time.perf_counter()
        producer = asyncio.create_task(produce())
        busy = []
        while len(log.lines) < total:
            busy.append(await key_latency(app, tree))
        elapsed = time.perf_counter() - started
        await producer
    print(f"logs      {total:,} lines through the log pane in {elapsed:.2f} s (target <= 1 s); "
          f"{app.executions.ticks} UI ticks; key latency idle {median_ms(idle)}, while streaming "
          f"{median_ms(busy)} (median of {len(busy)}, max {max(busy) * 1000:.0f} ms)")


# -- 3. bytes written to the terminal while a run streams logs ------------------------------------------
def _pty_session(env: dict[str, str]) -> tuple[int, int, list[tuple[float, int]], list[bytes]]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: an 80x24 terminal, then igtk
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        os.chdir(REPO)
        os.execvpe(PY, [PY, "-m", "igtk_tui", "tui"], env)
    samples: list[tuple[float, int]] = []
    chunks: list[bytes] = []

    def reader() -> None:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            if not data:
                return
            samples.append((time.perf_counter(), len(data)))
            chunks.append(data)

    threading.Thread(target=reader, daemon=True).start()
    return pid, fd, samples, chunks


def _wait_output(chunks: list[bytes], marker: bytes, timeout: float = 30) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if marker in b"".join(chunks[-200:]):
            return
        time.sleep(0.02)
    raise RuntimeError(f"{marker!r} never written")


def _rate(samples: list[tuple[float, int]], start: float, end: float) -> float:
    return sum(n for t, n in samples if start <= t < end) / (end - start) / 1024


def bench_bytes(rate: int = 50, window: float = 8.0) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="igtk-bench-"))
    books = tmp / "books"
    books.mkdir()
    (books / "stream.yaml").write_text(STREAM_PLAYBOOK.format(rate=rate))
    env = {"TERM": "xterm-256color", "IGTK_HOME": str(tmp / "home"), "PATH": os.environ["PATH"],
           "HOME": str(tmp), "LANG": "C.UTF-8", "IGTK_PLAYBOOK_DIRS": str(books)}
    pid, fd, samples, chunks = _pty_session(env)
    try:
        _wait_output(chunks, b"Playbooks (")
        time.sleep(2.0)  # settle after the first paint before measuring idle
        idle_start = time.perf_counter()
        time.sleep(3.0)
        idle = _rate(samples, idle_start, time.perf_counter())
        first_paint = sum(n for t, n in samples if t < idle_start)
        os.write(fd, b":")
        time.sleep(0.3)
        os.write(fd, b"run stream\r")
        _wait_output(chunks, b"Run: Stream logs")
        os.write(fd, b"\x12")  # ctrl+r
        _wait_output(chunks, b"reading counter")
        start = time.perf_counter() + 1.0
        time.sleep(1.0 + window)
        streaming = _rate(samples, start, start + window)
        os.write(fd, b"q")
        time.sleep(0.5)
        os.write(fd, b"y")
        deadline = time.perf_counter() + 20
        while time.perf_counter() < deadline:
            done, _status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.close(fd)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"bytes     pty 80x24, xterm-256color: first paint {first_paint / 1024:.1f} KiB, idle {idle:.2f} KiB/s, "
          f"while a run logs {rate} lines/s {streaming:.1f} KiB/s (target <= 20 KiB/s)")


# -- 4. 100 concurrent executions against the simulator -------------------------------------------------
@contextlib.contextmanager
def simulator_process() -> Iterator[str]:
    """The simulated gateway in its own process, as a real gateway is: in this process its
    HTTP threads would hold the GIL against the UI's event loop and measure that instead."""
    proc = subprocess.Popen([PY, "-m", "igtk_tui", "simulator", "--port", "0", "--api-token", "bench:bench-secret"],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "Simulated Ignition 8.3.x gateway at http://127.0.0.1:PORT"
        if " at " not in first:
            raise RuntimeError(f"simulator did not start: {first!r}")
        yield first.rsplit(" at ", 1)[1].strip()
    finally:
        proc.terminate()
        proc.wait(10)


async def _bench_concurrent(count: int = 100) -> None:
    from igtk_tui.playbook.loader import load_file
    from igtk_tui.runtime import Runtime
    from igtk_tui.tui.app import IgtkApp
    from igtk_tui.tui.launcher import Launch
    from igtk_tui.vault import Credential, Vault

    home = tempfile.mkdtemp(prefix="igtk-bench-")
    env = {"IGTK_HOME": home, "IGTK_VAULT_PASSPHRASE": "bench-passphrase", "IGTK_VAULT_BACKEND": "file",
           "HOME": home}
    with simulator_process() as url:
        runtime = Runtime(env=env)
        Vault.open(runtime.paths, env=env, backend="file").add(
            Credential("sim", "api-token", "bench", "bench-secret", url))
        playbook = load_file(runtime.library.find("gateway/health_check"))
        app = IgtkApp(runtime)
        async with app.run_test(size=(120, 40)) as pilot:
            while app.vault_state != "open" or app.store is None or not app.library_entries:
                await pilot.pause(0.05)
            tree = app.main_screen.query_one("#library")
            idle = [await key_latency(app, tree) for _ in range(10)]
            started = time.perf_counter()
            for _ in range(count):  # each in the agent, as the form starts them
                app.start_execution(Launch(playbook, {"gateway": "sim"}, needs_vault=True))
            busy = []
            while any(v.live for v in app.executions.views.values()) or len(app.executions.views) < count:
                busy.append(await key_latency(app, tree))
                await asyncio.sleep(0.05)  # sampling interval
            elapsed = time.perf_counter() - started
            statuses: dict[str, int] = {}
            for view in app.executions.views.values():
                statuses[view.status] = statuses.get(view.status, 0) + 1
            ticks = app.executions.ticks
    print(f"concurrent {count} health checks against the simulator at once: all finished in {elapsed:.1f} s "
          f"({statuses}); key latency idle {median_ms(idle)}, while running {median_ms(busy)} "
          f"(median of {len(busy)}, max {max(busy) * 1000:.0f} ms); {ticks} UI ticks")
    await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "igtk_tui", "agent", "stop", "--cancel-running"],
                            capture_output=True, env={**os.environ, **env}, timeout=120)
    shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str]) -> int:
    parts = argv or ["startup", "logs", "bytes", "concurrent"]
    print(f"igtk TUI benchmarks: Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
    for part in parts:
        if part == "startup":
            bench_startup()
        elif part == "logs":
            asyncio.run(_bench_logs())
        elif part == "bytes":
            bench_bytes()
        elif part == "concurrent":
            asyncio.run(_bench_concurrent())
        else:
            print(f"unknown part {part!r}: startup | logs | bytes | concurrent")
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
