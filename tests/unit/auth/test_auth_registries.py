"""The declarations the engine reads (``challenges.CHALLENGES``, the flows' ``Gate``) and the
order of the checks it makes from them: the operation, the client, the flow's own parameters,
then the one SECRET_HASH check."""

from __future__ import annotations

import pytest
from tests.unit.auth._support import PASSWORD, World

from poolgate.auth import messages
from poolgate.auth.challenges import CHALLENGES
from poolgate.auth.challenges.base import by_secret_block
from poolgate.auth.devices import find_pending_step
from poolgate.auth.engine import RULES, TOKENS
from poolgate.auth.flows import FLOWS
from poolgate.auth.gating import check_flow
from poolgate.auth.state import AuthFlow, ChallengeName
from poolgate.errors import InvalidParameterException, NotAuthorizedException

F = AuthFlow
C = ChallengeName
EVERY_ALLOW = {
    "ExplicitAuthFlows": [
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_CUSTOM_AUTH",
        "ALLOW_USER_AUTH",
    ]
}
# The operation tables gating had before the flows declared them (auth-flows.md section 2).
INITIATE = {
    F.USER_SRP_AUTH,
    F.USER_PASSWORD_AUTH,
    F.REFRESH_TOKEN_AUTH,
    F.REFRESH_TOKEN,
    F.CUSTOM_AUTH,
    F.USER_AUTH,
}
ADMIN = {
    F.USER_SRP_AUTH,
    F.ADMIN_USER_PASSWORD_AUTH,
    F.ADMIN_NO_SRP_AUTH,
    F.REFRESH_TOKEN_AUTH,
    F.REFRESH_TOKEN,
    F.CUSTOM_AUTH,
    F.USER_AUTH,
}


@pytest.mark.parametrize("flow", list(AuthFlow))
@pytest.mark.parametrize("admin", [False, True])
def test_each_operation_accepts_the_flows_it_declares(flow: AuthFlow, admin: bool) -> None:
    accepted = flow in (ADMIN if admin else INITIATE)
    if accepted:
        check_flow(flow, admin=admin, client_config=EVERY_ALLOW)
    else:
        with pytest.raises(InvalidParameterException, match="^Initiate Auth method not supported.$"):
            check_flow(flow, admin=admin, client_config=EVERY_ALLOW)


def test_every_flow_value_is_served_once() -> None:
    assert set(FLOWS) == set(AuthFlow)
    for flow, served in FLOWS.items():
        assert flow in served.flows


def test_challenge_declarations() -> None:
    assert all(name is challenge.name for name, challenge in CHALLENGES.items())
    assert {name for name, c in CHALLENGES.items() if c.locate is by_secret_block} == {
        C.PASSWORD_VERIFIER,
        C.DEVICE_PASSWORD_VERIFIER,
    }
    assert CHALLENGES[C.DEVICE_SRP_AUTH].locate is find_pending_step
    assert {name for name, c in CHALLENGES.items() if not c.in_write_phase} == {C.SMS_MFA, C.EMAIL_OTP}
    chosen = {rule.then for rule in RULES if rule.then is not TOKENS}
    assert {name for name, c in CHALLENGES.items() if c.issue is not None} == chosen


@pytest.mark.parametrize(
    ("flow", "params", "message"),
    [
        ("USER_PASSWORD_AUTH", {"USERNAME": "a"}, "Missing required parameter PASSWORD"),
        ("USER_SRP_AUTH", {"USERNAME": "a"}, "Missing required parameter SRP_A"),
        ("USER_SRP_AUTH", {"SRP_A": "abc"}, "Missing required parameter USERNAME"),
    ],
)
def test_a_missing_parameter_wins_over_the_secret_hash(
    world: World, flow: str, params: dict[str, str], message: str
) -> None:
    pool = world.pool()
    client = world.client(pool, secret=True)
    with pytest.raises(InvalidParameterException) as exc:
        world.auth.initiate_auth(client.client_id, flow, {**params, "SECRET_HASH": "wrong"})
    assert exc.value.message == message


@pytest.mark.parametrize(
    ("flow", "params"),
    [
        ("USER_PASSWORD_AUTH", {"USERNAME": "a", "PASSWORD": PASSWORD}),
        ("USER_SRP_AUTH", {"USERNAME": "a", "SRP_A": "abc"}),
    ],
)
def test_the_secret_hash_is_checked_before_the_user_is_looked_up(
    world: World, flow: str, params: dict[str, str]
) -> None:
    pool = world.pool()
    client = world.client(pool, secret=True)
    with pytest.raises(NotAuthorizedException) as exc:
        world.auth.initiate_auth(client.client_id, flow, {**params, "SECRET_HASH": "wrong"})
    assert exc.value.message == f"Unable to verify secret hash for client {client.client_id}"


def test_user_auth_is_refused_before_any_secret_hash(world: World) -> None:
    pool = world.pool()
    client = world.client(pool, secret=True, **EVERY_ALLOW)
    with pytest.raises(InvalidParameterException) as exc:
        world.auth.initiate_auth(client.client_id, "USER_AUTH", {"USERNAME": "a", "SECRET_HASH": "wrong"})
    assert exc.value.message == messages.USER_AUTH_UNSUPPORTED
