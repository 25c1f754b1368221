"""Mutations of the shipped playbooks, and one `igtk validate` of each, for the fuzz test and
the longer run in benchmarks/playbook_fuzz.py.

A case passes when `igtk validate` (the real entry point, in this process) returns 0 or 2,
raises nothing, and stays within a CPU-time and memory bound; anything else is a crash.
"""

from __future__ import annotations

import contextlib
import io
import time
import traceback
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from tests.support.cli import REPO

SHIPPED = sorted((REPO / "playbooks").rglob("*.yaml"))
TEXTS = [p.read_text(encoding="utf-8") for p in SHIPPED]
CPU_SECONDS = 5.0  # per case; the billion-laughs file took 4.8 s before the safe layer
PEAK_BYTES = 64 * 1024 * 1024  # per case; 544 bytes of aliases reached 3.5 GB before it

# Fragments the 5,202-case fuzz of issue 15 found crashes with, plus YAML's structural characters.
FRAGMENTS = [
    "[", "]", "{", "}", ": ", "- ", "? ", "\n", "\n  ", "\t", "'", '"', "|", ">", "#", ",", "&a ", "*a",
    "&b [*a, *a, *a]", "!!int ", "!!bool ", "!!float ", "!!timestamp 2020-99-99", "!custom ", "!!binary ",
    "!!python/name:os.system", "<<: *a\n", "9" * 400, "1e400", ".nan", "~", "---\n", "...\n", "%YAML 1.1\n",
    "{{ ", " }}", "{{ step.", "{{ parameter.", "\x00", "\ufeff", "\x85", "\u2028", "[" * 200, "{a: " * 100,
]


@st.composite
def mutated_playbook(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "replace"]))
        if kind == "insert":
            piece = draw(st.sampled_from(FRAGMENTS) | st.text(max_size=6))
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        elif kind == "duplicate":
            start = draw(st.integers(0, len(text)))
            text = text[:at] + text[start:start + draw(st.integers(1, 200))] + text[at:]
        else:
            end = at + draw(st.integers(1, 12))
            text = text[:at] + draw(st.sampled_from(FRAGMENTS) | st.text(max_size=6)) + text[end:]
    return text


@dataclass
class Outcome:
    code: int | None
    cpu_seconds: float
    peak_bytes: int
    crash: str = ""  # a traceback, a wrong exit code or a bound exceeded

    @property
    def ok(self) -> bool:
        return not self.crash


def validate(text: str, folder: Path) -> Outcome:
    """`igtk validate` of `text` written as a playbook file in `folder` (IGTK_HOME set by the caller)."""
    from igtk_tui.cli import main

    target = folder / "fuzzed.yaml"
    target.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = io.StringIO()
    tracemalloc.start()
    start = time.process_time()
    code: int | None = None
    crash = ""
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = main(["validate", str(target)])
    except BaseException:  # noqa: BLE001 - anything escaping the entry point is the finding
        crash = traceback.format_exc()
    cpu = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if not crash and code not in (0, 2):
        crash = f"exit {code}:\n{out.getvalue()[-2000:]}"
    if not crash and "Traceback" in out.getvalue():
        crash = f"a traceback printed:\n{out.getvalue()[-2000:]}"
    if not crash and cpu > CPU_SECONDS:
        crash = f"{cpu:.1f} s of CPU"
    if not crash and peak > PEAK_BYTES:
        crash = f"{peak / 1e6:.0f} MB at peak"
    return Outcome(code, cpu, peak, crash)
