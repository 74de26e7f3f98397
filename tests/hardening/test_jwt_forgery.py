"""Issue 9 item 4: forged and misused JWTs get nothing.

Against a live server (GetUser, UpdateUserAttributes and GlobalSignOut) and against
``TokenService.verify_access_token`` directly (where claims can be re-signed with the pool's
real keys): alg ``none``, HS256 keyed with the RSA public key, ``jwk``/``jku``/``x5u``/``x5c``
headers, ``kid`` injection, expired, not yet valid, wrong issuer, another pool's key, an ID
token, the token of a deleted client or user, tampered payload and signature. Every one is
refused (never a 200, never a 5xx). The JWKS must show only public members.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from tests.conformance.auth_support import AuthPool, make_pool
from tests.hardening.support import figure
from tests.server import ServerProcess, start_server
from tests.unit.tokens._support import World, issuer, make_world, next_key

from poolgate.errors import CognitoError
from poolgate.pools.model import UserPool
from poolgate.tokens import jws

ATTACKER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OPERATIONS = ["GetUser", "UpdateUserAttributes", "GlobalSignOut"]
REFUSALS = {"NotAuthorizedException", "UserNotFoundException", "InvalidParameterException"}
_live_outcomes: Counter[str] = Counter()
_direct_outcomes: Counter[str] = Counter()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    h, p, s = token.split(".")
    return json.loads(unb64(h)), json.loads(unb64(p)), s


def encode(header: dict[str, Any], payload: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"


def rs256(header: dict[str, Any], payload: dict[str, Any], key: rsa.RSAPrivateKey = ATTACKER) -> str:
    signing_input = encode(header, payload)
    return f"{signing_input}.{b64(key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()))}"


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    signing_input = encode(header, payload)
    return f"{signing_input}.{b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def _attacker_jwk() -> dict[str, str]:
    numbers = ATTACKER.public_key().public_numbers()
    return {
        "kty": "RSA",
        "e": b64(numbers.e.to_bytes(3, "big")),
        "n": b64(numbers.n.to_bytes(256, "big")),
        "alg": "RS256",
        "use": "sig",
    }


def _attacker_cert() -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ATTACKER.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(ATTACKER, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def structural_forgeries(token: str, public_pem: bytes, public_jwk: dict[str, Any]) -> dict[str, str]:
    """Forgeries that need no private key of the pool: the attacker signs with their own."""
    header, payload, signature = parts(token)
    forged: dict[str, str] = {
        "alg_none_empty_sig": encode({**header, "alg": "none"}, payload) + ".",
        "alg_none_kept_sig": encode({**header, "alg": "none"}, payload) + "." + signature,
        "alg_None_case": encode({**header, "alg": "None"}, payload) + ".",
        "hs256_public_pem": hs256({**header, "alg": "HS256"}, payload, public_pem),
        "hs256_public_jwk_json": hs256({**header, "alg": "HS256"}, payload, json.dumps(public_jwk).encode()),
        "hs256_modulus": hs256({**header, "alg": "HS256"}, payload, unb64(public_jwk["n"])),
        "rs256_attacker_same_kid": rs256(header, payload),
        "jwk_header": rs256({**header, "jwk": _attacker_jwk()}, payload),
        "jwk_header_no_kid": rs256({"alg": "RS256", "jwk": _attacker_jwk()}, payload),
        "jku_header": rs256({**header, "jku": "http://127.0.0.1:1/jwks.json"}, payload),
        "x5u_header": rs256({**header, "x5u": "http://127.0.0.1:1/cert.pem"}, payload),
        "x5c_header": rs256({**header, "x5c": [_attacker_cert()]}, payload),
        "kid_traversal": rs256({**header, "kid": "../../../../../../dev/null"}, payload),
        "kid_traversal_hs256_empty": hs256(
            {**header, "alg": "HS256", "kid": "../../../../dev/null"}, payload, b""
        ),
        "kid_sql": rs256({**header, "kid": "x' OR '1'='1"}, payload),
        "kid_sql_union": rs256({**header, "kid": "' UNION SELECT 'secret' --"}, payload),
        "kid_unknown": rs256({**header, "kid": "no-such-kid"}, payload),
        "kid_missing": rs256({"alg": "RS256"}, payload),
        "kid_not_string": rs256({**header, "kid": {"$ne": None}}, payload),
        "crit_header": rs256({**header, "crit": ["exp"]}, payload),
        "wrong_issuer_attacker_key": rs256(header, {**payload, "iss": "https://evil.example/us-east-1_Evil"}),
        "payload_username_swapped": f"{encode(header, {**payload, 'username': 'admin'})}.{signature}",
        "payload_scope_added": f"{encode(header, {**payload, 'exp': payload['exp'] + 10**6})}.{signature}",
        "signature_flipped": f"{token.rsplit('.', 1)[0]}.{b64(bytes([unb64(signature)[0] ^ 1]) + unb64(signature)[1:])}",
        "signature_truncated": token[:-4],
        "signature_missing": token.rsplit(".", 1)[0] + ".",
        "two_parts": token.rsplit(".", 1)[0],
        "four_parts": token + "." + signature,
        "padded_base64": token.replace(".", "=.", 1),
        "empty": "",
    }
    # Flip single characters across the whole token (header, payload and signature).
    for i in range(0, len(token), max(1, len(token) // 25)):
        if token[i] != ".":
            flipped = "A" if token[i] != "A" else "B"
            forged[f"char_{i}_flipped"] = token[:i] + flipped + token[i + 1 :]
    return forged


# -- the live server ---------------------------------------------------------------------------


@dataclass
class Live:
    ap: AuthPool
    other: AuthPool
    access: str
    id_token: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("jwt"))
    yield proc
    proc.stop()
    figure("JWT forgery against the live server: attack/operation outcomes", _live_outcomes)


@pytest.fixture(scope="module")
def setup(live: ServerProcess) -> Live:
    ap = make_pool(live)
    other = make_pool(live)
    ap.user("alice")
    other.user("alice")
    result = ap.password_auth("alice")["AuthenticationResult"]
    return Live(ap, other, result["AccessToken"], result["IdToken"])


def _call(server: ServerProcess, operation: str, token: str) -> httpx.Response:
    body: dict[str, Any] = {"AccessToken": token}
    if operation == "UpdateUserAttributes":
        body["UserAttributes"] = [{"Name": "name", "Value": "pwned"}]
    with server.http() as http:
        return http.post(
            "/",
            content=json.dumps(body),
            headers={
                "content-type": "application/x-amz-json-1.1",
                "x-amz-target": f"AWSCognitoIdentityProviderService.{operation}",
            },
        )


def _refused(server: ServerProcess, attack: str, token: str, operations: list[str] = OPERATIONS) -> None:
    for operation in operations:
        resp = _call(server, operation, token)
        code = resp.json().get("__type", "200 OK") if resp.content else str(resp.status_code)
        _live_outcomes[f"{code}"] += 1
        assert resp.status_code == 400, (attack, operation, resp.status_code, resp.text)
        assert code in REFUSALS, (attack, operation, resp.text)


def test_the_real_token_works(setup: Live) -> None:
    assert _call(setup.ap.server, "GetUser", setup.access).status_code == 200


def test_jwks_has_only_public_members(setup: Live) -> None:
    for ap in (setup.ap, setup.other):
        for key in ap.jwks()["keys"]:
            assert set(key) == {"kty", "n", "e", "alg", "kid", "use"}, key
            assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"


def test_structural_forgeries_are_refused(setup: Live) -> None:
    header, _, _ = parts(setup.access)
    jwk = next(k for k in setup.ap.jwks()["keys"] if k["kid"] == header["kid"])
    from jwt.algorithms import RSAAlgorithm

    public = cast(rsa.RSAPublicKey, RSAAlgorithm.from_jwk(jwk))  # a JWKS holds public keys
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    forged = structural_forgeries(setup.access, pem, jwk)
    for attack, token in forged.items():
        _refused(setup.ap.server, attack, token)
    print(f"[hardening] live JWT forgeries: {len(forged)} tokens x {len(OPERATIONS)} operations refused")


def test_id_token_as_access_token(setup: Live) -> None:
    _refused(setup.ap.server, "id_token", setup.id_token)


def test_other_pools_key_with_this_pools_issuer(setup: Live) -> None:
    other_access = setup.other.password_auth("alice")["AuthenticationResult"]["AccessToken"]
    header, payload, signature = parts(other_access)
    _, mine, _ = parts(setup.access)
    # The other pool's signature over a payload naming this pool's issuer and user.
    _refused(
        setup.ap.server, "other_pool_iss", f"{encode(header, {**payload, 'iss': mine['iss']})}.{signature}"
    )
    _refused(setup.ap.server, "other_pool_sub", f"{encode(header, mine)}.{signature}")


def test_token_of_deleted_user(setup: Live) -> None:
    setup.ap.user("bob")
    token = setup.ap.password_auth("bob")["AuthenticationResult"]["AccessToken"]
    setup.ap.cognito.admin_delete_user(UserPoolId=setup.ap.pool_id, Username="bob")
    _refused(setup.ap.server, "deleted_user", token)


def test_token_of_deleted_client(setup: Live) -> None:
    setup.ap.user("carol")
    client_id = setup.ap.client()
    token = setup.ap.password_auth("carol", client_id=client_id)["AuthenticationResult"]["AccessToken"]
    assert _call(setup.ap.server, "GetUser", token).status_code == 200
    setup.ap.cognito.delete_user_pool_client(UserPoolId=setup.ap.pool_id, ClientId=client_id)
    _refused(setup.ap.server, "deleted_client", token)


def test_token_of_deleted_pool(setup: Live, live: ServerProcess) -> None:
    ap = make_pool(live)
    ap.user("dora")
    token = ap.password_auth("dora")["AuthenticationResult"]["AccessToken"]
    ap.cognito.delete_user_pool(UserPoolId=ap.pool_id)
    _refused(live, "deleted_pool", token)


def test_expired_token(setup: Live, live: ServerProcess) -> None:
    # Last in the module: it moves the server's clock past the one-hour access-token lifetime.
    setup.ap.user("erin")
    token = setup.ap.password_auth("erin")["AuthenticationResult"]["AccessToken"]
    live.advance_clock(3600 + 1)
    _refused(live, "expired", token)


# -- verify_access_token directly, with the pool's real keys -----------------------------------


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    built = make_world("sql")
    yield built
    built.store.close()
    figure("JWT forgery against TokenService.verify_access_token: outcomes", _direct_outcomes)


def _real_key(world: World, use: str, pool_id: str | None = None) -> tuple[rsa.RSAPrivateKey, str]:
    with world.store.transaction() as uow:
        key = next(
            k
            for k in uow.signing_keys.list(pool_id or world.pool.id)
            if k.use == use and k.retired_at is None
        )
    private = serialization.load_pem_private_key(key.private_pem, password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return private, key.kid


def _direct_refused(world: World, attack: str, token: str) -> None:
    with pytest.raises(CognitoError) as exc:
        world.verify(token)
    _direct_outcomes[f"{exc.value.code}: {exc.value}"] += 1
    assert exc.value.code in {"NotAuthorizedException", "UserNotFoundException"}, (attack, exc.value)


def _resign(world: World, claims: dict[str, Any], use: str = "access", pool_id: str | None = None) -> str:
    private, kid = _real_key(world, use, pool_id)
    return jws.sign(claims, private, kid)


RESIGNED: dict[str, Callable[[dict[str, Any], float], dict[str, Any]]] = {
    "expired": lambda c, now: {**c, "exp": int(now) - 1},
    "expired_long_ago": lambda c, now: {**c, "iat": int(now) - 7200, "exp": int(now) - 3600},
    "iat_in_future": lambda c, now: {**c, "iat": int(now) + 3600, "exp": int(now) + 7200},
    "nbf_in_future": lambda c, now: {**c, "nbf": int(now) + 3600},
    "exp_not_a_number": lambda c, now: {**c, "exp": "9999999999"},
    "exp_float_nan": lambda c, now: {**c, "exp": 1e309},
    "wrong_issuer": lambda c, now: {
        **c,
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/" + c["iss"].rsplit("/", 1)[1],
    },
    "issuer_trailing_slash": lambda c, now: {**c, "iss": c["iss"] + "/"},
    "token_use_id": lambda c, now: {**c, "token_use": "id"},
    "token_use_missing": lambda c, now: {k: v for k, v in c.items() if k != "token_use"},
    "scope_missing": lambda c, now: {k: v for k, v in c.items() if k != "scope"},
    "sub_unknown": lambda c, now: {**c, "sub": "00000000-0000-0000-0000-000000000000"},
    "sub_not_string": lambda c, now: {**c, "sub": 1},
}


@pytest.mark.parametrize("attack", list(RESIGNED))
def test_resigned_with_the_real_key_is_refused(world: World, attack: str) -> None:
    claims = world.decode(world.sign_in().access_token)
    forged = RESIGNED[attack](claims, world.clock.now())
    _direct_refused(world, attack, _resign(world, forged))


def test_access_claims_signed_with_the_id_key_are_refused(world: World) -> None:
    claims = world.decode(world.sign_in().access_token)
    _direct_refused(world, "id_key", _resign(world, claims, use="id"))


def test_other_pools_real_key_is_refused(world: World) -> None:
    other = UserPool("us-east-1_Other0001", "other", 1.0, 1.0, world.pool.config)
    with world.store.transaction() as uow:
        uow.pools.add(other)
        world.tokens.ensure_keys(uow, other.id)
    claims = world.decode(world.sign_in().access_token)
    _direct_refused(world, "other_pool_key", _resign(world, claims, pool_id=other.id))
    # The other pool's key with the other pool's issuer: a real token of a pool with no such user.
    _direct_refused(
        world, "other_pool_iss", _resign(world, {**claims, "iss": issuer(other.id)}, pool_id=other.id)
    )


def test_structural_forgeries_are_refused_directly(world: World) -> None:
    token = world.sign_in().access_token
    header, _, _ = parts(token)
    jwk = next(k for k in world.jwks()["keys"] if k["kid"] == header["kid"])
    private, _ = _real_key(world, "access")
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for attack, forged in structural_forgeries(token, pem, jwk).items():
        _direct_refused(world, attack, forged)


def test_id_token_and_deleted_user_directly(world: World) -> None:
    tokens = world.sign_in()
    _direct_refused(world, "id_token", tokens.id_token)
    bob = world.add_user("bob")
    token = world.sign_in(user=bob).access_token
    world.delete_user(bob)
    _direct_refused(world, "deleted_user", token)


def test_deleted_client_directly(world: World) -> None:
    client = world.add_client()
    token = world.sign_in(client=client).access_token
    world.verify(token)
    with world.store.transaction() as uow:
        uow.clients.delete(client.client_id)
    _direct_refused(world, "deleted_client", token)


def test_unused_next_key_is_not_trusted(world: World) -> None:
    claims = world.decode(world.sign_in().access_token)
    header, _, _ = parts(world.sign_in().access_token)
    _direct_refused(world, "fresh_key", rs256(header, claims, next_key()))
