"""The long fuzz run of the playbook loader: prints cases run, exits 0 / 2, and crashes.

    .venv/bin/python benchmarks/playbook_fuzz.py [--cases 5000] [--seed N]

The same mutations of the shipped playbooks and the same check as
tests/functional/playbook/test_playbook_fuzz.py (which runs a bounded number in CI): each
case is one `igtk validate` in this process; a crash is a traceback, an exit code other than
0 or 2, more than 5 s of CPU or more than 64 MB at peak. Crashing inputs are written to
--crash-dir to reproduce with `igtk validate FILE`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.support.playbook_fuzz import Outcome, mutated_playbook, validate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--crash-dir", type=Path, default=Path("fuzz-crashes"))
    args = parser.parse_args()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="igtk-fuzz-") as name:
        folder = Path(name)
        os.environ["IGTK_HOME"] = str(folder / "home")

        @settings(max_examples=args.cases, deadline=None, database=None, derandomize=args.seed is None,
                  suppress_health_check=list(HealthCheck))
        @given(text=mutated_playbook())
        def case(text: str) -> None:
            outcome = validate(text, folder)
            outcomes.append(outcome)
            if not outcome.ok:
                args.crash_dir.mkdir(parents=True, exist_ok=True)
                (args.crash_dir / f"crash-{len(outcomes)}.yaml").write_text(text, errors="surrogatepass")
                print(f"crash {len(outcomes)}: {outcome.crash.splitlines()[-1][:200]}", file=sys.stderr)

        if args.seed is not None:
            from hypothesis import seed

            case = seed(args.seed)(case)
        start = time.perf_counter()
        case()
        elapsed = time.perf_counter() - start
    crashes = sum(1 for o in outcomes if not o.ok)
    print(f"cases run: {len(outcomes)}  exit 0: {sum(o.code == 0 for o in outcomes)}  "
          f"exit 2: {sum(o.code == 2 for o in outcomes)}  crashes: {crashes}")
    print(f"max CPU per case: {max(o.cpu_seconds for o in outcomes) * 1000:.0f} ms  "
          f"max peak memory: {max(o.peak_bytes for o in outcomes) / 1e6:.1f} MB  wall: {elapsed:.0f} s")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
