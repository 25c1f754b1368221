"""`igtk run PLAYBOOK --on TARGETS`: the playbook on every gateway the targets name (docs/fleets.md).

Everything an operator can get wrong is refused before the first gateway starts (exit 2):
targets, parameters (bound for every gateway through the one gateway rule), each gateway's
credential; a locked vault or a missing browser is exit 3. Then the fleet runs in this
process, or, with `--detach`, in the agent (agent/fleets.py), which prints nothing but the fleet
run's id. Exit 0 only when every gateway completed; 1 otherwise; 130 after Ctrl-C; 128+N
after another signal.
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
    if args.detach and (args.json or args.reports or args.junit):
        option = "--junit" if args.junit else "--json" if args.json else "--report"
        raise InvalidInput(f"{option} cannot be used with --detach (the agent runs the fleet; its record is in "
                           "`igtk show FLEET_ID`, its report in `igtk report FLEET_ID`)")
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
    from igtk_tui.fleet.local import InProcessLauncher
    from igtk_tui.fleet.members import masked, prepare_members
    from igtk_tui.fleet.output import HumanFleetOutput, JsonFleetOutput
    from igtk_tui.fleet.plan import DEFAULT_FORKS, FleetOptions
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
    members, credentials, warnings = prepare_members(runtime, playbook, gateways, given)
    for warning in warnings:
        print(f"igtk: {warning}", file=sys.stderr)
    options = FleetOptions(forks=args.forks or DEFAULT_FORKS, serial=args.serial, max_fail=args.max_fail,
                           lock_wait=args.lock_wait or 0.0)
    if args.detach:
        return detach_fleet(runtime, playbook, given, args)
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


def detach_fleet(runtime: Any, playbook: Any, given: dict[str, Any], args: argparse.Namespace) -> int:
    """`--on ... --detach`: checked here (exit 2 or 3, nothing started), then handed to the agent, which
    checks again and coordinates it (with a PostgreSQL history, its gateways go to every agent's
    worker); prints the fleet run id."""
    from igtk_tui.agent.client import AgentClient

    spec = {"playbook": str(playbook.path), "targets": list(args.on), "params": given, "forks": args.forks,
            "serial": str(args.serial) if args.serial else None, "max_fail": args.max_fail,
            "lock_wait": args.lock_wait or 0.0}
    with AgentClient.connect(runtime.paths, start=True) as client:
        started = client.start_fleet(spec)
    print(started["id"])
    return EXIT_OK
