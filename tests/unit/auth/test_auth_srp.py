"""USER_SRP_AUTH -> PASSWORD_VERIFIER through AuthService, driven by pycognito's client maths
(``AWSSRP``) over a fake boto3 client that calls the real operation handlers."""

from __future__ import annotations

import base64
import re
from typing import Any

import gmpy2
import pytest
from pycognito import aws_srp
from tests.unit.auth._support import PASSWORD, WRONG, World

from poolgate.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from poolgate.operations import auth as auth_operations
from poolgate.operations.registry import OperationContext
from poolgate.pools.model import AppClient, UserPool
from poolgate.srp import timestamp_now
from poolgate.users.model import UserStatus

GENERIC = "Incorrect username or password."


class FakeBoto:
    """The two cognito-idp client methods pycognito calls, answered by the operation handlers."""

    def __init__(self, world: World) -> None:
        self.ctx = OperationContext("test", "req-1", services=world)  # type: ignore[arg-type]
        self.sessions_sent: list[str | None] = []

    def initiate_auth(self, **params: Any) -> dict[str, Any]:
        return dict(auth_operations.initiate_auth(self.ctx, params) or {})

    def respond_to_auth_challenge(self, **params: Any) -> dict[str, Any]:
        self.sessions_sent.append(params.get("Session"))
        return dict(auth_operations.respond_to_auth_challenge(self.ctx, params) or {})


@pytest.fixture
def boto(world: World) -> FakeBoto:
    return FakeBoto(world)


def srp_client(
    world: World, boto: FakeBoto, pool: UserPool, client: AppClient, username: str, password: str = PASSWORD
) -> aws_srp.AWSSRP:
    """pycognito's SRP client, its TIMESTAMP taken from the frozen clock."""
    srp = aws_srp.AWSSRP(
        username, password, pool.id, client.client_id, client=boto, client_secret=client.client_secret
    )
    srp.get_cognito_formatted_timestamp = lambda _now: timestamp_now(world.clock.now())
    return srp


def test_pycognito_signs_in_without_session(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "pia")
    world.clock.advance(5)
    result = srp_client(world, boto, pool, client, "pia").authenticate_user()
    assert result["AuthenticationResult"]["IdToken"] == f"id:{user.sub}"
    assert result["ChallengeParameters"] == {}
    assert boto.sessions_sent == [None]
    assert world.tokens.sign_ins[0].auth_time == world.clock.now()


def test_challenge_parameters(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "quin")
    srp = srp_client(world, boto, pool, client, "quin")
    response = boto.initiate_auth(
        AuthFlow="USER_SRP_AUTH", ClientId=client.client_id, AuthParameters=srp.get_auth_params()
    )
    assert response["ChallengeName"] == "PASSWORD_VERIFIER" and len(response["Session"]) >= 20
    params = response["ChallengeParameters"]
    assert set(params) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"}
    assert params["USERNAME"] == params["USER_ID_FOR_SRP"] == "quin"
    assert user.password is not None and params["SALT"] == user.password.salt
    base64.b64decode(params["SECRET_BLOCK"], validate=True)
    assert re.fullmatch(r"[0-9a-f]+", params["SRP_B"])


def _start(
    world: World, boto: FakeBoto, srp: aws_srp.AWSSRP, client: AppClient
) -> tuple[dict[str, Any], dict[str, str]]:
    auth_params = srp.get_auth_params()
    response = boto.initiate_auth(
        AuthFlow="USER_SRP_AUTH", ClientId=client.client_id, AuthParameters=auth_params
    )
    return response, srp.process_challenge(response["ChallengeParameters"], auth_params)


def test_answer_with_session_like_the_js_sdk(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "rhea")
    response, answer = _start(world, boto, srp_client(world, boto, pool, client, "rhea"), client)
    result = boto.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=response["Session"],
        ChallengeResponses=answer,
    )
    assert "AuthenticationResult" in result


def test_wrong_password_counts_and_state_is_single_use(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "sami")
    srp = srp_client(world, boto, pool, client, "sami", WRONG)
    response, answer = _start(world, boto, srp, client)
    call = {"ClientId": client.client_id, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": answer}
    with pytest.raises(NotAuthorizedException) as exc:
        boto.respond_to_auth_challenge(**call)
    assert exc.value.message == GENERIC
    assert world.attempts(pool, user).failures == 1
    for extra in ({}, {"Session": response["Session"]}):
        with pytest.raises(NotAuthorizedException) as exc:
            boto.respond_to_auth_challenge(**call, **extra)
        assert exc.value.message == "Invalid session for the user."


def test_right_answer_is_single_use_too(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "tara")
    _response, answer = _start(world, boto, srp_client(world, boto, pool, client, "tara"), client)
    call = {"ClientId": client.client_id, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": answer}
    assert "AuthenticationResult" in boto.respond_to_auth_challenge(**call)
    with pytest.raises(NotAuthorizedException) as exc:
        boto.respond_to_auth_challenge(**call)
    assert exc.value.message == "Invalid session for the user."


def test_username_must_be_user_id_for_srp(world: World, boto: FakeBoto) -> None:
    pool = world.pool(AliasAttributes=["email"])
    client = world.client(pool)
    world.user(pool, "uma", email="uma@example.com", email_verified="true")
    srp = srp_client(world, boto, pool, client, "uma@example.com")
    response, answer = _start(world, boto, srp, client)
    assert response["ChallengeParameters"]["USER_ID_FOR_SRP"] == "uma"
    with pytest.raises(NotAuthorizedException) as exc:
        boto.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses={**answer, "USERNAME": "uma@example.com"},
        )
    assert exc.value.message == GENERIC
    with pytest.raises(NotAuthorizedException) as exc:  # the attempt spent the state
        boto.respond_to_auth_challenge(
            ClientId=client.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
        )
    assert exc.value.message == "Invalid session for the user."
    # With the internal username, as pycognito sends it, the alias sign-in works.
    assert "AuthenticationResult" in srp.authenticate_user()


def test_email_as_username_pool(world: World, boto: FakeBoto) -> None:
    pool = world.pool(UsernameAttributes=["email"])
    client = world.client(pool)
    user = world.user(pool, "vic@example.com")
    srp = srp_client(world, boto, pool, client, "vic@example.com")
    response, _answer = _start(world, boto, srp, client)
    assert response["ChallengeParameters"]["USER_ID_FOR_SRP"] == user.sub
    assert srp.authenticate_user()["AuthenticationResult"]["IdToken"] == f"id:{user.sub}"


def test_timestamp_checks(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "wim")
    srp = srp_client(world, boto, pool, client, "wim")
    response, answer = _start(world, boto, srp, client)
    call = {
        "ClientId": client.client_id,
        "ChallengeName": "PASSWORD_VERIFIER",
        "Session": response["Session"],
    }
    with pytest.raises(InvalidParameterException) as exc:
        boto.respond_to_auth_challenge(**call, ChallengeResponses={**answer, "TIMESTAMP": "yesterday"})
    assert exc.value.message == "TIMESTAMP format is invalid"
    # A format error leaves the state in place; a stale TIMESTAMP spends it.
    stale = timestamp_now(world.clock.now() - 301)
    with pytest.raises(NotAuthorizedException) as exc:  # type: ignore[assignment]
        boto.respond_to_auth_challenge(**call, ChallengeResponses={**answer, "TIMESTAMP": stale})
    assert exc.value.message == GENERIC
    with pytest.raises(NotAuthorizedException) as exc:  # type: ignore[assignment]
        boto.respond_to_auth_challenge(**call, ChallengeResponses=answer)
    assert exc.value.message == "Invalid session for the user."


def test_timestamp_a_few_minutes_off_is_fine(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "xia")
    srp = srp_client(world, boto, pool, client, "xia")
    srp.get_cognito_formatted_timestamp = lambda _now: timestamp_now(world.clock.now() + 299)
    assert "AuthenticationResult" in srp.authenticate_user()


def test_missing_and_bad_parameters(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "yara")
    with pytest.raises(InvalidParameterException) as exc:
        boto.initiate_auth(
            AuthFlow="USER_SRP_AUTH", ClientId=client.client_id, AuthParameters={"USERNAME": "yara"}
        )
    assert exc.value.message == "Missing required parameter SRP_A"
    n_hex = format(int(aws_srp.N_HEX, 16), "x")
    for bad in ("00", n_hex, "zz"):
        with pytest.raises(NotAuthorizedException) as exc:  # type: ignore[assignment]
            boto.initiate_auth(
                AuthFlow="USER_SRP_AUTH",
                ClientId=client.client_id,
                AuthParameters={"USERNAME": "yara", "SRP_A": bad},
            )
        assert exc.value.message == GENERIC
    _response, answer = _start(world, boto, srp_client(world, boto, pool, client, "yara"), client)
    for name in ("PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
        partial = {k: v for k, v in answer.items() if k != name}
        with pytest.raises(InvalidParameterException) as exc:
            boto.respond_to_auth_challenge(
                ClientId=client.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=partial
            )
        assert exc.value.message == f"Missing required parameter {name}"
    tampered = answer["PASSWORD_CLAIM_SECRET_BLOCK"][:-8] + "AAAAAAA="
    with pytest.raises(NotAuthorizedException) as exc:  # type: ignore[assignment]
        boto.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses={**answer, "PASSWORD_CLAIM_SECRET_BLOCK": tampered},
        )
    assert exc.value.message == "Invalid session for the user."


def test_secret_hash_on_initiate_and_answer(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool, secret=True)
    user = world.user(pool, "zoe")
    assert srp_client(world, boto, pool, client, "zoe").authenticate_user()["AuthenticationResult"]
    srp = srp_client(world, boto, pool, client, "zoe")
    _response, answer = _start(world, boto, srp, client)
    with pytest.raises(NotAuthorizedException) as exc:
        boto.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses={k: v for k, v in answer.items() if k != "SECRET_HASH"},
        )
    assert (
        exc.value.message
        == f"Client {client.client_id} is configured with secret but SECRET_HASH was not received"
    )
    with pytest.raises(NotAuthorizedException) as exc:
        boto.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses={**answer, "SECRET_HASH": answer["SECRET_HASH"][::-1]},
        )
    assert exc.value.message == f"Unable to verify secret hash for client {client.client_id}"
    # A bad hash fails before the state is touched: the right answer still works.
    result = boto.respond_to_auth_challenge(
        ClientId=client.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )
    assert result["AuthenticationResult"]["IdToken"] == f"id:{user.sub}"


def test_status_checks_happen_before_b_is_sent(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "abe", status=UserStatus.UNCONFIRMED)
    world.user(pool, "bea", enabled=False)
    with pytest.raises(UserNotConfirmedException):
        srp_client(world, boto, pool, client, "abe").authenticate_user()
    with pytest.raises(NotAuthorizedException) as exc:
        srp_client(world, boto, pool, client, "bea").authenticate_user()
    assert exc.value.message == "User is disabled."


def test_status_changed_between_the_steps(world: World, boto: FakeBoto) -> None:
    from dataclasses import replace

    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "cal")
    _response, answer = _start(world, boto, srp_client(world, boto, pool, client, "cal"), client)
    with world.store.transaction() as uow:
        uow.users.update(replace(user, enabled=False))
    with pytest.raises(NotAuthorizedException) as exc:
        boto.respond_to_auth_challenge(
            ClientId=client.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
        )
    assert exc.value.message == "User is disabled."


def test_lockout_applies_to_srp(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "dan")
    for _ in range(5):
        with pytest.raises(NotAuthorizedException):
            srp_client(world, boto, pool, client, "dan", WRONG).authenticate_user()
    with pytest.raises(NotAuthorizedException) as exc:
        srp_client(world, boto, pool, client, "dan").authenticate_user()
    assert exc.value.message == "Password attempts exceeded"
    world.clock.advance(1)
    assert srp_client(world, boto, pool, client, "dan").authenticate_user()["AuthenticationResult"]


def test_new_password_required_through_pycognito(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool, secret=True)
    user = world.user(pool, "eve", "Temp0rary!x", status=UserStatus.FORCE_CHANGE_PASSWORD)
    srp = srp_client(world, boto, pool, client, "eve", "Temp0rary!x")
    result = srp.set_new_password_challenge("N3w!Password")
    assert result["AuthenticationResult"]["IdToken"] == f"id:{user.sub}"
    assert world.get_user(pool, user.sub).status is UserStatus.CONFIRMED
    assert srp_client(world, boto, pool, client, "eve", "N3w!Password").authenticate_user()[
        "AuthenticationResult"
    ]


# -- PreventUserExistenceErrors ---------------------------------------------------------------


def _unknown(world: World, boto: FakeBoto, pool: UserPool, client: AppClient, name: str) -> dict[str, str]:
    srp = srp_client(world, boto, pool, client, name)
    response = boto.initiate_auth(
        AuthFlow="USER_SRP_AUTH", ClientId=client.client_id, AuthParameters=srp.get_auth_params()
    )
    assert response["ChallengeName"] == "PASSWORD_VERIFIER"
    return dict(response["ChallengeParameters"])


def test_unknown_user_legacy(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool)
    with pytest.raises(UserNotFoundException) as exc:
        srp_client(world, boto, pool, client, "ghost").authenticate_user()
    assert exc.value.message == "User does not exist."


def test_unknown_user_gets_a_stable_simulated_challenge(world: World, boto: FakeBoto) -> None:
    pool = world.pool(UsernameConfiguration={"CaseSensitive": False})
    client = world.client(pool, PreventUserExistenceErrors="ENABLED")
    first = _unknown(world, boto, pool, client, "ghost")
    again = _unknown(world, boto, pool, client, "GHOST")
    other = _unknown(world, boto, pool, client, "spook")
    assert first["SALT"] == again["SALT"] != other["SALT"]
    assert first["USER_ID_FOR_SRP"] == first["USERNAME"] == "ghost"
    assert first["SRP_B"] != again["SRP_B"] and first["SECRET_BLOCK"] != again["SECRET_BLOCK"]
    assert re.fullmatch(r"[0-9a-f]+", first["SALT"])
    with pytest.raises(NotAuthorizedException) as exc:
        srp_client(world, boto, pool, client, "ghost").authenticate_user()
    assert exc.value.message == GENERIC


def test_simulated_user_id_is_a_uuid_where_real_ones_are(world: World, boto: FakeBoto) -> None:
    pool = world.pool(UsernameAttributes=["email"])
    client = world.client(pool, PreventUserExistenceErrors="ENABLED")
    params = _unknown(world, boto, pool, client, "ghost@example.com")
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", params["USER_ID_FOR_SRP"]
    )
    assert (
        _unknown(world, boto, pool, client, "ghost@example.com")["USER_ID_FOR_SRP"]
        == params["USER_ID_FOR_SRP"]
    )
    with pytest.raises(NotAuthorizedException) as exc:
        srp_client(world, boto, pool, client, "ghost@example.com").authenticate_user()
    assert exc.value.message == GENERIC


@pytest.fixture
def modexps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts modular exponentiations by gmpy2 (every SRP exponentiation goes through it)."""
    calls: list[str] = []
    for name in ("powmod", "powmod_sec"):
        original = getattr(gmpy2, name)

        def counting(*args: Any, _original: Any = original, _name: str = name) -> Any:
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(gmpy2, name, counting)
    return calls


def test_simulated_work_matches_real_work(world: World, boto: FakeBoto, modexps: list[str]) -> None:
    pool = world.pool()
    client = world.client(pool, PreventUserExistenceErrors="ENABLED")
    world.user(pool, "real")
    counts = {}
    for name in ("real", "ghost"):
        srp = srp_client(world, boto, pool, client, name, WRONG)
        auth_params = srp.get_auth_params()  # the client's own exponentiation, before counting
        modexps.clear()
        response = boto.initiate_auth(
            AuthFlow="USER_SRP_AUTH", ClientId=client.client_id, AuthParameters=auth_params
        )
        initiate = len(modexps)
        answer = srp.process_challenge(response["ChallengeParameters"], auth_params)
        modexps.clear()
        with pytest.raises(NotAuthorizedException):
            boto.respond_to_auth_challenge(
                ClientId=client.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
            )
        counts[name] = (initiate, len(modexps))
    assert counts["real"] == counts["ghost"] == (1, 2)


def test_password_flow_work_matches_for_unknown_users(world: World, modexps: list[str]) -> None:
    pool = world.pool()
    client = world.client(pool, PreventUserExistenceErrors="ENABLED")
    world.user(pool, "real")
    counts = []
    for name in ("real", "ghost"):
        modexps.clear()
        with pytest.raises(NotAuthorizedException):
            world.password_auth(client, name, WRONG)
        counts.append(len(modexps))
    assert counts == [1, 1]


def test_disabled_user_waits_for_the_proof_when_existence_is_hidden(world: World, boto: FakeBoto) -> None:
    pool = world.pool()
    client = world.client(pool, PreventUserExistenceErrors="ENABLED")
    world.user(pool, "fay", enabled=False)
    with pytest.raises(NotAuthorizedException) as exc:
        srp_client(world, boto, pool, client, "fay", WRONG).authenticate_user()
    assert exc.value.message == GENERIC
    with pytest.raises(NotAuthorizedException) as exc:
        srp_client(world, boto, pool, client, "fay").authenticate_user()
    assert exc.value.message == "User is disabled."


def test_unknown_flow_and_challenge_names(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    with pytest.raises(InvalidParameterException) as exc:
        world.auth.initiate_auth(client.client_id, "MAGIC_AUTH", {})
    assert exc.value.message == "Initiate Auth method not supported."
    with pytest.raises(InvalidParameterException):
        world.auth.respond_to_auth_challenge(client.client_id, "MAGIC", {"USERNAME": "x"}, session="s" * 64)
