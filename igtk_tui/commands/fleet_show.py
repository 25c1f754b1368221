"""Fleet runs as text: `igtk history --fleet` (one line per run with its counts) and
`igtk show FLEET_ID` (one line per gateway: status, duration, failed step, execution id)."""

from __future__ import annotations

from typing import Any

from igtk_tui.commands.text import cut


def print_fleet_runs(rows: list[Any], more: bool) -> None:
    from igtk_tui import timefmt
    from igtk_tui.sinks.human import glyph
    from igtk_tui.timefmt import local_time

    if not rows:
        print("no fleet runs recorded" + (" match" if more else ""))
        return
    width = min(20, max(8, *(len(r.playbook) for r in rows)))
    print(f"{'ID':<8}  {'STARTED':<16}  {'PLAYBOOK':<{width}}  {'STATUS':<13}  {'TIME':>7}  GATEWAYS")
    for r in rows:
        status = f"{glyph(r.status)} {r.status}"
        print(f"{r.id[:8]}  {local_time(r.started_at)[:16]:<16}  {cut(r.playbook, width):<{width}}  {status:<13}  "
              f"{timefmt.duration(r.duration):>7}  {r.counts_text()}")
    if more:
        print(f"… older: igtk history --fleet --before {rows[-1].id[:8]}")


def print_fleet(detail: Any) -> None:
    from igtk_tui import timefmt
    from igtk_tui.sinks.human import glyph
    from igtk_tui.timefmt import local_time

    s = detail.summary
    print(f"fleet run  {s.id}")
    print(f"playbook   {s.playbook}" + (f"  ({s.playbook_rel or s.playbook_path})" if s.playbook_rel or s.playbook_path
                                         else ""))
    print(f"status     {glyph(s.status)} {s.status}   {s.total} gateway(s): {s.completed} completed, {s.failed} "
          f"failed, {s.cancelled} cancelled, {s.skipped} skipped" + (f", {s.running} running" if s.running else ""))
    print(f"targets    {', '.join(s.targets)}")
    options = {k: v for k, v in s.options.items() if k != "params" and v not in (None, 0, 0.0)}
    print("options    " + (", ".join(f"{k}={v}" for k, v in options.items()) or "-"))
    if s.options.get("params"):
        print("parameters " + ", ".join(f"{k}={v}" for k, v in s.options["params"].items()))
    print(f"started    {local_time(s.started_at)}   finished {local_time(s.finished_at)}   "
          f"took {timefmt.duration(s.duration)}")
    print(f"by         {s.user or '?'}@{s.host or '?'}")
    if s.stop_reason:
        print(f"stopped    {s.stop_reason}")
    print()
    members = detail.members
    name_w = min(24, max(7, *(len(m.name) for m in members))) if members else 7
    print(f"  {'GATEWAY':<{name_w}}  {'BATCH':>5}  {'STATUS':<13}  {'TIME':>7}  {'EXECUTION':<9}  STEP / NOTE")
    for m in members:
        status = f"{glyph(m.status)} {m.status}"
        note = m.reason if m.status == "skipped" else " ".join(x for x in (m.step or "", m.error or "") if x)
        print(f"  {cut(m.name, name_w):<{name_w}}  {m.batch:>5}  {status:<13}  {timefmt.duration(m.duration):>7}  "
              f"{(m.execution_id or '-')[:8]:<9}  {cut(note or '', 60)}".rstrip())
