"""What the scheduler does when it wakes: which due instants fire, which were missed.

Why a pure function: the rules that keep a schedule from double-firing or
skipping are tested here with a controllable clock, and the agent applies
exactly these. Per schedule the scheduler keeps `last_handled`, the last fire
instant it dealt with (persisted); a wake at `now` looks at the instants in
(last_handled, now]:

- those at most LATE_AFTER seconds old fire now (kind `cron`);
- older ones were missed (the agent was down, the host slept, the clock jumped
  forward): catch-up `skip` records them missed, catch-up `once` fires the
  newest of them (kind `catch-up`) unless an on-time fire covers it;
- `last_handled` moves to the newest instant seen, so each instant is handled
  once. A clock set BACK leaves nothing due until it passes `last_handled`
  again: the repeated time never fires twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from igtk_tui.schedules.timing import FireTimes

LATE_AFTER = 60.0   # seconds after its instant a fire still counts as on time
MISSED_LIMIT = 1000  # missed instants counted one by one (beyond: "more than")


@dataclass(frozen=True)
class Plan:
    fire: list[tuple[float, str]] = field(default_factory=list)  # (due instant, kind)
    missed: int = 0
    missed_more: bool = False  # more than MISSED_LIMIT were missed
    missed_first: float | None = None
    missed_last: float | None = None
    last_handled: float = 0.0


def plan(times: FireTimes, last_handled: float, now: float, catch_up: str, *,
         late_after: float = LATE_AFTER) -> Plan | None:
    """None when nothing is due in (last_handled, now]."""
    if times.next_after(last_handled) > now:
        return None
    window = max(last_handled, now - late_after)
    on_time, _ = times.between(window, now, MISSED_LIMIT)
    late: list[float] = []
    more = False
    if window > last_handled:
        late, more = times.between(last_handled, window, MISSED_LIMIT)
    newest_late = (times.last_at_or_before(window) if more else late[-1]) if late else None
    fire = [(t, "cron") for t in on_time]
    missed_last = newest_late
    if newest_late is not None and catch_up == "once" and not on_time:
        fire.insert(0, (newest_late, "catch-up"))
        before = times.last_at_or_before(newest_late - 0.001)
        missed_last = before if before is not None and before > last_handled else None
    missed = (len(late) - (1 if fire and fire[0][1] == "catch-up" and not more else 0)) if missed_last else 0
    seen = [t for t, _ in fire] + ([newest_late] if newest_late is not None else [])
    return Plan(fire=fire, missed=missed, missed_more=more and missed_last is not None,
                missed_first=late[0] if missed_last is not None else None, missed_last=missed_last,
                last_handled=max(seen))
