"""Cold start of `igtk run` (one step) from an installed wheel, as users get it: prints, asserts nothing.

    .venv/bin/python benchmarks/cold_start.py [--runs K]

Builds a wheel from the committed files (`pip wheel`, in a copy of the tree), installs
it without dependencies into a fresh virtual environment whose dependencies come from
this checkout's .venv through a path file (its editable-install finder is not loaded:
path files only add directories), then times fresh processes, interleaved round by
round: that venv's `igtk run` of a one-step playbook, its `python -c pass`, and the
development install's `igtk run` for comparison. Byte code is compiled at install (as
pip does) and warmed by one run. Wall time is the user's wait; CPU seconds (user+system,
wait4) are printed too, because on a shared machine the wall clock also measures the
other jobs.                                                 target: igtk run <= 4x python -c pass
"""

from __future__ import annotations

import argparse
import os
import site
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IGTK_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"IGTK_HOME": str(home), "NO_COLOR": "1"})
    return env


def build_venv(tmp: Path) -> Path:
    src = tmp / "src"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        target = src / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / rel).read_bytes())
    wheels = tmp / "wheels"
    subprocess.run([PY, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(src)], check=True)
    wheel = next(wheels.glob("igtk-*.whl"))
    venv = tmp / "venv"
    subprocess.run([PY, "-m", "venv", "--without-pip", str(venv)], check=True)
    vpy = venv / "bin" / "python"
    subprocess.run([PY, "-m", "pip", "--python", str(vpy), "install", "--no-deps", "-q", str(wheel)], check=True)
    purelib = subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "igtk-bench-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    print(f"   built {wheel.name} and installed it into {venv.name}/")
    return venv


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"igtk cold start from a wheel — Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), "
          f"load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="igtk-bench-") as raw:
        tmp = Path(raw)
        venv = build_venv(tmp)
        pb = tmp / "one.yaml"
        pb.write_text("name: One\nversion: 1\nsteps:\n  - {id: a, name: a, type: utility.log, "
                      "parameters: {message: hi}}\n")
        env = env_for(tmp / "home")
        installed = [str(venv / "bin" / "igtk"), "run", str(pb)]
        bare = [str(venv / "bin" / "python"), "-c", "pass"]
        dev = [str(Path(PY).with_name("igtk")), "run", str(pb)]
        for command in (installed, dev):
            timed(command, env)  # the database, byte code
        rows: dict[str, list[tuple[float, float]]] = {"igtk run (wheel)": [], "python -c pass": [], "igtk run (editable)": []}
        for _ in range(args.runs):
            rows["igtk run (wheel)"].append(timed(installed, env))
            rows["python -c pass"].append(timed(bare, env))
            rows["igtk run (editable)"].append(timed(dev, env))
    floor = statistics.median(w for w, _ in rows["python -c pass"])
    floor_cpu = statistics.median(c for _, c in rows["python -c pass"])
    for name, samples in rows.items():
        median = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        ratio = median / floor
        verdict = f"   target <= 4x: {'ok' if ratio <= 4 else 'MISSED'}" if name == "igtk run (wheel)" else ""
        print(f"   {name:<22} median {median * 1000:6.0f} ms   best {min(w for w, _ in samples) * 1000:6.0f} ms   "
              f"{ratio:4.1f}x python -c pass   CPU {cpu * 1000:5.0f} ms ({cpu / floor_cpu:4.1f}x){verdict}")


if __name__ == "__main__":
    main()
