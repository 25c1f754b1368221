"""Random kill -9 of a shipped gateway or Perspective playbook, then `igtk resume`: prints resumes completed.

    .venv/bin/python benchmarks/resume_kills.py [--kills 50] [--latency 0.05] [--seed N] [--perspective]

Each round starts `igtk run gateway/health_check` (with --perspective: perspective/view_smoke_test
on the simulator's secured page, signing in with a vault credential, in a real Chromium) against
a simulated 8.3 gateway (every request delayed by --latency seconds, so a run lasts long enough
for kills to land inside steps as well as between them), kills it with SIGKILL at a random moment
within the steps' duration of one uninterrupted run (measured first), counted from its first
step's start, and runs `igtk resume ID` once. Rounds go on until --kills runs were killed with
steps left (a kill that lands after the last step has nothing to resume, and is counted apart).
Printed: rounds, resumes completed, and the failures with their error.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from igtk_tui.simulator import SimulatedGateway  # noqa: E402
from tests.support.cli import Igtk  # noqa: E402
from tests.support.resume_kill import run_and_kill  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--perspective", action="store_true", help="perspective/view_smoke_test in Chromium")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    completed, failures, already_done = 0, [], 0
    landed: dict[int, int] = {}  # steps finished before the kill -> rounds
    with tempfile.TemporaryDirectory(prefix="igtk-kills-") as folder, \
            SimulatedGateway(version="8.3", api_tokens={"igtk": "s3cret-token-value"}) as gw:
        cli = Igtk(Path(folder) / "home")
        cli.seed_cheap_vault()
        if args.perspective:
            added = cli("cred", "add", "sim", "--type", "basic", "--username", "admin", "--gateway-url", gw.url,
                        stdin="password")
            run_args = ["perspective/view_smoke_test", "--gateway", gw.url, "-p", "page=/secure", "-p", "login=sim",
                        "-p", "expect_components=[welcomeLabel]"]
        else:
            added = cli("cred", "add", "sim", "--type", "api-token", "--username", "igtk", "--gateway-url", gw.url,
                        stdin="s3cret-token-value")
            run_args = ["gateway/health_check", "-p", "gateway=sim"]
        assert added.code == 0, added.describe()
        gw.faults.latency = args.latency
        # How long the steps of one uninterrupted run take here: the kills are spread over it.
        whole = cli("run", *run_args, "--json")
        assert whole.code == 0, whole.describe()
        span = sum(e["duration"] for e in whole.events if e["event"] == "step_finished")
        steps = len([e for e in whole.events if e["event"] == "step_finished"])
        round_ = 0
        while round_ - already_done < args.kills and round_ < 3 * args.kills:
            round_ += 1
            killed = run_and_kill(cli, run_args, after_seconds=rng.uniform(0, span))
            shown = cli("show", killed.execution_id, "--json")  # what the store holds after the kill
            record = json.loads(shown.stdout)
            done = [st["id"] for st in record["steps"] if st["status"] in ("completed", "skipped")
                    and st.get("role", "main") != "rollback"]
            landed[len(done)] = landed.get(len(done), 0) + 1
            if record["status"] == "completed" or len(done) == steps:
                already_done += 1  # every step finished before the kill: nothing left to resume
                continue
            result = cli("resume", killed.execution_id, "--json")
            if result.code == 0 and result.execution["status"] == "completed":
                completed += 1
            else:
                error = result.execution["error"] if result.events else result.stderr.strip()[-300:]
                failures.append(f"round {round_} (killed after {len(done)} steps): exit {result.code}: {error}")
    resumable = round_ - already_done
    print(f"kills with steps left: {resumable}  resumes completed: {completed} of {resumable}"
          f"  (also {already_done} kills after every step had finished: nothing to resume)")
    print("killed after N steps finished: " + ", ".join(f"{n}: {landed[n]}" for n in sorted(landed)))
    for failure in failures:
        print("  " + failure)
    return 0 if completed == resumable else 1


if __name__ == "__main__":
    sys.exit(main())
