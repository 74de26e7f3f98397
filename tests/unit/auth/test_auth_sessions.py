"""Sessions (auth-flows.md section 8.1): stored hashed in the database, bound to pool, client and
challenge, valid for AuthSessionValidity, single use; and the SECRET_BLOCK that names them."""

from __future__ import annotations

import hashlib
import json

import pytest
from tests.unit.auth._support import World, challenge, tokens

from poolgate.auth.service import AuthService
from poolgate.auth.sessions import Sessions
from poolgate.auth.state import RequestMetadata
from poolgate.errors import InvalidParameterException, NotAuthorizedException
from poolgate.security.crypto import MasterKey
from poolgate.users.model import UserStatus

TEMP = "Temp0rary!x"
NEW = "N3w!Password"
EXPIRED = "Invalid session for the user, session is expired."
INVALID = "Invalid session for the user."


def _pending(world: World, **client_config: object) -> tuple[str, str]:
    """A NEW_PASSWORD_REQUIRED session of user "sam"; returns (client id, session)."""
    pool = world.pool()
    client = world.client(pool, **client_config)  # type: ignore[arg-type]
    world.user(pool, "sam", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD)
    result = challenge(world.password_auth(client, "sam", TEMP))
    return client.client_id, result.session


def _answer(world: World, client_id: str, session: str | None, name: str = "NEW_PASSWORD_REQUIRED") -> object:
    return world.auth.respond_to_auth_challenge(
        client_id, name, {"USERNAME": "sam", "NEW_PASSWORD": NEW}, session=session
    )


@pytest.mark.parametrize(("validity", "seconds"), [(None, 180), (3, 180), (10, 600), (15, 900)])
def test_expiry_follows_auth_session_validity(world: World, validity: int | None, seconds: int) -> None:
    config = {} if validity is None else {"AuthSessionValidity": validity}
    client_id, session = _pending(world, **config)
    world.clock.advance(seconds)
    with pytest.raises(NotAuthorizedException) as exc:
        _answer(world, client_id, session)
    assert exc.value.message == EXPIRED


def test_answer_just_before_expiry(world: World) -> None:
    client_id, session = _pending(world)
    world.clock.advance(179.9)
    assert tokens(_answer(world, client_id, session))  # type: ignore[arg-type]


def test_unknown_reused_and_foreign_sessions(world: World) -> None:
    client_id, session = _pending(world)
    with world.store.transaction() as uow:
        client = uow.clients.get(client_id)
    assert client is not None
    other = world.client(world.pools.get_pool(client.user_pool_id))
    for wrong_client, handle in ((client_id, "x" * 64), (other.client_id, session)):
        with pytest.raises(NotAuthorizedException) as exc:
            _answer(world, wrong_client, handle)
        assert exc.value.message == INVALID
    assert tokens(_answer(world, client_id, session))  # type: ignore[arg-type]
    with pytest.raises(NotAuthorizedException) as exc:
        _answer(world, client_id, session)
    assert exc.value.message == INVALID


def test_challenge_name_must_match_and_session_is_required(world: World) -> None:
    client_id, session = _pending(world)
    for name in ("SMS_MFA", "PASSWORD_VERIFIER", "ADMIN_NO_SRP_AUTH"):
        with pytest.raises(InvalidParameterException):
            _answer(world, client_id, session, name)
    with pytest.raises(InvalidParameterException) as exc:
        _answer(world, client_id, None)
    assert exc.value.message == "Missing required parameter Session"
    with pytest.raises(InvalidParameterException) as exc:
        world.auth.respond_to_auth_challenge(
            client_id, "NEW_PASSWORD_REQUIRED", {"NEW_PASSWORD": NEW}, session=session
        )
    assert exc.value.message == "Missing required parameter USERNAME"
    assert tokens(_answer(world, client_id, session))  # type: ignore[arg-type]


def test_admin_answer_checks_the_pool(world: World) -> None:
    client_id, session = _pending(world)
    with world.store.transaction() as uow:
        client = uow.clients.get(client_id)
    assert client is not None
    result = world.auth.admin_respond_to_auth_challenge(
        client.user_pool_id,
        client_id,
        "NEW_PASSWORD_REQUIRED",
        {"USERNAME": "sam", "NEW_PASSWORD": NEW},
        session=session,
    )
    assert tokens(result)


def test_stored_hashed_with_metadata(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    world.user(pool, "tim", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD)
    metadata = RequestMetadata({"app": "1"}, {"AnalyticsEndpointId": "ep"}, {"IpAddress": "192.0.2.7"})
    result = challenge(
        world.auth.initiate_auth(
            client.client_id, "USER_PASSWORD_AUTH", {"USERNAME": "tim", "PASSWORD": TEMP}, metadata=metadata
        )
    )
    assert len(result.session) >= 20
    with world.store.transaction() as uow:
        assert uow.auth_sessions.get(result.session) is None
        stored = uow.auth_sessions.get(hashlib.sha256(result.session.encode()).hexdigest())
    assert stored is not None
    assert stored.challenge == "NEW_PASSWORD_REQUIRED" and stored.client_id == client.client_id
    # ClientMetadata is never stored; the analytics and context data stay for risk checks.
    assert "client_metadata" not in stored.state["metadata"]
    assert '"app"' not in json.dumps(stored.state)
    assert stored.state["metadata"]["context_data"] == {"IpAddress": "192.0.2.7"}
    assert stored.state["steps"] == ["PASSWORD"] and stored.state["auth_time"] == world.clock.now()


def test_another_process_can_answer(world: World) -> None:
    client_id, session = _pending(world)
    second = AuthService(world.store, world.clock, world.tokens, world.master_key)
    assert tokens(
        second.respond_to_auth_challenge(
            client_id, "NEW_PASSWORD_REQUIRED", {"USERNAME": "sam", "NEW_PASSWORD": NEW}, session=session
        )
    )


def test_secret_block_names_its_session_only_under_the_same_key() -> None:
    key = MasterKey.generate()
    sessions = Sessions(key)
    block = sessions._seal("ab" * 32, 1.0)
    assert sessions.session_of_block(block) == "ab" * 32
    assert Sessions(key).session_of_block(block) == "ab" * 32
    assert sessions._seal("ab" * 32, 1.0) != block
    for bad in (Sessions(MasterKey.generate()), sessions):
        text = block if bad is not sessions else block[:-4] + "AAA="
        with pytest.raises(NotAuthorizedException) as exc:
            bad.session_of_block(text)
        assert exc.value.message == INVALID
    with pytest.raises(NotAuthorizedException):
        sessions.session_of_block("not base64!")
