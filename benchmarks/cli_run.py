"""`igtk run` end to end, as cron runs it: prints figures, asserts nothing.

    .venv/bin/python benchmarks/cli_run.py [steps|logs|loader] [--rounds K] [--peer PYTHON]

1. steps   `igtk run` of N trivial steps (200, 2000, 8000), history recorded, human output
           and --json, best of K fresh processes each; per step = (t(N) - t(1)) / (N - 1), so
           start-up cancels out and growth shows: a linear cost prints the same figure at
           every N; the growth 200 -> 8000 (1.0 = linear). With --peer, another install
           (main's venv, say) in the same rounds; the earlier toolkit's CLI where installed.
                                                              target: <= 0.10 ms/step at 2000
2. logs    one utility.python step printing 10,000 and 100,000 lines, `igtk run` headless
           (human and --json), against `python -c` printing the same lines (the floor,
           measured in the same run); the process log's size and rotations after the burst.
                                                              target: <= 1 s for 100,000 lines
3. loader  `load_text` of 10,000 and 40,000 steps in-process: ms per step (the loader's
           growth; issue 15 makes it linear).                 target: <= 0.05 ms/step
4. retention  a 1-step `igtk run` on a store of --rows executions (default 1,000,000, all
           beyond the default limits), with retention on against retention off, and how many
           executions that run removed.                      target: no wait (ratio ~1.0)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
IGTK = Path(PY).with_name("igtk")


def trivial_playbook(n: int) -> str:
    """Flow style, one line a step (what benchmarks/engine_overhead.py runs too)."""
    lines = ["name: Overhead", "version: 1", "steps:"]
    for i in range(n):
        if i % 2 == 0:
            lines.append(f"  - {{id: s{i}, name: set {i}, type: utility.set_variable, "
                         f"parameters: {{name: x, value: {i}}}}}")
        else:
            lines.append(f"  - {{id: s{i}, name: log {i}, type: utility.log, "
                         f"parameters: {{message: 'step {i} x={{{{ variable.x }}}}', level: debug}}}}")
    return "\n".join(lines) + "\n"


def burst_playbook(lines: int) -> str:
    return ("name: Burst\nversion: 1\nsteps:\n  - id: burst\n    name: burst\n    type: utility.python\n"
            "    timeout: 600\n    parameters:\n      script: |\n"
            f"        for i in range({lines}):\n"
            "            print(f'reading counter {i} of line 3: value={i * 7 % 1000} units/h status=ok')\n")


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGTK_")}
    env.update({"IGTK_HOME": str(home), "NO_COLOR": "1"})
    return env


def cmd(*args: str) -> list[str]:
    return [str(IGTK), *args] if IGTK.exists() else [PY, "-m", "igtk_tui", *args]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU of the process and the children it waited for): on a shared machine the
    CPU figure holds when the wall clock mostly measures the other jobs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(command: list[str], env: dict[str, str], rounds: int) -> tuple[float, float]:
    """The best wall time and the best CPU time over `rounds` fresh processes."""
    samples = [timed(command, env) for _ in range(rounds)]
    return min(w for w, _ in samples), min(c for _, c in samples)


def per_step(t: dict[int, float], n: int) -> float:
    """ms per step at N: (t(N) - t(1)) / (N - 1), start-up cancelled out."""
    return (t[n] - t[1]) / (n - 1) * 1000


def bench_steps(tmp: Path, rounds: int, peer: str | None) -> None:
    print(f"\n1. igtk run, N trivial steps, history recorded, best of {rounds} (per step = (t(N) - t(1)) / (N - 1))")
    sizes = [1, 200, 2000, 8000]
    files = {}
    for n in sizes:
        files[n] = tmp / f"steps-{n}.yaml"
        files[n].write_text(trivial_playbook(n))
    # Each build and output in turn within a round (interleaved: all see the same moments of this VM).
    builds = [("this tree", cmd)] + ([(f"peer {peer}", peer_cmd(peer))] if peer else [])
    cases = [(build, make, label, extra) for build, make in builds
             for label, extra in (("human", []), ("--json", ["--json"]))]
    envs = {build: env_for(tmp / f"home-steps-{i}") for i, (build, _) in enumerate(builds)}
    for build, _ in builds[1:]:
        envs[build].pop("PYTHONPATH", None)  # the peer runs its own code
    for build, make in builds:  # database, byte code
        subprocess.run(make("run", str(files[1])), env=envs[build], capture_output=True, check=True)
    samples: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for r in range(rounds):
        for n in sizes:
            if n > 2000 and r >= max(1, rounds // 2):
                continue
            for build, make, label, extra in cases:
                got = timed(make("run", str(files[n]), *extra), envs[build])
                samples.setdefault((build, label, n), []).append(got)
    for build, _make, label, _extra in cases:
        if label == "human":
            print(f"   {build}")
        for i, what in enumerate(("wall", "CPU")):
            t = {n: min(s[i] for s in samples[(build, label, n)]) for n in sizes}
            per = "   ".join(f"N={n}: {per_step(t, n):5.3f}" for n in sizes[1:])
            verdict = "ok" if per_step(t, 2000) <= 0.10 else "MISSED"
            print(f"   {label:<7} {what:<4} t(1) {t[1] * 1000:5.0f} ms   ms/step  {per}   "
                  f"growth 200 -> 8000: {per_step(t, 8000) / per_step(t, 200):4.2f}   "
                  f"(t(2000) - t(1)) / 1999 = {per_step(t, 2000):5.3f} ms, target <= 0.10: {verdict}")
    earlier_toolkit(files, rounds)
    from igtk_tui.playbook.loader import load_text

    start = time.perf_counter()
    load_text(files[2000].read_text(), path=files[2000])
    print(f"   of which loading 2000 steps in-process: {(time.perf_counter() - start) / 2000 * 1000:5.3f} ms/step")


def peer_cmd(python: str) -> Callable[..., list[str]]:
    """Another igtk install (its own interpreter, e.g. main's venv): measured the same way."""
    script = Path(python).with_name("igtk")

    def make(*args: str) -> list[str]:
        return [str(script), *args] if script.exists() else [python, "-m", "igtk_tui", *args]
    return make


def earlier_toolkit(files: dict[int, Path], rounds: int) -> None:
    """The earlier web-based toolkit's CLI (`ignition-toolkit playbook run`) on the same files."""
    exe = shutil.which("ignition-toolkit")
    if exe is None:
        print("   earlier toolkit (ignition-toolkit playbook run): not installed")
        return
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        t = {n: best([exe, "playbook", "run", str(files[n])], env, rounds)[1] for n in (1, 2000)}
    except SystemExit as exc:  # it may refuse these step types: say so, measure nothing
        print(f"   earlier toolkit: could not run the playbook ({str(exc)[:200]})")
        return
    print(f"   earlier toolkit CPU  t(1) {t[1] * 1000:5.0f} ms   (t(2000) - t(1)) / 1999 = "
          f"{(t[2000] - t[1]) / 1999 * 1000:5.3f} ms/step")


def bench_logs(tmp: Path, rounds: int) -> None:
    print(f"\n2. log burst: one utility.python step printing N lines, best of {rounds}")
    for n in (10_000, 100_000):
        pb = tmp / f"burst-{n}.yaml"
        pb.write_text(burst_playbook(n))
        floor_code = (f"for i in range({n}):\n"
                      "    print(f'reading counter {i} of line 3: value={i * 7 % 1000} units/h status=ok')\n")
        wall, cpu = best([PY, "-c", floor_code], env_for(tmp / "home-floor"), rounds)
        row = [f"N={n:>7,}", f"python prints them {wall:5.2f} s ({cpu:4.2f} CPU-s)"]
        for label, extra in (("human", []), ("--json", ["--json"])):
            home = tmp / f"home-logs-{n}-{label}"
            wall, cpu = best(cmd("run", str(pb), *extra), env_for(home), rounds)
            row.append(f"{label} {wall:5.2f} s ({cpu:4.2f} CPU-s)")
        logs = sorted((tmp / f"home-logs-{n}-human").rglob("igtk.log*"))
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in logs)
        print("   " + "   ".join(row) + f"   target <= 1 s at 100,000   process log: {sizes}")


def bench_loader() -> None:
    from igtk_tui.playbook.loader import load_text

    print("\n3. loader: load_text of N steps in-process")
    for n in (10_000, 40_000):
        text = trivial_playbook(n)
        start = time.perf_counter()
        load_text(text)
        elapsed = time.perf_counter() - start
        print(f"   N={n:>6,}  {elapsed:7.2f} s   {elapsed / n * 1000:6.3f} ms/step   target <= 0.05 ms/step")


def bench_retention(tmp: Path, rounds: int, rows: int) -> None:
    import sqlite3

    from store import seed  # benchmarks/store.py: executemany through the real migrations

    print(f"\n4. retention: 1-step igtk run on a store of {rows:,} executions, best of {rounds}")
    home = tmp / "home-retention"
    pb = tmp / "one-step.yaml"
    pb.write_text(trivial_playbook(1))
    env = env_for(home)
    (home / "data").mkdir(parents=True)
    took = seed(home / "data" / "igtk.db", rows)
    print(f"   seeded in {took:.1f} s")

    def count() -> int:
        with sqlite3.connect(home / "data" / "igtk.db") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM executions").fetchone()[0])

    off_env = {**env, "IGTK_RETENTION_DAYS": "none", "IGTK_RETENTION_COUNT": "none"}
    off, on, removed = [], [], []
    for _ in range(rounds):  # interleaved: both see the same moments of this VM
        off.append(timed(cmd("run", str(pb)), off_env)[0])
        before = count()
        on.append(timed(cmd("run", str(pb)), env)[0])
        removed.append(before + 1 - count())
    print(f"   retention off {min(off) * 1000:6.0f} ms   on {min(on) * 1000:6.0f} ms   ratio {min(on) / min(off):4.2f}"
          f"   removed per run {min(removed)}-{max(removed)}   target: no wait (ratio ~1.0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", nargs="*", choices=["steps", "logs", "loader", "retention"], default=[])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--peer", metavar="PYTHON",
                        help="another install's interpreter (e.g. /work/main/.venv/bin/python): its `igtk run` "
                             "is measured in the same rounds, for before/after figures")
    args = parser.parse_args()
    parts = args.part or ["steps", "logs", "loader", "retention"]
    print(f"igtk run benchmark — Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), "
          f"load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="igtk-bench-") as raw:
        tmp = Path(raw)
        if "steps" in parts:
            bench_steps(tmp, args.rounds, args.peer)
        if "logs" in parts:
            bench_logs(tmp, args.rounds)
        if "loader" in parts:
            bench_loader()
        if "retention" in parts:
            bench_retention(tmp, args.rounds, args.rows)


if __name__ == "__main__":
    main()
