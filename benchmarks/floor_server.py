"""The floor of the stack: a password sign-in with nothing but its unavoidable work.

``python -m benchmarks.floor_server --port N --data DIR`` serves ``POST /`` on the stack
Poolgate runs on (uvicorn with httptools, Starlette, one worker thread per request) and does,
for every SigV4-signed ADMIN_USER_PASSWORD_AUTH request, only what any implementation must:
parse the JSON body, check the signature (Poolgate's ``sigv4.verify``), read the user's
verifier and check the password (``srp.check_password``), store a token session in one SQLite
write transaction committed with ``synchronous=FULL``, sign an ID and an access token
(``jws.sign``) and answer. No model validation, lockout, pool or client configuration,
triggers, metrics or error mapping.

Measured beside the crypto ceiling in the generator check (``python -m benchmarks``), it shows
how much of the ceiling a sign-in can reach on this stack at all, before any of Poolgate's own
work: the gap between this floor and Poolgate is what Poolgate's layers cost; the gap between
the ceiling and this floor is the framework's, the database's and the interpreter's.
"""

from __future__ import annotations

import argparse
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from benchmarks.ceiling import PASSWORD, POOL_ID
from benchmarks.wire import Endpoint
from poolgate import srp
from poolgate.protocol import sigv4
from poolgate.tokens import jws
from poolgate.tokens.refresh import new_refresh_token, refresh_token_hash

# The generator signs with the default credentials of wire.Endpoint.
ACCESS_KEY_ID = Endpoint("", 0).access_key_id
SECRET_ACCESS_KEY = Endpoint("", 0).secret_access_key
USERS = 200


class Floor:
    def __init__(self, data: Path) -> None:
        self.path = data / "floor.db"
        self.local = threading.local()
        self.write_lock = threading.Lock()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.pool_name = srp.pool_name_from_pool_id(POOL_ID)
        conn = self._conn()
        conn.execute(
            "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, sub TEXT, salt TEXT, verifier TEXT)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS sessions (hash TEXT PRIMARY KEY, sub TEXT, issued REAL, expires REAL)"
        )
        conn.execute("CREATE INDEX IF NOT EXISTS sessions_sub ON sessions (sub)")
        conn.execute("BEGIN IMMEDIATE")
        for i in range(USERS):
            name = f"user{i:04d}"
            salt, verifier = srp.make_verifier(self.pool_name, name, PASSWORD)
            conn.execute(
                "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?)", (name, str(uuid.uuid4()), salt, verifier)
            )
        conn.execute("COMMIT")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self.local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            self.local.conn = conn
        return conn

    def sign_in(self, params: dict[str, Any]) -> bytes:
        parameters = params["AuthParameters"]
        name, password = parameters["USERNAME"], parameters["PASSWORD"]
        conn = self._conn()
        row = conn.execute("SELECT sub, salt, verifier FROM users WHERE name = ?", (name,)).fetchone()
        sub, salt, verifier = row
        srp.check_password(self.pool_name, name, password, salt, verifier)
        now = time.time()
        refresh = new_refresh_token()
        with self.write_lock:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (refresh_token_hash(refresh), sub, now, now + 3600),
            )
            conn.execute("COMMIT")
        claims = {
            "sub": sub,
            "iss": f"http://127.0.0.1/{POOL_ID}",
            "client_id": params["ClientId"],
            "origin_jti": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": int(now),
            "exp": int(now) + 3600,
            "iat": int(now),
            "jti": str(uuid.uuid4()),
            "username": name,
        }
        access = jws.sign(claims, self.key, "floor-kid")
        identity = jws.sign(
            {**claims, "token_use": "id", "cognito:username": name, "aud": params["ClientId"]},
            self.key,
            "floor-kid",
        )
        return orjson.dumps(
            {
                "AuthenticationResult": {
                    "AccessToken": access,
                    "IdToken": identity,
                    "RefreshToken": refresh,
                    "ExpiresIn": 3600,
                    "TokenType": "Bearer",
                },
                "ChallengeParameters": {},
            }
        )


def build_app(data: Path) -> Starlette:
    floor = Floor(data)

    async def handle(request: Request) -> Response:
        body = await request.body()
        signed = sigv4.SignedRequest(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
            body=body,
        )
        sigv4.verify(
            signed,
            region="us-east-1",
            now=time.time(),
            lookup_secret=lambda key: SECRET_ACCESS_KEY if key == ACCESS_KEY_ID else None,
        )
        payload = await run_in_threadpool(floor.sign_in, orjson.loads(body))
        return Response(payload, media_type="application/x-amz-json-1.1")

    return Starlette(routes=[Route("/", handle, methods=["POST"])])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    uvicorn.run(
        build_app(args.data),
        host="127.0.0.1",
        port=args.port,
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
