"""In-process driver for profiling one scenario without sockets.

    .venv/bin/python -m benchmarks.inproc admin_password_auth [--n 300] [--profile] [--db URL]

Builds Poolgate's ASGI app on a throwaway data folder (or ``--db``), sets up a pool, a client
and users through the API (admin calls SigV4-signed), then calls the app directly, one request
at a time, and prints the server-side cost per operation (wall time, since nothing else runs).
``--profile`` wraps the measured loop in cProfile and prints the top functions by own and
cumulative time. The event loop, Starlette and the thread-pool hop are included; the HTTP
parser and socket are not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from benchmarks.srp_client import SrpClient
from poolgate.config import AccessKey, Settings
from poolgate.services import build_services
from poolgate.web.app import create_app

TARGET = "AWSCognitoIdentityProviderService."
KEY = AccessKey("AKIDINPROC0000000000", "inproc-secret-not-a-real-key")
PASSWORD = "Bench-Passw0rd!"


class Driver:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.signer = SigV4Auth(
            Credentials(KEY.access_key_id, KEY.secret_access_key), "cognito-idp", "us-east-1"
        )

    async def call(self, op: str, params: dict[str, Any], *, signed: bool = False) -> dict[str, Any]:
        body = orjson.dumps(params)
        headers = {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": TARGET + op,
            "host": "localhost",
        }
        if signed:
            request = AWSRequest(method="POST", url="http://localhost/", data=body, headers=headers)
            self.signer.add_auth(request)
            headers = dict(request.headers.items())
        raw = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
        raw.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        answer: dict[str, Any] = orjson.loads(b"".join(chunks) or b"{}")
        if status != 200:
            raise RuntimeError(f"{op}: {status} {answer}")
        return answer


async def setup(d: Driver, users: int) -> tuple[str, str, list[str]]:
    pool = (await d.call("CreateUserPool", {"PoolName": "inproc"}, signed=True))["UserPool"]["Id"]
    client = (
        await d.call(
            "CreateUserPoolClient",
            {
                "UserPoolId": pool,
                "ClientName": "c",
                "ExplicitAuthFlows": [
                    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                    "ALLOW_USER_PASSWORD_AUTH",
                    "ALLOW_USER_SRP_AUTH",
                    "ALLOW_REFRESH_TOKEN_AUTH",
                ],
            },
            signed=True,
        )
    )["UserPoolClient"]["ClientId"]
    names = []
    for i in range(users):
        name = f"user{i:05d}"
        await d.call(
            "AdminCreateUser",
            {
                "UserPoolId": pool,
                "Username": name,
                "MessageAction": "SUPPRESS",
                "UserAttributes": [{"Name": "email", "Value": f"{name}@example.com"}],
            },
            signed=True,
        )
        await d.call(
            "AdminSetUserPassword",
            {"UserPoolId": pool, "Username": name, "Password": PASSWORD, "Permanent": True},
            signed=True,
        )
        names.append(name)
    return pool, client, names


async def run(args: argparse.Namespace) -> None:
    if args.profile:
        # cProfile sees only this thread: run the thread-pool part inline.
        import poolgate.web.api as api_module

        async def inline(func: Any, *a: Any, **kw: Any) -> Any:
            return func(*a, **kw)

        api_module.run_in_threadpool = inline  # type: ignore[attr-defined]
    folder = Path(tempfile.mkdtemp(prefix="poolgate-inproc-"))
    # The failed-sign-in limit off: the wrong_password scenario profiles the password check itself.
    settings = Settings(
        data_dir=folder,
        database_url=args.db,
        access_keys=(KEY,),
        log_level="warning",
        failed_signin_rate_per_ip=0.0,
    )
    services = build_services(settings)
    app = create_app(settings, services)
    statements: list[str] = []
    if args.trace:
        import sqlalchemy as sa

        @sa.event.listens_for(services.store.engine, "before_cursor_execute")
        def _trace(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            statements.append(" ".join(statement.split())[:160])

    async with app.router.lifespan_context(app):
        d = Driver(app)
        pool, client, names = await setup(d, args.users)
        tokens = {}
        for name in names:
            tokens[name] = (
                await d.call(
                    "InitiateAuth",
                    {
                        "ClientId": client,
                        "AuthFlow": "USER_PASSWORD_AUTH",
                        "AuthParameters": {"USERNAME": name, "PASSWORD": PASSWORD},
                    },
                )
            )["AuthenticationResult"]
        srp = SrpClient(pool)

        async def one(i: int) -> None:
            name = names[i % len(names)]
            if args.scenario == "admin_password_auth":
                await d.call(
                    "AdminInitiateAuth",
                    {
                        "UserPoolId": pool,
                        "ClientId": client,
                        "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                        "AuthParameters": {"USERNAME": name, "PASSWORD": PASSWORD},
                    },
                    signed=True,
                )
            elif args.scenario == "user_password_auth":
                await d.call(
                    "InitiateAuth",
                    {
                        "ClientId": client,
                        "AuthFlow": "USER_PASSWORD_AUTH",
                        "AuthParameters": {"USERNAME": name, "PASSWORD": PASSWORD},
                    },
                )
            elif args.scenario == "wrong_password":
                with contextlib.suppress(RuntimeError):
                    await d.call(
                        "InitiateAuth",
                        {
                            "ClientId": client,
                            "AuthFlow": "USER_PASSWORD_AUTH",
                            "AuthParameters": {"USERNAME": name, "PASSWORD": "nope"},
                        },
                    )
            elif args.scenario == "sign_up":
                fresh = f"new{i:07d}-{time.monotonic_ns()}"
                await d.call(
                    "SignUp",
                    {
                        "ClientId": client,
                        "Username": fresh,
                        "Password": PASSWORD,
                        "UserAttributes": [{"Name": "email", "Value": f"{fresh}@example.com"}],
                    },
                )
            elif args.scenario == "refresh":
                await d.call(
                    "InitiateAuth",
                    {
                        "ClientId": client,
                        "AuthFlow": "REFRESH_TOKEN_AUTH",
                        "AuthParameters": {"REFRESH_TOKEN": tokens[name]["RefreshToken"]},
                    },
                )
            elif args.scenario == "get_user":
                await d.call("GetUser", {"AccessToken": tokens[name]["AccessToken"]})
            elif args.scenario == "user_srp_auth":
                eph = srp.ephemeral()
                ch = await d.call(
                    "InitiateAuth",
                    {
                        "ClientId": client,
                        "AuthFlow": "USER_SRP_AUTH",
                        "AuthParameters": {"USERNAME": name, "SRP_A": eph.A_hex},
                    },
                )
                responses = srp.respond(eph, ch["ChallengeParameters"], PASSWORD, username=name)
                await d.call(
                    "RespondToAuthChallenge",
                    {
                        "ClientId": client,
                        "ChallengeName": "PASSWORD_VERIFIER",
                        "Session": ch.get("Session", ""),
                        "ChallengeResponses": responses,
                    },
                )
            else:
                raise SystemExit(f"unknown scenario {args.scenario}")

        for i in range(20):
            await one(i)
        if args.trace:
            import builtins

            flag = getattr(builtins, "POOLGATE_TRACE", None)
            if flag is not None:
                flag[0] = True
            statements.clear()
            await one(0)
            if flag is not None:
                flag[0] = False
            print(f"{len(statements)} statements in one {args.scenario}:")
            for text in statements:
                print("  ", text)
        profiler = cProfile.Profile() if args.profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for i in range(args.n):
            await one(i)
        if profiler:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(
            f"{args.scenario}: {elapsed / args.n * 1000:.3f} ms/op ({args.n / elapsed:.0f} ops/s),"
            f" CPU {cpu / args.n * 1000:.3f} ms/op"
        )
        if profiler:
            stats = pstats.Stats(profiler)
            groups: dict[str, float] = {}
            for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
                if "site-packages/" in filename:
                    group = filename.split("site-packages/")[1].split("/")[0]
                elif "/poolgate/" in filename:
                    group = "poolgate." + filename.split("/poolgate/")[1].split("/")[0]
                elif filename == "~":
                    group = "builtin " + func.split(" of ")[-1][:60]
                else:
                    group = "stdlib " + filename.rsplit("/", 1)[-1]
                groups[group] = groups.get(group, 0.0) + tottime
            total = sum(groups.values())
            print(f"own time by component (ms per op, total {total / args.n * 1000:.2f}):")
            for group, seconds in sorted(groups.items(), key=lambda item: -item[1])[:25]:
                print(f"  {seconds / args.n * 1000:7.3f}  {group}")
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--db", default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--trace", action="store_true", help="print the SQL of one operation")
    parser.add_argument("--top", type=int, default=40)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
