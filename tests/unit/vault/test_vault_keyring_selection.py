"""Backend selection: allow-listed keyring used; anything else refused; a hang times out."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator

import keyring
import keyring.backend
import pytest
from jaraco.classes import properties
from keyring.backends import chainer, fail
from keyring.errors import PasswordDeleteError

from igtk_tui import redact
from igtk_tui.errors import EXIT_UNAVAILABLE
from igtk_tui.paths import Paths
from igtk_tui.vault import Credential, CredentialExists, CredentialNotFound, VaultUnavailable, keyring_backend


class FakeOSKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring; accepted only when a test adds it to the allow-list.

    Not viable for keyring's own detection (priority raises), so defining it
    here can never make it any other test's default keyring.
    """

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test double: never chosen by keyring's own detection")

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.probes = 0

    def get_password(self, service: str, username: str) -> str | None:
        if username == keyring_backend.PROBE_USER:
            self.probes += 1
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            raise PasswordDeleteError(username) from None


class PlaintextKeyring(FakeOSKeyring):
    """Looks like keyrings.alt's base64-on-disk backend."""

    __module__ = "keyrings.alt.file"


RELEASE = threading.Event()


class HangingKeyring(FakeOSKeyring):
    """A Secret Service whose collection is locked: the first read waits for an unlock prompt."""

    def get_password(self, service: str, username: str) -> str | None:
        RELEASE.wait(30)
        return None


@pytest.fixture
def allow(monkeypatch: pytest.MonkeyPatch) -> Callable[[type], None]:
    """The test hook: add a class to the allow-list for this test only."""

    def add(cls: type) -> None:
        ident = f"{cls.__module__}:{cls.__qualname__}"
        monkeypatch.setattr(keyring_backend, "ALLOWED_BACKENDS", keyring_backend.ALLOWED_BACKENDS | {ident})

    return add


@pytest.fixture
def fake() -> FakeOSKeyring:
    backend = FakeOSKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture(autouse=True)
def release_hung_threads() -> Iterator[None]:
    RELEASE.clear()
    yield
    RELEASE.set()


def test_allow_list_is_os_backends_only() -> None:
    for ident in keyring_backend.ALLOWED_BACKENDS:
        assert ident.startswith("keyring.backends.")
        assert not ident.startswith(("keyring.backends.fail", "keyring.backends.null", "keyring.backends.chainer"))


def test_allow_listed_keyring_is_used(fake: FakeOSKeyring, allow: Callable[[type], None], open_vault) -> None:
    allow(FakeOSKeyring)
    vault = open_vault()
    assert vault.backend_name.startswith("keyring: ")
    assert vault.describe()["keyring"].endswith(":FakeOSKeyring")


def test_unlisted_keyring_is_refused_and_file_used(fake: FakeOSKeyring, open_vault) -> None:
    vault = open_vault(passphrase="pp-for-file")
    assert vault.backend_name.startswith("encrypted file: ")
    assert "FakeOSKeyring" in vault.describe()["selected because"]


def test_fail_keyring_falls_back_to_file(open_vault) -> None:
    keyring.set_keyring(fail.Keyring())
    assert open_vault(passphrase="pp").backend_name.startswith("encrypted file: ")


def test_plaintext_like_keyring_is_refused(allow: Callable[[type], None], open_vault, paths: Paths) -> None:
    keyring.set_keyring(PlaintextKeyring())
    with pytest.raises(VaultUnavailable) as info:
        open_vault()
    assert "keyrings.alt.file:PlaintextKeyring" in str(info.value)
    assert info.value.exit_code == EXIT_UNAVAILABLE
    assert open_vault(passphrase="pp").backend_name == f"encrypted file: {paths.vault_file}"


def test_chainer_is_searched_for_an_allowed_member(
    fake: FakeOSKeyring, allow: Callable[[type], None], monkeypatch: pytest.MonkeyPatch, open_vault
) -> None:
    allow(FakeOSKeyring)
    chain = chainer.ChainerBackend()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", property(lambda self: [PlaintextKeyring(), fake]))
    keyring.set_keyring(chain)
    assert open_vault().describe()["keyring"].endswith(":FakeOSKeyring")


def test_hanging_probe_times_out_then_file(allow: Callable[[type], None], open_vault) -> None:
    allow(HangingKeyring)
    keyring.set_keyring(HangingKeyring())
    start = time.monotonic()
    vault = open_vault(passphrase="pp", keyring_timeout=0.3)
    elapsed = time.monotonic() - start
    assert vault.backend_name.startswith("encrypted file: ")
    assert "did not answer within 0.3 s" in vault.describe()["selected because"]
    assert elapsed < 1.5


def test_hanging_probe_without_passphrase_is_unavailable_fast(allow: Callable[[type], None], open_vault) -> None:
    allow(HangingKeyring)
    keyring.set_keyring(HangingKeyring())
    start = time.monotonic()
    with pytest.raises(VaultUnavailable, match="did not answer"):
        open_vault(keyring_timeout=0.2)
    assert time.monotonic() - start < 1.0


def test_probe_runs_once_per_process(fake: FakeOSKeyring, allow: Callable[[type], None], open_vault) -> None:
    allow(FakeOSKeyring)
    for _ in range(3):
        open_vault()
    assert fake.probes == 1


def test_backend_keyring_forced_without_one_is_unavailable(open_vault) -> None:
    with pytest.raises(VaultUnavailable, match="^vault unavailable: no usable OS keyring"):
        open_vault(backend="keyring", passphrase="pp")


def test_existing_file_with_passphrase_wins_over_keyring(
    fake: FakeOSKeyring, allow: Callable[[type], None], open_vault
) -> None:
    open_vault(backend="file", passphrase="pp").add(Credential("old", "basic", "u", "file-secret"))
    allow(FakeOSKeyring)
    assert open_vault().backend_name.startswith("keyring: ")
    vault = open_vault(passphrase="pp")
    assert vault.backend_name.startswith("encrypted file: ")
    assert vault.names() == ["old"]


def test_keyring_store_round_trip(
    fake: FakeOSKeyring, allow: Callable[[type], None], open_vault, paths: Paths
) -> None:
    allow(FakeOSKeyring)
    vault = open_vault()
    vault.add(Credential("gw1", "basic", "admin", "kr-secret-111", "http://gw1:8088", "line 1"))
    vault.add(Credential("tok", "api-token", "ci", "kr-secret-222"))
    assert fake.store[("igtk", "gw1")] == "kr-secret-111"
    with pytest.raises(CredentialExists):
        vault.add(Credential("gw1", "basic", "x", "y-secret"))

    index = paths.vault_file.parent / "keyring-index.json"
    assert stat.S_IMODE(os.stat(index).st_mode) == 0o600
    text = index.read_text()
    assert "kr-secret" not in text
    assert json.loads(text)["credentials"]["gw1"]["username"] == "admin"

    assert [i.name for i in vault.list()] == ["gw1", "tok"]
    assert vault.get("gw1").secret == "kr-secret-111"
    assert redact.scrub("x kr-secret-111 y ci:kr-secret-222") == "x •••• y ••••"
    vault.get("tok")
    assert redact.scrub("ci:kr-secret-222") == "••••"

    vault.update("gw1", secret="kr-secret-333", description="line 2")
    assert fake.store[("igtk", "gw1")] == "kr-secret-333"
    assert vault.get("gw1").description == "line 2"

    vault.rename("gw1", "gw-1")
    assert ("igtk", "gw1") not in fake.store
    assert vault.get("gw-1").secret == "kr-secret-333"
    with pytest.raises(CredentialNotFound, match="did you mean: gw-1"):
        vault.get("gw1")

    vault.delete("gw-1")
    assert ("igtk", "gw-1") not in fake.store
    assert vault.names() == ["tok"]


def test_secret_removed_outside_igtk_is_explained(
    fake: FakeOSKeyring, allow: Callable[[type], None], open_vault
) -> None:
    allow(FakeOSKeyring)
    vault = open_vault()
    vault.add(Credential("gw1", "basic", "admin", "kr-secret-444"))
    fake.store.clear()
    with pytest.raises(Exception, match="igtk cred edit gw1 --secret"):
        vault.get("gw1")


def test_status_for_info_unlocks_nothing(paths: Paths, fake: FakeOSKeyring, allow: Callable[[type], None]) -> None:
    from igtk_tui.vault import vault_status

    status = vault_status(paths, env={})
    assert status["backend"].startswith("unavailable")
    assert "FakeOSKeyring" in status["keyring"]
    assert "not created yet" in status["vault_file"]
    status = vault_status(paths, env={"IGTK_VAULT_PASSPHRASE": "pp-value"})
    assert status["backend"] == f"encrypted file: {paths.vault_file}"
    assert "pp-value" not in repr(status)
    keyring_backend.reset_probe()
    allow(FakeOSKeyring)
    assert vault_status(paths, env={})["backend"].startswith("keyring: ")
    assert not paths.vault_file.exists()


def test_doubles_are_invisible_to_keyring_detection() -> None:
    import keyring.backend

    names = {type(k).__name__ for k in keyring.backend.get_all_keyring()}
    assert not names & {"FakeOSKeyring", "PlaintextKeyring", "HangingKeyring"}
