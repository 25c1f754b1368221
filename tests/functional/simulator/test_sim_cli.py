"""`igtk simulator` run through its own argparse wiring in a child process (cli.py imports
every command module, some of which other parts provide)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from igtk_tui.simulator.testing import http, wait_for

LAUNCH = (
    "import argparse, sys\n"
    "from igtk_tui.commands import simulator\n"
    "parser = argparse.ArgumentParser(prog='igtk')\n"
    "simulator.add_parser(parser.add_subparsers(dest='command'))\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "raise SystemExit(args.func(args))\n"
)


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "simulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _read_until(proc: subprocess.Popen[str], pattern: str, timeout: float = 15.0) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return lines
    raise AssertionError(
        f"never printed {pattern!r}; got {lines!r}; stderr {proc.stderr.read() if proc.stderr else ''}"
    )


def test_serves_prints_token_and_stops_on_sigterm() -> None:
    proc = _start(
        "--port",
        "0",
        "--api-token",
        "ci:topsecret",
        "--api-token",
        "two:other",
        "--restart-seconds",
        "0.2",
        "--fault",
        "latency=0",
    )
    try:
        lines = _read_until(proc, r"API token: two:other")
        url = re.search(r"(http://127\.0\.0\.1:\d+)", lines[0])[1]  # type: ignore[index]
        assert "API token: ci:topsecret" in lines
        ping = http.get(f"{url}/StatusPing").json()
        assert ping == {"state": "RUNNING"}
        response = http.get(f"{url}/data/api/v1/overview", headers={"X-Ignition-API-Token": "ci:topsecret"})
        assert response.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_generates_token_and_sigint_exits_zero() -> None:
    proc = _start("--port", "0", "--version", "8.1")
    try:
        lines = _read_until(proc, r"API token: ")
        assert "8.1.44" in lines[0]
        assert re.search(r"API token: igtk:\S{20,}", lines[-1])
        url = re.search(r"(http://127\.0\.0\.1:\d+)", lines[0])[1]  # type: ignore[index]
        wait_for(lambda: http.get(f"{url}/web/home").status_code == 200, 5, "the 8.1 home page")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _overview_status(url: str, **headers: str) -> int:
    token = {"X-Ignition-API-Token": "ci:topsecret", **headers}
    return http.get(f"{url}/data/api/v1/overview", headers=token).status_code


def test_realistic_mode_requires_https_for_api_keys_by_default() -> None:
    """Issue 17 item 6: real 8.3 defaults to 'require secure connections for API keys'."""
    for args, expected in ((("--realistic",), 403), (("--realistic", "--no-require-https"), 200)):
        proc = _start("--port", "0", "--api-token", "ci:topsecret", *args)
        try:
            lines = _read_until(proc, r"Press Ctrl\+C")
            url = re.search(r"(http://127\.0\.0\.1:\d+)", lines[0])[1]  # type: ignore[index]
            assert _overview_status(url) == expected, args
            assert any("need a secure connection" in line for line in lines) == (expected == 403)
            if expected == 403:  # a TLS proxy in front makes the channel secure
                assert _overview_status(url, **{"X-Forwarded-Proto": "https"}) == 200
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_bad_arguments_exit_2() -> None:
    for args in (("--fault", "bogus=1"), ("--api-token", "no-colon")):
        proc = _start("--port", "0", *args)
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 2
        assert "bogus" in err or "NAME:SECRET" in err
