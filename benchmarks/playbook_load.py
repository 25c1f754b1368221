"""Playbook load time against step count. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/playbook_load.py [--steps 10000,40000,100000]

For each size, a generated playbook (utility.log steps, each referring to the step before it,
so every reference is checked) is loaded the way `igtk validate`/`run` load it: the whole
text through `load_text` with the cyclic collector paused as `cli.main` pauses it during
start-up. Printed per size: total seconds and ms per step, next to the floor measured in the
same run (libyaml's event stream alone, which any YAML loader must walk), and the growth of
ms/step from the smallest to the largest size (1.0 = linear). The file-size limit
(playbook_max_bytes, 10 MiB) is raised to fit the largest text: 100,000 steps are ~12 MB.
Target (issue 16): <= 0.05 ms/step.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from igtk_tui import startup  # noqa: E402
from igtk_tui.playbook import safe_yaml  # noqa: E402
from igtk_tui.playbook.loader import load_text  # noqa: E402


def playbook_text(steps: int) -> str:
    lines = ["name: big", "version: '1'", "steps:"]
    for i in range(steps):
        message = f"'after {{{{ step.s{i - 1}.message }}}}'" if i else "first"
        lines += [f"  - id: s{i}", f"    name: step {i}", "    type: utility.log",
                  "    parameters:", f"      message: {message}"]
    return "\n".join(lines) + "\n"


def best_of(runs: int, fn) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(runs):
        running = startup.pause()
        start = time.perf_counter()
        try:
            fn()
        finally:
            elapsed = time.perf_counter() - start
            startup.restore(running)
        best = min(best, elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="10000,40000,100000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.steps.split(",")]
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    per_step: list[float] = []
    biggest = len(playbook_text(max(sizes)).encode())
    safe_yaml.configure(dataclasses.replace(safe_yaml.YamlLimits(), max_bytes=max(biggest, safe_yaml.YamlLimits().max_bytes)))
    print(f"{'steps':>8} {'load s':>8} {'ms/step':>8} {'floor ms/step':>14} {'x floor':>8}")
    for steps in sizes:
        text = playbook_text(steps)
        load_text(text)  # warm caches (registry, step modules)
        seconds = best_of(args.runs, lambda text=text: load_text(text))
        floor = best_of(args.runs, lambda text=text: sum(1 for _ in yaml.parse(text, Loader=loader)))
        per_step.append(seconds / steps * 1000)
        print(f"{steps:>8} {seconds:>8.2f} {per_step[-1]:>8.3f} {floor / steps * 1000:>14.3f} "
              f"{seconds / floor:>8.1f}")
    print(f"growth of ms/step from {sizes[0]} to {sizes[-1]} steps: {per_step[-1] / per_step[0]:.2f} (1.0 = linear)")


if __name__ == "__main__":
    main()
