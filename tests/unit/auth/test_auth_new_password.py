"""NEW_PASSWORD_REQUIRED (auth-flows.md section 8.3): parameters, the answer, attributes, and
failures that leave the session usable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.auth._support import PASSWORD, World, challenge, secret_hash, tokens

from poolgate.auth.state import StepResult
from poolgate.errors import (
    AliasExistsException,
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    PasswordHistoryPolicyViolationException,
)
from poolgate.pools.model import AppClient, UserPool
from poolgate.users.model import UserStatus

TEMP = "Temp0rary!x"
NEW = "N3w!Password"
REQUIRED_NAME = [{"Name": "name", "AttributeDataType": "String", "Required": True, "Mutable": True}]


def _start(world: World, client: AppClient, username: str, **extra: str) -> tuple[str, dict[str, str]]:
    result = challenge(world.password_auth(client, username, TEMP, **extra))
    assert result.name == "NEW_PASSWORD_REQUIRED"
    return result.session, dict(result.parameters)


def _answer(
    world: World,
    client: AppClient,
    session: str,
    username: str,
    *,
    admin_pool: UserPool | None = None,
    **responses: str,
) -> StepResult:
    answers: dict[str, Any] = {"USERNAME": username, **responses}
    if admin_pool is not None:
        return world.auth.admin_respond_to_auth_challenge(
            admin_pool.id, client.client_id, "NEW_PASSWORD_REQUIRED", answers, session=session
        )
    return world.auth.respond_to_auth_challenge(
        client.client_id, "NEW_PASSWORD_REQUIRED", answers, session=session
    )


def test_parameters(world: World) -> None:
    pool = world.pool(Schema=REQUIRED_NAME)
    client = world.client(pool)
    world.user(pool, "gail", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD, email="g@example.com")
    session, params = _start(world, client, "gail")
    assert len(session) >= 20
    assert set(params) == {"USER_ID_FOR_SRP", "requiredAttributes", "userAttributes"}
    assert params["USER_ID_FOR_SRP"] == "gail"
    assert json.loads(params["requiredAttributes"]) == ["userAttributes.name"]
    assert json.loads(params["userAttributes"]) == {"email": "g@example.com"}


def test_user_attributes_follow_read_attributes(world: World) -> None:
    pool = world.pool()
    client = world.client(pool, ReadAttributes=["email", "email_verified"])
    world.user(
        pool,
        "hank",
        TEMP,
        status=UserStatus.FORCE_CHANGE_PASSWORD,
        email="h@example.com",
        email_verified="true",
        given_name="Hank",
    )
    _session, params = _start(world, client, "hank")
    assert json.loads(params["userAttributes"]) == {"email": "h@example.com", "email_verified": "true"}
    assert params["requiredAttributes"] == "[]"


def test_answer_sets_the_password_and_attributes(world: World) -> None:
    pool = world.pool(Schema=REQUIRED_NAME)
    client = world.client(pool)
    user = world.user(pool, "ines", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD, email="i@example.com")
    world.clock.advance(3)
    session, _params = _start(world, client, "ines")
    password_time = world.clock.now()
    world.clock.advance(30)
    with pytest.raises(InvalidParameterException) as exc:
        _answer(world, client, session, "ines", NEW_PASSWORD=NEW)
    assert exc.value.message == "Invalid attributes given, name is missing"
    result = _answer(world, client, session, "ines", NEW_PASSWORD=NEW, **{"userAttributes.name": "Ines"})  # type: ignore[arg-type]
    assert tokens(result).id_token == f"id:{user.sub}"
    assert world.tokens.sign_ins[-1].auth_time == password_time
    stored = world.get_user(pool, user.sub)
    assert stored.status is UserStatus.CONFIRMED and stored.attributes["name"] == "Ines"
    assert stored.password_set_at == world.clock.now()
    assert tokens(world.password_auth(client, "ines", NEW))
    with pytest.raises(NotAuthorizedException) as exc:  # type: ignore[assignment]
        _answer(world, client, session, "ines", NEW_PASSWORD="An0ther!Pass")
    assert exc.value.message == "Invalid session for the user."


def test_policy_failure_leaves_the_session_usable(world: World) -> None:
    pool = world.pool(Policies={"PasswordPolicy": {"MinimumLength": 10, "PasswordHistorySize": 2}})
    client = world.client(pool)
    world.user(pool, "jill", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD)
    session, _params = _start(world, client, "jill")
    with pytest.raises(InvalidPasswordException):
        _answer(world, client, session, "jill", NEW_PASSWORD="short")
    with pytest.raises(PasswordHistoryPolicyViolationException):
        _answer(world, client, session, "jill", NEW_PASSWORD=TEMP)
    with pytest.raises(InvalidParameterException) as exc:
        _answer(world, client, session, "jill")
    assert exc.value.message == "Missing required parameter NEW_PASSWORD"
    assert tokens(_answer(world, client, session, "jill", NEW_PASSWORD="L0nger!Password"))


def test_required_attribute_with_a_value_cannot_be_changed(world: World) -> None:
    schema = [{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}]
    pool = world.pool(Schema=schema)
    client = world.client(pool)
    world.user(pool, "karl", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD, email="k@example.com")
    session, _params = _start(world, client, "karl")
    with pytest.raises(NotAuthorizedException) as exc:
        _answer(world, client, session, "karl", NEW_PASSWORD=NEW, **{"userAttributes.email": "k@example.com"})  # type: ignore[arg-type]
    assert exc.value.message == "Cannot modify an already provided email"
    assert tokens(
        _answer(world, client, session, "karl", NEW_PASSWORD=NEW, **{"userAttributes.family_name": "K"})  # type: ignore[arg-type]
    )


def test_client_rules_for_attributes(world: World) -> None:
    pool = world.pool(AliasAttributes=["email"])
    client = world.client(pool)
    world.user(pool, "taken", email="t@example.com", email_verified="true")
    user = world.user(pool, "lisa", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD)
    session, _params = _start(world, client, "lisa")
    with pytest.raises(NotAuthorizedException) as exc:
        _answer(world, client, session, "lisa", NEW_PASSWORD=NEW, **{"userAttributes.email_verified": "true"})  # type: ignore[arg-type]
    assert exc.value.message == "A client attempted to write unauthorized attribute"
    # An administrator may verify the address; it then collides with another user's alias.
    with pytest.raises(AliasExistsException):
        _answer(
            world,
            client,
            session,
            "lisa",
            admin_pool=pool,
            NEW_PASSWORD=NEW,
            **{"userAttributes.email": "t@example.com", "userAttributes.email_verified": "true"},
        )
    result = _answer(
        world,
        client,
        session,
        "lisa",
        NEW_PASSWORD=NEW,
        **{"userAttributes.email": "l@example.com"},  # type: ignore[arg-type]
    )
    assert tokens(result)
    stored = world.get_user(pool, user.sub)
    assert stored.attributes["email"] == "l@example.com" and stored.attributes["email_verified"] == "false"


def test_username_may_be_an_alias_of_the_same_user_only(world: World) -> None:
    pool = world.pool(AliasAttributes=["email"])
    client = world.client(pool)
    world.user(
        pool,
        "mia",
        TEMP,
        status=UserStatus.FORCE_CHANGE_PASSWORD,
        email="m@example.com",
        email_verified="true",
    )
    world.user(pool, "ned")
    session, _params = _start(world, client, "m@example.com")
    with pytest.raises(NotAuthorizedException) as exc:
        _answer(world, client, session, "ned", NEW_PASSWORD=NEW)
    assert exc.value.message == "Invalid session for the user."
    assert tokens(_answer(world, client, session, "m@example.com", NEW_PASSWORD=NEW))


def test_secret_hash_on_the_answer(world: World) -> None:
    pool = world.pool()
    client = world.client(pool, secret=True)
    world.user(pool, "nico", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD)
    session, _params = _start(world, client, "nico", SECRET_HASH=secret_hash(client, "nico"))
    with pytest.raises(NotAuthorizedException) as exc:
        _answer(world, client, session, "nico", NEW_PASSWORD=NEW)
    assert (
        exc.value.message
        == f"Client {client.client_id} is configured with secret but SECRET_HASH was not received"
    )
    assert tokens(
        _answer(world, client, session, "nico", NEW_PASSWORD=NEW, SECRET_HASH=secret_hash(client, "nico"))
    )


def test_admin_flow_leads_to_the_same_challenge(world: World) -> None:
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "olga", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD)
    first = challenge(
        world.auth.admin_initiate_auth(
            pool.id, client.client_id, "ADMIN_USER_PASSWORD_AUTH", {"USERNAME": "olga", "PASSWORD": TEMP}
        )
    )
    result = _answer(world, client, first.session, "olga", admin_pool=pool, NEW_PASSWORD=PASSWORD)
    assert tokens(result).id_token == f"id:{user.sub}"
