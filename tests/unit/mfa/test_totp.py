"""``poolgate.mfa.totp`` against RFC 6238 appendix B and RFC 4226 appendix D, plus the window,
replay and argument rules Poolgate adds."""

from __future__ import annotations

import pyotp
import pytest

from poolgate.mfa.totp import (
    CodeReused,
    InvalidCode,
    Totp,
    from_base32,
    hotp,
    new_secret,
    to_base32,
)

# RFC 6238 appendix B: the seeds are the ASCII digits repeated to the hash's size.
SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
# RFC 4226 appendix D: HOTP values for counters 0..9 of the SHA-1 seed.
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        totp = Totp(SEEDS[algorithm], digits=8, algorithm=algorithm)
        assert totp.generate(at) == expected
        assert totp.verify(expected, at) == at // 30


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226)))
def test_rfc4226_vectors(counter: int, expected: str) -> None:
    assert hotp(SEEDS["sha1"], counter) == expected


def test_cognito_parameters_agree_with_pyotp() -> None:
    secret = new_secret()
    assert len(secret) == 20 and len(to_base32(secret)) == 32
    client = pyotp.TOTP(to_base32(secret))
    totp = Totp(secret)
    for at in (0, 29, 30, 1_800_000_000, 1_800_000_017):
        assert totp.generate(at) == client.at(at)
        assert totp.verify(client.at(at), at) == at // 30


def test_window_is_one_step_each_side() -> None:
    totp = Totp(SEEDS["sha1"])
    at = 1_800_000_000  # a multiple of 30: the start of a step
    step = at // 30
    assert totp.verify(totp.code_of_step(step - 1), at) == step - 1
    assert totp.verify(totp.code_of_step(step + 1), at) == step + 1
    for far in (step - 2, step + 2):
        with pytest.raises(InvalidCode):
            totp.verify(totp.code_of_step(far), at)


def test_a_step_is_accepted_once() -> None:
    totp = Totp(SEEDS["sha1"])
    at = 1_800_000_000
    code = totp.generate(at)
    used = totp.verify(code, at)
    with pytest.raises(CodeReused):
        totp.verify(code, at + 10, last_used_step=used)
    # An earlier step than the last accepted one is refused too.
    with pytest.raises(CodeReused):
        totp.verify(totp.code_of_step(used - 1), at, last_used_step=used)
    # The next step's code is still good.
    assert totp.verify(totp.code_of_step(used + 1), at + 30, last_used_step=used) == used + 1
    assert issubclass(CodeReused, InvalidCode)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12345a", "１２３４５６", " 12345"])
def test_malformed_codes_are_invalid(code: str) -> None:
    with pytest.raises(InvalidCode):
        Totp(SEEDS["sha1"]).verify(code, 1_800_000_000)


def test_constructor_checks() -> None:
    with pytest.raises(ValueError, match="128"):
        Totp(b"short")
    with pytest.raises(ValueError, match="digits"):
        Totp(SEEDS["sha1"], digits=5)
    with pytest.raises(ValueError, match="step"):
        Totp(SEEDS["sha1"], step=0)
    with pytest.raises(ValueError, match="window"):
        Totp(SEEDS["sha1"], window=-1)
    with pytest.raises(ValueError, match="hash"):
        Totp(SEEDS["sha1"], algorithm="md5")


def test_base32_round_trip() -> None:
    secret = new_secret()
    text = to_base32(secret)
    assert text.isalnum() and text == text.upper() and "=" not in text
    assert from_base32(text) == secret
    assert from_base32(text.lower()) == secret
    with pytest.raises(ValueError):
        from_base32("not base32!")
