"""Execution history store: figures printed, nothing asserted.

1. Per-step overhead of durable persistence, end to end through the engine:
   N trivial `utility.set_variable` steps run with the Recorder subscribed
   (WAL, synchronous=NORMAL, a commit at every step boundary, group commit)
   versus the same run with no subscriber. Target: <= 0.1 ms (100 us) per step.
2. Time to fetch the first page of history (50 rows) out of 1,000,000 seeded
   executions, plus a few other queries the TUI and CLI make. Target: <= 20 ms.

Run:  .venv/bin/python benchmarks/store.py [--steps 2000] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from igtk_tui.engine.events import EventBus  # noqa: E402
from igtk_tui.engine.execution import Execution  # noqa: E402
from igtk_tui.paths import Paths  # noqa: E402
from igtk_tui.playbook.loader import load_text  # noqa: E402
from igtk_tui.store import Store  # noqa: E402


def playbook_text(n: int) -> str:
    steps = "\n".join(
        f"  - id: s{i}\n    name: step {i}\n    type: utility.set_variable\n"
        f"    parameters: {{name: counter, value: {i}}}" for i in range(n))
    return f"name: bench\nversion: '1'\nsteps:\n{steps}\n"


def paths_in(root: Path) -> Paths:
    return Paths(config_dir=root / "config", data_dir=root / "data", state_dir=root / "state")


async def run_once(pb: object, root: Path, record: bool) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) from start until everything is durable."""
    bus = EventBus()
    store = recorder = None
    if record:
        store = await Store.open(paths_in(root))
        recorder = store.recorder()
        bus.subscribe(recorder)
    execution = Execution(pb, {}, bus=bus, artifacts_root=root / "artifacts")  # type: ignore[arg-type]
    start, cpu = time.perf_counter(), time.process_time()
    await execution.run()
    if recorder is not None:
        await recorder.close()  # every step committed: durable end to end
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if store is not None:
        row = await store.db.fetchone("SELECT COUNT(*) FROM steps WHERE execution_id = ? AND status = 'completed'",
                                      (execution.id,))
        await store.close()
        assert row[0] == len(pb.steps), f"only {row[0]} steps recorded"  # type: ignore[attr-defined]
    return elapsed, cpu


async def bench_steps(n: int, rounds: int) -> None:
    pb = load_text(playbook_text(n))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        await run_once(pb, root, True)  # warm-up: imports, schema, page cache
        await run_once(pb, root, False)
        base: list[tuple[float, float]] = []
        rec: list[tuple[float, float]] = []
        for _ in range(rounds):  # alternate, so load from other processes hits both alike
            base.append(await run_once(pb, root, False))
            rec.append(await run_once(pb, root, True))

    def us(values: list[float]) -> str:
        return f"median {statistics.median(values) / n * 1e6:6.1f}  min {min(values) / n * 1e6:6.1f}"

    print(f"engine, {n} utility.set_variable steps, {rounds} rounds each (us per step)")
    print(f"  without store   wall {us([b[0] for b in base])}   cpu {us([b[1] for b in base])}")
    print(f"  with recorder   wall {us([r[0] for r in rec])}   cpu {us([r[1] for r in rec])}")
    wall = (statistics.median(r[0] for r in rec) - statistics.median(b[0] for b in base)) / n * 1e6
    best = (min(r[0] for r in rec) - min(b[0] for b in base)) / n * 1e6
    cpu = (statistics.median(r[1] for r in rec) - statistics.median(b[1] for b in base)) / n * 1e6
    print(f"  overhead        wall median {wall:6.1f}  min-vs-min {best:6.1f}   cpu median {cpu:6.1f}"
          "   (target <= 100 us/step)")


INSERT_SEED = ("INSERT INTO executions (id, playbook, playbook_rel, playbook_hash, gateway_url, trigger, host, "
               "user, owner_pid, status, started_at, finished_at, duration) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def seed(db_file: Path, rows: int) -> float:
    """executemany in one transaction, through the real migrations."""
    import sqlite3

    from igtk_tui.store.sqlite import configure, migrate

    conn = sqlite3.connect(db_file, isolation_level=None)
    configure(conn, 5000)
    migrate(conn)
    rnd = random.Random(7)
    playbooks = [(f"Playbook {i:02d}", f"gateway/playbook-{i:02d}.yaml") for i in range(40)]
    gateways = [f"http://gw{i}.plant.local:8088" for i in range(8)]
    statuses = ["completed"] * 8 + ["failed", "cancelled", "interrupted"]
    t0 = time.time() - rows * 60.0
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO playbook_sources (hash, text) VALUES ('h', 'name: x')")
    batch = []
    for i in range(rows):
        started = t0 + i * 60.0 + rnd.random()
        name, rel = rnd.choice(playbooks)
        batch.append((str(uuid.UUID(int=rnd.getrandbits(128))), name, rel, "h", rnd.choice(gateways),
                      "cli", "bench", "bench", 1, rnd.choice(statuses), started, started + 5.0, 5.0))
        if len(batch) == 50_000:
            conn.executemany(INSERT_SEED, batch)
            batch.clear()
    if batch:
        conn.executemany(INSERT_SEED, batch)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - start


async def timed(label: str, coro_fn: object, repeat: int = 5) -> None:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await coro_fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    size = len(result) if hasattr(result, "__len__") else result
    print(f"  {label:<44} first {times[0] * 1e3:7.2f} ms   best {min(times) * 1e3:7.2f} ms   ({size})")


async def bench_history(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = paths_in(Path(tmp))
        paths.data_dir.mkdir(parents=True)
        took = seed(paths.db_file, rows)
        size = paths.db_file.stat().st_size / 1e6
        print(f"history: seeded {rows:,} executions in {took:.1f} s (executemany, one transaction; {size:.0f} MB)")
        open_start = time.perf_counter()
        store = await Store.open(paths)  # migrations checked + recovery scan
        print(f"  open + recovery scan                          {(time.perf_counter() - open_start) * 1e3:7.2f} ms")
        repo = store.executions
        try:
            await timed("first page (50, newest first)", lambda: repo.list_executions(50))
            page = await repo.list_executions(50)
            await timed("second page (keyset before=last row)", lambda: repo.list_executions(50, before=page[-1].keyset))
            deep = await repo.list_executions(1, before=(time.time() - rows * 30.0, ""))
            await timed("deep page (keyset at the middle)", lambda: repo.list_executions(50, before=deep[0].keyset))
            await timed("first page --status failed", lambda: repo.list_executions(50, status="failed"))
            await timed("first page --playbook NAME", lambda: repo.list_executions(50, playbook="Playbook 07"))
            await timed("first page --playbook LIBRARY/PATH",
                        lambda: repo.list_executions(50, playbook="gateway/playbook-07"))
            await timed("first page --gateway URL",
                        lambda: repo.list_executions(50, gateway="http://gw3.plant.local:8088"))
            await timed("first page --since 2h", lambda: repo.list_executions(50, since=time.time() - 7200))
            await timed("last_results (library pane, 40 playbooks)", repo.last_results)
            await timed("count (all)", repo.count, repeat=2)
        finally:
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, sqlite {__import__('sqlite3').sqlite_version}, "
          f"{os.cpu_count()} cpus\n")
    asyncio.run(bench_steps(args.steps, args.rounds))
    print()
    asyncio.run(bench_history(args.rows))


if __name__ == "__main__":
    main()
