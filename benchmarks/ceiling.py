"""Crypto micro-benchmarks and the per-core throughput ceilings they imply.

Each primitive is timed in batches on the server core (the benchmark process
moves itself there for the duration); the best of several batches is kept, as
the least disturbed estimate on a shared machine. A ceiling is how many
operations one core could finish per second if it did nothing but the
scenario's unavoidable cryptography:

- password sign-in = 1 / (verifier check + 2 RS256 signatures + refresh-token work)
  (plus one SigV4 check for the admin flow)
- SRP sign-in      = 1 / (SRP server side + 2 RS256 signatures)
- refresh          = 1 / (2 RS256 signatures)
- sign-up          = 1 / (verifier creation)          [our addition]
- get_user         = 1 / (1 RS256 verification)       [our addition]
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from benchmarks.srp_client import SrpClient
from poolgate import srp
from poolgate.protocol import sigv4
from poolgate.tokens.refresh import new_refresh_token, refresh_token_hash

POOL_ID = "us-east-1_BenchPool1"
USER = "user0000"
PASSWORD = "Bench-Passw0rd!42"


def _best_time(fn: Callable[[], float | None], *, budget: float, repeats: int = 5) -> float:
    """Seconds per call of ``fn``: the best of ``repeats`` batches sharing ``budget`` seconds.

    ``fn`` may return the seconds it wants counted (to leave set-up out of the
    figure); when it returns None its whole wall time counts.
    """
    probe_start = time.perf_counter()
    fn()
    probe = max(time.perf_counter() - probe_start, 1e-6)
    per_batch = max(1, int(budget / repeats / probe))
    best = float("inf")
    for _ in range(repeats):
        counted = 0.0
        for _ in range(per_batch):
            t0 = time.perf_counter()
            inner = fn()
            counted += inner if inner is not None else time.perf_counter() - t0
        best = min(best, counted / per_batch)
    return best


def _jwt_signing_input() -> bytes:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"kid": "x" * 44, "alg": "RS256"}
    claims = {
        "sub": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "iss": f"http://127.0.0.1:9229/{POOL_ID}",
        "client_id": "1example23456789abcdefghij",
        "origin_jti": "a" * 36,
        "event_id": "b" * 36,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": 1764100000,
        "exp": 1764103600,
        "iat": 1764100000,
        "jti": "c" * 36,
        "username": USER,
    }
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}".encode()


def measure(budget: float = 0.6) -> dict[str, float]:
    """Return seconds per call of each primitive, keyed by name."""
    pool_name = srp.pool_name_from_pool_id(POOL_ID)
    salt_hex, verifier_hex = srp.make_verifier(pool_name, USER, PASSWORD)
    client = SrpClient(POOL_ID, ring_size=8)

    def srp_server() -> float:
        eph = client.ephemeral()
        t0 = time.perf_counter()
        challenge = srp.start(verifier_hex, eph.A_hex)
        started = time.perf_counter() - t0
        block = base64.b64encode(os.urandom(48)).decode()
        answer = client.respond(
            eph,
            {"USER_ID_FOR_SRP": USER, "SRP_B": challenge.B_hex, "SALT": salt_hex, "SECRET_BLOCK": block},
            PASSWORD,
        )
        t1 = time.perf_counter()
        srp.verify_claim(
            challenge,
            verifier_hex=verifier_hex,
            pool_name=pool_name,
            user_id_for_srp=USER,
            secret_block_b64=block,
            timestamp=answer["TIMESTAMP"],
            signature_b64=answer["PASSWORD_CLAIM_SIGNATURE"],
        )
        return started + time.perf_counter() - t1

    fixed = srp.start(verifier_hex, client.ephemeral().A_hex)
    challenge_params = {
        "USER_ID_FOR_SRP": USER,
        "SRP_B": fixed.B_hex,
        "SALT": salt_hex,
        "SECRET_BLOCK": base64.b64encode(b"\x00" * 48).decode(),
    }
    eph = client.ephemeral()

    def srp_client() -> None:
        client.respond(eph, challenge_params, PASSWORD)

    def check_password() -> None:
        srp.check_password(pool_name, USER, PASSWORD, salt_hex, verifier_hex)

    def make_verifier() -> None:
        srp.make_verifier(pool_name, USER, PASSWORD)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    signing_input = _jwt_signing_input()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())

    def jwt_sign() -> None:
        key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())

    def jwt_verify() -> None:
        public.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())

    def refresh_work() -> None:
        refresh_token_hash(new_refresh_token())

    secret = "benchmark-secret"
    body = json.dumps(
        {
            "UserPoolId": POOL_ID,
            "ClientId": "c" * 26,
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": USER, "PASSWORD": PASSWORD},
        }
    ).encode()
    request = AWSRequest(
        method="POST",
        url="http://127.0.0.1:9229/",
        data=body,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminInitiateAuth",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials("AKIDBENCH", secret), "cognito-idp", "us-east-1").add_auth(request)
    headers = [("Host", "127.0.0.1:9229"), *request.headers.items()]
    signed = sigv4.SignedRequest(method="POST", path="/", query="", headers=headers, body=body)
    sigv4.verify(signed, region="us-east-1", now=time.time(), lookup_secret=lambda _k: secret)

    def sigv4_verify() -> None:
        sigv4.verify(signed, region="us-east-1", now=time.time(), lookup_secret=lambda _k: secret)

    probes: dict[str, Callable[[], Any]] = {
        "srp_server": srp_server,
        "check_password": check_password,
        "make_verifier": make_verifier,
        "jwt_sign_rs256": jwt_sign,
        "jwt_verify_rs256": jwt_verify,
        "refresh_token_work": refresh_work,
        "sigv4_verify": sigv4_verify,
        "srp_client": srp_client,
    }
    return {name: _best_time(fn, budget=budget) for name, fn in probes.items()}


# Each scenario's ceiling, as (primitive, count) pairs whose times add up to one operation.
FORMULAS: dict[str, list[tuple[str, int]]] = {
    "admin_password_auth": [
        ("sigv4_verify", 1),
        ("check_password", 1),
        ("jwt_sign_rs256", 2),
        ("refresh_token_work", 1),
    ],
    "user_password_auth": [("check_password", 1), ("jwt_sign_rs256", 2), ("refresh_token_work", 1)],
    "user_srp_auth": [("srp_server", 1), ("jwt_sign_rs256", 2)],
    "refresh": [("jwt_sign_rs256", 2)],
    "sign_up": [("make_verifier", 1)],
    "get_user": [("jwt_verify_rs256", 1)],
    "list_users_filter": [("sigv4_verify", 1)],
}


def ceilings(costs: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Operations per second one core could reach per scenario, with the formula spelled out."""
    out: dict[str, dict[str, Any]] = {}
    for scenario, parts in FORMULAS.items():
        seconds = sum(costs[name] * count for name, count in parts)
        out[scenario] = {
            "ops_per_s": round(1 / seconds, 1),
            "seconds_per_op": seconds,
            "formula": " + ".join(f"{count}×{name}" if count > 1 else name for name, count in parts),
        }
    return out
