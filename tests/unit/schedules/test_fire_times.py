"""Fire instants of cron expressions in time zones, across DST gaps and overlaps, and the
scheduler's plan with a controllable clock: nothing fires twice, nothing is skipped."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from igtk_tui.schedules.plan import LATE_AFTER, plan
from igtk_tui.schedules.timing import CronError, FireTimes, ZoneError, normalise, zone

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(tz: ZoneInfo, *parts: int, fold: int = 0) -> float:
    return datetime(*parts, tzinfo=tz, fold=fold).timestamp()


def local(tz: ZoneInfo, t: float) -> str:
    return datetime.fromtimestamp(t, tz).strftime("%m-%d %H:%M%z")


def fires(expr: str, tz: ZoneInfo, start: float, end: float) -> list[float]:
    got, more = FireTimes(expr, str(tz)).between(start, end, 10_000)
    assert not more
    return got


def test_every_minute_fires_on_each_minute_boundary() -> None:
    start = at(BERLIN, 2026, 6, 1, 12, 0, 30)
    got = fires("* * * * *", BERLIN, start, start + 300)
    assert [local(BERLIN, t) for t in got] == ["06-01 12:01+0200", "06-01 12:02+0200", "06-01 12:03+0200",
                                               "06-01 12:04+0200", "06-01 12:05+0200"]


def test_aliases_and_five_fields() -> None:
    assert normalise("  0   3 * * 1-5 ") == "0 3 * * 1-5"
    assert normalise("@DAILY") == "@daily"
    times = FireTimes("@hourly", "UTC")
    assert times.next_after(at(ZoneInfo("UTC"), 2026, 1, 1, 10, 15)) == at(ZoneInfo("UTC"), 2026, 1, 1, 11, 0)


@pytest.mark.parametrize(("expr", "says"), [
    ("61 * * * *", "61"),
    ("* * * *", "4 field(s)"),
    ("* * * * * *", "6 field(s)"),
    ("@reboot", "not a known alias"),
    ("", "empty"),
    ("every day", "2 field(s)"),
])
def test_bad_expressions_say_what_is_wrong(expr: str, says: str) -> None:
    with pytest.raises(CronError, match=re.escape(says)):
        normalise(expr)


def test_an_expression_that_never_fires_is_refused() -> None:
    with pytest.raises(CronError, match="never fires"):
        FireTimes("0 0 30 2 *", "UTC").next_after(0)


def test_unknown_zone_names_close_matches() -> None:
    with pytest.raises(ZoneError, match="Europe/Berlin"):
        zone("Europe/Berln")
    with pytest.raises(ZoneError):
        zone("../etc/passwd")


# -- spring forward: Europe/Berlin 2026-03-29 02:00 CET -> 03:00 CEST -------------------------------
def test_spring_gap_fixed_hour_fires_once_at_the_end_of_the_gap() -> None:
    got = fires("30 2 * * *", BERLIN, at(BERLIN, 2026, 3, 28, 12), at(BERLIN, 2026, 3, 30, 12))
    assert [local(BERLIN, t) for t in got] == ["03-29 03:00+0200", "03-30 02:30+0200"]


def test_spring_gap_every_hour_keeps_its_real_time_rhythm() -> None:
    got = fires("30 * * * *", BERLIN, at(BERLIN, 2026, 3, 29, 0, 45), at(BERLIN, 2026, 3, 29, 4, 45))
    assert [local(BERLIN, t) for t in got] == ["03-29 01:30+0100", "03-29 03:30+0200", "03-29 04:30+0200"]
    assert [b - a for a, b in pairwise(got)] == [3600, 3600]


def test_spring_gap_every_minute_is_every_real_minute() -> None:
    got = fires("* * * * *", BERLIN, at(BERLIN, 2026, 3, 29, 1, 50), at(BERLIN, 2026, 3, 29, 3, 10))
    assert {b - a for a, b in pairwise(got)} == {60}
    assert len(got) == 20  # 01:51..01:59 and 03:00..03:10: twenty real minutes


# -- fall back: Europe/Berlin 2026-10-25 03:00 CEST -> 02:00 CET --------------------------------------
def test_fall_overlap_fixed_hour_fires_once() -> None:
    got = fires("30 2 * * *", BERLIN, at(BERLIN, 2026, 10, 24, 12), at(BERLIN, 2026, 10, 26, 12))
    assert [local(BERLIN, t) for t in got] == ["10-25 02:30+0200", "10-26 02:30+0100"]


def test_fall_overlap_every_hour_fires_in_both_passes_an_hour_apart() -> None:
    got = fires("30 * * * *", BERLIN, at(BERLIN, 2026, 10, 25, 1, 45), at(BERLIN, 2026, 10, 25, 3, 45))
    assert [local(BERLIN, t) for t in got] == ["10-25 02:30+0200", "10-25 02:30+0100", "10-25 03:30+0100"]
    assert {b - a for a, b in pairwise(got)} == {3600}


def test_fall_overlap_every_minute_is_every_real_minute() -> None:
    got = fires("*/10 * * * *", BERLIN, at(BERLIN, 2026, 10, 25, 1, 55), at(BERLIN, 2026, 10, 25, 3, 5))
    assert {b - a for a, b in pairwise(got)} == {600}
    assert len(got) == 13  # 02:00..02:50 twice, then 03:00


def test_next_after_inside_the_overlap_in_either_pass() -> None:
    times = FireTimes("30 * * * *", "Europe/Berlin")
    first_pass = at(BERLIN, 2026, 10, 25, 2, 40)
    second_pass = at(BERLIN, 2026, 10, 25, 2, 40, fold=1)
    assert local(BERLIN, times.next_after(first_pass)) == "10-25 02:30+0100"
    assert local(BERLIN, times.next_after(second_pass)) == "10-25 03:30+0100"
    assert times.last_at_or_before(second_pass) == at(BERLIN, 2026, 10, 25, 2, 30, fold=1)
    assert times.last_at_or_before(first_pass) == at(BERLIN, 2026, 10, 25, 2, 30)


# -- America/New_York: 2026-03-08 02:00 -> 03:00, 2026-11-01 02:00 -> 01:00 ------------------------------
def test_new_york_nightly_jobs_across_both_transitions() -> None:
    spring = fires("15 2 * * *", NEW_YORK, at(NEW_YORK, 2026, 3, 7, 12), at(NEW_YORK, 2026, 3, 9, 12))
    assert [local(NEW_YORK, t) for t in spring] == ["03-08 03:00-0400", "03-09 02:15-0400"]
    fall = fires("30 1 * * *", NEW_YORK, at(NEW_YORK, 2026, 10, 31, 12), at(NEW_YORK, 2026, 11, 2, 12))
    assert [local(NEW_YORK, t) for t in fall] == ["11-01 01:30-0400", "11-02 01:30-0500"]


# -- the plan, with a controllable clock ------------------------------------------------------------------
class Scheduler:
    """The agent's rule applied tick by tick: what fires at each wake, last_handled kept, the
    next due instant cached (computed from last_handled, never from the clock)."""

    def __init__(self, expr: str, tz: str, start: float, catch_up: str = "skip") -> None:
        self.times = FireTimes(expr, tz)
        self.last = start
        self.next_due = self.times.next_after(start)
        self.catch_up = catch_up
        self.fired: list[tuple[float, str]] = []
        self.missed = 0

    def wake(self, now: float) -> None:
        if now < self.next_due:
            return
        step = plan(self.times, self.last, now, self.catch_up)
        if step is not None:
            self.fired += step.fire
            self.missed += step.missed
            self.last = step.last_handled
            self.next_due = self.times.next_after(self.last)


def test_a_backwards_clock_jump_never_fires_a_time_twice() -> None:
    start = at(BERLIN, 2026, 6, 1, 12, 0)
    clock = Scheduler("* * * * *", "Europe/Berlin", start)
    now = start
    for _ in range(20):  # 10 minutes, waking every 30 s
        now += 30
        clock.wake(now)
    now -= 3600  # the clock is set back an hour
    for _ in range(130):  # an hour and 5 minutes of ticks later
        now += 30
        clock.wake(now)
    instants = [t for t, _ in clock.fired]
    assert len(instants) == len(set(instants)), "an instant fired twice"
    assert instants == sorted(instants)
    assert {b - a for a, b in pairwise(instants)} == {60}, "a minute was skipped"
    assert instants[-1] == start + 15 * 60  # it went on where it had stopped once the clock got there


def test_ticks_across_dst_fire_each_instant_once() -> None:
    for tz, start in ((BERLIN, at(BERLIN, 2026, 10, 25, 1, 0)), (NEW_YORK, at(NEW_YORK, 2026, 3, 8, 1, 0))):
        clock = Scheduler("*/5 * * * *", str(tz), start)
        now = start
        while now < start + 4 * 3600:
            now += 7  # a wake every 7 real seconds
            clock.wake(now)
        instants = [t for t, _ in clock.fired]
        assert {b - a for a, b in pairwise(instants)} == {300}, tz
        assert len(instants) == 4 * 12


def test_missed_fires_after_downtime_catch_up_skip_and_once() -> None:
    start = at(BERLIN, 2026, 6, 1, 12, 0)
    down_until = start + 10 * 60 + 20  # the agent comes back at 12:10:20
    skip = Scheduler("* * * * *", "Europe/Berlin", start, catch_up="skip")
    skip.wake(down_until)
    assert skip.fired == [(start + 600, "cron")]  # 12:10 is 20 s old: on time
    assert skip.missed == 9
    once = Scheduler("* * * * *", "Europe/Berlin", start, catch_up="once")
    once.wake(start + 10 * 60 + LATE_AFTER + 30)  # 12:11:30: 12:11 is on time, so nothing to catch up
    assert once.fired == [(start + 660, "cron")] and once.missed == 10
    hourly = Scheduler("0 * * * *", "Europe/Berlin", start, catch_up="once")
    hourly.wake(start + 5 * 3600 + 600)  # down for 5 hours, back 10 minutes after a fire time
    assert hourly.fired == [(start + 5 * 3600, "catch-up")] and hourly.missed == 4


def test_a_long_downtime_counts_at_most_the_limit_and_catches_up_the_newest() -> None:
    start = at(BERLIN, 2026, 6, 1, 12, 0)
    clock = Scheduler("* * * * *", "Europe/Berlin", start, catch_up="once")
    step = plan(clock.times, start, start + 30 * 86400 + 300, "once")
    assert step is not None and step.missed_more
    assert step.fire[0][1] == "cron"  # the newest minute is on time
    step = plan(clock.times, start, start + 30 * 86400 + 90.5, "once")
    assert step is not None and step.fire == [(start + 30 * 86400 + 60, "cron")]
