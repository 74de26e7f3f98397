"""Per-pool RSA signing keys: creation, key ids, JWKs, rotation rules and a key cache.

Every pool has one active key for ID tokens and a different one for access tokens
(tokens.md §2). A key's ``kid`` is ``Base64(SHA-256(DER SubjectPublicKeyInfo))``, so it
never changes and two keys never share one. Retired keys stay published until every token
they signed has expired, then they are deleted.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from poolgate.tokens.jws import ALGORITHM, b64url_decode, b64url_encode
from poolgate.tokens.model import SigningKey

# What a key signs: ID tokens or access tokens. The two never share a key.
ID_USE = "id"
ACCESS_USE = "access"
KEY_USES = (ID_USE, ACCESS_USE)

KEY_SIZE = 2048
PUBLIC_EXPONENT = 65537

# The longest an ID or access token lives (VALIDITY_RANGES in pools.clients), plus a margin
# for clock skew between Poolgate and whoever validates tokens offline. A retired key is
# deleted only after this much time, so every token it signed has expired by then.
LONGEST_TOKEN_LIFETIME = 86400
RETIREMENT_MARGIN = 3600
RETIRED_KEY_RETENTION = LONGEST_TOKEN_LIFETIME + RETIREMENT_MARGIN

KeyGenerator = Callable[[], RSAPrivateKey]


def generate_rsa_key() -> RSAPrivateKey:
    """A fresh RSA-2048 private key (exponent 65537)."""
    return rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_SIZE)


def key_id(public_key: RSAPublicKey) -> str:
    """The ``kid``: standard Base64 (with padding) of SHA-256 over the DER public key."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")


def _int_to_b64url(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def public_jwk(public_key: RSAPublicKey, kid: str) -> dict[str, str]:
    """The key's JWKS entry (RFC 7517/7518 §6.3): ``n`` and ``e`` as unpadded base64url."""
    numbers = public_key.public_numbers()
    return {
        "alg": ALGORITHM,
        "e": _int_to_b64url(numbers.e),
        "kid": kid,
        "kty": "RSA",
        "n": _int_to_b64url(numbers.n),
        "use": "sig",
    }


def public_key_from_jwk(jwk: Mapping[str, Any]) -> RSAPublicKey:
    """Rebuild the RSA public key of a JWK written by :func:`public_jwk`."""
    n = int.from_bytes(b64url_decode(str(jwk["n"])), "big")
    e = int.from_bytes(b64url_decode(str(jwk["e"])), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def new_signing_key(pool_id: str, use: str, now: float, private_key: RSAPrivateKey) -> SigningKey:
    """A :class:`SigningKey` record for ``private_key`` (PKCS#8 PEM; the store encrypts it)."""
    if use not in KEY_USES:
        raise ValueError(f"unknown key use {use!r}")
    public = private_key.public_key()
    kid = key_id(public)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningKey(
        user_pool_id=pool_id,
        kid=kid,
        use=use,
        private_pem=pem,
        public_jwk=public_jwk(public, kid),
        created_at=now,
    )


def active_key(keys: Iterable[SigningKey], use: str) -> SigningKey | None:
    """The newest unretired key for ``use``, or None."""
    found: SigningKey | None = None
    for key in keys:
        if (
            key.use == use
            and key.retired_at is None
            and (found is None or key.created_at >= found.created_at)
        ):
            found = key
    return found


def expired_retired_keys(keys: Sequence[SigningKey], now: float) -> list[SigningKey]:
    """Retired keys that no unexpired token can have been signed with any more."""
    return [k for k in keys if k.retired_at is not None and now - k.retired_at > RETIRED_KEY_RETENTION]


K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small thread-safe LRU map. Values must be immutable for a given key (signing keys
    are: a ``kid`` is the hash of its key), so a cached value is never stale."""

    def __init__(self, capacity: int = 256) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        """The cached value of ``key``, loading and storing it on a miss."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        # Loading runs outside the lock; two threads may load the same key once each.
        value = load()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


class KeyCache:
    """Loaded private and public keys, per (pool, kid)."""

    def __init__(self, capacity: int = 256) -> None:
        self._private: LruCache[tuple[str, str], RSAPrivateKey] = LruCache(capacity)
        self._public: LruCache[tuple[str, str], RSAPublicKey] = LruCache(capacity)

    def private_key(self, key: SigningKey) -> RSAPrivateKey:
        """The loaded private key of ``key``."""
        return self._private.get_or_load((key.user_pool_id, key.kid), lambda: _load_private(key.private_pem))

    def public_key(self, key: SigningKey) -> RSAPublicKey:
        """The loaded public key of ``key``."""
        return self._public.get_or_load(
            (key.user_pool_id, key.kid), lambda: public_key_from_jwk(key.public_jwk)
        )


def _load_private(pem: bytes) -> RSAPrivateKey:
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, RSAPrivateKey):
        raise TypeError("a signing key must be an RSA key")
    return loaded
