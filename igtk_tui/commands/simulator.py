"""`igtk simulator`: run the simulated Ignition gateway in the foreground.

Prints the URL and the API token (`API token: name:secret`) on start, then
serves until SIGINT/SIGTERM and exits 0. Acceptance checks drive it with
`--api-token NAME:SECRET` (repeatable; full permission); with none a token is
generated and printed (docs/cli.md).

`--realistic` serves what a default real 8.3 gateway does where that differs
from the convenient test defaults: API keys need a secure connection, so a
token over plain HTTP answers 403 (the simulator serves plain HTTP; a TLS
proxy in front that sets `X-Forwarded-Proto: https` counts as secure).
`--no-require-https` turns that one part off again.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from igtk_tui.errors import EXIT_INVALID, EXIT_OK


def add_parser(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        "simulator",
        help="run a simulated Ignition gateway (for demos, tests and dry runs)",
        description="Serve a simulated Ignition gateway over HTTP until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8088, help="port to bind (default 8088; 0 = any free port)"
    )
    parser.add_argument(
        "--version",
        dest="gateway_version",
        choices=("8.3", "8.1"),
        default="8.3",
        help="which gateway line to simulate (default 8.3)",
    )
    parser.add_argument(
        "--api-token",
        action="append",
        default=[],
        metavar="NAME:SECRET",
        help="seed an API token with full permission (repeatable; default: generate one)",
    )
    parser.add_argument(
        "--restart-seconds",
        type=float,
        default=5.0,
        metavar="S",
        help="how long a restart stays STARTING (default 5)",
    )
    parser.add_argument("--commissioning", action="store_true", help="start waiting for commissioning")
    parser.add_argument(
        "--gateways",
        type=int,
        default=1,
        metavar="N",
        help="serve N gateways (gw01..) on N ports in this one process, each with its own state "
        "(ports from --port on; --port 0: any free ports); for fleet runs",
    )
    parser.add_argument(
        "--fault",
        default="",
        metavar="SPEC",
        help="fault injection, e.g. 'latency=0.2,error_rate=0.1,drop_rate=0,"
        "refuse_during_restart,restart_never_completes,failing_modules=a|b'",
    )
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="behave like a default real 8.3 gateway (API keys need HTTPS: 403 over plain HTTP)",
    )
    parser.add_argument(
        "--require-https",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="answer 403 to API tokens over plain HTTP (default: on with --realistic, else off)",
    )
    parser.set_defaults(func=run)
    return parser


def _tokens(values: list[str]) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for value in values:
        name, sep, secret = value.partition(":")
        if not sep or not name or not secret:
            raise ValueError(f"--api-token must be NAME:SECRET, got {value!r}")
        tokens[name] = secret
    return tokens


def run(args: argparse.Namespace) -> int:
    import signal
    import threading

    from igtk_tui.simulator import Faults, SimulatedGateway

    try:
        tokens = _tokens(args.api_token)
        faults = Faults.parse(args.fault) if args.fault else Faults()
        if args.restart_seconds < 0:
            raise ValueError("--restart-seconds must be >= 0")
        if not 1 <= args.gateways <= 1000:
            raise ValueError(f"--gateways must be between 1 and 1000, got {args.gateways}")
        require_https = args.realistic if args.require_https is None else args.require_https
    except ValueError as exc:
        print(f"igtk: {exc}", file=sys.stderr)
        return EXIT_INVALID
    options: dict[str, Any] = {
        "version": args.gateway_version,
        "api_tokens": tokens,
        "restart_seconds": args.restart_seconds,
        "commissioning": args.commissioning,
        "require_https_for_tokens": require_https,
        "host": args.host,
    }
    if args.gateways > 1:
        return _serve_fleet(args, options, faults)
    gateway = SimulatedGateway(port=args.port, faults=faults, **options)
    try:
        gateway.start()
    except OSError as exc:
        print(
            f"igtk: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; pick another --port",
            file=sys.stderr,
        )
        return EXIT_INVALID
    from igtk_tui import startup

    startup.resume()  # serving from here on, for as long as it is left running
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"Simulated Ignition {gateway.config.plain_version} gateway at {gateway.url}", flush=True)
        for name, secret in gateway.config.api_tokens.items():
            print(f"API token: {name}:{secret}", flush=True)
        if require_https:
            print("API tokens need a secure connection: over plain HTTP they answer 403 "
                  "(as a default 8.3 gateway; --no-require-https turns it off)", flush=True)
        if args.commissioning:
            print("Waiting for commissioning (see /bootstrap, /post-step)", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        gateway.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_OK


def _serve_fleet(args: argparse.Namespace, options: dict[str, Any], faults: Any) -> int:
    """`--gateways N`: one line per gateway (`gw01 http://127.0.0.1:PORT`), then serve until stopped."""
    import dataclasses
    import signal
    import threading

    from igtk_tui import startup
    from igtk_tui.simulator import SimulatedFleet

    fleet = SimulatedFleet(args.gateways, base_port=args.port, **options)
    for gateway in fleet:
        gateway.faults = dataclasses.replace(faults, failing_modules=set(faults.failing_modules))
    try:
        fleet.start()
    except OSError as exc:
        print(f"igtk: cannot listen on {args.host} from port {args.port}: {exc.strerror or exc}; "
              "pick another --port (or 0)", file=sys.stderr)
        return EXIT_INVALID
    startup.resume()
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        first = next(iter(fleet))
        print(f"{len(fleet)} simulated Ignition {first.config.plain_version} gateways:", flush=True)
        for name, gateway in fleet.gateways.items():
            print(f"{name} {gateway.url}", flush=True)
        for name, secret in first.config.api_tokens.items():
            print(f"API token (every gateway): {name}:{secret}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        fleet.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_OK
