"""200 gateways health-checked from one host: wall time, peak RSS, requests in flight. Prints, asserts nothing.

    .venv/bin/python benchmarks/fleet.py [--gateways 200] [--forks 5,20,50] [--runs 1]

One simulator process (this one) serves every gateway on its own port (SimulatedFleet), so
"requests in flight" is what the whole fleet answered at once: the peak of one shared
counter. Each case is one `igtk run gateway/health_check --on all --forks N` process (the
shipped health check: login, StatusPing, gwinfo, modules, trial, and a verdict script per
gateway), measured alone:
- wall time (and gateways per second),
- peak RSS of the igtk process (VmHWM, sampled until it exits) and of the largest process it
  waited for (wait4: its utility.python verdict scripts included),
- the most requests the simulated gateways were answering at the same moment,
plus `igtk inventory check` of the same 200 (StatusPing + gwinfo only, 20 at a time).

Then the PostgreSQL case (docs/workers.md; `--no-postgres` leaves it out): a real local server
(tests/support/pg_server.py), two agents with their own state roots sharing it, each with a
worker of `--worker-concurrency` jobs; `igtk run gateway/health_check --on all --forks N
--detach` on the first: wall time from the command to the fleet run's end (read in the
database), the peak RSS of each agent (VmHWM), how many gateways each agent's worker ran, and
the requests in flight.
The vault uses the cheap test KDF: the key derivation is measured by benchmarks/health_check.py.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
IGTK = Path(PY).with_name("igtk")
TOKEN_NAME, TOKEN_SECRET = "bench", "fleet-benchmark-token-1234"
PASSPHRASE = "benchmark vault passphrase"


def igtk_cmd(*args: str) -> list[str]:
    return [str(IGTK), *args] if IGTK.exists() else [PY, "-m", "igtk_tui", *args]


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGTK_")}
    env.update({"IGTK_HOME": str(home), "NO_COLOR": "1", "IGTK_VAULT_PASSPHRASE": PASSPHRASE,
                "IGTK_VAULT_BACKEND": "file"})
    return env


def make_home(root: Path, fleet: object) -> Path:
    """A vault with the fleet's token and an inventory of every gateway (written in one go)."""
    from igtk_tui.paths import resolve_paths
    from igtk_tui.vault import Credential, Vault
    from igtk_tui.vault.kdf import CHEAP_TEST_KDF

    home = root / "home"
    paths = resolve_paths({"IGTK_HOME": str(home)})
    vault = Vault.open(paths, env={}, passphrase=PASSPHRASE, backend="file", test_kdf=CHEAP_TEST_KDF)
    vault.add(Credential("fleet", "api-token", TOKEN_NAME, TOKEN_SECRET))
    lines = []
    for name, gateway in fleet.gateways.items():  # type: ignore[attr-defined]
        lines += [f"[gateways.{name}]", f'url = "{gateway.url}"', 'credential = "fleet"', 'groups = ["bench"]', ""]
    paths.inventory_file.parent.mkdir(parents=True, exist_ok=True)
    paths.inventory_file.write_text("\n".join(lines), encoding="utf-8")
    return home


def hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """(wall seconds, igtk VmHWM MiB, largest waited process MiB, exit code)."""
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            value = hwm_mib(proc.pid)
            if value:
                peak[0] = max(peak[0], value)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stderr is not None
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}: {proc.stderr.read().decode()[-600:]}")
    proc.stderr.close()
    return wall, peak[0], usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", type=int, default=200)
    parser.add_argument("--forks", default="5,20,50", help="comma-separated --forks values (default 5,20,50)")
    parser.add_argument("--runs", type=int, default=1, help="runs per case (the best wall time is shown)")
    parser.add_argument("--no-postgres", action="store_true", help="leave out the two-agent PostgreSQL case")
    parser.add_argument("--worker-concurrency", type=int, default=10, help="jobs each agent runs at once (default 10)")
    parser.add_argument("--pg-forks", type=int, default=20, help="--forks of the two-agent case (default 20)")
    args = parser.parse_args()
    forks = [int(f) for f in args.forks.split(",") if f.strip()]

    from igtk_tui.simulator import SimulatedFleet

    print(f"igtk fleet health check — {args.gateways} simulated gateways in one simulator process; Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="igtk-bench-fleet-") as raw, \
            SimulatedFleet(args.gateways, api_tokens={TOKEN_NAME: TOKEN_SECRET}) as fleet:
        home = make_home(Path(raw), fleet)
        env = env_for(home)
        # Warm-up (byte code, the database) on a few gateways, not measured.
        subprocess.run(igtk_cmd("run", "gateway/health_check", "--on", "gw001,gw002" if args.gateways > 99 else
                                "gw01,gw02"), env=env, capture_output=True, check=False)
        cases = [(f"igtk run gateway/health_check --on all --forks {n}",
                  igtk_cmd("run", "gateway/health_check", "--on", "all", "--forks", str(n))) for n in forks]
        cases.append(("igtk inventory check (20 at a time)", igtk_cmd("inventory", "check")))
        print(f"   {'case':<52} {'wall':>8} {'gw/s':>6} {'igtk RSS':>9} {'max RSS':>8} {'in flight':>9} {'exit':>4}")
        for label, command in cases:
            best: tuple[float, float, float, int, int] | None = None
            for _ in range(args.runs):
                fleet.in_flight.reset()
                wall, igtk_rss, max_rss, code = measure(command, env)
                row = (wall, igtk_rss, max_rss, fleet.in_flight.peak, code)
                best = row if best is None or row[0] < best[0] else best
            assert best is not None
            wall, igtk_rss, max_rss, in_flight, code = best
            print(f"   {label:<52} {wall:7.1f}s {args.gateways / wall:6.1f} {igtk_rss:7.1f}Mi {max_rss:6.1f}Mi "
                  f"{in_flight:>9} {code:>4}")
        if not args.no_postgres:
            two_agents(Path(raw), fleet, args)
    print("   (igtk RSS: the igtk process's VmHWM; max RSS: the largest process it waited for, wait4;"
          " in flight: requests the simulated fleet answered at once; exit 1 would mean a gateway failed)")


def two_agents(root: Path, fleet: object, args: argparse.Namespace) -> None:
    """The fleet through the workers of two agents sharing one PostgreSQL history."""
    import shutil

    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from pg_server import PostgresServer  # type: ignore[import-not-found]

    server = PostgresServer(fsync=True).start()
    homes: list[Path] = []
    try:
        url = server.url(server.fresh_database("fleetbench"))
        for name in ("a", "b"):
            home = make_home(root / name, fleet)
            homes.append(home)
        envs = [{**env_for(h), "IGTK_STORE_URL": url, "IGTK_WORKER_CONCURRENCY": str(args.worker_concurrency)}
                for h in homes]
        pids = []
        for env in envs:
            subprocess.run(igtk_cmd("agent", "start"), env=env, capture_output=True, check=True)
            status = subprocess.run(igtk_cmd("agent", "status", "--json"), env=env, capture_output=True, text=True,
                                    check=True)
            import json

            pids.append(int(json.loads(status.stdout)["pid"]))
        peaks = [0.0, 0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                for i, pid in enumerate(pids):
                    peaks[i] = max(peaks[i], hwm_mib(pid) or 0.0)
                done.wait(0.05)

        warm = "gw001,gw002" if args.gateways > 99 else "gw01,gw02"
        wait_fleet(url, run_detached(envs[0], ["--on", warm]))
        fleet.in_flight.reset()  # type: ignore[attr-defined]
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        run_id = run_detached(envs[0], ["--on", "all", "--forks", str(args.pg_forks)])
        status, per_pid = wait_fleet(url, run_id)
        wall = time.monotonic() - started
        done.set()
        sampler.join()
        label = (f"two agents, PostgreSQL: --forks {args.pg_forks}, {args.worker_concurrency} jobs/agent")
        ran = " / ".join(f"{per_pid.get(pid, 0)}" for pid in pids)
        print(f"   {label:<52} {wall:7.1f}s {args.gateways / wall:6.1f} {peaks[0]:7.1f}Mi {peaks[1]:6.1f}Mi "
              f"{fleet.in_flight.peak:>9} {status}")  # type: ignore[attr-defined]
        print(f"   (agent RSS: VmHWM of agent a, then b; gateways run by agent a / b: {ran})")
    finally:
        for home in homes:
            subprocess.run(igtk_cmd("agent", "stop", "--cancel-running"), env=env_for(home), capture_output=True,
                           check=False)
        server.stop()
        shutil.rmtree(root / "a", ignore_errors=True)


def run_detached(env: dict[str, str], args: list[str]) -> str:
    done = subprocess.run(igtk_cmd("run", "gateway/health_check", *args, "--detach"), env=env, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"igtk run --detach exited {done.returncode}: {done.stderr[-600:]}")
    return done.stdout.strip()


def wait_fleet(url: str, run_id: str) -> tuple[str, dict[int, int]]:
    """The fleet run's final status and how many of its executions each agent (pid) ran."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT status FROM fleet_runs WHERE id = %s", (run_id,)).fetchone()
            if row and row[0] != "running":
                break
            time.sleep(0.05)  # polling the record of a run in other processes (a benchmark, not a test)
        counts = conn.execute("SELECT owner_pid, COUNT(*) FROM executions WHERE fleet_run_id = %s GROUP BY owner_pid",
                              (run_id,)).fetchall()
    return str(row[0]), {int(pid): int(n) for pid, n in counts}


if __name__ == "__main__":
    main()
