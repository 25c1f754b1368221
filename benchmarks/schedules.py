"""Schedules: fire time to first step, and 1,000 schedules in one agent. Prints; asserts nothing.

    .venv/bin/python benchmarks/schedules.py [--fires N] [--schedules N] [--idle SECONDS]

1. Fire latency: a schedule `* * * * *` in a real agent on the real clock; for each of N
   fires (one a minute), the time from the fire instant to the execution's start and to
   its first step's start (from the store's records).          target: first step <= 1 s
2. N schedules held by one agent (none due during the measure): the agent's CPU over
   `--idle` seconds (utime+stime from /proc) and RSS, against the same agent holding none.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igtk_tui.agent.client import AgentClient  # noqa: E402
from igtk_tui.agent.location import AgentLocation  # noqa: E402
from igtk_tui.paths import resolve_paths  # noqa: E402

QUICK = """\
    name: Quick
    version: 1
    steps:
      - {id: a, name: first, type: utility.log, parameters: {message: hello}}
    """


def igtk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IGTK_HOME": str(home)}
    env.pop("IGTK_CLOCK_FILE", None)
    return subprocess.run([sys.executable, "-m", "igtk_tui", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def agent_pid(home: Path) -> int:
    done = igtk(home, "agent", "start")  # its environment names this home (a spawn from here would not)
    assert done.returncode == 0, done.stderr
    with AgentClient.connect(resolve_paths({"IGTK_HOME": str(home)})) as client:
        return int(client.status()["pid"])


def state(home: Path) -> dict:
    with AgentClient.connect(resolve_paths({"IGTK_HOME": str(home)})) as client:
        return dict(client.request("GET", "/v1/schedules"))


def fire_latency(folder: Path, fires: int) -> None:
    home = folder / "latency"
    book = folder / "quick.yaml"
    book.write_text(textwrap.dedent(QUICK), encoding="utf-8")
    done = igtk(home, "schedule", "add", "minutely", "--cron", "* * * * *", str(book), "--tz", "UTC")
    assert done.returncode == 0, done.stderr
    db = home / "data" / "igtk.db"
    print(f"1. fire latency: waiting for {fires} fire(s), one a minute (the real clock)")
    seen: set[str] = set()
    to_start, to_step = [], []
    deadline = time.time() + 70 * fires + 30
    while len(seen) < fires and time.time() < deadline:
        time.sleep(1)
        conn = sqlite3.connect(db, timeout=30)
        rows = conn.execute(
            "SELECT f.id, f.due_at, e.started_at, (SELECT MIN(s.started_at) FROM steps s WHERE s.execution_id = e.id) "
            "FROM schedule_fires f JOIN executions e ON e.id = f.execution_id WHERE f.outcome = 'completed'"
        ).fetchall()
        conn.close()
        for fire_id, due, started, first_step in rows:
            if fire_id not in seen and first_step is not None:
                seen.add(fire_id)
                to_start.append(started - due)
                to_step.append(first_step - due)
                print(f"   fire due {time.strftime('%H:%M:%S', time.localtime(due))}: execution started "
                      f"+{(started - due) * 1000:.0f} ms, first step +{(first_step - due) * 1000:.0f} ms")
    igtk(home, "agent", "stop", "--cancel-running")
    if to_step:
        print(f"   fire instant -> execution start: median {statistics.median(to_start) * 1000:.0f} ms; "
              f"-> first step: median {statistics.median(to_step) * 1000:.0f} ms, max {max(to_step) * 1000:.0f} ms"
              "   (target <= 1000 ms)")


async def store_schedules(home: Path, count: int, playbook: Path) -> None:
    """`count` schedules written through the repository (none due in the next hours)."""
    from igtk_tui.runtime import Runtime
    from igtk_tui.schedules.model import Schedule

    runtime = Runtime(env={**os.environ, "IGTK_HOME": str(home)})
    store = await runtime.open_store()
    hour = (time.gmtime().tm_hour + 12) % 24  # twelve hours away: nothing fires while we measure
    now = time.time()
    try:
        for i in range(count):
            cron = random.choice((f"{i % 60} {hour} * * *", f"{i % 60} {hour} * * 1-5", f"{i % 60} {hour} 1 * *"))
            await store.schedules.add(Schedule(name=f"s{i:04d}", playbook=str(playbook), cron=cron, tz="UTC",
                                               created_at=now, updated_at=now, last_handled=now))
    finally:
        await runtime.close()


def idle(home: Path, seconds: float) -> tuple[float, float]:
    pid = agent_pid(home)
    time.sleep(3)  # let start-up settle (imports, first reload)
    before, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    used, spent = cpu_seconds(pid) - before, time.monotonic() - t0
    return used / spent * 100, rss_mib(pid)


def many(folder: Path, count: int, seconds: float) -> None:
    book = folder / "quick.yaml"
    book.write_text(textwrap.dedent(QUICK), encoding="utf-8")
    empty, full = folder / "empty", folder / "full"
    asyncio.run(store_schedules(full, count, book))
    print(f"2. {count} schedules in one agent, idle over {seconds:g} s (none due)")
    cpu0, rss0 = idle(empty, seconds)
    igtk(empty, "agent", "stop")
    cpu1, rss1 = idle(full, seconds)
    held = len(state(full)["schedules"])
    igtk(full, "agent", "stop")
    print(f"   no schedules:      CPU {cpu0:5.2f} %   RSS {rss0:6.1f} MiB")
    print(f"   {held} schedules:  CPU {cpu1:5.2f} %   RSS {rss1:6.1f} MiB   "
          f"(+{cpu1 - cpu0:.2f} % CPU, +{rss1 - rss0:.1f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fires", type=int, default=2)
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="igtk-bench-schedules-") as tmp:
        folder = Path(tmp)
        try:
            if args.fires:
                fire_latency(folder, args.fires)
            if args.schedules:
                many(folder, args.schedules, args.idle)
        finally:
            for home in (p for p in folder.iterdir() if p.is_dir()):
                if AgentLocation.of(resolve_paths({"IGTK_HOME": str(home)})).alive():
                    igtk(home, "agent", "stop", "--cancel-running")


if __name__ == "__main__":
    main()
