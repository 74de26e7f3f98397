"""Sign-in state lives in the database: a challenge issued by one process is answered on another,
and failed sign-ins and wrong ChangePassword guesses on two processes count towards one lockout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests import pg
from tests.conformance.auth_support import FLOWS, PASSWORD
from tests.server import ServerProcess, start_server

from poolgate.security.crypto import MasterKey


@contextmanager
def _replicas(tmp_path: Path) -> Iterator[tuple[Any, Any, str, str]]:
    """Two servers on one fresh PostgreSQL schema, as replicas behind one load balancer (same
    master key and public URL, so the same issuer); yields their boto3 clients and a pool and
    app client made through the first."""
    with pg.fresh_schema() as url:
        env = {
            "POOLGATE_MASTER_KEY": MasterKey.generate().to_text(),
            "POOLGATE_PUBLIC_URL": "http://auth.example",
        }
        servers: list[ServerProcess] = []
        try:
            servers.append(start_server(tmp_path / "a", database_url=url, env=env))
            servers.append(start_server(tmp_path / "b", database_url=url, env=env))
            ca, cb = servers[0].client(), servers[1].client()
            pool = ca.create_user_pool(PoolName="shared")["UserPool"]["Id"]
            client = ca.create_user_pool_client(UserPoolId=pool, ClientName="c", ExplicitAuthFlows=FLOWS)[
                "UserPoolClient"
            ]["ClientId"]
            yield ca, cb, pool, client
        finally:
            for server in servers:
                server.stop()


@pytest.mark.postgres
def test_challenge_answered_on_another_process(tmp_path: Path) -> None:
    with _replicas(tmp_path) as (ca, cb, pool, client):
        ca.admin_create_user(
            UserPoolId=pool, Username="sam", TemporaryPassword="Temp0rary!x", MessageAction="SUPPRESS"
        )
        challenge = ca.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "sam", "PASSWORD": "Temp0rary!x"},
        )
        assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
        done = cb.respond_to_auth_challenge(
            ClientId=client,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "sam", "NEW_PASSWORD": PASSWORD},
        )
        tokens = done["AuthenticationResult"]
        assert ca.get_user(AccessToken=tokens["AccessToken"])["Username"] == "sam"
        for i in range(5):
            with pytest.raises(ClientError):
                (ca if i % 2 else cb).initiate_auth(
                    ClientId=client,
                    AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": "sam", "PASSWORD": "Wr0ng!Password"},
                )
        with pytest.raises(ClientError) as exc:
            ca.initiate_auth(
                ClientId=client,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "sam", "PASSWORD": PASSWORD},
            )
        assert exc.value.response["Error"]["Message"] == "Password attempts exceeded"


@pytest.mark.postgres
def test_client_change_on_one_process_applies_at_once_on_the_other(tmp_path: Path) -> None:
    """Process b keeps the pool and client in its cache after a sign-in; a change made through
    process a is seen by b's very next sign-in (the cached copy fails the epoch check)."""
    with _replicas(tmp_path) as (ca, cb, pool, client):
        ca.admin_create_user(UserPoolId=pool, Username="sam", MessageAction="SUPPRESS")
        ca.admin_set_user_password(UserPoolId=pool, Username="sam", Password=PASSWORD, Permanent=True)
        params = {"USERNAME": "sam", "PASSWORD": PASSWORD}
        for _ in range(2):  # the second one runs on b's cached pool and client
            assert "AuthenticationResult" in cb.initiate_auth(
                ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
            )
        ca.update_user_pool_client(
            UserPoolId=pool,
            ClientId=client,
            ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )
        with pytest.raises(ClientError) as exc:
            cb.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params)
        assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
        ca.update_user_pool_client(UserPoolId=pool, ClientId=client, ExplicitAuthFlows=FLOWS)
        assert "AuthenticationResult" in cb.initiate_auth(
            ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )
        ca.delete_user_pool_client(UserPoolId=pool, ClientId=client)
        with pytest.raises(ClientError) as exc:
            cb.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params)
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.postgres
def test_change_password_guesses_lock_on_every_process(tmp_path: Path) -> None:
    """Issue 15 item 1: wrong PreviousPassword guesses on two processes count toward the user's
    one lockout; then ChangePassword is refused with LimitExceededException on both, even with
    the right old password, and sign-in answers 'Password attempts exceeded'."""
    with _replicas(tmp_path) as (ca, cb, pool, client):
        ca.admin_create_user(UserPoolId=pool, Username="sam", MessageAction="SUPPRESS")
        ca.admin_set_user_password(UserPoolId=pool, Username="sam", Password=PASSWORD, Permanent=True)
        token = ca.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "sam", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]["AccessToken"]
        for i in range(8):
            if i > 4:
                # Let the running lock (1 s, then 2 s, 4 s) run out on the shared testing clock, so
                # the next guess is checked again; the eighth failure locks for 8 s, time enough for
                # the calls below even on a loaded machine.
                httpx.post(
                    f"{ca.meta.endpoint_url}/_testing/clock", json={"advance": 2.0 ** (i - 5)}, timeout=10
                ).raise_for_status()
            with pytest.raises(ClientError) as exc:
                (ca if i % 2 else cb).change_password(
                    AccessToken=token, PreviousPassword=f"Wr0ng!{i}", ProposedPassword="An0ther!Pass"
                )
            assert exc.value.response["Error"]["Message"] == "Incorrect username or password."
        for cognito in (ca, cb):
            with pytest.raises(ClientError) as exc:
                cognito.change_password(
                    AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword="An0ther!Pass"
                )
            assert exc.value.response["Error"] == {
                "Code": "LimitExceededException",
                "Message": "Attempt limit exceeded, please try after some time.",
            }
        with pytest.raises(ClientError) as exc:
            cb.initiate_auth(
                ClientId=client,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "sam", "PASSWORD": PASSWORD},
            )
        assert exc.value.response["Error"]["Message"] == "Password attempts exceeded"
