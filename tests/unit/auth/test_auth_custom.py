"""CUSTOM_AUTH driven by fake DefineAuthChallenge / CreateAuthChallenge / VerifyAuthChallenge
triggers (auth-flows.md section 4.5): rounds won and lost, the session array, new Sessions each
round, SRP_A first, existence hiding, bad Define answers and ClientMetadata routing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from tests.unit.auth._support import PASSWORD, WRONG, challenge, tokens
from tests.unit.auth._triggers import TriggerWorld, make_trigger_world
from tests.unit.auth.test_auth_srp import FakeBoto, srp_client

from poolgate.auth.state import RequestMetadata, StepResult
from poolgate.errors import (
    InvalidLambdaResponseException,
    InvalidParameterException,
    NotAuthorizedException,
    UserNotFoundException,
)
from poolgate.triggers.api import ChallengeResult, CreateResult, DefineResult

CUSTOM = ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture
def tw() -> Iterator[TriggerWorld]:
    built = make_trigger_world()
    yield built
    built.store.close()


def _entries(session: Sequence[ChallengeResult]) -> list[tuple[str, bool, str | None]]:
    return [(e.challenge_name, e.challenge_result, e.challenge_metadata) for e in session]


def two_rounds(**kwargs: Any) -> DefineResult:
    """Define: a custom challenge until two have been answered correctly; fail on a wrong one."""
    session = kwargs["session"]
    if any(not entry.challenge_result for entry in session):
        return DefineResult(fail_authentication=True)
    answered = [e for e in session if e.challenge_name == "CUSTOM_CHALLENGE"]
    if len(answered) >= 2:
        return DefineResult(issue_tokens=True)
    return DefineResult(challenge_name="CUSTOM_CHALLENGE")


def create(**kwargs: Any) -> CreateResult:
    n = len(kwargs["session"]) + 1
    return CreateResult(
        public_parameters={"question": f"q{n}"},
        private_parameters={"answer": f"a{n}"},
        challenge_metadata=f"round-{n}",
    )


def verify(**kwargs: Any) -> bool:
    return bool(kwargs["answer"] == kwargs["private_parameters"]["answer"])


@pytest.fixture
def game(tw: TriggerWorld) -> tuple[TriggerWorld, Any, Any]:
    tw.triggers.set("DefineAuthChallenge", two_rounds)
    tw.triggers.set("CreateAuthChallenge", create)
    tw.triggers.set("VerifyAuthChallengeResponse", verify)
    pool = tw.world.pool()
    client = tw.world.client(pool, ExplicitAuthFlows=CUSTOM)
    return tw, pool, client


def _answer(tw: TriggerWorld, client: Any, session: str, answer: str, username: str = "cy") -> StepResult:
    return tw.world.auth.respond_to_auth_challenge(
        client.client_id,
        "CUSTOM_CHALLENGE",
        {"USERNAME": username, "ANSWER": answer},
        session=session,
        metadata=RequestMetadata({"from": "respond"}),
    )


def test_not_configured_without_all_three_triggers() -> None:
    tw = make_trigger_world({"DefineAuthChallenge", "CreateAuthChallenge"})
    try:
        pool = tw.world.pool()
        client = tw.world.client(pool, ExplicitAuthFlows=CUSTOM)
        with pytest.raises(InvalidParameterException, match="^Custom auth lambda trigger is not configured"):
            tw.world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "x"})
        assert tw.triggers.calls == []
    finally:
        tw.store.close()


def test_two_rounds_won(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    user = tw.world.user(pool, "cy")
    first = challenge(
        tw.world.auth.initiate_auth(
            client.client_id,
            "CUSTOM_AUTH",
            {"USERNAME": "cy"},
            metadata=RequestMetadata({"from": "initiate"}),
        )
    )
    assert first.name == "CUSTOM_CHALLENGE"
    assert first.parameters == {"question": "q1", "USERNAME": "cy"}  # private parameters stay home
    second = challenge(_answer(tw, client, first.session, "a1"))
    assert second.name == "CUSTOM_CHALLENGE" and second.session != first.session
    assert second.parameters == {"question": "q2", "USERNAME": "cy"}
    issued = tokens(_answer(tw, client, second.session, "a2"))
    assert tw.claims(pool.id, issued.id_token)["sub"] == user.sub
    assert tw.triggers.names() == [
        "DefineAuthChallenge",
        "CreateAuthChallenge",
        "VerifyAuthChallengeResponse",
        "DefineAuthChallenge",
        "CreateAuthChallenge",
        "VerifyAuthChallengeResponse",
        "DefineAuthChallenge",
        "PostAuthentication",
        "PreTokenGeneration",
    ]  # no PreAuthentication without SRP_A
    defines = tw.triggers.of("DefineAuthChallenge")
    assert _entries(defines[0]["session"]) == []
    assert _entries(defines[2]["session"]) == [
        ("CUSTOM_CHALLENGE", True, "round-1"),
        ("CUSTOM_CHALLENGE", True, "round-2"),
    ]
    verifies = tw.triggers.of("VerifyAuthChallengeResponse")
    assert verifies[0]["private_parameters"] == {"answer": "a1"} and verifies[0]["answer"] == "a1"
    assert all(call["user"].sub == user.sub and call["user_not_found"] is False for call in defines)
    # ClientMetadata: the InitiateAuth round gets none; every later trigger gets the Respond* one.
    assert defines[0]["client_metadata"] is None
    assert tw.triggers.of("CreateAuthChallenge")[0]["client_metadata"] is None
    assert all(call["client_metadata"] == {"from": "respond"} for call in defines[1:] + verifies)
    assert tw.triggers.of("PostAuthentication")[0]["client_metadata"] == {"from": "respond"}
    token = tw.triggers.of("PreTokenGeneration")[0]
    assert token["source"] == "Authentication" and token["client_metadata"] == {"from": "respond"}
    tw.no_trigger_ran_in_a_transaction()


def test_history_carries_the_challenge_metadata(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    tw.world.user(pool, "cy")
    first = challenge(tw.world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "cy"}))
    challenge(_answer(tw, client, first.session, "a1"))
    define = tw.triggers.of("DefineAuthChallenge")[1]
    assert _entries(define["session"]) == [("CUSTOM_CHALLENGE", True, "round-1")]
    assert _entries(tw.triggers.of("CreateAuthChallenge")[1]["session"]) == [
        ("CUSTOM_CHALLENGE", True, "round-1")
    ]


def test_private_parameters_kept_server_side(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    tw.world.user(pool, "cy")
    first = challenge(
        tw.world.auth.initiate_auth(
            client.client_id, "CUSTOM_AUTH", {"USERNAME": "cy"}, metadata=RequestMetadata({"secret-ish": "v"})
        )
    )
    with tw.store.transaction(readonly=True) as uow:
        stored = uow.auth_sessions.get(hashlib.sha256(first.session.encode()).hexdigest())
    assert stored is not None and stored.challenge == "CUSTOM_CHALLENGE"
    assert stored.state["custom"]["private"] == {"answer": "a1"}
    assert stored.state["custom"]["metadata"] == "round-1"
    assert "secret-ish" not in json.dumps(stored.state)  # ClientMetadata is never stored


def test_wrong_answer_loses(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    user = tw.world.user(pool, "cy")
    first = challenge(tw.world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "cy"}))
    with pytest.raises(NotAuthorizedException, match="^Incorrect username or password.$"):
        _answer(tw, client, first.session, "nope")
    define = tw.triggers.of("DefineAuthChallenge")[-1]
    assert _entries(define["session"]) == [("CUSTOM_CHALLENGE", False, "round-1")]
    assert "PostAuthentication" not in tw.triggers.names()
    assert tw.world.attempts(pool, user).failures == 0  # custom auth has no lockout of its own


def test_a_spent_session_cannot_be_answered_again(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    tw.world.user(pool, "cy")
    first = challenge(tw.world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "cy"}))
    challenge(_answer(tw, client, first.session, "a1"))
    verifies = len(tw.triggers.of("VerifyAuthChallengeResponse"))
    for attempt in ("a1", "other"):
        with pytest.raises(NotAuthorizedException, match="^Invalid session for the user.$"):
            _answer(tw, client, first.session, attempt)
    assert len(tw.triggers.of("VerifyAuthChallengeResponse")) == verifies


def test_session_of_another_user_is_refused(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    tw.world.user(pool, "cy")
    tw.world.user(pool, "dee")
    first = challenge(tw.world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "cy"}))
    with pytest.raises(NotAuthorizedException, match="^Invalid session for the user.$"):
        _answer(tw, client, first.session, "a1", username="dee")
    assert tw.triggers.of("VerifyAuthChallengeResponse") == []


def test_srp_a_first_round(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    tw.world.user(pool, "cy")

    def srp_then_custom(**kwargs: Any) -> DefineResult:
        names = [e.challenge_name for e in kwargs["session"]]
        if names == ["SRP_A"]:
            return DefineResult(challenge_name="PASSWORD_VERIFIER")
        if not all(e.challenge_result for e in kwargs["session"]):
            return DefineResult(fail_authentication=True)
        if names == ["SRP_A", "PASSWORD_VERIFIER"]:
            return DefineResult(challenge_name="CUSTOM_CHALLENGE")
        return DefineResult(issue_tokens=True)

    tw.triggers.set("DefineAuthChallenge", srp_then_custom)
    boto = FakeBoto(tw.world)
    srp = srp_client(tw.world, boto, pool, client, "cy")
    params = {**srp.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
    first = boto.initiate_auth(
        AuthFlow="CUSTOM_AUTH",
        ClientId=client.client_id,
        AuthParameters=params,
        ClientMetadata={"from": "initiate"},
    )
    assert first["ChallengeName"] == "PASSWORD_VERIFIER"
    assert set(first["ChallengeParameters"]) == {
        "SALT",
        "SRP_B",
        "SECRET_BLOCK",
        "USERNAME",
        "USER_ID_FOR_SRP",
    }
    assert tw.triggers.names() == ["PreAuthentication", "DefineAuthChallenge"]
    assert tw.triggers.of("PreAuthentication")[0]["validation_data"] == {"from": "initiate"}
    assert _entries(tw.triggers.of("DefineAuthChallenge")[0]["session"]) == [("SRP_A", True, None)]
    answer = srp.process_challenge(first["ChallengeParameters"], params)
    second = boto.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=first["Session"],
        ChallengeResponses=answer,
    )
    assert second["ChallengeName"] == "CUSTOM_CHALLENGE" and second["Session"] != first["Session"]
    assert _entries(tw.triggers.of("DefineAuthChallenge")[1]["session"]) == [
        ("SRP_A", True, None),
        ("PASSWORD_VERIFIER", True, None),
    ]
    final = boto.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=second["Session"],
        ChallengeResponses={"USERNAME": "cy", "ANSWER": "a3"},
    )
    assert "AccessToken" in final["AuthenticationResult"]


def test_srp_a_wrong_password_goes_to_define(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    user = tw.world.user(pool, "cy")

    def srp_only(**kwargs: Any) -> DefineResult:
        session = kwargs["session"]
        if [e.challenge_name for e in session] == ["SRP_A"]:
            return DefineResult(challenge_name="PASSWORD_VERIFIER")
        return DefineResult(
            issue_tokens=session[-1].challenge_result, fail_authentication=not session[-1].challenge_result
        )

    tw.triggers.set("DefineAuthChallenge", srp_only)
    boto = FakeBoto(tw.world)
    srp = srp_client(tw.world, boto, pool, client, "cy", WRONG)
    params = {**srp.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
    first = boto.initiate_auth(AuthFlow="CUSTOM_AUTH", ClientId=client.client_id, AuthParameters=params)
    answer = srp.process_challenge(first["ChallengeParameters"], params)
    with pytest.raises(NotAuthorizedException, match="^Incorrect username or password.$"):
        boto.respond_to_auth_challenge(
            ClientId=client.client_id,
            ChallengeName="PASSWORD_VERIFIER",
            Session=first["Session"],
            ChallengeResponses=answer,
        )
    assert _entries(tw.triggers.of("DefineAuthChallenge")[-1]["session"]) == [
        ("SRP_A", True, None),
        ("PASSWORD_VERIFIER", False, None),
    ]
    assert tw.world.attempts(pool, user).failures == 1  # the password check counts
    right = srp_client(tw.world, boto, pool, client, "cy", PASSWORD)
    params = {**right.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
    first = boto.initiate_auth(AuthFlow="CUSTOM_AUTH", ClientId=client.client_id, AuthParameters=params)
    result = boto.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=first["Session"],
        ChallengeResponses=right.process_challenge(first["ChallengeParameters"], params),
    )
    assert "IdToken" in result["AuthenticationResult"]


@pytest.mark.parametrize(
    "decision",
    [
        DefineResult(challenge_name="PASSWORD_VERIFIER"),  # no SRP_A entry before it
        DefineResult(issue_tokens=True, fail_authentication=True),
        DefineResult(),
        DefineResult(challenge_name="SMS_MFA"),
    ],
)
def test_inconsistent_define_answers(game: tuple[TriggerWorld, Any, Any], decision: DefineResult) -> None:
    tw, pool, client = game
    tw.world.user(pool, "cy")
    tw.triggers.set("DefineAuthChallenge", lambda **_: decision)
    with pytest.raises(InvalidLambdaResponseException):
        tw.world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "cy"})


def test_issue_tokens_straight_away(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    tw.world.user(pool, "cy")
    tw.triggers.set("DefineAuthChallenge", lambda **_: DefineResult(issue_tokens=True))
    tokens(tw.world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "cy"}))
    assert tw.triggers.of("PostAuthentication")[0]["client_metadata"] is None


def test_unknown_user(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    with pytest.raises(UserNotFoundException):
        tw.world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "ghost"})
    assert tw.triggers.calls == []
    hiding = tw.world.client(pool, ExplicitAuthFlows=CUSTOM, PreventUserExistenceErrors="ENABLED")
    first = challenge(tw.world.auth.initiate_auth(hiding.client_id, "CUSTOM_AUTH", {"USERNAME": "ghost"}))
    assert first.name == "CUSTOM_CHALLENGE" and first.parameters["question"] == "q1"
    define = tw.triggers.of("DefineAuthChallenge")[0]
    assert define["user"] is None and define["user_not_found"] is True and define["username"] == "ghost"
    second = challenge(_answer(tw, hiding, first.session, "a1", username="ghost"))
    assert tw.triggers.of("VerifyAuthChallengeResponse")[0]["user_not_found"] is True
    # A Define function that issues tokens for a user that does not exist gets nothing.
    with pytest.raises(NotAuthorizedException, match="^Incorrect username or password.$"):
        _answer(tw, hiding, second.session, "a2", username="ghost")


def test_disabled_user(game: tuple[TriggerWorld, Any, Any]) -> None:
    tw, pool, client = game
    tw.world.user(pool, "cy", enabled=False)
    with pytest.raises(NotAuthorizedException, match="^User is disabled.$"):
        tw.world.auth.initiate_auth(client.client_id, "CUSTOM_AUTH", {"USERNAME": "cy"})
    assert tw.triggers.calls == []
