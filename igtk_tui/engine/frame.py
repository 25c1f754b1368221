"""What the runner keeps per playbook level, and what a step or a run ends with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from igtk_tui import redact
from igtk_tui.engine.events import StepStatus
from igtk_tui.errors import IgtkError
from igtk_tui.playbook.model import Playbook, Step


class ExecutionAborted(IgtkError):
    """The run stops as failed; the message is the execution's error (exit 1)."""


@dataclass
class Frame:
    """One playbook level: the root run, or a nested playbook.run child."""

    playbook: Playbook
    params: dict[str, Any]
    prefix: str = ""
    depth: int = 0
    variables: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, StepStatus] = field(default_factory=dict)
    stack: tuple[str, ...] = ()
    # name -> (raw value, scrubbed name, scrubbed value, redactor version): see scrubbed_variables.
    scrub_cache: dict[str, tuple[Any, Any, Any, int]] = field(default_factory=dict, repr=False, compare=False)
    scrub_snapshot: tuple[int, dict[str, Any], dict[str, Any]] | None = field(default=None, repr=False,
                                                                             compare=False)

    @property
    def failed_steps(self) -> int:
        """Steps of this level (compensation steps included) whose last result is `failed`: what the
        step table shows, whatever ended the run (a cancel at a failure pause counted none)."""
        return sum(1 for status in self.statuses.values() if status == StepStatus.FAILED)

    def path(self, step: Step) -> str:
        return self.prefix + step.id

    def scrubbed_variables(self) -> dict[str, Any]:
        """A scrubbed snapshot of the variables for an event.

        Every StepFinished carries one; re-scrubbing every value on every step made a run
        with many variables (and any secret registered) cost O(variables) regex work per
        step. An immutable value that is the same object as last time, scrubbed against the
        same set of secrets, reuses its scrubbed form; anything else is scrubbed afresh.
        """
        red = redact.REDACTOR
        if not red.active:
            return dict(self.variables)
        version = red.version
        last = self.scrub_snapshot
        if last is not None and last[0] == version and last[1].keys() == self.variables.keys():
            # Since the last step (whose values were all immutable) usually a value or two
            # changed: scrub those, reuse the rest.
            before, out = last[1], dict(last[2])
            for name, value in self.variables.items():
                if before[name] is not value:
                    if not isinstance(value, _IMMUTABLE):
                        break
                    out[red.scrub_obj(name)] = red.scrub_obj(value)
            else:
                self.scrub_snapshot = (version, dict(self.variables), out)
                return dict(out)
        cache = self.scrub_cache
        out = {}
        immutable = True
        for name, value in self.variables.items():
            if not isinstance(value, _IMMUTABLE):
                immutable = False
            hit = cache.get(name)
            if hit is not None and hit[0] is value and hit[3] == version and isinstance(value, _IMMUTABLE):
                out[hit[1]] = hit[2]
                continue
            key, scrubbed = red.scrub_obj(name), red.scrub_obj(value)
            cache[name] = (value, key, scrubbed, version)
            out[key] = scrubbed
        self.scrub_snapshot = (version, dict(self.variables), dict(out)) if immutable else None
        return out


_IMMUTABLE = (str, int, float, bool, bytes, type(None))


@dataclass
class StepOutcome:
    status: StepStatus
    output: dict[str, Any]
    error: str | None
    attempts: int
    duration: float
    interrupt: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
