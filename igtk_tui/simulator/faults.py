"""Fault injection switches, changeable at any time while the simulator runs.

Tests flip them per test (`gw.faults.error_rate = 1.0`); the CLI builds them
from `--fault "latency=0.2,error_rate=0.1,refuse_during_restart"`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

_FLOATS = ("latency", "error_rate", "drop_rate")
_FLAGS = ("refuse_during_restart", "restart_never_completes", "ping_errors")
_WORDS = ("ping_state",)


@dataclass
class Faults:
    """What goes wrong, on purpose.

    latency: seconds slept before answering every request.
    error_rate: fraction of requests answered with a Jetty 500/503 page.
    drop_rate: fraction of requests whose socket is closed with no response
        (uploads: after part of the body was read).
    refuse_during_restart: close the listening port for the restart window
        (a process restart) instead of answering STARTING/503.
    restart_never_completes: a restart stays STARTING until this is cleared.
    failing_modules: module ids that come up FAULTED after a restart.
    ping_errors: also apply error_rate/drop_rate to /StatusPing (off by
        default so health polling stays a reliable signal).
    ping_state: a state StatusPing and gwinfo's ContextStatus report instead of
        the real one (e.g. FAULTED): a gateway that answers but is not healthy.
    seed: seeds the random choices, for reproducible fractions.
    """

    latency: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    refuse_during_restart: bool = False
    restart_never_completes: bool = False
    failing_modules: set[str] = field(default_factory=set)
    ping_errors: bool = False
    ping_state: str = ""
    seed: int | None = None

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """Build from `key=value,flag,...`; ValueError names the offending key."""
        faults = cls()
        known = {f.name for f in fields(cls)}
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            key, sep, value = item.partition("=")
            key = key.strip().replace("-", "_")
            value = value.strip()
            if key not in known:
                raise ValueError(f"unknown fault {key!r}; expected one of: {', '.join(sorted(known))}")
            if key in _FLOATS:
                try:
                    number = float(value)
                except ValueError:
                    raise ValueError(f"fault {key!r} needs a number, got {value!r}") from None
                if number < 0 or (key != "latency" and number > 1):
                    raise ValueError(f"fault {key!r} is out of range: {value!r}")
                setattr(faults, key, number)
            elif key in _FLAGS:
                if sep and value.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                    raise ValueError(f"fault {key!r} is a switch, got {value!r}")
                setattr(faults, key, not sep or value.lower() in ("1", "true", "yes", "on"))
            elif key in _WORDS:
                if not value or not value.replace("_", "").isalnum():
                    raise ValueError(f"fault {key!r} needs a word like FAULTED, got {value!r}")
                setattr(faults, key, value.upper())
            elif key == "failing_modules":
                faults.failing_modules = {m.strip() for m in value.split("|") if m.strip()}
            elif key == "seed":
                try:
                    faults.seed = int(value)
                except ValueError:
                    raise ValueError(f"fault 'seed' needs an integer, got {value!r}") from None
        return faults
