"""Compact JWS with RS256 only: the signing and checking of ID and access tokens.

Hazmat rules apply: parsing is strict (unpadded base64url, JSON objects without duplicate
members, ``alg`` exactly ``RS256``, no ``crit``), and :func:`verify_signature` raises
:class:`TokenFormatError` instead of returning a bool. Nothing here knows about pools or
claims; :mod:`poolgate.tokens.verify` decides what a valid signature means.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

ALGORITHM = "RS256"

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
# Tokens longer than this are refused before any decoding work is done.
MAX_TOKEN_LENGTH = 128 * 1024


class TokenFormatError(Exception):
    """The string is not a compact RS256 JWS, or its signature does not verify."""


@dataclass(frozen=True, slots=True)
class ParsedJws:
    """A compact JWS split and decoded, signature not yet checked."""

    header: Mapping[str, Any]
    payload: Mapping[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def kid(self) -> str:
        kid = self.header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenFormatError("missing kid")
        return kid


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url; padding, other characters and impossible lengths fail."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise TokenFormatError("bad base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenFormatError("bad base64url") from exc
    # Non-canonical encodings (stray bits in the last character) are refused, so that one
    # token has exactly one spelling.
    if b64url_encode(raw) != text:
        raise TokenFormatError("non-canonical base64url")
    return raw


def _json_encode(value: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON. orjson writes what ``json.dumps(separators=(",", ":"),
    ensure_ascii=False)`` writes, several times faster; the few values it refuses (integers
    past 64 bits from a PreTokenGeneration answer, say) go to the standard encoder."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@lru_cache(maxsize=64)
def _encoded_header(kid: str) -> str:
    """The base64url JOSE header for ``kid``: the same for every token a key signs."""
    return b64url_encode(_json_encode({"kid": kid, "alg": ALGORITHM}))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise TokenFormatError("duplicate member")
        result[key] = value
    return result


def _json_object(raw: bytes) -> dict[str, Any]:
    # Fast path: a document that orjson reads and writes back byte for byte is canonical JSON
    # of an object, so no duplicate member can hide in it (the copy would be shorter). Tokens
    # Poolgate signs are written by orjson and take this path; anything else (older tokens,
    # other writers, forgeries) gets the strict parse below.
    try:
        fast = orjson.loads(raw)
    except orjson.JSONDecodeError:
        fast = None
    if isinstance(fast, dict) and orjson.dumps(fast) == raw:
        return fast
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as exc:
        raise TokenFormatError("bad JSON") from exc
    if not isinstance(value, dict):
        raise TokenFormatError("not a JSON object")
    return value


def sign(payload: Mapping[str, Any], key: RSAPrivateKey, kid: str) -> str:
    """The compact JWS of ``payload`` signed with RS256; the header is ``{"kid", "alg"}``."""
    header = _encoded_header(kid)
    body = b64url_encode(_json_encode(payload))
    signing_input = f"{header}.{body}".encode("ascii")
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{b64url_encode(signature)}"


def parse(token: str) -> ParsedJws:
    """Split and decode a compact JWS without checking the signature.

    Raises TokenFormatError unless the token has three parts, a JSON header with
    ``alg == "RS256"`` and no ``crit``, and a JSON object payload.
    """
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenFormatError("token too long")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenFormatError("not a compact JWS")
    header = _json_object(b64url_decode(parts[0]))
    # Only RS256 is ever accepted: "none", HMAC and every other algorithm are refused
    # before a key is even chosen.
    if header.get("alg") != ALGORITHM or "crit" in header:
        raise TokenFormatError("unsupported header")
    payload = _json_object(b64url_decode(parts[1]))
    return ParsedJws(
        header=header,
        payload=payload,
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=b64url_decode(parts[2]),
    )


def verify_signature(parsed: ParsedJws, key: RSAPublicKey) -> None:
    """Raise TokenFormatError unless the RS256 signature of ``parsed`` verifies with ``key``."""
    if len(parsed.signature) != (key.key_size + 7) // 8:
        raise TokenFormatError("bad signature length")
    try:
        key.verify(parsed.signature, parsed.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise TokenFormatError("bad signature") from exc


def looks_like_jws(token: str) -> bool:
    """True if ``token`` parses as a compact RS256 JWS (whoever signed it)."""
    try:
        parse(token)
    except TokenFormatError:
        return False
    return True
