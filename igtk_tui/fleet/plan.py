"""The shape of a fleet run: batches (`--serial`) and the stop rule (`--max-fail`), Ansible's semantics.

Batches: `--serial N` runs the gateways N at a time, `--serial P%` P percent of them
(rounded down, at least 1), in inventory order; without it the whole selection is one
batch. A batch starts only when the previous one has finished entirely.

Stop rule, per batch (the CURRENT batch: earlier batches never count):
- with `--max-fail P%`: as soon as more than P percent of the current batch has failed
  (failed / batch size > P / 100; exceeded, not reached: with 10 per batch and 10%, one
  failure goes on, two stop), no further gateway starts: neither the rest of this batch
  nor any later batch. Executions already running finish normally.
- without it: a batch in which every gateway failed stops the run (Ansible's default).
Gateways that never started are recorded `skipped` with the reason. Failed means: the
execution failed, was interrupted, or could not start (gateway unreachable, its lock busy).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

DEFAULT_FORKS = 5


@dataclass(frozen=True)
class Serial:
    """A batch size: a count, or a percentage of the gateways selected."""

    count: int | None = None
    percent: float | None = None

    def size(self, total: int) -> int:
        if self.count is not None:
            return max(1, min(total, self.count))
        if self.percent is not None:
            return max(1, int(total * self.percent / 100))
        return max(1, total)

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else str(self.count)


def serial_spec(text: str) -> Serial:
    """argparse type of `--serial N|P%`."""
    value = text.strip()
    if value.endswith("%"):
        return Serial(percent=_percent(value, allow_zero=False))
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of gateways (10) or a percentage (25%), got {text!r}"
                                         ) from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {count}")
    return Serial(count=count)


def percent_spec(text: str) -> float:
    """argparse type of `--max-fail P%` (the % sign is optional; 0 stops at the first failure)."""
    return _percent(text.strip(), allow_zero=True)


def _percent(text: str, *, allow_zero: bool) -> float:
    try:
        value = float(text.removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage like 10%, got {text!r}") from None
    in_range = (value >= 0 if allow_zero else value > 0) and value <= 100
    if not in_range:
        raise argparse.ArgumentTypeError(f"must be a percentage {'from 0' if allow_zero else 'above 0'} "
                                         f"up to 100, got {text!r}")
    return value


def batches(total: int, serial: Serial | None) -> list[range]:
    """Positions 0..total-1 cut into consecutive batches."""
    if total <= 0:
        return []
    size = (serial or Serial()).size(total)
    return [range(start, min(total, start + size)) for start in range(0, total, size)]


@dataclass(frozen=True)
class StopRule:
    max_fail: float | None = None

    def exceeded(self, failed: int, batch_size: int) -> bool:
        """True once the failures of the current batch are above `--max-fail` (checked as they happen)."""
        if self.max_fail is None or batch_size <= 0:
            return False
        return failed * 100 > self.max_fail * batch_size

    def stops_after(self, failed: int, batch_size: int) -> bool:
        """At the end of a batch: the percentage rule, or (without one) every gateway of it failed."""
        return self.exceeded(failed, batch_size) or (self.max_fail is None and batch_size > 0
                                                     and failed >= batch_size)

    def reason(self, failed: int, batch_size: int, batch: int) -> str:
        share = 100.0 * failed / batch_size if batch_size else 0.0
        if self.max_fail is None:
            return f"every gateway of batch {batch} failed ({failed} of {batch_size})"
        return (f"--max-fail {self.max_fail:g}%: {failed} of {batch_size} gateways failed in batch {batch} "
                f"({share:.0f}% > {self.max_fail:g}%)")


@dataclass(frozen=True)
class FleetOptions:
    forks: int = DEFAULT_FORKS
    serial: Serial | None = None
    max_fail: float | None = None
    lock_wait: float = 0.0

    @property
    def rule(self) -> StopRule:
        return StopRule(self.max_fail)

    def to_json(self) -> dict[str, Any]:
        return {"forks": self.forks, "serial": str(self.serial) if self.serial else None,
                "max_fail": self.max_fail, "lock_wait": self.lock_wait}
