"""The in-memory gateway: configuration, modules, projects, trial and the restart machine.

One `GatewayState` per simulator instance (tests run in parallel). Request
handlers run on server threads and mutate it under `state.lock` (the
dispatcher holds it around every handler). Time-driven changes (the end of a
restart, the trial countdown) are computed lazily by `tick()` from clocks, so
no timer thread can race a test that inspects or changes the state.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from igtk_tui.gateway.modl import CertificateInfo
from igtk_tui.gateway.version import GatewayVersion
from igtk_tui.simulator.faults import Faults

# REST versions carry a build ("8.3.6 (b2026042713)"); gwinfo shows the plain one (docs/simulator.md).
VERSIONS = {"8.3": ("8.3.6", "b2026042713"), "8.1": ("8.1.44", "b2024091210")}
RUNNING = "RUNNING"
STARTING = "STARTING"
REDUNDANCY_ROLES = ("Independent", "Master", "Backup")  # gwinfo RedundancyStatus (IA-HELM)


@dataclass
class SimConfig:
    """Knobs fixed at construction (tests may still change them on `gw.config`)."""

    version: str = "8.3"
    api_tokens: dict[str, str] = field(default_factory=dict)
    readonly_tokens: dict[str, str] = field(default_factory=dict)
    restart_seconds: float = 2.0
    require_https_for_tokens: bool = False
    gateway_info_requires_auth: bool = True
    admin_username: str = "admin"
    admin_password: str = "password"
    session_cookie_name: str = "JSESSIONID"
    gateway_name: str = "Ignition-igtk-sim"
    edition: str = "standard"
    trial_seconds: float = 7200.0
    allow_unsigned_modules: bool = False
    # Redundancy (issue 17 item 8): "Independent", "Master" or "Backup", and the peer's address.
    redundancy_role: str = "Independent"
    redundant_peer: str = ""
    scan_seconds: float = 0.3  # how long a project/config scan stays scanActive
    project_scan_module: bool = False  # 8.1: the third-party Project Scan Endpoint module is installed
    url: str = ""

    @property
    def line(self) -> str:
        """`8.3` or `8.1`: which HTTP surface is served."""
        return GatewayVersion.parse(self.version).line

    @property
    def plain_version(self) -> str:
        if self.version.count(".") >= 2:
            return self.version
        return VERSIONS[self.line][0]

    @property
    def build(self) -> str:
        return VERSIONS[self.line][1]

    @property
    def full_version(self) -> str:
        return f"{self.plain_version} ({self.build})"


@dataclass
class Module:
    """An installed module as the gateway tracks it (the REST module item is built from it)."""

    id: str
    name: str
    version: str
    description: str = ""
    vendor_name: str = "Inductive Automation"
    vendor_id: str = "inductiveautomation"
    doc_url: str = ""
    filename: str = ""
    self_signed: bool = False
    license_state: str = "TRIAL"
    state: str = "ACTIVE"
    enabled: bool = True
    fault_cause: str | None = None
    fault_time: int | None = None
    startup_time: int = 0
    on_startup: str | None = None
    should_upgrade: bool = False


@dataclass
class QuarantinedModule:
    """An uploaded module waiting for certificate/EULA acceptance and install."""

    id: str
    name: str
    version: str
    description: str
    filename: str
    data: bytes
    license_text: str | None
    license_crc: int | None
    cert_fingerprint: str | None
    cert_subject: str | None
    cert_accepted: bool
    license_accepted: bool
    reason: str = "Pending acceptance"
    certificate: CertificateInfo | None = None


@dataclass
class Project:
    name: str
    title: str = ""
    description: str = ""
    enabled: bool = True
    parent: str | None = None
    inheritable: bool = False
    default_db: str = ""
    tag_provider: str = "default"
    user_source: str = "default"
    identity_provider: str = "default"
    resources: dict[str, bytes] = field(default_factory=dict)


@dataclass
class PendingTask:
    """A change that takes effect at the next restart; `label` is what restart-tasks/pending shows."""

    label: str
    apply: Callable[[GatewayState], None]
    visible: bool = True


@dataclass
class WebSession:
    id: str
    username: str
    kind: str
    csrf_token: str = field(default_factory=lambda: secrets.token_hex(16))


def now_ms() -> int:
    return int(time.time() * 1000)


class GatewayState:
    """Everything the simulated gateway knows; inspectable (and adjustable) by tests."""

    def __init__(self, config: SimConfig, faults: Faults, commissioning: bool = False) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.faults = faults
        self.commissioning = commissioning
        self.commissioning_steps: dict[str, Any] = {}
        self.phase = RUNNING
        self.restart_until: float | None = None
        self.restart_count = 0
        self.started_at = time.time()
        self.gateway_name = config.gateway_name
        self.gateway_id = secrets.token_hex(4)
        self.modules: dict[str, Module] = {}
        self.quarantine: dict[str, QuarantinedModule] = {}
        self.pending: list[PendingTask] = []
        self.trusted_certs: set[str] = set()
        self.accepted_eulas: set[tuple[str, int]] = set()
        self.projects: dict[str, Project] = {}
        self.trial_expires_at = time.time() + config.trial_seconds
        self.resources: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.modes: dict[str, dict[str, Any]] = {}
        self.scans: dict[str, dict[str, Any]] = {}
        self.scan_locks: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, WebSession] = {}
        self.login_flows: dict[str, dict[str, Any]] = {}
        self.auth_codes: dict[str, dict[str, Any]] = {}
        self.perspective_sessions: dict[str, dict[str, Any]] = {}
        self.users: dict[str, str] = {config.admin_username: config.admin_password}
        self.generated_tokens: list[dict[str, str]] = []
        self.restores: int = 0
        # A redundant node's view of its peer (False: the other node is down).
        self.redundant_peer_connected = True
        # Logging: logger name -> (level, default level); recent events, newest last.
        self.loggers: dict[str, dict[str, str]] = {}
        self.log_events: list[dict[str, Any]] = []
        # Tag configuration per provider, in the JSON tag-export shape.
        self.tags: dict[str, list[dict[str, Any]]] = {}
        # Gateway network connections (remote id -> connection).
        self.gan_connections: dict[str, dict[str, Any]] = {}

    def log(self, logger: str, level: str, message: str) -> None:
        """Record a gateway log event (what /logs and /logs/download serve)."""
        self.log_events.append({"timestamp": now_ms(), "loggerName": logger, "level": level,
                                "message": message, "stack": None, "mdc": {}})
        del self.log_events[:-2000]

    # -- redundancy (gwinfo keys; IA-HELM redundant-health-check.sh) -----------------------
    def redundancy(self) -> dict[str, str]:
        """gwinfo's redundancy keys for this node: a backup is Warm while its master is up."""
        role = self.config.redundancy_role
        if role == "Independent":
            return {"RedundancyStatus": role, "RedundantState": "Good", "RedundantNodeActiveStatus": "Active",
                    "RedundantBackupAddresses": ""}
        connected = self.redundant_peer_connected
        active = "Active" if role == "Master" or not connected else "Warm"
        return {
            "RedundancyStatus": role,
            "RedundantState": "Good" if connected else "Unknown",
            "RedundantNodeActiveStatus": active,
            "RedundantBackupAddresses": self.config.redundant_peer if role == "Master" else "",
        }

    # -- restart machine ------------------------------------------------
    def begin_restart(self, seconds: float | None = None) -> None:
        """RUNNING -> STARTING; pending tasks apply when the window ends."""
        with self.lock:
            window = self.config.restart_seconds if seconds is None else seconds
            self.phase = STARTING
            self.restart_until = time.monotonic() + max(0.0, window)
            self.restart_count += 1

    def tick(self) -> None:
        """Finish a due restart (unless the fault keeps it STARTING)."""
        with self.lock:
            if self.phase != STARTING or self.restart_until is None:
                return
            if self.faults.restart_never_completes or time.monotonic() < self.restart_until:
                return
            self._complete_restart()

    def restart_remaining(self) -> float:
        """Seconds left in the STARTING window (0 when not restarting)."""
        if self.phase != STARTING or self.restart_until is None:
            return 0.0
        return max(0.0, self.restart_until - time.monotonic())

    def _complete_restart(self) -> None:
        tasks, self.pending = self.pending, []
        for task in tasks:
            task.apply(self)
        self.refresh_module_states()
        self.phase = RUNNING
        self.restart_until = None
        self.started_at = time.time()

    def refresh_module_states(self, only: str | None = None) -> None:
        """Modules come up ACTIVE, or FAULTED when listed in faults.failing_modules."""
        stamp = now_ms()
        for module in self.modules.values():
            if only is not None and module.id != only:
                continue
            module.on_startup = None
            module.should_upgrade = False
            module.startup_time = stamp
            if module.id in self.faults.failing_modules:
                module.state = "FAULTED"
                module.fault_cause = f"Module {module.id} failed to start (simulated fault)"
                module.fault_time = stamp
            else:
                module.state = "ACTIVE" if module.enabled else "INACTIVE"
                module.fault_cause = None
                module.fault_time = None

    # -- trial ------------------------------------------------------
    def trial_seconds_left(self) -> int:
        return max(0, int(self.trial_expires_at - time.time()))

    def trial_expired(self) -> bool:
        return time.time() >= self.trial_expires_at

    def reset_trial(self) -> None:
        self.trial_expires_at = time.time() + self.config.trial_seconds

    # -- users -------------------------------------------------------------------
    def check_password(self, username: str, password: str) -> bool:
        """Plain passwords, or the commissioning `[salt]sha256(password+salt)` form."""
        import hashlib

        stored = self.users.get(username)
        if stored is None:
            return False
        if stored.startswith("[") and "]" in stored:
            salt, digest = stored[1:].split("]", 1)
            computed = hashlib.sha256((password + salt).encode()).hexdigest()
            return secrets.compare_digest(computed, digest.lower())
        return secrets.compare_digest(stored.encode(), password.encode())  # str form refuses non-ASCII
