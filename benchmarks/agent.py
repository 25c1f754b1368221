"""The agent: control round trip, stream throughput, 100 executions, idle RSS. Prints; asserts nothing.

    .venv/bin/python benchmarks/agent.py [--trips N] [--lines N] [--executions N]

1. Control round trip: an execution paused in debug mode; `resume` sent, until the
   client sees the engine's `resumed` event. In-process (Execution.resume() to the
   bus event) vs through the agent (HTTP POST on the socket to the event on the
   SSE stream), median and p95, and the ratio.          target: <= 2x and <= 20 ms
2. Events per second to 5 attached clients: one script printing N log lines,
   5 SSE streams counting every event to the end.
3. 100 executions in one agent: time to start them all, `GET /v1/executions`
   latency and a control round trip while they all run.
4. Agent RSS: idle after start, and after the 100 executions.   target: <= 60 MiB idle
5. 100 executions in one agent with the TUI responsive: key-press latency (median, max)
   in a real TUI (Textual's Pilot, following the agent's streams) with no run, then while
   100 executions run in the agent (each followed live by the TUI).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igtk_tui.agent.client import AgentClient, AsyncAgentClient  # noqa: E402
from igtk_tui.agent.location import AgentLocation  # noqa: E402
from igtk_tui.paths import resolve_paths  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from tui import key_latency  # noqa: E402 - the TUI benchmark's key probe, one definition


def playbook(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def steps_playbook(folder: Path, n: int) -> Path:
    steps = "\n".join(f"  - {{id: s{i}, name: s{i}, type: utility.log, parameters: {{message: m{i}}}}}"
                      for i in range(n))
    return playbook(folder, "steps.yaml", f"name: Steps\nversion: 1\nsteps:\n{steps}\n")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


async def in_process_round_trip(pb: Path, trips: int) -> list[float]:
    from igtk_tui.engine.events import EventBus
    from igtk_tui.engine.execution import Execution
    from igtk_tui.playbook.loader import load_file

    bus = EventBus()
    paused, resumed = asyncio.Event(), asyncio.Event()
    seen: dict[str, float] = {}

    def on(event: object) -> None:
        kind = getattr(event, "kind", "")
        if kind == "paused":
            paused.set()
        elif kind == "resumed":
            seen["resumed"] = time.perf_counter()
            resumed.set()

    bus.subscribe(on)
    execution = Execution(load_file(pb), {}, bus=bus, debug=True, artifacts_root=pb.parent / "artifacts")
    task = asyncio.create_task(execution.run())
    out = []
    for _ in range(trips):
        await paused.wait()
        paused.clear()
        resumed.clear()
        t0 = time.perf_counter()
        execution.resume()
        await resumed.wait()
        out.append(seen["resumed"] - t0)
    execution.cancel()
    await task
    return out


async def agent_round_trip(location: AgentLocation, execution_id: str, trips: int) -> list[float]:
    client = AsyncAgentClient(location)
    paused, resumed = asyncio.Event(), asyncio.Event()
    seen: dict[str, float] = {}

    async def follow() -> None:
        async for kind, data in client.events(execution_id):
            kinds = [e["event"] for e in data["events"]] if kind == "snapshot" else [kind]
            if kinds and kinds[-1] == "paused":
                paused.set()
            if "resumed" in kinds and kind != "snapshot":
                seen["resumed"] = time.perf_counter()
                resumed.set()

    reader = asyncio.create_task(follow())
    out = []
    try:
        for _ in range(trips):
            await asyncio.wait_for(paused.wait(), 30)
            paused.clear()
            resumed.clear()
            t0 = time.perf_counter()
            await client.control(execution_id, "resume")
            await asyncio.wait_for(resumed.wait(), 30)
            out.append(seen["resumed"] - t0)
    finally:
        await client.control(execution_id, "cancel")
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await client.aclose()
    return out


async def stream_rate(location: AgentLocation, client: AgentClient, pb: Path, lines: int, clients: int) -> None:
    started = client.start({"playbook": str(pb), "params": {}, "breakpoints": ["spam"]})
    execution_id = started["id"]
    readers = [AsyncAgentClient(location) for _ in range(clients)]
    counts: list[int] = [0] * clients
    firsts: list[float] = [0.0] * clients
    lasts: list[float] = [0.0] * clients
    ready = asyncio.Semaphore(0)

    async def follow(i: int) -> None:
        async for kind, _data in readers[i].events(execution_id):
            if kind == "snapshot":
                ready.release()
                continue
            if kind in ("end", "overflow"):
                lasts[i] = time.perf_counter()
                if kind == "overflow":
                    print(f"   client {i} fell 100,000 events behind and was dropped")
                return
            if not counts[i]:
                firsts[i] = time.perf_counter()
            counts[i] += 1

    tasks = [asyncio.create_task(follow(i)) for i in range(clients)]
    for _ in range(clients):
        await ready.acquire()
    t0 = time.perf_counter()
    client.control(execution_id, "resume")  # every client is attached: let the script go
    await asyncio.gather(*tasks)
    for r in readers:
        await r.aclose()
    total = sum(counts)
    span = max(lasts) - t0
    print(f"2. {clients} clients x {counts[0]} events each ({lines} log lines): {total / span:,.0f} events/s "
          f"delivered in total, {counts[0] / span:,.0f}/s per client, {span:.2f} s")


def peak_ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:6.1f} ms   max {max(values) * 1000:6.1f} ms"


async def tui_responsive(client: AgentClient, nap: Path, count: int) -> None:
    """Key latency in a real TUI with no run, then while `count` executions run in its agent."""
    from igtk_tui.runtime import Runtime
    from igtk_tui.tui.app import IgtkApp

    app = IgtkApp(Runtime())
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.library_entries or app.store is None:
            await pilot.pause(0.05)
        tree = app.main_screen.query_one("#library")
        tree.focus()
        await pilot.pause()
        idle = [await key_latency(app, tree) for _ in range(30)]
        ids = await asyncio.to_thread(lambda: [client.start({"playbook": str(nap), "params": {}})["id"]
                                               for _ in range(count)])
        busy = []
        deadline = time.perf_counter() + 120
        while sum(1 for i in ids if (v := app.executions.views.get(i)) is not None and v.live) < count:
            busy.append(await key_latency(app, tree))  # while the TUI attaches to each stream
            await asyncio.sleep(0.02)
            if time.perf_counter() > deadline:
                break
        following = sum(1 for i in ids if i in app.executions.views)
        for _ in range(60):
            busy.append(await key_latency(app, tree))
            await asyncio.sleep(0.05)  # sampling interval
        await asyncio.to_thread(lambda: [client.control(i, "cancel") for i in ids])
    print(f"5. TUI key latency, no run          : {peak_ms(idle)}")
    print(f"   with {count} executions in the agent: {peak_ms(busy)} ({following} followed live by the TUI, "
          f"{len(busy)} samples)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=40)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--executions", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="igtk-bench-agent-") as tmp:
        folder = Path(tmp)
        os.environ["IGTK_HOME"] = str(folder / "home")
        paths = resolve_paths()
        location = AgentLocation.of(paths)
        pb = steps_playbook(folder, args.trips + 2)
        inproc = asyncio.run(in_process_round_trip(pb, args.trips))
        t0 = time.perf_counter()
        client = AgentClient.connect(paths, start=True)
        start_s = time.perf_counter() - t0
        pid = int(client.status()["pid"])
        try:
            idle = rss_mib(pid)
            print(f"0. agent started on demand in {start_s * 1000:.0f} ms (pid {pid})")
            execution_id = client.start({"playbook": str(pb), "params": {}, "debug": True})["id"]
            through = asyncio.run(agent_round_trip(location, execution_id, args.trips))
            ratio = statistics.median(through) / statistics.median(inproc)
            print(f"1. control round trip (resume -> `resumed` seen), {args.trips} trips")
            print(f"   in-process     {ms(inproc)}")
            print(f"   through agent  {ms(through)}   ratio {ratio:,.1f}x (target <= 2x, <= 20 ms)")
            spam = playbook(folder, "spam.yaml", f"""\
                name: Spam
                version: 1
                steps:
                  - id: spam
                    name: spam
                    type: utility.python
                    parameters:
                      script: |
                        for i in range({args.lines}):
                            print(f"line {{i}}")
                """)
            asyncio.run(stream_rate(location, client, spam, args.lines, 5))
            nap = playbook(folder, "nap.yaml", """\
                name: Nap
                version: 1
                steps:
                  - {id: nap, name: nap, type: utility.sleep, parameters: {seconds: 20}}
                  - {id: end, name: end, type: utility.log, parameters: {message: done}}
                """)
            t0 = time.perf_counter()
            ids = [client.start({"playbook": str(nap), "params": {}})["id"] for _ in range(args.executions)]
            started_s = time.perf_counter() - t0
            lists = []
            for _ in range(20):
                t1 = time.perf_counter()
                live = client.executions()
                lists.append(time.perf_counter() - t1)
            print(f"3. {args.executions} executions started in {started_s:.2f} s "
                  f"({started_s / args.executions * 1000:.1f} ms each); {len(live)} live")
            print(f"   GET /v1/executions with them running: {ms(lists)}")
            loaded_id = client.start({"playbook": str(pb), "params": {}, "debug": True})["id"]
            loaded = asyncio.run(agent_round_trip(location, loaded_id, 10))
            print(f"   control round trip meanwhile        : {ms(loaded)}")
            for execution_id in ids:
                client.control(execution_id, "cancel")
            busy = rss_mib(pid)
            print(f"4. agent RSS idle {idle:.1f} MiB (target <= 60 MiB); "
                  f"with {args.executions} executions {busy:.1f} MiB")
            while client.executions():  # the cancels are recorded: the TUI starts with nothing running
                time.sleep(0.05)
            asyncio.run(tui_responsive(client, nap, args.executions))
        finally:
            client.close()
            subprocess.run([sys.executable, "-m", "igtk_tui", "agent", "stop", "--cancel-running"],
                           capture_output=True, timeout=120)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
