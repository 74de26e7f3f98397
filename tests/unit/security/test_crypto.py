"""MasterKey encryption, key parsing, and the key file."""

from __future__ import annotations

import base64
import os
import stat
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolgate.config import Settings
from poolgate.security.crypto import (
    MasterKey,
    WrongMasterKeyError,
    blob_fingerprint,
    load_or_create_master_key,
)

# Vectors: changing the derivation or the blob format breaks every existing
# database, so these values are pinned.
VECTOR_KEY = MasterKey(bytes(range(32)))
VECTOR_TEXT = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
VECTOR_FINGERPRINT = "9b0ae745"
VECTOR_AAD = b"client_secret:vector"
VECTOR_BLOB = bytes.fromhex(
    "019b0ae745d6a7cb8c19b9aa7bc605840f13d553382f172bcd60229618003400da1234179697acfbfef0a2230f577f3d38"
)


def test_vector_key_text_and_fingerprint() -> None:
    assert VECTOR_KEY.to_text() == VECTOR_TEXT
    assert VECTOR_KEY.fingerprint == VECTOR_FINGERPRINT
    assert MasterKey.from_text(VECTOR_TEXT) == VECTOR_KEY


def test_vector_blob_decrypts() -> None:
    assert VECTOR_KEY.decrypt(VECTOR_BLOB, VECTOR_AAD) == b"vector plaintext"
    assert blob_fingerprint(VECTOR_BLOB) == VECTOR_FINGERPRINT


@given(plaintext=st.binary(max_size=512), aad=st.binary(max_size=64))
def test_round_trip(plaintext: bytes, aad: bytes) -> None:
    blob = VECTOR_KEY.encrypt(plaintext, aad)
    assert VECTOR_KEY.decrypt(blob, aad) == plaintext
    assert len(blob) == 1 + 4 + 12 + len(plaintext) + 16


def test_nonce_is_random() -> None:
    key = MasterKey.generate()
    assert key.encrypt(b"same", b"aad") != key.encrypt(b"same", b"aad")


def test_blob_header_carries_version_and_fingerprint() -> None:
    key = MasterKey.generate()
    blob = key.encrypt(b"x", b"a")
    assert blob[0] == 1
    assert blob[1:5].hex() == key.fingerprint


def test_wrong_key_raises_with_both_fingerprints() -> None:
    right, wrong = MasterKey.generate(), MasterKey.generate()
    blob = right.encrypt(b"secret", b"aad")
    with pytest.raises(WrongMasterKeyError) as info:
        wrong.decrypt(blob, b"aad")
    assert (info.value.current, info.value.expected) == (wrong.fingerprint, right.fingerprint)


def test_other_aad_fails_authentication() -> None:
    key = MasterKey.generate()
    blob = key.encrypt(b"secret", b"client_secret:one")
    with pytest.raises(WrongMasterKeyError, match="altered or copied"):
        key.decrypt(blob, b"client_secret:two")


@pytest.mark.parametrize("position", [0, 1, 5, 17, -1])
def test_tampering_is_detected(position: int) -> None:
    key = MasterKey.generate()
    blob = bytearray(key.encrypt(b"secret value", b"aad"))
    blob[position] ^= 0x01
    with pytest.raises((WrongMasterKeyError, ValueError)):
        key.decrypt(bytes(blob), b"aad")


def test_not_a_ciphertext() -> None:
    with pytest.raises(ValueError, match="not a Poolgate ciphertext"):
        VECTOR_KEY.decrypt(b"\x01short", b"")


def test_from_text_accepts_common_encodings() -> None:
    raw = os.urandom(32)
    key = MasterKey(raw)
    assert MasterKey.from_text(base64.urlsafe_b64encode(raw).decode()) == key
    assert MasterKey.from_text(base64.b64encode(raw).decode()) == key  # openssl rand -base64 32
    assert MasterKey.from_text(f"  {key.to_text()}\n") == key
    assert MasterKey.from_text(key.to_text()).to_text() == key.to_text()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("not base64 at all!", "not valid base64"),
        ("é" * 43, "not valid base64"),
        (base64.urlsafe_b64encode(b"x" * 16).decode(), "must decode to 32 bytes, but it decodes to 16"),
        (base64.urlsafe_b64encode(b"x" * 33).decode(), "decodes to 33"),
    ],
)
def test_from_text_rejects_bad_input(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MasterKey.from_text(text)


def test_constructor_checks_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        MasterKey(b"short")


def test_repr_and_fingerprint_do_not_reveal_the_key() -> None:
    key = MasterKey.generate()
    assert key.to_text() not in repr(key)
    assert key.fingerprint in repr(key)
    assert len(key.fingerprint) == 8
    # The fingerprint is not a piece of the key itself.
    raw = base64.urlsafe_b64decode(key.to_text() + "=")
    assert key.fingerprint not in raw.hex()


def test_equality_and_hash() -> None:
    key = MasterKey.generate()
    same = MasterKey.from_text(key.to_text())
    assert key == same and hash(key) == hash(same)
    assert key != MasterKey.generate()
    assert key != "not a key"


def test_settings_key_wins(tmp_path: Path) -> None:
    key = MasterKey.generate()
    loaded = load_or_create_master_key(Settings(data_dir=tmp_path / "d", master_key=key.to_text()))
    assert loaded == key
    assert not (tmp_path / "d").exists()


def test_bad_settings_key_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="POOLGATE_MASTER_KEY"):
        load_or_create_master_key(Settings(data_dir=tmp_path, master_key="nope"))


def test_key_file_is_created_private_then_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "nested" / "data")
    first = load_or_create_master_key(settings)
    path = tmp_path / "nested" / "data" / "master.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert MasterKey.from_text(path.read_text()) == first
    assert load_or_create_master_key(settings) == first
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]


def test_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    existing = MasterKey.generate()
    (tmp_path / "master.key").write_text(existing.to_text())
    assert load_or_create_master_key(Settings(data_dir=tmp_path)) == existing
    assert (tmp_path / "master.key").read_text() == existing.to_text()


def test_unusable_key_file_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "master.key").write_text("garbage")
    with pytest.raises(ValueError, match="master.key"):
        load_or_create_master_key(Settings(data_dir=tmp_path))


def test_concurrent_creation_agrees_on_one_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "race")
    results: list[MasterKey] = []
    barrier = threading.Barrier(8)

    def load() -> None:
        barrier.wait()
        results.append(load_or_create_master_key(settings))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    on_disk = MasterKey.from_text((tmp_path / "race" / "master.key").read_text())
    assert results == [on_disk] * 8
