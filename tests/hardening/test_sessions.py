"""Issue 9 item 1: every challenge answered with a bad ``Session`` gets no tokens.

Challenges covered: PASSWORD_VERIFIER (USER_SRP_AUTH, answered with pycognito's SRP client),
NEW_PASSWORD_REQUIRED (a temporary password) and CUSTOM_CHALLENGE (in-process triggers in
``tests.hardening.handlers``). The MFA challenges are not implemented yet, so they are not here.

Each challenge is answered *correctly* but with a missing, random, expired, replayed, other
user's or other client's session; every answer must be refused with NotAuthorizedException or
InvalidParameterException and no AuthenticationResult.

PASSWORD_VERIFIER may be answered without ``Session`` (pycognito does; the SECRET_BLOCK names the
session, auth-flows.md section 5), so its "missing" case leaves ``Session`` out *and* sends a
SECRET_BLOCK the server never issued.
"""

from __future__ import annotations

import base64
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP
from tests.conformance.auth_support import FLOWS, PASSWORD, AuthPool, make_pool
from tests.hardening.support import error_code, figure
from tests.server import ServerProcess, start_server
from tests.triggers_support import lambda_arn

NEW_PASSWORD = "N3w!Passw0rd-x"
TEMP_PASSWORD = "T3mp!Passw0rd"
REFUSALS = {"NotAuthorizedException", "InvalidParameterException"}
ATTACKS = ["missing", "random", "expired", "replayed", "other_user", "other_client"]
_names = itertools.count()
_outcomes: Counter[str] = Counter()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    handlers = ",".join(f"{n}=tests.hardening.handlers:{n}" for n in ("define", "create", "verify"))
    proc = start_server(tmp_path_factory.mktemp("sessions"), env={"POOLGATE_LAMBDA_HANDLERS": handlers})
    yield proc
    proc.stop()
    figure("sessions: refusals by challenge/attack -> code", _outcomes)


@dataclass
class Setup:
    ap: AuthPool
    client_a: str
    client_b: str


@pytest.fixture(scope="module")
def setup(live: ServerProcess) -> Setup:
    lambdas = {"DefineAuthChallenge": "define", "CreateAuthChallenge": "create",
               "VerifyAuthChallengeResponse": "verify"}
    ap = make_pool(live, LambdaConfig={k: lambda_arn(v) for k, v in lambdas.items()})
    flows = [*FLOWS, "ALLOW_CUSTOM_AUTH"]
    return Setup(ap, ap.client(ExplicitAuthFlows=flows), ap.client(ExplicitAuthFlows=flows))


@dataclass
class Pending:
    """A challenge waiting for an answer, and how to build the correct answer for a user."""

    name: str
    session: str
    parameters: dict[str, str]
    answer: Callable[[str], dict[str, str]]


def _user(s: Setup, temporary: bool = False) -> str:
    name = f"u{next(_names)}"
    if temporary:
        s.ap.cognito.admin_create_user(UserPoolId=s.ap.pool_id, Username=name, MessageAction="SUPPRESS",
                                       TemporaryPassword=TEMP_PASSWORD)
    else:
        s.ap.user(name)
    return name


def _start_password_verifier(s: Setup, username: str, client_id: str) -> Pending:
    srp = AWSSRP(username=username, password=PASSWORD, pool_id=s.ap.pool_id, client_id=client_id,
                 client=s.ap.cognito)
    auth_params = srp.get_auth_params()
    resp = s.ap.cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=auth_params)
    assert resp["ChallengeName"] == "PASSWORD_VERIFIER"
    params = resp["ChallengeParameters"]

    def answer(as_user: str) -> dict[str, str]:
        # The proof is computed honestly by the user the attacker claims to be.
        other = AWSSRP(username=as_user, password=PASSWORD, pool_id=s.ap.pool_id, client_id=client_id,
                       client=s.ap.cognito)
        other.small_a_value, other.large_a_value = srp.small_a_value, srp.large_a_value
        return dict(other.process_challenge({**params, "USERNAME": as_user}, {"USERNAME": as_user}))

    return Pending("PASSWORD_VERIFIER", resp["Session"], params, answer)


def _start_new_password(s: Setup, username: str, client_id: str) -> Pending:
    resp = s.ap.cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": username, "PASSWORD": TEMP_PASSWORD})
    assert resp["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    return Pending("NEW_PASSWORD_REQUIRED", resp["Session"], resp["ChallengeParameters"],
                   lambda as_user: {"USERNAME": as_user, "NEW_PASSWORD": NEW_PASSWORD})


def _start_custom(s: Setup, username: str, client_id: str) -> Pending:
    resp = s.ap.cognito.initiate_auth(ClientId=client_id, AuthFlow="CUSTOM_AUTH",
                                      AuthParameters={"USERNAME": username})
    assert resp["ChallengeName"] == "CUSTOM_CHALLENGE"
    return Pending("CUSTOM_CHALLENGE", resp["Session"], resp["ChallengeParameters"],
                   lambda as_user: {"USERNAME": as_user, "ANSWER": "42"})


STARTS = {
    "PASSWORD_VERIFIER": (_start_password_verifier, False),
    "NEW_PASSWORD_REQUIRED": (_start_new_password, True),
    "CUSTOM_CHALLENGE": (_start_custom, False),
}


def _respond(s: Setup, client_id: str, name: str, responses: dict[str, str], session: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"ClientId": client_id, "ChallengeName": name, "ChallengeResponses": responses}
    if session is not None:
        kwargs["Session"] = session
    result: dict[str, Any] = s.ap.cognito.respond_to_auth_challenge(**kwargs)
    return result


def _random_session() -> str:
    return base64.b64encode(os.urandom(96)).decode()


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("challenge", list(STARTS))
def test_bad_session_gets_no_tokens(live: ServerProcess, setup: Setup, challenge: str, attack: str) -> None:
    start, temporary = STARTS[challenge]
    victim = _user(setup, temporary)
    client_id = setup.client_a
    pending = start(setup, victim, client_id)
    responses = pending.answer(victim)
    session: str | None = pending.session
    if attack == "missing":
        session = None
        if challenge == "PASSWORD_VERIFIER":
            responses["PASSWORD_CLAIM_SECRET_BLOCK"] = base64.b64encode(os.urandom(64)).decode()
    elif attack == "random":
        session = _random_session()
    elif attack == "expired":
        live.advance_clock(3 * 60 + 1)  # the default AuthSessionValidity is 3 minutes
        if challenge == "PASSWORD_VERIFIER":
            responses = pending.answer(victim)  # a fresh TIMESTAMP: only the session is stale
    elif attack == "replayed":
        first = _respond(setup, client_id, pending.name, responses, session)
        assert "AuthenticationResult" in first, first
        if challenge == "PASSWORD_VERIFIER":
            responses = pending.answer(victim)
        else:
            responses = dict(responses, NEW_PASSWORD=NEW_PASSWORD + "2") if challenge == "NEW_PASSWORD_REQUIRED" \
                else responses
    elif attack == "other_user":
        # The attacker holds a session of their own and claims to be the victim.
        attacker = _user(setup, temporary)
        pending = start(setup, attacker, client_id)
        session = pending.session
        responses = pending.answer(victim)
    elif attack == "other_client":
        client_id = setup.client_b
    with pytest.raises(ClientError) as exc:
        result = _respond(setup, client_id, pending.name, responses, session)
        pytest.fail(f"accepted: {result}")
    code = error_code(exc.value)
    _outcomes[f"{challenge}/{attack} -> {code}: {exc.value.response['Error']['Message']}"] += 1
    assert code in REFUSALS, exc.value.response
    if challenge == "NEW_PASSWORD_REQUIRED" and attack != "replayed":
        # The victim's password was not changed by the refused answer.
        user = setup.ap.cognito.admin_get_user(UserPoolId=setup.ap.pool_id, Username=victim)
        assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    if challenge == "NEW_PASSWORD_REQUIRED" and attack == "replayed":
        # The replay did not set the second password.
        with pytest.raises(ClientError):
            setup.ap.password_auth(victim, NEW_PASSWORD + "2")
