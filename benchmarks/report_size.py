"""Report size and rendering cost for a 50-step run with 20 screenshots. Prints; asserts nothing.

    .venv/bin/python benchmarks/report_size.py [--steps 50] [--screenshots 20]

A real run (`igtk run` in a subprocess, a private IGTK_HOME) against the simulator in
headless Chromium: one perspective.navigate, SCREENSHOTS browser.screenshot steps of
the Demo page and utility.log steps up to STEPS. Then `igtk report` in every format,
each timed as its own process (best of 3). The floor for the self-contained HTML is
the screenshots' bytes as base64 (4/3 of the PNGs): the figure to watch is the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igtk_tui.simulator import SimulatedGateway  # noqa: E402


def playbook(steps: int, screenshots: int) -> str:
    lines = ["name: Report size", "version: 1", "steps:",
             ("  - {id: open, name: open, type: perspective.navigate, parameters: {url: '{{ parameter.gateway_url }}',"
              " project: Demo, wait_for: '[data-component]:visible'}}")]
    lines.insert(2, "parameters:\n  - {name: gateway_url, type: string}")
    for n in range(1, steps):
        if n <= screenshots:
            lines.append(f"  - {{id: shot{n}, name: screenshot {n}, type: browser.screenshot, parameters: {{name: s{n}}}}}")
        else:
            lines.append(f"  - {{id: log{n}, name: log {n}, type: utility.log, parameters: {{message: step {n}}}}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--screenshots", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SimulatedGateway(version="8.3") as sim:
        home = Path(tmp) / "home"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("IGTK_")}, "IGTK_HOME": str(home),
               "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        pb = Path(tmp) / "size.yaml"
        pb.write_text(playbook(args.steps, args.screenshots), encoding="utf-8")
        igtk = [sys.executable, "-m", "igtk_tui"]
        run = subprocess.run([*igtk, "run", str(pb), "--json", "--gateway", sim.url], env=env, capture_output=True,
                             text=True, timeout=600, check=False)
        if run.returncode != 0:
            sys.exit(f"run failed ({run.returncode}): {run.stderr[-2000:]}")
        execution_id = json.loads(run.stdout.splitlines()[0])["execution_id"]
        shots = sorted((home / "data" / "artifacts" / execution_id).glob("*.png"))
        png = sum(p.stat().st_size for p in shots)
        print(f"run: {args.steps} steps, {len(shots)} screenshots, {png / 1024:.0f} KiB of PNG "
              f"({png / max(1, len(shots)) / 1024:.0f} KiB each)")
        sizes: dict[str, int] = {}
        for fmt in ("html", "json", "junit", "md"):
            out = Path(tmp) / f"report.{fmt}"
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                subprocess.run([*igtk, "report", execution_id, "-f", fmt, "-o", str(out)], env=env, check=True,
                               capture_output=True, timeout=120)
                best = min(best, time.perf_counter() - start)
            sizes[fmt] = out.stat().st_size
            print(f"  {fmt:<6} {sizes[fmt] / 1024:>8.1f} KiB   igtk report: {best * 1000:>6.0f} ms (best of 3)")
        floor = png * 4 / 3
        print(f"html vs its floor (PNG bytes as base64, {floor / 1024:.0f} KiB): x{sizes['html'] / floor:.3f}; "
              f"everything but the images: {(sizes['html'] - floor) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
