"""Passphrase -> key derivation with a memory-hard KDF whose parameters travel in the file.

Argon2id (64 MiB, 3 passes, 4 lanes; ~0.2 s on the project's machines) is the
default; scrypt is readable too. Parameters are recorded in the vault header so
they can be raised later without breaking existing files, and are bounded on
read so a hostile header cannot make `open` allocate gigabytes.

Derivations run one at a time in a process (`_DERIVING`): OpenSSL computes the
Argon2id lanes in threads from one pool per process, and two derivations at once
(the agent opening its vault itself while `igtk agent unlock` arrives) each hold
part of the pool and wait for the rest: both hang, or one fails to start its
threads, which cryptography reports as "MemoryError: Not enough memory to derive
key" whatever memory is free.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass

from igtk_tui.vault.errors import VaultCorrupt

SCRYPT = 1
ARGON2ID = 2
KDF_NAMES = {SCRYPT: "scrypt", ARGON2ID: "argon2id"}
KEY_LENGTH = 32
_DERIVING = threading.Lock()


@dataclass(frozen=True)
class KdfParams:
    """KDF id and its three integer parameters.

    scrypt: p1 = log2(n), p2 = r, p3 = p.  argon2id: p1 = memory KiB, p2 = passes, p3 = lanes.
    """

    kdf_id: int
    p1: int
    p2: int
    p3: int

    def describe(self) -> str:
        if self.kdf_id == SCRYPT:
            return f"scrypt n=2^{self.p1} r={self.p2} p={self.p3}"
        return f"argon2id m={self.p1} KiB t={self.p2} p={self.p3}"

    def check(self) -> None:
        """Refuse unknown ids and parameters outside sane bounds (header is untrusted)."""
        ok = False
        if self.kdf_id == SCRYPT:
            ok = 1 <= self.p1 <= 24 and 1 <= self.p2 <= 32 and 1 <= self.p3 <= 16
            ok = ok and 128 * self.p2 * (1 << self.p1) <= 1 << 30  # scrypt memory <= 1 GiB
        elif self.kdf_id == ARGON2ID:
            ok = 1 <= self.p2 <= 64 and 1 <= self.p3 <= 64 and 8 * self.p3 <= self.p1 <= 1 << 21
        if not ok:
            raise VaultCorrupt(f"vault header names an unsupported key derivation: {self!r}")


DEFAULT_KDF = KdfParams(ARGON2ID, 64 * 1024, 3, 4)
# For tests only: a new vault made with this opens in milliseconds.
CHEAP_TEST_KDF = KdfParams(ARGON2ID, 64, 1, 1)


def normalize_passphrase(passphrase: str) -> bytes:
    """NFC-normalize so the same passphrase typed on different terminals gives one key."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_master_key(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    params.check()
    secret = normalize_passphrase(passphrase)
    with _DERIVING:
        return _derive(secret, salt, params)


def _derive(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    if params.kdf_id == SCRYPT:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        return Scrypt(salt=salt, length=KEY_LENGTH, n=1 << params.p1, r=params.p2, p=params.p3).derive(
            secret
        )
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=salt, length=KEY_LENGTH, iterations=params.p2, lanes=params.p3, memory_cost=params.p1
    ).derive(secret)
