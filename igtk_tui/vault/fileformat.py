"""The encrypted vault file, as bytes in and bytes out (no I/O here).

Layout (all integers big-endian)::

    header   magic "IGTKVLT1" | kdf id u8 | p1 u32 | p2 u32 | p3 u32 | salt len u8 | salt
    check    nonce(12) | len u32 | AES-256-GCM(enc key, "igtk vault key check v1", aad=header)
    count    u32
    entry*   nonce(12) | len u16 | GCM(name utf-8, aad="igtk-vault entry name")
             nonce(12) | len u32 | GCM(JSON of the other fields, aad=name utf-8)
    mac      HMAC-SHA256(mac key, every byte above)
    sum      SHA-256(every byte above)

Names are stored ENCRYPTED (the earlier tools kept them in clear); each payload
is bound to its name as associated data, so moving a payload under another
name fails authentication. The key check turns a wrong passphrase into a plain
"wrong vault passphrase" instead of a decryption error; the keyed MAC catches
entries dropped, reordered or rolled back; the unkeyed checksum tells accidental
damage or truncation ("corrupt") apart from a wrong passphrase before any key
is needed. Every nonce is random (96 bits) and fresh on every write.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from igtk_tui.vault.errors import VaultCorrupt, VaultLocked
from igtk_tui.vault.kdf import KdfParams, derive_master_key
from igtk_tui.vault.model import Credential

MAGIC = b"IGTKVLT1"
SALT_LENGTH = 16
NONCE_LENGTH = 12
DIGEST_LENGTH = 32
KEY_CHECK_PLAINTEXT = b"igtk vault key check v1"
NAME_AAD = b"igtk-vault entry name"
_HEADER_FIXED = struct.Struct(">8sBIIIB")


@dataclass(frozen=True)
class Header:
    kdf: KdfParams
    salt: bytes

    @classmethod
    def new(cls, kdf: KdfParams) -> Header:
        return cls(kdf=kdf, salt=os.urandom(SALT_LENGTH))

    def to_bytes(self) -> bytes:
        k = self.kdf
        return _HEADER_FIXED.pack(MAGIC, k.kdf_id, k.p1, k.p2, k.p3, len(self.salt)) + self.salt


@dataclass(frozen=True)
class Keys:
    """Subkeys derived once per open; the passphrase itself is not kept."""

    enc: bytes
    mac: bytes

    @classmethod
    def derive(cls, passphrase: str, header: Header) -> Keys:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        master = derive_master_key(passphrase, header.salt, header.kdf)

        def sub(info: bytes) -> bytes:
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)

        return cls(enc=sub(b"igtk-vault v1 aes-256-gcm"), mac=sub(b"igtk-vault v1 file hmac"))

    def __repr__(self) -> str:
        return "Keys(••••)"


class _Reader:
    """Sequential reads that turn a short file into VaultCorrupt, never IndexError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise VaultCorrupt("the file is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])


def _body(raw: bytes) -> bytes:
    """Check the trailing checksum and return everything before the MAC."""
    if not raw.startswith(MAGIC):
        if raw.startswith(MAGIC[:7]):
            raise VaultCorrupt(f"the file is in format {raw[:8]!r}, which this igtk cannot read")
        raise VaultCorrupt("the file is not an igtk vault (bad magic)")
    if len(raw) < _HEADER_FIXED.size + 2 * DIGEST_LENGTH:
        raise VaultCorrupt("the file is truncated")
    content, checksum = raw[:-DIGEST_LENGTH], raw[-DIGEST_LENGTH:]
    if not hmac.compare_digest(hashlib.sha256(content).digest(), checksum):
        raise VaultCorrupt("the file is damaged or truncated (checksum mismatch)")
    return content[:-DIGEST_LENGTH]


def read_header(raw: bytes) -> Header:
    """Parse and check the header; needs no key."""
    reader = _Reader(_body(raw))
    magic, kdf_id, p1, p2, p3, salt_len = _HEADER_FIXED.unpack(reader.take(_HEADER_FIXED.size))
    assert magic == MAGIC
    params = KdfParams(kdf_id, p1, p2, p3)
    params.check()
    if not 16 <= salt_len <= 64:
        raise VaultCorrupt("the vault header has an invalid salt")
    return Header(kdf=params, salt=reader.take(salt_len))


def _seal(aes: object, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    nonce = os.urandom(NONCE_LENGTH)
    return nonce, aes.encrypt(nonce, plaintext, aad)  # type: ignore[attr-defined]


def encode(header: Header, keys: Keys, credentials: Iterable[Credential]) -> bytes:
    """Serialize and encrypt every credential with fresh nonces."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes = AESGCM(keys.enc)
    head = header.to_bytes()
    parts = [head]
    nonce, check = _seal(aes, KEY_CHECK_PLAINTEXT, head)
    parts += [nonce, struct.pack(">I", len(check)), check]
    creds = sorted(credentials, key=lambda c: c.name)
    parts.append(struct.pack(">I", len(creds)))
    for cred in creds:
        name = cred.name.encode("utf-8")
        n_nonce, n_ct = _seal(aes, name, NAME_AAD)
        payload = json.dumps(cred.to_payload(), separators=(",", ":")).encode("utf-8")
        p_nonce, p_ct = _seal(aes, payload, name)
        parts += [n_nonce, struct.pack(">H", len(n_ct)), n_ct]
        parts += [p_nonce, struct.pack(">I", len(p_ct)), p_ct]
    content = b"".join(parts)
    content += hmac.new(keys.mac, content, hashlib.sha256).digest()
    return content + hashlib.sha256(content).digest()


def decode(raw: bytes, keys: Keys) -> dict[str, Credential]:
    """Verify and decrypt the whole file. Wrong key -> VaultLocked; any damage -> VaultCorrupt."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    body = _body(raw)
    header = read_header(raw)
    head = header.to_bytes()
    reader = _Reader(body)
    reader.take(len(head))
    aes = AESGCM(keys.enc)
    nonce = reader.take(NONCE_LENGTH)
    check = reader.take(reader.u32())
    try:
        if aes.decrypt(nonce, check, head) != KEY_CHECK_PLAINTEXT:
            raise VaultLocked()
    except InvalidTag:
        raise VaultLocked() from None
    mac = raw[len(body) : len(body) + DIGEST_LENGTH]
    if not hmac.compare_digest(hmac.new(keys.mac, body, hashlib.sha256).digest(), mac):
        raise VaultCorrupt("the file failed its integrity check (changed outside igtk)")
    out: dict[str, Credential] = {}
    for index in range(reader.u32()):
        n_nonce = reader.take(NONCE_LENGTH)
        n_ct = reader.take(reader.u16())
        p_nonce = reader.take(NONCE_LENGTH)
        p_ct = reader.take(reader.u32())
        try:
            name_bytes = aes.decrypt(n_nonce, n_ct, NAME_AAD)
        except InvalidTag:
            raise VaultCorrupt(f"entry {index + 1}: its name does not decrypt") from None
        name = name_bytes.decode("utf-8", "replace")
        try:
            payload = aes.decrypt(p_nonce, p_ct, name_bytes)
        except InvalidTag:
            raise VaultCorrupt(
                f"entry {name!r}: its data does not belong to that name or was altered"
            ) from None
        if name in out:
            raise VaultCorrupt(f"entry {name!r} appears twice")
        try:
            out[name] = Credential.from_payload(name, json.loads(payload))
        except Exception as exc:  # noqa: BLE001 - a payload that decrypts but does not parse
            raise VaultCorrupt(f"entry {name!r} is malformed: {exc}") from None
    if reader.pos != len(body):
        raise VaultCorrupt("the file has unexpected trailing data")
    return out


def reseal(content_without_digests: bytes, keys: Keys) -> bytes:
    """Append MAC and checksum to hand-built content. Tests use it to reach the AAD check."""
    content = content_without_digests + hmac.new(keys.mac, content_without_digests, hashlib.sha256).digest()
    return content + hashlib.sha256(content).digest()
