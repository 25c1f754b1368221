"""`igtk run PLAYBOOK --on TARGETS`: the playbook on every gateway the targets name (docs/fleets.md).

Everything an operator can get wrong is refused before the first gateway starts (exit 2):
targets, parameters (bound for every gateway through the one gateway rule), each gateway's
credential; a locked vault or a missing browser is exit 3. Then the fleet runs in this
process (agent support comes later: `--on` with `--detach` is refused). Exit 0 only when
every gateway completed; 1 otherwise; 130 after Ctrl-C; 128+N after another signal.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from igtk_tui.commands.argtypes import whole_number
from igtk_tui.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, InvalidInput

FLEET_ONLY = ("forks", "serial", "max_fail")


def _serial(text: str) -> Any:
    from igtk_tui.fleet.plan import serial_spec  # only when given: `igtk run` without --on never loads it

    return serial_spec(text)


def _percent(text: str) -> float:
    from igtk_tui.fleet.plan import percent_spec

    return percent_spec(text)


def add_fleet_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--on", action="append", default=[], metavar="TARGETS",
                   help="run on inventory gateways: names, groups, tag:X or all (comma-separated or repeated)")
    p.add_argument("--forks", type=whole_number(1), default=None, metavar="N",
                   help="with --on: gateways running at once (default 5)")
    p.add_argument("--serial", type=_serial, default=None, metavar="N|P%",
                   help="with --on: run in batches of N gateways (or P%% of them); a batch starts when the "
                        "previous one has finished")
    p.add_argument("--max-fail", type=_percent, default=None, metavar="P%",
                   help="with --on: start nothing more once more than P%% of the current batch failed")


def check_fleet_flags(args: argparse.Namespace) -> None:
    """Flags that belong to one mode only: exit 2 with the flag named."""
    if not args.on:
        for name in FLEET_ONLY:
            if getattr(args, name) is not None:
                raise InvalidInput(f"--{name.replace('_', '-')} is for fleet runs: add --on TARGETS")
        return
    if args.detach:
        raise InvalidInput("--on cannot be used with --detach yet: fleet runs run in this process "
                           "(the agent does not run them); leave out --detach")
    for flag, given in (("--gateway", args.gateway), ("-c/--credential", args.credential)):
        if given:
            raise InvalidInput(f"{flag} cannot be used with --on: each gateway's URL and credential come from the "
                               "inventory (igtk inventory list)")
    if args.debug or args.breakpoint:
        raise InvalidInput(f"{'--debug' if args.debug else '--breakpoint'} cannot be used with --on: nobody "
                           "could answer the pauses of many gateways at once")


def run_fleet(args: argparse.Namespace) -> int:
    from igtk_tui import logfile, startup
    from igtk_tui.commands.run import given_parameters, report_specs
    from igtk_tui.fleet.output import HumanFleetOutput, JsonFleetOutput
    from igtk_tui.fleet.plan import DEFAULT_FORKS, FleetOptions
    from igtk_tui.fleet.local import InProcessLauncher
    from igtk_tui.fleet.runner import FleetRun
    from igtk_tui.inventory import read_inventory, select, split_targets
    from igtk_tui.playbook.loader import load_file
    from igtk_tui.runtime import Runtime
    from igtk_tui.store.session import warn_stderr

    runtime = Runtime()
    playbook = load_file(runtime.library.find(args.playbook))
    inventory = read_inventory(runtime.paths.inventory_file)
    gateways = select(inventory, args.on)
    for warning in inventory.warnings:
        warn_stderr(warning)
    given = given_parameters(args)
    reports = report_specs(args)
    for name in ("gateway_url", "url"):
        if given.get(name) not in (None, ""):
            raise InvalidInput(f"-p {name}: with --on each gateway's URL comes from the inventory; leave it out")
    members, credentials = prepare(runtime, playbook, gateways, given)
    options = FleetOptions(forks=args.forks or DEFAULT_FORKS, serial=args.serial, max_fail=args.max_fail,
                           lock_wait=args.lock_wait or 0.0)
    logfile.setup(runtime.paths.logs_dir)
    output = JsonFleetOutput() if args.json else HumanFleetOutput()
    fleet = FleetRun(runtime, playbook, members, targets=split_targets(args.on), options=options, output=output,
                     params=masked(playbook, given), warn=warn_stderr, launcher=InProcessLauncher(credentials))
    received: list[signal.Signals] = []

    async def main() -> str:
        def on_signal(sig: signal.Signals) -> None:
            received.append(sig)
            if sig == signal.SIGINT:
                fleet.cancel()
            else:
                fleet.interrupt(f"{sig.name} received")

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, on_signal, sig)
        startup.resume()
        return await fleet.run()

    status = asyncio.run(main())
    if reports:
        from igtk_tui.report.fleet import write_fleet_reports

        write_fleet_reports(runtime, fleet.id, reports, warn_stderr)
    if status == "completed":
        return EXIT_OK
    if status in ("cancelled", "interrupted"):
        sig = received[0] if received else signal.SIGINT
        return EXIT_CANCELLED if sig == signal.SIGINT else 128 + int(sig)
    return EXIT_FAILED


def prepare(runtime: Any, playbook: Any, gateways: list[Any], given: dict[str, Any]) -> tuple[list[Any], Any]:
    """One checked run request per gateway, and the credentials source; every problem at once (exit 2)."""
    from igtk_tui.engine.launch import build_request, check_credentials
    from igtk_tui.errors import IgtkError
    from igtk_tui.fleet.runner import Member

    vault = runtime.vault()  # locked: exit 3 before anything runs
    members: list[Member] = []
    problems: list[str] = []
    for position, gateway in enumerate(gateways):
        try:
            credential = vault.get(gateway.credential)
            request = build_request(playbook, given, credential=credential, gateway_url=gateway.url)
        except IgtkError as exc:
            if exc.exit_code != InvalidInput.exit_code:
                raise
            problems.append(f"gateway {gateway.name!r}: {exc}")
            continue
        members.append(Member(position, gateway, 0, request=request))
    if problems:
        raise InvalidInput("\n".join(problems))
    credentials = runtime.preflight(members[0].request, probe_gateway=False)  # disabled, nesting, browser
    seen: set[str] = set()
    for member in members:
        if member is not members[0]:
            check_credentials(member.request, credentials)
        for warning in member.request.warnings:
            if warning not in seen:
                seen.add(warning)
                print(f"igtk: {warning}", file=sys.stderr)
    return members, credentials


def masked(playbook: Any, given: dict[str, Any]) -> dict[str, Any]:
    """The parameters given on the command line, as the fleet record keeps them: secrets masked."""
    from igtk_tui import redact
    from igtk_tui.playbook.params import SECRET_NAME_RE, secret_parameter_names

    secret = set(secret_parameter_names(playbook))
    return {k: redact.MASK if (k in secret or SECRET_NAME_RE.search(k)) and v not in (None, "")
            else redact.scrub_obj(v) for k, v in given.items()}
