"""CPU seconds and peak RSS of one `igtk run gateway/health_check` process: prints, asserts nothing.

    .venv/bin/python benchmarks/health_check.py [--runs K]

The simulated gateway runs in its own process (as a real gateway is); each case is
K fresh `igtk run` processes, each measured alone with wait4 (user+system CPU, peak
RSS). Cases, interleaved round by round:
- file vault, default KDF (Argon2id 64 MiB, 3 passes): what a plant server without a
  keyring pays,
- file vault made with a cheap KDF: the same run without the key derivation, so the
  rest of the cost shows,
- the agent holding the (default KDF) vault unlocked, the run's shell without the
  passphrase: the run asks the agent for the credential instead of deriving the key,
- floors: `python -c pass` and `python -c "import httpx"`.      target: <= 0.4 CPU-s, <= 50 MiB
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
IGTK = Path(PY).with_name("igtk")
TOKEN = "bench:health-check-token-1234"
PASSPHRASE = "benchmark vault passphrase"


def igtk_cmd(*args: str) -> list[str]:
    return [str(IGTK), *args] if IGTK.exists() else [PY, "-m", "igtk_tui", *args]


def env_for(home: Path, *, passphrase: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGTK_")}
    env.update({"IGTK_HOME": str(home), "NO_COLOR": "1", "IGTK_VAULT_BACKEND": "file"})
    if passphrase:
        env["IGTK_VAULT_PASSPHRASE"] = PASSPHRASE
    return env


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, peak RSS MiB) of one process and its children it waited for."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}: {proc.stderr.read().decode()[-400:]}")
    proc.stderr.close()
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def make_home(root: Path, name: str, url: str, *, cheap: bool) -> Path:
    home = root / name
    env = env_for(home)
    if cheap:
        from igtk_tui.paths import resolve_paths
        from igtk_tui.vault import Credential, Vault
        from igtk_tui.vault.kdf import CHEAP_TEST_KDF

        paths = resolve_paths({"IGTK_HOME": str(home)})
        vault = Vault.open(paths, env={}, passphrase=PASSPHRASE, backend="file", test_kdf=CHEAP_TEST_KDF)
        vault.add(Credential("seed", "basic", "seed", "seed-secret"))
        vault.delete("seed")
    subprocess.run(igtk_cmd("cred", "add", "gw", "--type", "api-token", "-u", TOKEN.split(":")[0],
                            "--gateway-url", url, "--backend", "file"),
                   input=TOKEN.split(":")[1] + "\n", text=True, env=env, check=True, capture_output=True)
    subprocess.run(igtk_cmd("run", "gateway/health_check", "-c", "gw"), env=env, check=True,
                   capture_output=True)  # the database, byte code
    return home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"igtk health-check cost — Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), "
          f"load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="igtk-bench-") as raw:
        root = Path(raw)
        sim = subprocess.Popen(igtk_cmd("simulator", "--port", "0", "--api-token", TOKEN,
                                        "--restart-seconds", "0"),
                               env=env_for(root / "sim"), stdout=subprocess.PIPE, text=True)
        try:
            assert sim.stdout is not None
            url = re.search(r"http://\S+", sim.stdout.readline()).group(0)  # type: ignore[union-attr]
            agent_home = make_home(root, "agent", url, cheap=False)
            subprocess.run(igtk_cmd("agent", "start"), env=env_for(agent_home), check=True, capture_output=True)
            state = subprocess.run(igtk_cmd("agent", "status"), env=env_for(agent_home), capture_output=True,
                                   text=True).stdout
            if "vault:   unlocked" not in state:
                raise SystemExit(f"the agent did not open its vault: {state}")
            cases = {
                "igtk run, file vault (Argon2id 64 MiB)": (igtk_cmd("run", "gateway/health_check", "-c", "gw"),
                                                           env_for(make_home(root, "default", url, cheap=False))),
                "igtk run, file vault (cheap KDF)": (igtk_cmd("run", "gateway/health_check", "-c", "gw"),
                                                     env_for(make_home(root, "cheap", url, cheap=True))),
                "igtk run, vault held by the agent": (igtk_cmd("run", "gateway/health_check", "-c", "gw"),
                                                      env_for(agent_home, passphrase=False)),
                "python -c pass": ([PY, "-c", "pass"], env_for(root / "floor")),
                "python -c 'import httpx'": ([PY, "-c", "import httpx"], env_for(root / "floor")),
            }
            samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
            for _ in range(args.runs):
                for name, (command, env) in cases.items():
                    samples[name].append(measure(command, env))
        finally:
            subprocess.run(igtk_cmd("agent", "stop", "--cancel-running"), env=env_for(root / "agent"),
                           capture_output=True)
            sim.terminate()
            sim.wait()
    for name, rows in samples.items():
        cpu = statistics.median(c for c, _ in rows)
        rss = statistics.median(r for _, r in rows)
        verdict = ""
        if name.startswith("igtk"):
            verdict = f"   target <= 0.4 CPU-s, <= 50 MiB: {'ok' if cpu <= 0.4 and rss <= 50 else 'MISSED'}"
        print(f"   {name:<40} median {cpu:5.2f} CPU-s (min {min(c for c, _ in rows):5.2f})   "
              f"peak RSS {rss:6.1f} MiB{verdict}")


if __name__ == "__main__":
    main()
