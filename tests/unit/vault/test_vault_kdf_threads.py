"""Key derivations from several threads at once (the agent opening its vault itself while
`igtk agent unlock` arrives): each finishes with the right key. Before derivations were
serialized, two real Argon2id (64 MiB, 4 lanes) derivations at once both hung in OpenSSL's
thread pool, or one failed with "MemoryError: Not enough memory to derive key"."""

from __future__ import annotations

import threading

from igtk_tui.vault.kdf import DEFAULT_KDF, derive_master_key

SALT = bytes(range(16))


def test_concurrent_default_kdf_derivations_all_finish_with_the_same_key() -> None:
    expected = derive_master_key("thread passphrase", SALT, DEFAULT_KDF)
    results: list[object] = []

    def derive() -> None:
        try:
            results.append(derive_master_key("thread passphrase", SALT, DEFAULT_KDF))
        except Exception as exc:  # noqa: BLE001 - the failure is the assertion below
            results.append(exc)

    threads = [threading.Thread(target=derive, daemon=True) for _ in range(3)]  # daemon: a hang cannot block exit
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)  # generous: the machine is shared; a hang never ends
    assert not any(thread.is_alive() for thread in threads), "a derivation hung"
    assert results == [expected] * 3
