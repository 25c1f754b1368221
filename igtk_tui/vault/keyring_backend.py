"""The OS-keyring backend, used only when an allow-listed keyring actually answers.

Why an allow-list: `keyring.get_keyring()` alone may be `fail.Keyring`, the
chainer, the null backend, or `keyrings.alt`'s PlaintextKeyring (base64 on
disk) if that package happens to be installed. Only backends that store in an
OS-protected store are accepted, compared by module and class name.

Why a thread with a timeout: on a host with a session bus but a locked
collection, the first call can block on an unlock prompt nobody will answer.
The probe runs once per process in a daemon thread; later calls are bounded too.

Secrets live under service "igtk" with the credential name as the user; the
non-secret index (type, username, gateway URL, description, timestamps) is a
0600 JSON file beside the vault file, so listing never touches the keyring.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from igtk_tui.vault import atomic
from igtk_tui.vault.errors import CredentialExists, VaultCorrupt, VaultUnavailable, not_found
from igtk_tui.vault.model import Credential, CredentialInfo

SERVICE = "igtk"
PROBE_USER = "igtk-availability-probe"  # only ever read, never written
INDEX_VERSION = 1

# module:qualname of the backends that keep secrets in an OS-protected store.
ALLOWED_BACKENDS: frozenset[str] = frozenset(
    {
        "keyring.backends.SecretService:Keyring",
        "keyring.backends.libsecret:Keyring",
        "keyring.backends.kwallet:DBusKeyring",
        "keyring.backends.kwallet:DBusKeyringKWallet4",
        "keyring.backends.macOS:Keyring",
        "keyring.backends.Windows:WinVaultKeyring",
    }
)

T = TypeVar("T")


def backend_id(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}:{cls.__qualname__}"


def is_allowed(backend: object) -> bool:
    """Exact allow-list match; read at call time so tests can extend ALLOWED_BACKENDS."""
    return backend_id(backend) in ALLOWED_BACKENDS


@dataclass(frozen=True)
class ProbeResult:
    backend: Any | None  # a keyring.backend.KeyringBackend that answered, or None
    reason: str  # why none was usable (empty when one was)
    refused: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.backend is not None


_probe_lock = threading.Lock()
_probe_cache: ProbeResult | None = None


def probe(timeout: float) -> ProbeResult:
    """Find a usable allow-listed keyring, at most once per process."""
    global _probe_cache
    with _probe_lock:
        if _probe_cache is None:
            _probe_cache = _probe_uncached(timeout)
        return _probe_cache


def reset_probe() -> None:
    """Forget the cached probe (tests, or after the user unlocked their keyring)."""
    global _probe_cache
    with _probe_lock:
        _probe_cache = None


def _probe_uncached(timeout: float) -> ProbeResult:
    try:
        return call_with_timeout(_find_backend, timeout)
    except TimeoutError:
        return ProbeResult(
            None,
            f"the OS keyring did not answer within {timeout:g} s (a locked collection waiting for an unlock?)",
        )


def _find_backend() -> ProbeResult:
    import keyring
    from keyring.backends import chainer

    current = keyring.get_keyring()
    candidates = list(current.backends) if isinstance(current, chainer.ChainerBackend) else [current]
    refused: list[str] = []
    failures: list[str] = []
    for candidate in candidates:
        ident = backend_id(candidate)
        if not is_allowed(candidate):
            refused.append(ident)
            continue
        try:
            candidate.get_password(SERVICE, PROBE_USER)
        except Exception as exc:  # noqa: BLE001 - locked, no bus, denied: any failure means "not usable"
            failures.append(f"{ident} failed: {type(exc).__name__}: {exc}")
            continue
        return ProbeResult(candidate, "", tuple(refused))
    if failures:
        reason = "the OS keyring is not usable (" + "; ".join(failures) + ")"
    elif refused:
        reason = f"no usable OS keyring (keyring offers only {', '.join(refused)}, not an OS-protected store)"
    else:
        reason = "no OS keyring backend found"
    return ProbeResult(None, reason, tuple(refused))


def call_with_timeout(fn: Callable[..., T], timeout: float, *args: Any) -> T:
    """Run `fn` in a daemon thread; raise TimeoutError if it has not returned in time.

    A hung D-Bus call cannot be interrupted, so the thread is abandoned (daemon:
    it never keeps the process alive)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="igtk-keyring", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


_META_KEYS = ("type", "username", "gateway_url", "description", "created_at", "updated_at")


class KeyringStore:
    def __init__(self, backend: Any, index_path: Path, call_timeout: float) -> None:
        self._backend = backend
        self.index_path = index_path
        self._timeout = call_timeout

    @property
    def name(self) -> str:
        return f"keyring: {getattr(self._backend, 'name', backend_id(self._backend))}"

    def describe(self) -> dict[str, str]:
        return {
            "backend": "OS keyring",
            "keyring": backend_id(self._backend),
            "service": SERVICE,
            "index": str(self.index_path),
        }

    # -- keyring calls, bounded in time -------------------------------------

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return call_with_timeout(fn, self._timeout, *args)
        except TimeoutError:
            raise VaultUnavailable(
                f"the OS keyring did not answer within {self._timeout:g} s"
            ) from None
        except (CredentialExists, VaultCorrupt, VaultUnavailable):
            raise
        except Exception as exc:  # noqa: BLE001 - any backend failure is "unavailable", with its name
            raise VaultUnavailable(f"the OS keyring failed: {type(exc).__name__}: {exc}") from None

    def _set_secret(self, name: str, secret: str) -> None:
        self._call(self._backend.set_password, SERVICE, name, secret)

    def _delete_secret(self, name: str) -> None:
        from keyring.errors import PasswordDeleteError

        def delete() -> None:
            try:
                self._backend.delete_password(SERVICE, name)
            except PasswordDeleteError:  # already gone: the goal is reached
                pass

        self._call(delete)

    # -- the index -----------------------------------------------------------

    def _read_index(self) -> dict[str, dict[str, str]]:
        return read_index(self.index_path) or {}

    def _write_index(self, entries: dict[str, dict[str, str]]) -> None:
        doc = {"version": INDEX_VERSION, "service": SERVICE, "credentials": entries}
        atomic.write_atomic(self.index_path, json.dumps(doc, indent=2, sort_keys=True).encode())

    @staticmethod
    def _meta(cred: Credential) -> dict[str, str]:
        return {k: getattr(cred, k) for k in _META_KEYS}

    # -- Store ---------------------------------------------------------------

    def infos(self) -> list[CredentialInfo]:
        return [
            CredentialInfo(name=name, **{k: str(meta.get(k, "")) for k in _META_KEYS})
            for name, meta in self._read_index().items()
        ]

    def get(self, name: str) -> Credential:
        entries = self._read_index()
        if name not in entries:
            raise not_found(name, list(entries))
        secret = self._call(self._backend.get_password, SERVICE, name)
        if secret is None:
            raise VaultCorrupt(
                f"the OS keyring has no secret for credential {name!r} (removed outside igtk?); "
                f"set it again with: igtk cred edit {name} --secret"
            )
        meta = entries[name]
        return Credential(name=name, secret=secret, **{k: str(meta.get(k, "")) for k in _META_KEYS})

    def add(self, cred: Credential) -> None:
        with atomic.locked(self.index_path):
            entries = self._read_index()
            if cred.name in entries:
                raise CredentialExists(f"a credential named {cred.name!r} already exists")
            self._set_secret(cred.name, cred.secret)
            entries[cred.name] = self._meta(cred)
            self._write_index(entries)

    def replace(self, old_name: str, cred: Credential) -> None:
        # Order: new secret, then index, then drop the old secret, so a crash
        # leaves at worst an orphan secret, never an index entry without one.
        with atomic.locked(self.index_path):
            entries = self._read_index()
            if old_name not in entries:
                raise not_found(old_name, list(entries))
            if cred.name != old_name and cred.name in entries:
                raise CredentialExists(f"a credential named {cred.name!r} already exists")
            self._set_secret(cred.name, cred.secret)
            del entries[old_name]
            entries[cred.name] = self._meta(cred)
            self._write_index(entries)
            if cred.name != old_name:
                self._delete_secret(old_name)

    def delete(self, name: str) -> None:
        with atomic.locked(self.index_path):
            entries = self._read_index()
            if name not in entries:
                raise not_found(name, list(entries))
            del entries[name]
            self._write_index(entries)
            self._delete_secret(name)


def read_index(path: Path) -> dict[str, dict[str, str]] | None:
    """The non-secret index (name -> type, username, gateway URL...); None when there is none.

    Readable without the keyring: `igtk schedule add` checks credential names against it
    while the keyring is locked."""
    raw = atomic.read_bytes(path)
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
        entries = doc["credentials"]
        if doc.get("version") != INDEX_VERSION or not isinstance(entries, dict):
            raise ValueError("unexpected version or shape")
    except (ValueError, KeyError, TypeError) as exc:
        raise VaultCorrupt(f"keyring index {path} is unreadable ({exc}); it was left as is") from None
    return entries
