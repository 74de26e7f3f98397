"""Shared set-up for the authentication conformance tests: pools, clients, users, JWKS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from tests.server import ServerProcess

PASSWORD = "Corr3ct!Horse"
FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


@dataclass
class AuthPool:
    server: ServerProcess
    cognito: Any
    pool_id: str
    client_id: str
    public_url: str | None = None

    def client(self, **kwargs: Any) -> str:
        """Another app client of the pool."""
        kwargs.setdefault("ExplicitAuthFlows", FLOWS)
        return str(
            self.cognito.create_user_pool_client(UserPoolId=self.pool_id, ClientName="extra", **kwargs)[
                "UserPoolClient"
            ]["ClientId"]
        )

    def user(self, username: str, password: str = PASSWORD, **attributes: str) -> None:
        """A CONFIRMED user with a permanent password."""
        attrs = [{"Name": k, "Value": v} for k, v in attributes.items()]
        self.cognito.admin_create_user(
            UserPoolId=self.pool_id, Username=username, MessageAction="SUPPRESS", UserAttributes=attrs
        )
        self.cognito.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=password, Permanent=True
        )

    def password_auth(
        self, username: str, password: str = PASSWORD, client_id: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.cognito.initiate_auth(
            ClientId=client_id or self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return result

    def jwks(self) -> dict[str, Any]:
        with httpx.Client(timeout=10) as http:
            resp = http.get(f"{self.server.url}/{self.pool_id}/.well-known/jwks.json")
            resp.raise_for_status()
            data: dict[str, Any] = resp.json()
        return data

    def decode(self, token: str, **options: Any) -> dict[str, Any]:
        """Verify ``token`` with PyJWT against the JWKS fetched over HTTP."""
        header = jwt.get_unverified_header(token)
        keys = {k["kid"]: k for k in self.jwks()["keys"]}
        key = cast(
            RSAPublicKey, jwt.algorithms.RSAAlgorithm.from_jwk(keys[header["kid"]])
        )  # a JWKS holds public keys
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            issuer=f"{self.public_url or self.server.url}/{self.pool_id}",
            **options,
        )
        return claims


def make_pool(server: ServerProcess, **pool_args: Any) -> AuthPool:
    cognito = server.client()
    pool_id = cognito.create_user_pool(PoolName="auth", **pool_args)["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=FLOWS
    )["UserPoolClient"]["ClientId"]
    return AuthPool(server, cognito, pool_id, client_id)
