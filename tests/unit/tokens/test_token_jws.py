"""Compact JWS: round trips with PyJWT both ways, strict parsing, and tampering."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.tokens._support import next_key

from poolgate.tokens import jws
from poolgate.tokens.keys import key_id

KEY = next_key()
OTHER_KEY = next_key()
KID = key_id(KEY.public_key())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(value: object) -> str:
    return _b64(json.dumps(value).encode())


DUPLICATE_ALG = _b64(b'{"alg":"RS256","alg":"none"}')
DUPLICATE_SUB = _b64(b'{"sub":"a","sub":"b"}')


def test_signed_token_verifies_with_pyjwt_and_has_only_kid_and_alg() -> None:
    token = jws.sign({"sub": "x", "n": 1}, KEY, KID)
    assert jwt.get_unverified_header(token) == {"kid": KID, "alg": "RS256"}
    assert jwt.decode(token, KEY.public_key(), algorithms=["RS256"]) == {"sub": "x", "n": 1}


def test_pyjwt_token_parses_and_verifies() -> None:
    token = jwt.encode({"a": "b"}, KEY, algorithm="RS256", headers={"kid": KID})
    parsed = jws.parse(token)
    jws.verify_signature(parsed, KEY.public_key())
    assert parsed.payload == {"a": "b"}
    assert parsed.kid == KID


def test_wrong_key_fails() -> None:
    parsed = jws.parse(jws.sign({"a": 1}, KEY, KID))
    with pytest.raises(jws.TokenFormatError):
        jws.verify_signature(parsed, OTHER_KEY.public_key())


@pytest.mark.parametrize("part", [0, 1, 2])
def test_any_changed_character_fails(part: int) -> None:
    token = jws.sign({"sub": "abc", "scope": "aws.cognito.signin.user.admin"}, KEY, KID)
    parts = token.split(".")
    for i in range(len(parts[part])):
        chars = list(parts[part])
        chars[i] = "A" if chars[i] != "A" else "B"
        changed = parts.copy()
        changed[part] = "".join(chars)
        with pytest.raises(jws.TokenFormatError):
            jws.verify_signature(jws.parse(".".join(changed)), KEY.public_key())


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_byte_flips_fail(data: st.DataObject) -> None:
    token = jws.sign({"sub": "abc", "exp": 1}, KEY, KID)
    raw = bytearray(token.encode())
    index = data.draw(st.integers(0, len(raw) - 1))
    replacement = data.draw(st.sampled_from(b"ABCxyz019-_.=").filter(lambda b: b != raw[index]))
    raw[index] = replacement
    with pytest.raises(jws.TokenFormatError):
        jws.verify_signature(jws.parse(raw.decode()), KEY.public_key())


def test_alg_none_and_hmac_are_refused_before_any_key_is_used() -> None:
    body = _part({"sub": "x"})
    for header in ({"alg": "none", "kid": KID}, {"alg": "HS256", "kid": KID}, {"alg": "rs256", "kid": KID}):
        with pytest.raises(jws.TokenFormatError):
            jws.parse(f"{_part(header)}.{body}.")
        with pytest.raises(jws.TokenFormatError):
            jws.parse(f"{_part(header)}.{body}.{_b64(b'sig')}")


def test_hs256_with_public_key_as_secret_is_refused() -> None:
    # The classic key-confusion attack: an HMAC "signed" with the public key bytes.
    import hashlib
    import hmac

    pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_part({'alg': 'HS256', 'kid': KID})}.{_part({'sub': 'x'})}"
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(jws.TokenFormatError):
        jws.parse(f"{signing_input}.{_b64(mac)}")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "..",
        "eyJ.eyJ.",
        f"{_part({'alg': 'RS256'})}=.{_part({})}.{_b64(b'x')}",
        f"{_part({'alg': 'RS256'})}.{_part([1, 2])}.{_b64(b'x')}",
        f"{_part('RS256')}.{_part({})}.{_b64(b'x')}",
        f"{_b64(b'{not json')}.{_part({})}.{_b64(b'x')}",
        f"{_part({'alg': 'RS256', 'crit': ['exp']})}.{_part({})}.{_b64(b'x')}",
        f"{DUPLICATE_ALG}.{_part({})}.{_b64(b'x')}",
        f"{_part({'alg': 'RS256'})}.{DUPLICATE_SUB}.{_b64(b'x')}",
        f"{_part({'alg': 'RS256'})}.{_part({})}.a+b/",
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(jws.TokenFormatError):
        jws.parse(token)


def test_kid_must_be_a_string() -> None:
    parsed = jws.parse(f"{_part({'alg': 'RS256', 'kid': 5})}.{_part({})}.{_b64(b'x')}")
    with pytest.raises(jws.TokenFormatError):
        _ = parsed.kid


def test_non_canonical_base64url_is_refused() -> None:
    # "QR" and "QQ" both decode to b"A"; only the canonical spelling is accepted.
    assert jws.b64url_decode("QQ") == b"A"
    with pytest.raises(jws.TokenFormatError):
        jws.b64url_decode("QR")


def test_oversized_tokens_are_refused_early() -> None:
    with pytest.raises(jws.TokenFormatError):
        jws.parse("a" * (jws.MAX_TOKEN_LENGTH + 1))


def test_looks_like_jws() -> None:
    assert jws.looks_like_jws(jws.sign({}, KEY, KID))
    assert not jws.looks_like_jws("eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.a.b.c.d")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"sub":"a","n":1}', {"sub": "a", "n": 1}),  # canonical: the orjson fast path
        (b'{ "sub" : "a", "n" : 1 }', {"sub": "a", "n": 1}),  # not canonical: the strict parse
        (b'{"sub":"a","n":18446744073709551616}', {"sub": "a", "n": 2**64}),  # past orjson's integers
    ],
)
def test_payloads_parse_the_same_on_both_paths(payload: bytes, expected: dict[str, object]) -> None:
    header = _part({"kid": KID, "alg": "RS256"})
    token = f"{header}.{_b64(payload)}.{_b64(b'sig')}"
    assert jws.parse(token).payload == expected


@pytest.mark.parametrize(
    "payload", [b'{"sub":"a","sub":"b"}', b'{"sub":"a", "sub":"b"}', b'{"a":{"b":1,"b":2}}']
)
def test_duplicate_members_are_refused_on_either_path(payload: bytes) -> None:
    header = _part({"kid": KID, "alg": "RS256"})
    with pytest.raises(jws.TokenFormatError):
        jws.parse(f"{header}.{_b64(payload)}.{_b64(b'sig')}")
