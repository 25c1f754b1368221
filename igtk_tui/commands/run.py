"""`igtk run PLAYBOOK`: the headless runner for cron, CI and scripts.

Exit codes (docs/cli.md): 0 completed, 1 failed, 2 invalid input, 3 a needed
service is unavailable, 130 cancelled by SIGINT. Never imports textual.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from igtk_tui import startup
from igtk_tui.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE, ServiceUnavailable


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="run a playbook headless", description=__doc__.splitlines()[0])
    p.add_argument("playbook", metavar="PLAYBOOK", help="a playbook file or a library path (gateway/backup)")
    add_run_options(p)
    p.add_argument("--detach", action="store_true",
                   help="hand the execution to the agent (started if needed), print its id and exit 0")
    add_lock_options(p)
    from igtk_tui.commands.fleet_run import add_fleet_options

    add_fleet_options(p)
    p.set_defaults(func=run)


def add_lock_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lock", action="store_true",
                   help="take the gateway's lock for this run: refused (exit 3, naming the holder) while another "
                        "execution holds it (fleet runs always lock)")
    p.add_argument("--lock-wait", type=_seconds, default=None, metavar="SECONDS",
                   help="wait up to SECONDS for a busy gateway's lock (implies --lock; default: refuse at once)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--param", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter value (repeatable); coerced to the declared type")
    p.add_argument("--params-file", metavar="F", help="YAML or JSON mapping of parameter values")
    p.add_argument("-c", "--credential", metavar="CREDENTIAL",
                   help="fill username/password/gateway_url parameters from this vault credential")
    p.add_argument("--gateway", metavar="URL", help="gateway URL for gateway_url/url parameters")
    p.add_argument("--json", action="store_true", help="print one JSON event per line")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report (the same as --report junit:FILE)")
    p.add_argument("--report", dest="reports", action="append", default=[], metavar="FORMAT:FILE",
                   help="after the run, write its report: html, json, junit or md (repeatable)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="leave the steps' info-level log lines out of the progress (warnings and errors stay)")
    p.add_argument("--debug", action="store_true", help="debug mode: pause after each step and on failure")
    p.add_argument("--breakpoint", action="append", default=[], metavar="STEP_ID",
                   help="pause before this step (repeatable)")


def given_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """`--params-file` values under `-p NAME=VALUE` ones (the run options of run, rerun, resume)."""
    from igtk_tui.engine.launch import read_params_file
    from igtk_tui.playbook.params import parse_assignments

    given: dict[str, Any] = {}
    if args.params_file:
        given.update(read_params_file(args.params_file))
    given.update(parse_assignments(args.params))
    return given


def given_credential(runtime: Any, args: argparse.Namespace) -> Any:
    """The vault credential named by `-c`, or None (from the agent's unlocked vault when it holds one)."""
    if not args.credential:
        return None
    borrow_agent_vault(runtime)
    return runtime.vault().get(args.credential)


def borrow_agent_vault(runtime: Any) -> None:
    """A run that reads credentials asks this user's agent for them when it holds the vault
    unlocked (`igtk agent unlock`): no key derivation here (agent/borrowed_vault.py)."""
    if runtime.vault_state()["state"] == "unlocked":
        return
    from igtk_tui.agent.borrowed_vault import borrow

    borrowed = borrow(runtime.paths, runtime.vault_opener())
    if borrowed is not None:
        runtime.use_vault(borrowed)


def report_specs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """`--report FORMAT:FILE`s and `--junit FILE`, checked (imports the report package only when asked)."""
    given = [("--report", text) for text in getattr(args, "reports", ())]
    if getattr(args, "junit", None):
        given.append(("--junit", f"junit:{args.junit}"))
    if not given:
        return []
    from igtk_tui.report import parse_spec

    return [parse_spec(text, what) for what, text in given]


def run(args: argparse.Namespace) -> int:
    from igtk_tui.commands.fleet_run import check_fleet_flags, run_fleet
    from igtk_tui.engine.launch import build_request
    from igtk_tui.playbook.loader import load_file
    from igtk_tui.runtime import Runtime

    check_fleet_flags(args)  # exit 2 before anything is loaded
    if args.on:
        return run_fleet(args)
    runtime = Runtime()
    playbook = load_file(runtime.library.find(args.playbook))
    given = given_parameters(args)
    if args.detach:
        return detach(runtime, playbook, given, args)
    from igtk_tui.engine.launch import needs_vault

    if needs_vault(playbook, given):
        borrow_agent_vault(runtime)
    credential = given_credential(runtime, args)
    request = build_request(playbook, given, credential=credential, gateway_url=args.gateway)
    return execute(runtime, request, args, trigger="cli")


def detach(runtime: Any, playbook: Any, given: dict[str, Any], args: argparse.Namespace) -> int:
    """`--detach`: the input is checked here (exit 2) as far as it can be without the vault; the
    agent checks it again with its own vault and runs it. `-c` is looked up by the agent only:
    its vault is the one the run reads (`igtk agent unlock`), this process's may well be locked."""
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.engine.launch import build_request
    from igtk_tui.errors import InvalidInput

    if args.junit or args.json or args.reports:
        option = "--junit" if args.junit else "--json" if args.json else "--report"
        raise InvalidInput(f"{option} cannot be used with --detach "
                           "(follow the run with `igtk attach ID`; its record is in `igtk show ID`)")
    if not args.credential:  # with -c, values the credential fills are missing here: the agent binds
        build_request(playbook, given, gateway_url=args.gateway)
    spec = {"playbook": str(playbook.path), "params": given, "credential": args.credential,
            "gateway_url": args.gateway, "debug": args.debug, "breakpoints": list(args.breakpoint),
            "trigger": "cli-detach", "lock": wants_lock(args), "lock_wait": args.lock_wait or 0.0}
    with AgentClient.connect(runtime.paths, start=True) as client:
        started = client.start(spec)
    print(started["id"])
    return EXIT_OK


def wants_lock(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "lock", False) or getattr(args, "lock_wait", None) is not None)


def execute(runtime: Any, request: Any, args: argparse.Namespace, *, trigger: str,
            resume: Any = None, rerun_of: str | None = None) -> int:
    """Run a prepared request with the CLI's sinks; shared by run, rerun and resume.

    Every run is recorded in the history store; the progress/JSON sink is fed
    through the recorder, so a step shown finished is already committed.
    """
    from igtk_tui.commands import run_controls
    from igtk_tui.engine.events import EventBus, ExecutionStatus

    run_controls.require_answerable(args)  # --debug/--breakpoint where nobody can resume: exit 2, not a hang
    reports = report_specs(args)  # a bad FORMAT:FILE is exit 2 before anything runs
    lock_url = request.gateway_url if wants_lock(args) else None
    if wants_lock(args) and not lock_url:
        from igtk_tui.errors import InvalidInput

        raise InvalidInput("--lock: this run names no gateway (give --gateway URL, -c CREDENTIAL or "
                           "-p gateway_url=URL)")
    credentials = runtime.preflight(request)
    for warning in request.warnings:
        print(f"igtk: {warning}", file=sys.stderr)
    from igtk_tui import logfile
    from igtk_tui.sinks.process_log import ExecutionLogCopy

    logfile.setup(runtime.paths.logs_dir)
    bus = EventBus()
    bus.subscribe(ExecutionLogCopy())
    execution = runtime.new_execution(
        request.playbook, request.params, bus=bus, trigger=trigger, debug=getattr(args, "debug", False),
        breakpoints=tuple(getattr(args, "breakpoint", ()) or ()), gateway_url=request.gateway_url,
        gateway_override=getattr(args, "gateway", None), credential_names=request.credential_names, resume=resume,
        credentials=credentials,
    )
    sink: Any
    if args.json:  # only the sink in use is imported (cold start)
        from igtk_tui.sinks.jsonl import JsonLines

        sink = JsonLines()
    else:
        from igtk_tui.sinks.human import HumanProgress

        sink = HumanProgress(quiet=getattr(args, "quiet", False), state=execution.state)
    received: list[int] = []
    waiting: list[asyncio.Future[Any]] = []  # a lock being waited for: a signal ends the wait

    async def main() -> Any:
        from igtk_tui.store.session import recorded

        def on_signal(sig: signal.Signals) -> None:
            """Ctrl-C is the operator's cancel; SIGTERM/SIGHUP (a stop, an SSH drop) interrupt: resumable."""
            received.append(sig)
            for future in waiting:
                future.cancel()
            if sig == signal.SIGINT:
                execution.cancel()
            else:
                execution.interrupt(f"{sig.name} received")

        async with recorded(runtime, bus, execution.id, sink, rerun_of=rerun_of, state=execution.state,
                            resumed_from=resume.resumed_from if resume is not None else None) as recorder:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, on_signal, sig)
            lock = await take_lock(runtime, recorder, lock_url, execution, args, waiting) if lock_url else None
            detach = run_controls.attach(loop, execution, lambda text: print(text, file=sys.stderr))
            startup.resume()  # started: the engine may run for hours from here
            try:
                return await execution.run()
            finally:
                detach()
                if lock is not None:
                    await asyncio.shield(lock.release())

    try:
        result = asyncio.run(main())
    except LockRefused:
        return EXIT_CANCELLED if received and received[0] == signal.SIGINT else EXIT_UNAVAILABLE
    if reports:
        from igtk_tui.report import write_after_run
        from igtk_tui.store.session import warn_stderr

        write_after_run(runtime, execution.id, reports, warn_stderr)
    if result.status == ExecutionStatus.COMPLETED:
        return EXIT_OK
    if result.status in (ExecutionStatus.CANCELLED, ExecutionStatus.INTERRUPTED):
        sig = received[0] if received else signal.SIGINT
        return EXIT_CANCELLED if sig == signal.SIGINT else 128 + int(sig)
    return EXIT_FAILED


class LockRefused(ServiceUnavailable):
    """The gateway's lock was not taken (busy, already said on stderr, or the wait was ended by a signal)."""


async def take_lock(runtime: Any, recorder: Any, url: str, execution: Any, args: argparse.Namespace,
                    waiting: list[asyncio.Future[Any]]) -> Any:
    """`--lock`: the gateway's lock for this execution before its first step, or LockRefused.

    A busy lock is exit 3 naming its holder (nothing ran, nothing is recorded); `--lock-wait`
    waits for it, and a signal during the wait ends the command (Ctrl-C: exit 130)."""
    from igtk_tui.redact import scrub
    from igtk_tui.store.locks import GatewayBusy

    if recorder is None:
        print("igtk: --lock needs the history database, which is unavailable (see the warning above)",
              file=sys.stderr)
        raise LockRefused
    store = await runtime.open_store()
    wait = args.lock_wait or 0.0

    def waiting_for(holder: Any) -> None:
        print(f"igtk: gateway {url} is busy: waiting up to {wait:g}s for {holder.describe()}", file=sys.stderr,
              flush=True)

    task = asyncio.ensure_future(store.locks.acquire(url, execution.id, playbook=execution.playbook.name,
                                                     wait=wait, on_wait=waiting_for))
    waiting.append(task)
    try:
        return await task
    except asyncio.CancelledError:
        raise LockRefused from None
    except GatewayBusy as exc:
        print(f"igtk: {scrub(str(exc))}", file=sys.stderr)
        raise LockRefused from None
    finally:
        waiting.remove(task)
