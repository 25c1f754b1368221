"""The byte format: authentication, AAD binding, damage detection, nothing in clear."""

from __future__ import annotations

import struct

import pytest

from igtk_tui.vault import Credential, VaultCorrupt, VaultLocked
from igtk_tui.vault import fileformat as ff
from igtk_tui.vault.kdf import CHEAP_TEST_KDF, KdfParams

PASSPHRASE = "correct horse battery staple"
CREDS = [
    Credential("alpha", "basic", "alice-user", "alpha-secret-AAAA", "http://a:8088", "first"),
    Credential("bravo", "api-token", "bravo-token", "bravo-secret-BBBB"),
]


@pytest.fixture(scope="module")
def sealed() -> tuple[ff.Header, ff.Keys, bytes]:
    header = ff.Header.new(CHEAP_TEST_KDF)
    keys = ff.Keys.derive(PASSPHRASE, header)
    return header, keys, ff.encode(header, keys, CREDS)


def test_round_trip(sealed: tuple[ff.Header, ff.Keys, bytes]) -> None:
    header, keys, raw = sealed
    assert raw.startswith(b"IGTKVLT1")
    assert ff.read_header(raw) == header
    out = ff.decode(raw, keys)
    assert out == {c.name: c for c in CREDS}


def test_nothing_in_clear(sealed: tuple[ff.Header, ff.Keys, bytes]) -> None:
    raw = sealed[2]
    for text in ("alpha-secret-AAAA", "bravo-secret-BBBB", PASSPHRASE, "alice-user", "alpha", "bravo"):
        assert text.encode() not in raw


def test_wrong_passphrase_is_locked_not_corrupt(sealed: tuple[ff.Header, ff.Keys, bytes]) -> None:
    header, _, raw = sealed
    with pytest.raises(VaultLocked, match="^wrong vault passphrase$"):
        ff.decode(raw, ff.Keys.derive("wrong", header))


@pytest.mark.parametrize("cut", [1, 10, 33, 64, 100])
def test_truncation_is_corrupt(sealed: tuple[ff.Header, ff.Keys, bytes], cut: int) -> None:
    _, keys, raw = sealed
    with pytest.raises(VaultCorrupt):
        ff.decode(raw[:-cut], keys)


def test_any_flipped_byte_is_corrupt(sealed: tuple[ff.Header, ff.Keys, bytes]) -> None:
    _, keys, raw = sealed
    for pos in range(8, len(raw), 7):  # past the magic, across header, entries and digests
        damaged = bytearray(raw)
        damaged[pos] ^= 0x01
        with pytest.raises(VaultCorrupt):
            ff.decode(bytes(damaged), keys)


def test_not_a_vault() -> None:
    with pytest.raises(VaultCorrupt, match="not an igtk vault"):
        ff.read_header(b"{}" * 100)
    with pytest.raises(VaultCorrupt, match="IGTKVLT9"):
        ff.read_header(b"IGTKVLT9" + bytes(100))


def _entries(body: bytes, header_len: int) -> tuple[int, list[tuple[int, int, int, int]]]:
    """Offsets of (name start, name end, payload start, payload end) for each entry."""
    pos = header_len
    pos += 12
    (check_len,) = struct.unpack(">I", body[pos : pos + 4])
    pos += 4 + check_len
    (count,) = struct.unpack(">I", body[pos : pos + 4])
    count_pos = pos
    pos += 4
    spans = []
    for _ in range(count):
        name_start = pos
        (n,) = struct.unpack(">H", body[pos + 12 : pos + 14])
        pos += 14 + n
        pay_start = pos
        (p,) = struct.unpack(">I", body[pos + 12 : pos + 16])
        pos += 16 + p
        spans.append((name_start, pay_start, pay_start, pos))
    return count_pos, spans


def test_swapped_payloads_fail_the_name_binding(sealed: tuple[ff.Header, ff.Keys, bytes]) -> None:
    """Even with a valid MAC (an attacker with the key material aside), AAD catches the swap."""
    header, keys, raw = sealed
    body = raw[: -2 * ff.DIGEST_LENGTH]
    _, spans = _entries(body, len(header.to_bytes()))
    (a_name, a_pay, _, a_end), (b_name, b_pay, _, b_end) = spans
    swapped = body[:a_pay] + body[b_pay:b_end] + body[a_end:b_pay] + body[a_pay:a_end] + body[b_end:]
    # Names stay put; payloads trade places.
    assert len(swapped) == len(body)
    with pytest.raises(VaultCorrupt, match="does not belong to that name"):
        ff.decode(ff.reseal(swapped, keys), keys)
    # Without resealing, the file MAC/checksum catches it first.
    with pytest.raises(VaultCorrupt):
        ff.decode(swapped + raw[-2 * ff.DIGEST_LENGTH :], keys)


def test_dropped_entry_fails_the_mac(sealed: tuple[ff.Header, ff.Keys, bytes]) -> None:
    header, keys, raw = sealed
    body = raw[: -2 * ff.DIGEST_LENGTH]
    count_pos, spans = _entries(body, len(header.to_bytes()))
    dropped = body[:count_pos] + struct.pack(">I", 1) + body[spans[1][0] :]
    content = dropped + raw[-2 * ff.DIGEST_LENGTH : -ff.DIGEST_LENGTH]
    import hashlib

    with pytest.raises(VaultCorrupt, match="integrity check"):
        ff.decode(content + hashlib.sha256(content).digest(), keys)


def test_nonces_are_fresh_each_write(sealed: tuple[ff.Header, ff.Keys, bytes]) -> None:
    header, keys, raw = sealed
    again = ff.encode(header, keys, CREDS)
    assert again != raw and len(again) == len(raw)


@pytest.mark.parametrize(
    "params",
    [KdfParams(9, 1, 1, 1), KdfParams(2, 1 << 22, 3, 4), KdfParams(1, 30, 8, 1), KdfParams(2, 64, 0, 1)],
)
def test_hostile_kdf_parameters_are_refused(params: KdfParams) -> None:
    header = ff.Header(kdf=CHEAP_TEST_KDF, salt=bytes(16))
    raw = header.to_bytes()
    import hashlib

    bad = ff.Header(kdf=params, salt=bytes(16)).to_bytes() + raw[len(raw) :] + bytes(40)
    content = bad + bytes(32)
    with pytest.raises(VaultCorrupt, match="unsupported key derivation"):
        ff.read_header(content + hashlib.sha256(content).digest())
