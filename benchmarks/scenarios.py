"""The measured scenarios, the pool they run against, and the token checks on their answers.

``prepare`` builds everything through the public API, as a customer would:
CreateUserPool, CreateUserPoolClient (``create_pool``; growth mode then stops the
server and preloads users into that pool), then AdminCreateUser (SUPPRESS, with an
``email`` attribute) plus AdminSetUserPassword (Permanent) per user, all admin
calls SigV4-signed; one
USER_PASSWORD_AUTH sign-in per user then supplies the refresh and access
tokens the ``refresh`` and ``get_user`` scenarios replay.

Each scenario is one coroutine doing one logical operation (two HTTP calls for
``user_srp_auth``) and one check run on a sample of its answers outside the
timed section.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from benchmarks.http import Connection
from benchmarks.servers import Server
from benchmarks.srp_client import SrpClient
from benchmarks.wire import Api

PASSWORD = "Bench-Passw0rd!42"
AUTH_FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]
SETUP_CONNECTIONS = 8


class CheckFailed(Exception):
    """An answer that arrived with status 200 but is wrong (bad token, wrong user, ...)."""


@dataclass
class TokenChecker:
    """Verifies ID and access tokens with PyJWT against the server's JWKS."""

    keys: dict[str, Any]
    issuer: str
    client_id: str

    @classmethod
    def from_jwks(cls, jwks: dict[str, Any], issuer: str, client_id: str) -> TokenChecker:
        keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks.get("keys", [])}
        if not keys:
            raise CheckFailed("the JWKS has no keys")
        return cls(keys, issuer, client_id)

    def _decode(self, token: str, audience: str | None = None) -> dict[str, Any]:
        kid = str(jwt.get_unverified_header(token).get("kid"))
        key = self.keys.get(kid)
        if key is None:
            raise CheckFailed(f"token kid {kid!r} is not in the JWKS")
        # Access tokens carry client_id instead of aud, so aud is checked only on ID tokens.
        options: jwt.types.Options = {
            "require": ["exp", "iat", "iss", "sub"],
            "verify_aud": audience is not None,
        }
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=audience,
                leeway=5,
                options=options,
            )
        except jwt.PyJWTError as exc:
            raise CheckFailed(f"{type(exc).__name__}: {exc}") from exc
        return claims

    def check_result(self, result: dict[str, Any], *, expect_refresh: bool) -> int:
        """Check an ``AuthenticationResult``; return how many tokens were verified."""
        auth = result.get("AuthenticationResult")
        if not auth:
            raise CheckFailed(f"no AuthenticationResult in {sorted(result)}")
        id_claims = self._decode(auth["IdToken"], audience=self.client_id)
        if id_claims.get("token_use") != "id":
            raise CheckFailed(f"IdToken has token_use {id_claims.get('token_use')!r}")
        access = self._decode(auth["AccessToken"])
        if access.get("token_use") != "access" or access.get("client_id") != self.client_id:
            raise CheckFailed("AccessToken has the wrong token_use or client_id")
        if access.get("sub") != id_claims.get("sub"):
            raise CheckFailed("IdToken and AccessToken name different users")
        if expect_refresh and not auth.get("RefreshToken"):
            raise CheckFailed("no RefreshToken")
        return 2


@dataclass
class PoolEnv:
    """One user pool on one server, with its users and the tokens set up for them."""

    server: Server
    api: Api
    pool_id: str
    client_id: str
    users: list[str]
    checker: TokenChecker
    srp: SrpClient
    refresh_tokens: list[str] = field(default_factory=list)
    access_tokens: list[str] = field(default_factory=list)
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    sign_up_counter: itertools.count[int] = field(default_factory=itertools.count)

    def connection(self) -> Connection:
        return Connection(self.server.endpoint.host, self.server.endpoint.port)


def email_of(username: str) -> str:
    """The e-mail address a measured user is created with (ListUsers filters on it)."""
    return f"{username}@example.com"


async def _in_parallel(
    items: list[Any], work: Callable[[Connection, Any], Awaitable[Any]], conns: list[Connection]
) -> list[Any]:
    results: list[Any] = [None] * len(items)
    queue = list(enumerate(items))
    queue.reverse()

    async def drain(conn: Connection) -> None:
        while queue:
            index, item = queue.pop()
            results[index] = await work(conn, item)

    await asyncio.gather(*(drain(c) for c in conns))
    return results


async def create_pool(server: Server) -> tuple[str, str]:
    """CreateUserPool and CreateUserPoolClient (the four ALLOW_ flows, no secret); return their ids."""
    api = Api(server.endpoint)
    conn = Connection(server.endpoint.host, server.endpoint.port)
    try:
        pool = await api.call(
            conn, "CreateUserPool", {"PoolName": f"bench-{secrets.token_hex(3)}"}, signed=True
        )
        pool_id: str = pool["UserPool"]["Id"]
        client = await api.call(
            conn,
            "CreateUserPoolClient",
            {
                "UserPoolId": pool_id,
                "ClientName": "bench",
                "ExplicitAuthFlows": AUTH_FLOWS,
                "GenerateSecret": False,
            },
            signed=True,
        )
        client_id: str = client["UserPoolClient"]["ClientId"]
        return pool_id, client_id
    finally:
        conn.close()


async def prepare(server: Server, n_users: int, pool: tuple[str, str] | None = None) -> PoolEnv:
    """Create a pool and an app client (unless ``pool`` names them) and ``n_users``
    confirmed users; sign each in once."""
    api = Api(server.endpoint)
    conns = [Connection(server.endpoint.host, server.endpoint.port) for _ in range(SETUP_CONNECTIONS)]
    try:
        tag = secrets.token_hex(3)
        pool_id, client_id = pool if pool is not None else await create_pool(server)
        users = [f"user{i:04d}" for i in range(n_users)]

        async def create(conn: Connection, username: str) -> None:
            await api.call(
                conn,
                "AdminCreateUser",
                {
                    "UserPoolId": pool_id,
                    "Username": username,
                    "MessageAction": "SUPPRESS",
                    "UserAttributes": [{"Name": "email", "Value": email_of(username)}],
                },
                signed=True,
            )
            await api.call(
                conn,
                "AdminSetUserPassword",
                {"UserPoolId": pool_id, "Username": username, "Password": PASSWORD, "Permanent": True},
                signed=True,
            )

        await _in_parallel(users, create, conns)
        jwks = await api.get_json(conns[0], server.jwks_path(pool_id))
        checker = TokenChecker.from_jwks(jwks, server.issuer(pool_id), client_id)

        async def sign_in(conn: Connection, username: str) -> dict[str, Any]:
            result = await api.call(
                conn,
                "InitiateAuth",
                {
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": client_id,
                    "AuthParameters": {"USERNAME": username, "PASSWORD": PASSWORD},
                },
            )
            checker.check_result(result, expect_refresh=True)
            auth: dict[str, Any] = result["AuthenticationResult"]
            return auth

        results = await _in_parallel(users, sign_in, conns)
        return PoolEnv(
            server=server,
            api=api,
            pool_id=pool_id,
            client_id=client_id,
            users=users,
            checker=checker,
            srp=SrpClient(pool_id),
            tag=tag,
            refresh_tokens=[r["RefreshToken"] for r in results],
            access_tokens=[r["AccessToken"] for r in results],
        )
    finally:
        for conn in conns:
            conn.close()


# --- scenarios ---------------------------------------------------------------------------------

Op = Callable[[PoolEnv, Connection, int, int], Awaitable[dict[str, Any]]]
Check = Callable[[PoolEnv, dict[str, Any], int], int]


@dataclass(frozen=True)
class Scenario:
    name: str
    op: Op
    check: Check
    http_calls: int = 1
    description: str = ""
    check_description: str = (
        "ID and access token signatures, iss, aud/client_id, exp; a refresh token present"
    )


async def _admin_password_auth(env: PoolEnv, conn: Connection, user: int, worker: int) -> dict[str, Any]:
    return await env.api.call(
        conn,
        "AdminInitiateAuth",
        {
            "UserPoolId": env.pool_id,
            "ClientId": env.client_id,
            "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": env.users[user], "PASSWORD": PASSWORD},
        },
        signed=True,
    )


async def _user_password_auth(env: PoolEnv, conn: Connection, user: int, worker: int) -> dict[str, Any]:
    return await env.api.call(
        conn,
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": env.client_id,
            "AuthParameters": {"USERNAME": env.users[user], "PASSWORD": PASSWORD},
        },
    )


async def _user_srp_auth(env: PoolEnv, conn: Connection, user: int, worker: int) -> dict[str, Any]:
    eph = env.srp.ephemeral()
    first = await env.api.call(
        conn,
        "InitiateAuth",
        {
            "AuthFlow": "USER_SRP_AUTH",
            "ClientId": env.client_id,
            "AuthParameters": {"USERNAME": env.users[user], "SRP_A": eph.A_hex},
        },
    )
    if first.get("ChallengeName") != "PASSWORD_VERIFIER":
        raise CheckFailed(f"expected PASSWORD_VERIFIER, got {first.get('ChallengeName')!r}")
    params: dict[str, Any] = {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ClientId": env.client_id,
        "ChallengeResponses": env.srp.respond(
            eph,
            first["ChallengeParameters"],
            PASSWORD,
            username=env.users[user] if env.server.srp_username_is_login_name else None,
        ),
    }
    if first.get("Session"):
        params["Session"] = first["Session"]
    return await env.api.call(conn, "RespondToAuthChallenge", params)


async def _refresh(env: PoolEnv, conn: Connection, user: int, worker: int) -> dict[str, Any]:
    return await env.api.call(
        conn,
        "InitiateAuth",
        {
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "ClientId": env.client_id,
            "AuthParameters": {"REFRESH_TOKEN": env.refresh_tokens[user]},
        },
    )


async def _sign_up(env: PoolEnv, conn: Connection, user: int, worker: int) -> dict[str, Any]:
    username = f"su-{env.tag}-{next(env.sign_up_counter)}"
    return await env.api.call(
        conn, "SignUp", {"ClientId": env.client_id, "Username": username, "Password": PASSWORD}
    )


async def _get_user(env: PoolEnv, conn: Connection, user: int, worker: int) -> dict[str, Any]:
    result = await env.api.call(conn, "GetUser", {"AccessToken": env.access_tokens[user]})
    result["_expected_user"] = env.users[user]
    return result


async def _list_users_filter(env: PoolEnv, conn: Connection, user: int, worker: int) -> dict[str, Any]:
    username = env.users[user]
    result = await env.api.call(
        conn,
        "ListUsers",
        {"UserPoolId": env.pool_id, "Filter": f'email = "{email_of(username)}"'},
        signed=True,
    )
    result["_expected_user"] = username
    return result


def _check_tokens(env: PoolEnv, result: dict[str, Any], user: int) -> int:
    return env.checker.check_result(result, expect_refresh=True)


def _check_refreshed(env: PoolEnv, result: dict[str, Any], user: int) -> int:
    return env.checker.check_result(result, expect_refresh=False)


def _check_sign_up(env: PoolEnv, result: dict[str, Any], user: int) -> int:
    if not result.get("UserSub") or result.get("UserConfirmed") is not False:
        raise CheckFailed(f"unexpected SignUp answer {result!r}")
    return 0


def _check_get_user(env: PoolEnv, result: dict[str, Any], user: int) -> int:
    if result.get("Username") != result.get("_expected_user"):
        raise CheckFailed(f"GetUser answered {result.get('Username')!r} for {result.get('_expected_user')!r}")
    return 0


def _check_list_users(env: PoolEnv, result: dict[str, Any], user: int) -> int:
    expected = result.get("_expected_user")
    found = result.get("Users") or []
    names = [u.get("Username") for u in found]
    if names != [expected]:
        raise CheckFailed(f"ListUsers with email = {email_of(str(expected))!r} answered {names!r}")
    emails = [a.get("Value") for a in found[0].get("Attributes", []) if a.get("Name") == "email"]
    if emails != [email_of(str(expected))]:
        raise CheckFailed(f"ListUsers answered {expected!r} with e-mail {emails!r}")
    return 0


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "admin_password_auth",
            _admin_password_auth,
            _check_tokens,
            description="AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH, SigV4-signed",
        ),
        Scenario(
            "user_password_auth",
            _user_password_auth,
            _check_tokens,
            description="InitiateAuth USER_PASSWORD_AUTH",
        ),
        Scenario(
            "user_srp_auth",
            _user_srp_auth,
            _check_tokens,
            http_calls=2,
            description="InitiateAuth USER_SRP_AUTH + RespondToAuthChallenge PASSWORD_VERIFIER",
        ),
        Scenario(
            "refresh",
            _refresh,
            _check_refreshed,
            description="InitiateAuth REFRESH_TOKEN_AUTH",
            check_description="ID and access token signatures, iss, aud/client_id, exp",
        ),
        Scenario(
            "sign_up",
            _sign_up,
            _check_sign_up,
            description="SignUp of a new user",
            check_description="UserSub present, UserConfirmed false; SignUp returns no tokens",
        ),
        Scenario(
            "get_user",
            _get_user,
            _check_get_user,
            description="GetUser with an access token issued (and verified) at setup",
            check_description="Username is the token's user; GetUser returns no tokens",
        ),
        Scenario(
            "list_users_filter",
            _list_users_filter,
            _check_list_users,
            description='ListUsers with Filter email = "<a measured user\'s e-mail>", SigV4-signed',
            check_description="exactly that one user, with that e-mail; ListUsers returns no tokens",
        ),
    )
}
