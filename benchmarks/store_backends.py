"""Per-step persistence cost, PostgreSQL versus SQLite: figures printed, nothing asserted.

Same process, same playbook, rounds alternating between the backends:

1. End to end through the engine: N trivial `utility.set_variable` steps with the
   Recorder subscribed (group commit at step boundaries) versus no subscriber;
   the difference per step is the cost of durable history.
2. One commit per step: N sequential `db.write` calls, each upserting one step
   row in its own transaction (what a slow step's boundary costs: nothing to
   share the commit with).

PostgreSQL is a server this script starts (Debian's binaries, fsync ON, on
localhost TCP: the figures include a real WAL flush and a network round trip),
or the one given with --url (an empty database: tables are created there).

Run:  .venv/bin/python benchmarks/store_backends.py [--steps 1000] [--rounds 5] [--url postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igtk_tui.config import Settings  # noqa: E402
from igtk_tui.engine.events import EventBus  # noqa: E402
from igtk_tui.engine.execution import Execution  # noqa: E402
from igtk_tui.paths import Paths  # noqa: E402
from igtk_tui.playbook.loader import load_text  # noqa: E402
from igtk_tui.store import Store  # noqa: E402

UPSERT = ("INSERT INTO steps (execution_id, path, step_id, position, status, started_at, finished_at, duration, "
          "output) VALUES (?, ?, ?, ?, 'completed', ?, ?, 0.001, '{\"value\":1}') ON CONFLICT (execution_id, path) "
          "DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at")


def playbook_text(n: int) -> str:
    steps = "\n".join(
        f"  - id: s{i}\n    name: step {i}\n    type: utility.set_variable\n"
        f"    parameters: {{name: counter, value: {i}}}" for i in range(n))
    return f"name: bench\nversion: '1'\nsteps:\n{steps}\n"


def paths_in(root: Path) -> Paths:
    return Paths(config_dir=root / "config", data_dir=root / "data", state_dir=root / "state")


async def run_once(pb: Any, root: Path, settings: Settings | None) -> tuple[float, int]:
    """(wall seconds until everything is durable, transactions); settings None = no store."""
    bus = EventBus()
    store = recorder = None
    if settings is not None:
        store = await Store.open(paths_in(root), settings)
        recorder = store.recorder()
        bus.subscribe(recorder)
    execution = Execution(pb, {}, bus=bus, artifacts_root=root / "artifacts")
    start = time.perf_counter()
    await execution.run()
    if recorder is not None:
        await recorder.close()
    elapsed = time.perf_counter() - start
    transactions = recorder.transactions if recorder is not None else 0
    if store is not None:
        row = await store.db.fetchone("SELECT COUNT(*) FROM steps WHERE execution_id = ? AND status = 'completed'",
                                      (execution.id,))
        await store.close()
        assert row[0] == len(pb.steps), f"only {row[0]} steps recorded"
    return elapsed, transactions


async def commit_latency(root: Path, settings: Settings, n: int) -> list[float]:
    store = await Store.open(paths_in(root), settings)
    try:
        now = time.time()
        await store.db.write(lambda c: c.execute(
            "INSERT INTO executions (id, playbook, status, started_at) VALUES ('bench-commit', 'b', 'running', ?) "
            "ON CONFLICT (id) DO NOTHING", (now,)))
        out = []
        for i in range(n):
            start = time.perf_counter()
            await store.db.write(lambda c, i=i: c.execute(UPSERT, ("bench-commit", f"s{i}", f"s{i}", i, now, now)))
            out.append(time.perf_counter() - start)
        return out
    finally:
        await store.close()


async def main(steps: int, rounds: int, url: str) -> None:
    pb = load_text(playbook_text(steps))
    backends = {"sqlite": Settings(retention_days=None, retention_count=None),
                "postgresql": Settings(retention_days=None, retention_count=None, store_url=url)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for settings in backends.values():  # warm-up: imports, schema, caches
            await run_once(pb, root, settings)
        await run_once(pb, root, None)
        base: list[float] = []
        walls: dict[str, list[float]] = {name: [] for name in backends}
        txs: dict[str, list[int]] = {name: [] for name in backends}
        for _ in range(rounds):  # alternate, so load from other processes hits all alike
            base.append((await run_once(pb, root, None))[0])
            for name, settings in backends.items():
                wall, tx = await run_once(pb, root, settings)
                walls[name].append(wall)
                txs[name].append(tx)
        commits = {name: await commit_latency(root, settings, steps) for name, settings in backends.items()}

    def per_step(values: list[float]) -> float:
        return statistics.median(values) / steps * 1e6

    print(f"1. engine, {steps} utility.set_variable steps, {rounds} rounds (us per step, median)")
    print(f"   without store        {per_step(base):8.1f}")
    overhead = {}
    for name in backends:
        overhead[name] = per_step(walls[name]) - per_step(base)
        print(f"   with {name:<11}     {per_step(walls[name]):8.1f}   overhead {overhead[name]:8.1f}   "
              f"({statistics.median(txs[name]):.0f} transactions: group commit)")
    print(f"   overhead ratio postgresql / sqlite: {overhead['postgresql'] / max(overhead['sqlite'], 1e-9):.1f}x")
    print(f"2. one step upsert per transaction, {steps} commits (ms per commit)")
    med = {}
    for name, values in commits.items():
        ordered = sorted(values)
        med[name] = statistics.median(values) * 1e3
        print(f"   {name:<11} median {med[name]:7.3f}   p95 {ordered[int(len(ordered) * 0.95)] * 1e3:7.3f}   "
              f"max {ordered[-1] * 1e3:7.3f}")
    print(f"   commit ratio postgresql / sqlite: {med['postgresql'] / max(med['sqlite'], 1e-9):.1f}x")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: start a temporary server)")
    args = parser.parse_args()
    if args.url:
        asyncio.run(main(args.steps, args.rounds, args.url))
        return
    from tests.support.pg_server import PostgresServer

    server = PostgresServer(fsync=True).start()
    try:
        print(f"PostgreSQL: temporary server on 127.0.0.1:{server.port}, fsync on, synchronous_commit on")
        asyncio.run(main(args.steps, args.rounds, server.url(server.fresh_database("bench"))))
    finally:
        server.stop()


if __name__ == "__main__":
    cli()
