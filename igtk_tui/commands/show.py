"""`igtk show ID`: one execution (parameters redacted, steps with attempts, artifacts, log tail), or
one fleet run (its gateways, each with its status, duration, failed step and execution id)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from igtk_tui.commands.argtypes import whole_number


def add_parser(sub: Any) -> None:
    p = sub.add_parser("show", help="one recorded execution in detail", description=__doc__.splitlines()[0])
    p.add_argument("execution_id", metavar="EXECUTION_ID",
                   help="an execution or fleet run id, or a unique prefix (6+ characters)")
    p.add_argument("--json", action="store_true", help="print a JSON document")
    p.add_argument("--logs", type=whole_number(0), default=50, metavar="N", help="the last N log lines (default 50)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from igtk_tui.runtime import Runtime
    from igtk_tui.store.session import with_store

    runtime = Runtime()

    async def query(store: Any) -> Any:
        kind, record_id = await resolve_record(store, args.execution_id)
        if kind == "fleet":
            return await store.fleets.get(record_id)
        return await store.executions.get(record_id, logs=args.logs)

    detail = with_store(runtime, query)
    if not hasattr(detail, "steps"):
        from igtk_tui.commands.fleet_show import print_fleet

        if args.json:
            print(json.dumps(detail.to_json(), indent=2, ensure_ascii=False, default=str))
        else:
            print_fleet(detail)
        return 0
    elsewhere = foreign_host(detail.summary.host)
    folder = runtime.paths.execution_artifacts(detail.id)
    if args.json:
        doc = detail.to_json()
        # Artifacts stay on the disk of the host that ran the execution (a shared history on
        # PostgreSQL holds only their names): this host's folder would be the wrong place.
        doc["artifacts_dir"] = None if elsewhere else str(folder)
        doc["artifacts_host"] = detail.summary.host
        print(json.dumps(doc, indent=2, ensure_ascii=False, default=str))
        return 0
    where = (f"on host {elsewhere}, in that host's state root; not on this host" if elsewhere else str(folder))
    print_detail(detail, where)
    return 0


def foreign_host(host: str | None) -> str | None:
    """The host that ran an execution when it is not this one (a shared history)."""
    import socket

    return host if host and host != socket.gethostname() else None


async def resolve_record(store: Any, given: str) -> tuple[str, str]:
    """("execution" | "fleet", id) for a full id or a unique prefix of either; InvalidInput (exit 2)
    when it names none, or both kinds."""
    from igtk_tui.errors import InvalidInput

    fleets = await store.fleets.find_id(given)
    try:
        execution_id = await store.executions.resolve_id(given)
    except InvalidInput:
        if len(fleets) == 1:
            return "fleet", fleets[0]
        if fleets:
            await store.fleets.resolve_id(given)  # the ambiguous-prefix message
        raise
    if fleets and fleets[0] != given.strip().lower():
        raise InvalidInput(f"id {given!r} is ambiguous: it starts execution {execution_id} and fleet run "
                           f"{fleets[0]}; give more characters")
    return ("fleet", fleets[0]) if fleets else ("execution", execution_id)


def _short(value: Any, width: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[:width - 1] + "…"


def print_detail(detail: Any, folder: Any) -> None:
    from igtk_tui.sinks.human import glyph
    from igtk_tui.timefmt import duration, local_time

    s = detail.summary
    print(f"execution  {s.id}")
    where = s.playbook_rel or s.playbook_path or ""
    print(f"playbook   {s.playbook}" + (f"  ({where})" if where else ""))
    failed = f", {s.failed_steps} failed step(s)" if s.failed_steps else ""
    print(f"status     {glyph(s.status)} {s.status}{failed}")
    print(f"started    {local_time(s.started_at)}   finished {local_time(s.finished_at)}   "
          f"took {duration(s.duration)}")
    print(f"trigger    {s.trigger} by {s.user or '?'}@{s.host or '?'} (pid {detail.owner_pid or '?'})"
          + ("  debug" if detail.debug else ""))
    if s.gateway_url:
        print(f"gateway    {s.gateway_url}")
    if detail.browser_version:
        print(f"browser    {detail.browser_version}")
    for label, value in (("resumed from", s.resumed_from), ("resumed by", s.resumed_by), ("rerun of", s.rerun_of)):
        if value:
            print(f"{label:<10} {value}")
    if detail.parameters:
        print("parameters " + ", ".join(f"{k}={_short(v, 30)}" for k, v in detail.parameters.items()))
    if detail.credentials:
        print("credentials " + ", ".join(detail.credentials))
    if s.error:
        print(f"error      {s.error}")
    print()
    width = max([len(st.path) for st in detail.steps] + [4])
    print(f"  {'STEP'.ljust(width)}  {'STATUS':<13} {'TRIES':>5} {'TIME':>8}  NOTE")
    for st in detail.steps:
        note = st.error or (f"({st.reason})" if st.reason else "")
        if not note and st.output and st.status == "completed":
            note = _short(st.output, 40)
        role = (f" [rollback of {st.parent}]" if st.parent else " [rollback]") if st.role == "rollback" else ""
        status = f"{glyph(st.status)} {st.status}"
        print(f"  {st.path.ljust(width)}  {status:<13} {st.attempts:>5} {duration(st.duration):>8}  "
              f"{_short(note, 50)}{role}")
    if detail.artifacts:
        print(f"\nartifacts  ({folder})")
        for a in detail.artifacts:
            print(f"  {a.path}  [{a.kind}]" + (f"  step {a.step}" if a.step else ""))
    if detail.logs:
        shown = len(detail.logs)
        print(f"\nlog (last {shown} of {detail.log_count})" if detail.log_count > shown else "\nlog")
        for line in detail.logs:
            step = f"{line.step}: " if line.step else ""
            print(f"  {local_time(line.ts)[11:]} {line.level:<7} {step}{line.message}")
