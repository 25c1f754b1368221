"""`igtk schedule add|list|show|edit|rm|enable|disable|run-now`: playbooks that run on their own.

Schedules are written straight into the history store (the agent need not run); the agent's
scheduler picks a change up within seconds and fires them (docs/schedules.md). add, edit and
enable start the agent when it is not running, as `igtk run --detach` does; run-now asks it
to fire at once. Bad input is refused with the exact flag named (exit 2), nothing written.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from igtk_tui.errors import EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE
from igtk_tui.schedules.model import CATCH_UP, NOTIFY_ON, OVERLAP


def add_parser(sub: Any) -> None:
    p = sub.add_parser("schedule", help="playbooks that run on their own (cron), and their notifications",
                       description=__doc__.splitlines()[0])
    verbs = p.add_subparsers(dest="schedule_command", metavar="VERB", required=True)
    add = verbs.add_parser("add", help="add a schedule")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--cron", required=True, metavar="EXPR", help="5 fields (m h dom mon dow) or @hourly, @daily...")
    add.add_argument("playbook", metavar="PLAYBOOK", help="a playbook file or a library path")
    _definition_options(add, editing=False)
    add.add_argument("--disabled", action="store_true", help="store it disabled (enable it later)")
    add.set_defaults(func=run_add)

    listing = verbs.add_parser("list", help="schedules, their next three fire times and last result")
    listing.add_argument("--json", action="store_true", help="print one JSON document (a list)")
    listing.set_defaults(func=run_list)
    show = verbs.add_parser("show", help="one schedule, its next fire times and its recent fires")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print one JSON document")
    show.add_argument("--fires", type=int, default=10, metavar="N", help="recent fires shown (default 10)")
    show.set_defaults(func=run_show)

    edit = verbs.add_parser("edit", help="change a schedule (only what is given)")
    edit.add_argument("name", metavar="NAME")
    edit.add_argument("--cron", metavar="EXPR")
    edit.add_argument("--playbook", metavar="PLAYBOOK")
    _definition_options(edit, editing=True)
    edit.set_defaults(func=run_edit)
    for verb, helptext, func in (("rm", "remove a schedule and its fire records", run_rm),
                                 ("enable", "enable a schedule (fire times from now on)", run_enable),
                                 ("disable", "disable a schedule (it stops firing)", run_disable),
                                 ("run-now", "fire a schedule now through the agent (prints the execution id)",
                                  run_now)):
        v = verbs.add_parser(verb, help=helptext)
        v.add_argument("name", metavar="NAME")
        v.set_defaults(func=func)


def _definition_options(p: argparse.ArgumentParser, *, editing: bool) -> None:
    p.add_argument("-p", "--param", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter value (repeatable; no secrets: use -c)" + ("; merged into the stored ones"
                                                                               if editing else ""))
    p.add_argument("--params-file", metavar="F", help="YAML or JSON mapping of parameter values")
    p.add_argument("-c", "--credential", metavar="CRED", help="the vault credential the runs use (its name only)")
    p.add_argument("--gateway", metavar="URL", help="gateway URL for gateway_url/url parameters")
    p.add_argument("--tz", metavar="ZONE", help="IANA time zone of the expression" +
                   ("" if editing else " (default: this host's)"))
    p.add_argument("--overlap", choices=OVERLAP, help="when the previous run still runs: skip (default), "
                   "queue (one waits), allow")
    p.add_argument("--catch-up", dest="catch_up", choices=CATCH_UP,
                   help="fire times missed while the agent was down: skip (default) or run once")
    p.add_argument("--gateway-lock", dest="gateway_lock", action="store_true", default=None,
                   help="never run while another execution targets the same gateway")
    p.add_argument("--notify", action="append", default=None, metavar="TARGET",
                   help="KIND[OPTIONS]:VALUE, e.g. webhook[format=slack]:URL, email[smtp=HOST:587,credential=C]:ADDR, "
                        "command:/path/hook (repeatable; default: [notify] targets of config.toml)")
    p.add_argument("--notify-on", dest="notify_on", choices=(*NOTIFY_ON, "default") if editing else NOTIFY_ON,
                   help="failure | success | always | never (default: [notify] on of config.toml)")
    if editing:
        p.add_argument("--clear-params", action="store_true", help="drop the stored parameters first")
        p.add_argument("--no-credential", action="store_true", help="run without a credential")
        p.add_argument("--no-gateway", action="store_true", help="forget the stored --gateway")
        p.add_argument("--no-gateway-lock", dest="gateway_lock", action="store_false")
        p.add_argument("--no-notify", action="store_true", help="drop its own targets (use the [notify] default)")


def _given_params(args: argparse.Namespace) -> dict[str, Any]:
    from igtk_tui.commands.run import given_parameters

    return given_parameters(args)


# -- add / edit ------------------------------------------------------------------------------------------
def run_add(args: argparse.Namespace) -> int:
    from igtk_tui.agent.schedule_checks import check_schedule
    from igtk_tui.schedules.clock import SchedulerClock
    from igtk_tui.schedules.model import Schedule
    from igtk_tui.schedules.timing import local_zone_name

    runtime = _runtime()
    now = SchedulerClock.from_env(runtime.env).now()
    import time

    draft = Schedule(
        name=args.name, playbook=args.playbook, cron=args.cron, tz=args.tz or local_zone_name(),
        params=_given_params(args), credential=args.credential, gateway_url=args.gateway,
        overlap=args.overlap or "skip", catch_up=args.catch_up or "skip", enabled=not args.disabled,
        gateway_lock=bool(args.gateway_lock), notify_on=args.notify_on, notify=tuple(args.notify or ()),
        created_at=time.time(), updated_at=time.time(), last_handled=now)
    checked = check_schedule(runtime, draft, now=now)

    async def write(store: Any) -> None:
        await store.schedules.add(checked.schedule)

    _with_store(runtime, write)
    _warn(checked.warnings)
    print(f"igtk: schedule {args.name!r} added: {_describe(checked.schedule, now)}")
    return _ensure_agent(runtime, checked.schedule)


def run_edit(args: argparse.Namespace) -> int:
    import time

    from igtk_tui.agent.schedule_checks import check_schedule
    from igtk_tui.schedules.clock import SchedulerClock

    runtime = _runtime()
    now = SchedulerClock.from_env(runtime.env).now()
    old = _with_store(runtime, lambda store: store.schedules.require(args.name))
    params = {} if args.clear_params else dict(old.params)
    params.update(_given_params(args))
    changes: dict[str, Any] = {"params": params, "updated_at": time.time()}
    for name in ("cron", "playbook", "tz", "overlap", "catch_up", "gateway_lock"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.credential or args.no_credential:
        changes["credential"] = None if args.no_credential else args.credential
    if args.gateway or args.no_gateway:
        changes["gateway_url"] = None if args.no_gateway else args.gateway
    if args.notify is not None or args.no_notify:
        changes["notify"] = () if args.no_notify else tuple(args.notify)
    if args.notify_on is not None:
        changes["notify_on"] = None if args.notify_on == "default" else args.notify_on
    checked = check_schedule(runtime, old.with_changes(**changes), now=now)
    new = checked.schedule
    reset = new.cron != old.cron or new.tz != old.tz

    async def write(store: Any) -> None:
        await store.schedules.replace(new, handled_from=now if reset else None)

    _with_store(runtime, write)
    _warn(checked.warnings)
    print(f"igtk: schedule {args.name!r} changed: {_describe(new, now)}")
    return _ensure_agent(runtime, new)


def run_rm(args: argparse.Namespace) -> int:
    runtime = _runtime()

    async def remove(store: Any) -> None:
        await store.schedules.require(args.name)
        await store.schedules.delete(args.name)

    _with_store(runtime, remove)
    print(f"igtk: schedule {args.name!r} removed")
    return EXIT_OK


def run_enable(args: argparse.Namespace) -> int:
    return _set_enabled(args.name, True)


def run_disable(args: argparse.Namespace) -> int:
    return _set_enabled(args.name, False)


def _set_enabled(name: str, on: bool) -> int:
    import time

    from igtk_tui.schedules.clock import SchedulerClock

    runtime = _runtime()
    now = SchedulerClock.from_env(runtime.env).now()

    async def write(store: Any) -> Any:
        old = await store.schedules.require(name)
        new = old.with_changes(enabled=on, updated_at=time.time())
        await store.schedules.replace(new, handled_from=now if on and not old.enabled else None)
        return new

    schedule = _with_store(runtime, write)
    print(f"igtk: schedule {name!r} {'enabled' if on else 'disabled'}")
    return _ensure_agent(runtime, schedule) if on else EXIT_OK


# -- run now ---------------------------------------------------------------------------------------------
def run_now(args: argparse.Namespace) -> int:
    from igtk_tui.agent.client import AgentClient

    runtime = _runtime()
    _with_store(runtime, lambda store: store.schedules.require(args.name))  # exit 2 before starting an agent
    with AgentClient.connect(runtime.paths, start=True) as client:
        answer = client.request("POST", f"/v1/schedules/{args.name}/run")
    outcome, message = answer.get("outcome"), answer.get("message") or ""
    if outcome == "running":
        print(answer["execution_id"])
        return EXIT_OK
    print(f"igtk: schedule {args.name!r} {outcome}: {message}", file=sys.stderr)
    if outcome == "queued":
        return EXIT_OK
    return EXIT_UNAVAILABLE if message.startswith("vault locked") else EXIT_FAILED


# -- list / show -----------------------------------------------------------------------------------------
def run_list(args: argparse.Namespace) -> int:
    from igtk_tui.schedules.clock import SchedulerClock

    runtime = _runtime()
    now = SchedulerClock.from_env(runtime.env).now()

    async def read(store: Any) -> tuple[list[Any], dict[str, Any]]:
        return await store.schedules.all(), await store.schedules.last_fires()

    schedules, last = _with_store(runtime, read)
    _say_agent(runtime, schedules)
    if args.json:
        print(json.dumps([_as_json(s, last.get(s.name), now) for s in schedules], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not schedules:
        print("no schedules (add one with `igtk schedule add NAME --cron EXPR PLAYBOOK`)")
        return EXIT_OK
    print(f"{'NAME':<16}  {'ON':<3}  {'CRON (ZONE)':<28}  {'NEXT FIRES (local time)':<40}  LAST")
    for s in schedules:
        nexts = ", ".join(_short(t) for t in _next_fires(s, now)) if s.enabled else "-"
        print(f"{s.name[:16]:<16}  {'yes' if s.enabled else 'no':<3}  {f'{s.cron} ({s.tz})'[:28]:<28}  "
              f"{nexts:<40}  {_last_text(last.get(s.name))}")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    from igtk_tui.schedules.clock import SchedulerClock

    runtime = _runtime()
    now = SchedulerClock.from_env(runtime.env).now()

    async def read(store: Any) -> tuple[Any, list[Any]]:
        schedule = await store.schedules.require(args.name)
        return schedule, await store.schedules.fires(args.name, max(1, args.fires))

    schedule, fires = _with_store(runtime, read)
    if args.json:
        data = _as_json(schedule, fires[0] if fires else None, now)
        data["fires"] = [f.to_json() for f in fires]
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    _say_agent(runtime, [schedule])
    print(_details(schedule, now, runtime.settings))
    print("recent fires:" if fires else "no fires yet")
    for fire in fires:
        print(f"  {_local(fire.due_at)}  {fire.kind:<8} {fire.outcome:<11} "
              f"{(fire.execution_id or '')[:8]:<8}  {fire.message or ''}")
        for note in fire.notifications:
            state = f"ok after {note.attempts} attempt(s)" if note.ok else f"FAILED after {note.attempts}: {note.error}"
            print(f"      notified {note.target}: {state}")
    return EXIT_OK


def _details(s: Any, now: float, settings: Any) -> str:
    notify = ", ".join(s.notify) if s.notify else f"[notify] default ({len(settings.notify_targets)} target(s))"
    return "\n".join([
        f"schedule   {s.name} ({'enabled' if s.enabled else 'disabled'})",
        f"playbook   {s.playbook}",
        f"cron       {s.cron} in {s.tz}",
        f"next       {', '.join(_local(t) for t in _next_fires(s, now)) if s.enabled else '- (disabled)'}",
        f"params     {json.dumps(s.params, ensure_ascii=False) if s.params else '-'}",
        f"credential {s.credential or '-'}",
        f"gateway    {s.gateway_url or '-'}{'  (gateway lock)' if s.gateway_lock else ''}",
        f"policies   overlap {s.overlap}, catch-up {s.catch_up}",
        f"notify     on {s.notify_on or settings.notify_on}: {notify}",
    ])


def _as_json(s: Any, last: Any, now: float) -> dict[str, Any]:
    from igtk_tui.timefmt import iso_utc

    data: dict[str, Any] = s.to_json()
    data["next_fires"] = [iso_utc(t) for t in _next_fires(s, now)] if s.enabled else []
    data["last_fire"] = last.to_json() if last else None
    return data


def _next_fires(s: Any, now: float, count: int = 3) -> list[float]:
    from igtk_tui.schedules.timing import fire_times

    try:
        return fire_times(s.cron, s.tz).upcoming(max(now, s.last_handled), count)
    except ValueError:
        return []


def _last_text(fire: Any) -> str:
    if fire is None:
        return "-"
    ran = f" ({fire.execution_id[:8]})" if fire.execution_id else ""
    return f"{fire.outcome} {_short(fire.due_at)}{ran}"


def _describe(s: Any, now: float) -> str:
    nexts = _next_fires(s, now)
    return (f"next fire {_local(nexts[0])}" if nexts and s.enabled else "disabled") + f" ({s.cron} in {s.tz})"


def _local(ts: float | None) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M %Z") if ts is not None else "-"


def _short(ts: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).strftime("%m-%d %H:%M")


# -- plumbing --------------------------------------------------------------------------------------------
def _runtime() -> Any:
    from igtk_tui.runtime import Runtime

    return Runtime()


def _with_store(runtime: Any, fn: Any) -> Any:
    from igtk_tui.store.session import open_for_command

    async def main() -> Any:
        try:
            return await fn(await open_for_command(runtime))
        finally:
            await runtime.close()

    import asyncio

    return asyncio.run(main())


def _warn(lines: list[str]) -> None:
    for line in lines:
        print(f"igtk: warning: {line}", file=sys.stderr)


def _say_agent(runtime: Any, schedules: list[Any]) -> None:
    from igtk_tui.agent.location import AgentLocation

    if any(s.enabled for s in schedules) and not AgentLocation.of(runtime.paths).alive():
        print(f"igtk: no agent is running for {runtime.paths.state_dir}: schedules will not fire "
              "(start it with `igtk agent start`, or install the systemd user unit: docs/agent-api.md)",
              file=sys.stderr)


def _ensure_agent(runtime: Any, schedule: Any) -> int:
    """An enabled schedule needs the agent: start it when none runs (as `run --detach` does)."""
    if not schedule.enabled:
        return EXIT_OK
    from igtk_tui.agent.client import AgentClient
    from igtk_tui.errors import IgtkError

    try:
        with AgentClient.connect(runtime.paths, start=True) as client:
            pid = client.status()["pid"]
    except IgtkError as exc:
        print(f"igtk: warning: the schedule is stored but the agent is not running, so it will not fire: {exc}",
              file=sys.stderr)
        return EXIT_OK
    print(f"igtk: the agent (pid {pid}) fires it")
    return EXIT_OK
