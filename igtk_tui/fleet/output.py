"""What a fleet run prints: one line per gateway event and a summary table, or JSON lines.

Human output stays at the gateway level (two hundred gateways' step lines would drown the
one line that matters: which gateway failed, at which step); the steps are in each
execution's record (`igtk show ID`). JSON lines carry everything: the fleet's own events and
every engine event of every execution, each with `gateway` and `fleet_run_id`, so a CI job
can follow one gateway with a filter on one field. Secrets are scrubbed on the way out.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any, Protocol

from igtk_tui import redact
from igtk_tui.glyphs import GLYPHS
from igtk_tui.sinks.stream import LineStream
from igtk_tui.timefmt import duration

_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)


class FleetOutput(Protocol):
    def fleet_started(self, run: Any) -> None: ...
    def batch_started(self, run: Any, number: int, members: list[Any]) -> None: ...
    def gateway_started(self, run: Any, member: Any) -> None: ...
    def engine_event(self, run: Any, member: Any, event: Any) -> None: ...
    def gateway_finished(self, run: Any, member: Any) -> None: ...
    def gateway_skipped(self, run: Any, member: Any) -> None: ...
    def stopping(self, run: Any, reason: str) -> None: ...
    def fleet_finished(self, run: Any, status: str) -> None: ...


def glyph(status: str) -> str:
    return GLYPHS.get(status, "?")


def _note(member: Any) -> str:
    if member.status == "skipped":
        return member.reason or ""
    error = member.error or ""
    if not member.failed_step:
        return error
    said = f"step '{member.failed_step}' failed: "
    return f"at step {member.failed_step}: {error.removeprefix(said)}" if error else f"at step {member.failed_step}"


class HumanFleetOutput:
    def __init__(self, stream: IO[str] | None = None) -> None:
        self.out = LineStream(stream or sys.stdout)

    def _print(self, text: str) -> None:
        self.out.write(redact.scrub(text))

    def fleet_started(self, run: Any) -> None:
        opts = run.options
        serial = f", batches of {opts.serial}" if opts.serial else ""
        max_fail = f", --max-fail {opts.max_fail:g}%" if opts.max_fail is not None else ""
        self._print(f"igtk: fleet run {run.id}: {run.playbook.name!r} on {len(run.members)} gateway(s) "
                    f"({len(run.batches)} batch(es){serial}, {opts.forks} at a time{max_fail})")

    def batch_started(self, run: Any, number: int, members: list[Any]) -> None:
        if len(run.batches) > 1:
            names = f"{members[0].name}..{members[-1].name}" if len(members) > 1 else members[0].name
            self._print(f"igtk: batch {number}/{len(run.batches)}: {names} ({len(members)} gateway(s))")

    def gateway_started(self, run: Any, member: Any) -> None:
        self._print(f"  {glyph('running')} {member.name} started (execution {member.execution_id[:8]})")

    def engine_event(self, run: Any, member: Any, event: Any) -> None:
        return None

    def gateway_finished(self, run: Any, member: Any) -> None:
        note = _note(member)
        took = f" in {duration(member.duration)}" if member.duration is not None else ""
        self._print(f"  {glyph(member.status)} {member.name} {member.status}{took}" + (f" — {note}" if note else ""))

    def gateway_skipped(self, run: Any, member: Any) -> None:
        self._print(f"  {glyph('skipped')} {member.name} skipped: {member.reason}")

    def stopping(self, run: Any, reason: str) -> None:
        self._print(f"igtk: stopping: {reason}; no further gateway starts")

    def fleet_finished(self, run: Any, status: str) -> None:
        members = run.members
        name_w = min(24, max(7, *(len(m.name) for m in members)))
        group_w = min(12, max(5, *(len(m.gateway.group) for m in members)))
        self._print("")
        self._print(f"  {'GATEWAY':<{name_w}}  {'GROUP':<{group_w}}  {'STATUS':<13}  {'TIME':>7}  {'EXECUTION':<9}  NOTE")
        for m in members:
            shown = f"{glyph(m.status)} {m.status}"
            execution = m.execution_id[:8] if m.execution_id else "-"
            self._print(f"  {_cut(m.name, name_w):<{name_w}}  {_cut(m.gateway.group, group_w):<{group_w}}  "
                        f"{shown:<13}  {duration(m.duration):>7}  {execution:<9}  {_cut(_note(m), 60)}".rstrip())
        counts = run.counts()
        parts = ", ".join(f"{counts[k]} {k}" for k in ("completed", "failed", "cancelled", "skipped") if counts[k])
        stop = f" (stopped: {run.stop_reason})" if run.stop_reason else ""
        self._print(f"igtk: fleet run {run.id[:8]} {glyph(status)} {status}: {parts} of {len(members)} "
                    f"gateway(s) in {duration(run.duration)}{stop}")
        self.out.flush()


class JsonFleetOutput:
    def __init__(self, stream: IO[str] | None = None) -> None:
        self.out = LineStream(stream or sys.stdout)

    def write(self, obj: dict[str, Any]) -> None:
        self.out.write(_ENCODER.encode(redact.scrub_obj(obj)))

    def fleet_started(self, run: Any) -> None:
        self.write({"event": "fleet_started", "fleet_run_id": run.id, "playbook": run.playbook.name,
                    "targets": run.targets, "options": run.options.to_json(),
                    "gateways": [m.name for m in run.members],
                    "batches": [[run.members[p].name for p in b] for b in run.batches]})

    def batch_started(self, run: Any, number: int, members: list[Any]) -> None:
        self.write({"event": "batch_started", "fleet_run_id": run.id, "batch": number,
                    "gateways": [m.name for m in members]})

    def gateway_started(self, run: Any, member: Any) -> None:
        self.write({"event": "gateway_started", "fleet_run_id": run.id, "gateway": member.name,
                    "url": member.gateway.url, "batch": member.batch, "execution_id": member.execution_id})

    def engine_event(self, run: Any, member: Any, event: Any) -> None:
        self.write({**event.to_dict(), "gateway": member.name, "fleet_run_id": run.id})

    def gateway_finished(self, run: Any, member: Any) -> None:
        self.write({"event": "gateway_finished", "fleet_run_id": run.id, "gateway": member.name,
                    "status": member.status, "execution_id": member.execution_id, "duration": member.duration,
                    "failed_step": member.failed_step, "error": member.error, "reason": member.reason})

    def gateway_skipped(self, run: Any, member: Any) -> None:
        self.write({"event": "gateway_skipped", "fleet_run_id": run.id, "gateway": member.name,
                    "batch": member.batch, "reason": member.reason})

    def stopping(self, run: Any, reason: str) -> None:
        self.write({"event": "fleet_stopping", "fleet_run_id": run.id, "reason": reason})

    def fleet_finished(self, run: Any, status: str) -> None:
        self.write({"event": "fleet_finished", "fleet_run_id": run.id, "status": status, "counts": run.counts(),
                    "stop_reason": run.stop_reason, "duration": run.duration})
        self.out.flush()


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


class LogFleetOutput:
    """A fleet run the agent coordinates: what a terminal would print goes to the process log
    (the record in the store is what operators read: `igtk show FLEET_ID`, the TUI)."""

    def __init__(self, logger: Any) -> None:
        self.log = logger

    def fleet_started(self, run: Any) -> None:
        self.log.info("fleet run %s: %r on %d gateway(s), %d batch(es)", run.id, run.playbook.name,
                      len(run.members), len(run.batches))

    def batch_started(self, run: Any, number: int, members: list[Any]) -> None:
        self.log.info("fleet run %s: batch %d/%d", run.id[:8], number, len(run.batches))

    def gateway_started(self, run: Any, member: Any) -> None:
        return None

    def engine_event(self, run: Any, member: Any, event: Any) -> None:
        return None

    def gateway_finished(self, run: Any, member: Any) -> None:
        self.log.info("fleet run %s: %s %s %s", run.id[:8], member.name, member.status, redact.scrub(_note(member)))

    def gateway_skipped(self, run: Any, member: Any) -> None:
        return None

    def stopping(self, run: Any, reason: str) -> None:
        self.log.warning("fleet run %s: stopping: %s", run.id[:8], reason)

    def fleet_finished(self, run: Any, status: str) -> None:
        self.log.warning("fleet run %s %s: %s", run.id[:8], status, run.counts())
