"""Fire times of a cron expression in a time zone, as Unix instants.

Why our own DST rule on top of croniter: a schedule must fire the same way in
the agent, `igtk schedule list` and the TUI, and cron semantics across DST are
easy to get subtly wrong. croniter walks the WALL CLOCK (naive local times);
each wall-clock match is mapped to real instants the way Vixie cron does:

- an ordinary local time: its one instant;
- a local time inside a spring-forward gap (02:30 on the night it does not
  exist): an expression with a fixed hour fires once, at the end of the gap
  (03:00), so a nightly job is not skipped; an every-hour expression (hour
  field `*`) keeps its real-time rhythm and has nothing to catch up;
- a local time inside a fall-back overlap (02:30 happens twice): a fixed hour
  fires at the first one only (no double fire); an every-hour expression fires
  at both (in real time they are an hour apart, like any other hour).

Instants are compared, never wall times, so nothing fires twice at one moment.
croniter is imported here only: modules that merely hold schedules never load it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from igtk_tui.errors import InvalidInput

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
FIELDS = "minute hour day-of-month month day-of-week"
LOOKAROUND = timedelta(hours=3)  # wider than any DST shift: the window searched around an ambiguous time
MAX_STEPS = 100_000  # croniter matches looked at for one answer (a guard, never reached by a real expression)


class CronError(InvalidInput):
    """The expression is not a 5-field cron expression (or an @alias) that ever fires."""


class ZoneError(InvalidInput):
    """Not an IANA time zone name this system knows."""


def normalise(expr: str) -> str:
    """The expression with single spaces; CronError naming what is wrong."""
    from croniter import croniter

    text = " ".join(str(expr).split())
    if not text:
        raise CronError(f"an empty expression: expected 5 fields ({FIELDS}) or one of {', '.join(ALIASES)}")
    if text.startswith("@"):
        if text.lower() not in ALIASES:
            raise CronError(f"{text!r} is not a known alias: one of {', '.join(ALIASES)}")
        return text.lower()
    fields = text.split(" ")
    if len(fields) != 5:
        raise CronError(f"{text!r} has {len(fields)} field(s): expected 5 ({FIELDS}) or an alias like @daily")
    try:
        croniter.expand(text)
    except Exception as exc:  # noqa: BLE001 - croniter raises several types; its message names the field
        raise CronError(f"{text!r}: {exc}") from None
    if not croniter.is_valid(text):
        raise CronError(f"{text!r} is not a valid cron expression")
    return text


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ZoneError with close matches otherwise."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        import difflib

        close = difflib.get_close_matches(name, sorted(available_timezones()), n=3, cutoff=0.6)
        hint = f"; did you mean: {', '.join(close)}?" if close else " (an IANA name like Europe/Berlin or UTC)"
        raise ZoneError(f"unknown time zone {name!r}{hint}") from None


def local_zone_name() -> str:
    """This host's IANA zone name (TZ, /etc/timezone, the /etc/localtime link), else UTC."""
    import os
    from pathlib import Path

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                zone(name)
                return name
            except ZoneError:
                continue
    return "UTC"


class FireTimes:
    """The fire instants of one expression in one zone (see the module docstring for DST)."""

    def __init__(self, expr: str, zone_name: str) -> None:
        from croniter import croniter

        self.expr = normalise(expr)
        self.zone_name = zone_name
        self.tz = zone(zone_name)
        self._croniter = croniter
        # Vixie cron's "wildcard" jobs: the hour field is `*` (every hour, @hourly).
        self.every_hour = croniter.expand(self.expr)[0][1] == ["*"]

    # -- wall clock <-> instants -------------------------------------------------------------
    def _wall(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, self.tz).replace(tzinfo=None)

    def _offsets_differ(self, wall: datetime) -> bool:
        return wall.replace(tzinfo=self.tz, fold=0).utcoffset() != wall.replace(tzinfo=self.tz, fold=1).utcoffset()

    def _in_gap(self, wall: datetime) -> bool:
        if not self._offsets_differ(wall):
            return False
        return self._wall(wall.replace(tzinfo=self.tz, fold=0).timestamp()) != wall

    def _gap_end(self, wall: datetime) -> float:
        """The instant the gap around `wall` ends (the first local minute that exists after it)."""
        step = wall.replace(second=0, microsecond=0)
        for _ in range(48 * 60):
            step += timedelta(minutes=1)
            if not self._in_gap(step):
                return step.replace(tzinfo=self.tz, fold=0).timestamp()
        raise CronError(f"no end found for the time-zone gap at {wall} in {self.zone_name}")  # pragma: no cover

    def instants(self, wall: datetime) -> tuple[float, ...]:
        """The instants one wall-clock match fires at (none, one, or two in an overlap)."""
        if not self._offsets_differ(wall):
            return (wall.replace(tzinfo=self.tz).timestamp(),)
        first = wall.replace(tzinfo=self.tz, fold=0).timestamp()
        if self._wall(first) != wall:  # a spring-forward gap: this wall time does not exist
            return () if self.every_hour else (self._gap_end(wall),)
        second = wall.replace(tzinfo=self.tz, fold=1).timestamp()
        return (first, second) if self.every_hour else (first,)

    def _matches(self, start: datetime, *, forward: bool) -> Any:
        it = self._croniter(self.expr, start)
        step = it.get_next if forward else it.get_prev
        try:
            for _ in range(MAX_STEPS):
                yield step(datetime)
        except Exception as exc:  # noqa: BLE001 - croniter's "no date found" (CroniterBadDateError)
            raise CronError(f"{self.expr!r} never fires ({exc})") from None
        raise CronError(f"{self.expr!r}: no fire time within {MAX_STEPS} matches")

    # -- questions -----------------------------------------------------------------------------
    def next_after(self, t: float) -> float:
        """The first fire instant strictly after `t`."""
        wall = self._wall(t)
        if not self._offsets_differ(wall):
            # Not inside an overlap: the first wall-clock match after `wall` that fires at all
            # fires first (instants of later matches are later, an overlap's second pass included).
            for match in self._matches(wall, forward=True):
                found = [x for x in self.instants(match) if x > t]
                if found:
                    return min(found)
        best: float | None = None  # inside an overlap: look at every match around it
        for match in self._matches(wall - LOOKAROUND, forward=True):
            for x in self.instants(match):
                if x > t and (best is None or x < best):
                    best = x
            if best is not None and match > wall + LOOKAROUND:
                return best
        raise AssertionError("unreachable")  # pragma: no cover - _matches raises when it runs out

    def last_at_or_before(self, t: float) -> float | None:
        """The last fire instant at or before `t` (None: the expression never fired before)."""
        wall = self._wall(t)
        start = wall + timedelta(seconds=1)
        try:
            if not self._offsets_differ(wall):
                for match in self._matches(start, forward=False):
                    found = [x for x in self.instants(match) if x <= t]
                    if found:
                        return max(found)
            best: float | None = None
            for match in self._matches(start + LOOKAROUND, forward=False):
                for x in self.instants(match):
                    if x <= t and (best is None or x > best):
                        best = x
                if best is not None and match < wall - LOOKAROUND:
                    return best
        except CronError:
            return None
        return None  # pragma: no cover

    def upcoming(self, t: float, count: int) -> list[float]:
        out: list[float] = []
        for _ in range(count):
            t = self.next_after(t)
            out.append(t)
        return out

    def between(self, after: float, until: float, limit: int) -> tuple[list[float], bool]:
        """Fire instants in (after, until], at most `limit` of them; the flag says more were left out."""
        out: list[float] = []
        t = after
        while True:
            t = self.next_after(t)
            if t > until:
                return out, False
            if len(out) >= limit:
                return out, True
            out.append(t)


@lru_cache(maxsize=4096)
def fire_times(expr: str, zone_name: str) -> FireTimes:
    """One FireTimes per (expression, zone): 1,000 schedules share a handful."""
    return FireTimes(expr, zone_name)
