"""The sign-in triggers through AuthService with a fake ``Triggers`` and the real TokenService:
order, sources, ClientMetadata routing (triggers.md section 5), failures, PreTokenGeneration
overrides in the signed tokens, user migration, and that no trigger runs in a transaction."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from tests.unit.auth._support import PASSWORD, WRONG, challenge, tokens
from tests.unit.auth._triggers import TriggerWorld, make_trigger_world
from tests.unit.auth.test_auth_srp import FakeBoto, srp_client

from poolgate.auth.context import StepContext
from poolgate.auth.state import RequestMetadata
from poolgate.errors import (
    NotAuthorizedException,
    PasswordResetRequiredException,
    UserLambdaValidationException,
    UserNotFoundException,
)
from poolgate.triggers.api import Caller, GroupOverride, MigrationResult, TokenOverrides
from poolgate.users.model import Group, UserStatus

TEMP = "Temp0rary!x"
INITIATE_METADATA = RequestMetadata({"from": "initiate"})
RESPOND_METADATA = RequestMetadata({"from": "respond"})


@pytest.fixture
def tw() -> Iterator[TriggerWorld]:
    built = make_trigger_world()
    yield built
    built.store.close()


def _setup(tw: TriggerWorld, **client_config: Any) -> tuple[Any, Any]:
    pool = tw.world.pool()
    return pool, tw.world.client(pool, **client_config)


def test_password_sign_in_runs_pre_post_and_pre_token_in_order(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    user = tw.world.user(pool, "ann", email="ann@example.com")
    caller = Caller(client.client_id, "boto3-1.0")
    tokens(
        tw.world.auth.initiate_auth(
            client.client_id,
            "USER_PASSWORD_AUTH",
            {"USERNAME": "ann", "PASSWORD": PASSWORD},
            metadata=INITIATE_METADATA,
            caller=caller,
        )
    )
    assert tw.triggers.names() == ["PreAuthentication", "PostAuthentication", "PreTokenGeneration"]
    pre = tw.triggers.of("PreAuthentication")[0]
    assert pre["validation_data"] == {"from": "initiate"} and pre["user_not_found"] is False
    assert pre["user"].sub == user.sub and pre["username"] == "ann" and pre["caller"] == caller
    post = tw.triggers.of("PostAuthentication")[0]
    assert post["client_metadata"] is None and post["user"].sub == user.sub and post["caller"] == caller
    token = tw.triggers.of("PreTokenGeneration")[0]
    assert token["source"] == "Authentication" and token["client_metadata"] is None
    assert list(token["scopes"]) == ["aws.cognito.signin.user.admin"] and list(token["groups"]) == []
    tw.no_trigger_ran_in_a_transaction()


def test_admin_flow_without_caller_names_the_client(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    tw.world.user(pool, "abe")
    tw.world.auth.admin_initiate_auth(
        pool.id,
        client.client_id,
        "ADMIN_USER_PASSWORD_AUTH",
        {"USERNAME": "abe", "PASSWORD": PASSWORD},
        metadata=INITIATE_METADATA,
    )
    assert tw.triggers.of("PreAuthentication")[0]["caller"] == Caller(client.client_id)
    assert tw.triggers.of("PreAuthentication")[0]["validation_data"] == {"from": "initiate"}


def test_srp_routes_initiate_and_respond_metadata(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    tw.world.user(pool, "sam")
    boto = FakeBoto(tw.world)
    srp = srp_client(tw.world, boto, pool, client, "sam")
    params = srp.get_auth_params()
    first = boto.initiate_auth(
        AuthFlow="USER_SRP_AUTH",
        ClientId=client.client_id,
        AuthParameters=params,
        ClientMetadata={"from": "initiate"},
    )
    assert tw.triggers.names() == ["PreAuthentication"]
    answer = srp.process_challenge(first["ChallengeParameters"], params)
    boto.respond_to_auth_challenge(
        ClientId=client.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=first["Session"],
        ChallengeResponses=answer,
        ClientMetadata={"from": "respond"},
    )
    assert tw.triggers.names() == ["PreAuthentication", "PostAuthentication", "PreTokenGeneration"]
    assert tw.triggers.of("PreAuthentication")[0]["validation_data"] == {"from": "initiate"}
    assert tw.triggers.of("PostAuthentication")[0]["client_metadata"] == {"from": "respond"}
    assert tw.triggers.of("PreTokenGeneration")[0]["client_metadata"] == {"from": "respond"}
    tw.no_trigger_ran_in_a_transaction()


def test_new_password_challenge_source(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    tw.world.user(pool, "nia", TEMP, status=UserStatus.FORCE_CHANGE_PASSWORD)
    first = challenge(
        tw.world.auth.initiate_auth(
            client.client_id,
            "USER_PASSWORD_AUTH",
            {"USERNAME": "nia", "PASSWORD": TEMP},
            metadata=INITIATE_METADATA,
        )
    )
    assert tw.triggers.names() == ["PreAuthentication"]
    tokens(
        tw.world.auth.respond_to_auth_challenge(
            client.client_id,
            "NEW_PASSWORD_REQUIRED",
            {"USERNAME": "nia", "NEW_PASSWORD": PASSWORD},
            session=first.session,
            metadata=RESPOND_METADATA,
        )
    )
    token = tw.triggers.of("PreTokenGeneration")[0]
    assert token["source"] == "NewPasswordChallenge" and token["client_metadata"] == {"from": "respond"}
    assert tw.triggers.of("PostAuthentication")[0]["client_metadata"] == {"from": "respond"}


def test_pre_authentication_error_stops_the_sign_in(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    user = tw.world.user(pool, "pat")

    def refuse(**_: Any) -> None:
        raise UserLambdaValidationException("PreAuthentication failed with error Not today.")

    tw.triggers.set("PreAuthentication", refuse)
    for password in (PASSWORD, WRONG):
        with pytest.raises(
            UserLambdaValidationException, match="^PreAuthentication failed with error Not today.$"
        ):
            tw.world.password_auth(client, "pat", password)
    # The password was never looked at: no failure counted, no token session.
    assert tw.world.attempts(pool, user).failures == 0
    assert tw.triggers.names() == ["PreAuthentication", "PreAuthentication"]


def test_post_authentication_error_means_no_tokens(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    tw.world.user(pool, "pol")

    def refuse(**_: Any) -> None:
        raise UserLambdaValidationException("PostAuthentication failed with error no.")

    tw.triggers.set("PostAuthentication", refuse)
    with pytest.raises(UserLambdaValidationException):
        tw.world.password_auth(client, "pol")
    assert "PreTokenGeneration" not in tw.triggers.names()
    with tw.store.transaction() as uow:
        count = uow.connection.exec_driver_sql("SELECT count(*) FROM token_sessions").scalar()
    assert count == 0


def test_unknown_user_pre_authentication_only_when_existence_is_hidden(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    tw.triggers.enabled = {"PreAuthentication", "PostAuthentication", "PreTokenGeneration"}
    with pytest.raises(UserNotFoundException):
        tw.world.password_auth(client, "ghost")
    assert tw.triggers.calls == []
    hiding = tw.world.client(pool, PreventUserExistenceErrors="ENABLED")
    with pytest.raises(NotAuthorizedException, match="^Incorrect username or password.$"):
        tw.world.password_auth(hiding, "ghost")
    pre = tw.triggers.of("PreAuthentication")
    assert len(pre) == 1 and pre[0]["user"] is None and pre[0]["user_not_found"] is True
    assert pre[0]["username"] == "ghost"


def test_wrong_password_counts_after_pre_authentication(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    user = tw.world.user(pool, "wes")
    with pytest.raises(NotAuthorizedException):
        tw.world.password_auth(client, "wes", WRONG)
    assert tw.world.attempts(pool, user).failures == 1
    assert tw.triggers.names() == ["PreAuthentication"]


def test_refresh_runs_only_pre_token_generation(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    tw.world.user(pool, "rob")
    signed_in = tokens(tw.world.password_auth(client, "rob"))
    tw.triggers.calls.clear()
    assert signed_in.refresh_token is not None
    tokens(
        tw.world.auth.initiate_auth(
            client.client_id,
            "REFRESH_TOKEN_AUTH",
            {"REFRESH_TOKEN": signed_in.refresh_token},
            metadata=INITIATE_METADATA,
        )
    )
    assert tw.triggers.names() == ["PreTokenGeneration"]
    call = tw.triggers.of("PreTokenGeneration")[0]
    assert call["source"] == "RefreshTokens" and call["client_metadata"] is None
    tw.no_trigger_ran_in_a_transaction()


def test_pre_token_generation_overrides_reach_the_signed_tokens(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    user = tw.world.user(pool, "ola", email="ola@example.com", email_verified="true", given_name="Ola")
    with tw.store.transaction() as uow:
        uow.groups.add(Group(pool.id, "staff", 1.0, 1.0, None, None, 1))
        uow.groups.add_member(pool.id, "staff", user.sub)
    overrides = TokenOverrides(
        id_claims_add={"tier": "gold", "given_name": "Olga", "sub": "evil", "dropped": "x"},
        id_claims_suppress=["email", "dropped", "iss"],
        access_claims_add={"app:role": "reader"},
        scopes_add=["custom/read"],
        groups=GroupOverride(groups=["admins", "ops"], iam_roles=["arn:aws:iam::1:role/a"]),
    )
    seen: list[Any] = []

    def override(**kwargs: Any) -> TokenOverrides:
        seen.append(kwargs)
        return overrides

    tw.triggers.set("PreTokenGeneration", override)
    issued = tokens(tw.world.password_auth(client, "ola"))
    assert [group.name for group in seen[0]["groups"]] == ["staff"]
    id_claims = tw.claims(pool.id, issued.id_token)
    access = tw.claims(pool.id, issued.access_token)
    assert id_claims["tier"] == "gold" and id_claims["given_name"] == "Olga"
    assert "email" not in id_claims and "dropped" not in id_claims  # suppress wins over add
    assert id_claims["sub"] == user.sub and id_claims["iss"].endswith(pool.id)  # protected
    assert id_claims["email_verified"] is True
    assert id_claims["cognito:groups"] == ["admins", "ops"] == access["cognito:groups"]
    assert id_claims["cognito:roles"] == ["arn:aws:iam::1:role/a"]
    assert access["app:role"] == "reader" and "app:role" not in id_claims
    assert access["scope"] == "aws.cognito.signin.user.admin custom/read"


def test_group_override_without_groups_removes_them(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    user = tw.world.user(pool, "gus")
    with tw.store.transaction() as uow:
        uow.groups.add(Group(pool.id, "staff", 1.0, 1.0))
        uow.groups.add_member(pool.id, "staff", user.sub)
    tw.triggers.set("PreTokenGeneration", lambda **_: TokenOverrides(groups=GroupOverride()))
    issued = tokens(tw.world.password_auth(client, "gus"))
    assert "cognito:groups" not in tw.claims(pool.id, issued.id_token)
    assert "cognito:groups" not in tw.claims(pool.id, issued.access_token)


def test_migration_creates_and_signs_in_the_user(tw: TriggerWorld) -> None:
    pool = tw.world.pool(Policies={"PasswordPolicy": {"MinimumLength": 12}})
    client = tw.world.client(pool)
    answers: list[dict[str, Any]] = []

    def migrate(**kwargs: Any) -> MigrationResult:
        answers.append(kwargs)
        return MigrationResult(
            attributes={"email": "old@example.com", "email_verified": "true"}, final_status="CONFIRMED"
        )

    tw.triggers.set("UserMigration", migrate)
    weak = "short1"  # the pool's password policy does not apply to a migrated password
    issued = tokens(
        tw.world.auth.initiate_auth(
            client.client_id,
            "USER_PASSWORD_AUTH",
            {"USERNAME": "old", "PASSWORD": weak},
            metadata=INITIATE_METADATA,
        )
    )
    assert tw.triggers.names() == [
        "UserMigration",
        "PreAuthentication",
        "PostAuthentication",
        "PreTokenGeneration",
    ]
    call = answers[0]
    assert call["source"] == "Authentication" and call["username"] == "old" and call["password"] == weak
    assert call["validation_data"] == {"from": "initiate"} and call["client_metadata"] is None
    assert tw.triggers.of("PreAuthentication")[0]["user"].username == "old"
    assert tw.claims(pool.id, issued.id_token)["email"] == "old@example.com"
    tw.triggers.calls.clear()
    tokens(tw.world.password_auth(client, "old", weak))
    assert "UserMigration" not in tw.triggers.names()
    tw.no_trigger_ran_in_a_transaction()


def test_migration_reset_required_keeps_the_user(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    tw.triggers.set("UserMigration", lambda **_: MigrationResult(attributes={"name": "Rita"}))
    with pytest.raises(PasswordResetRequiredException):
        tw.world.password_auth(client, "rita")
    with tw.store.transaction() as uow:
        stored = uow.users.find(pool.id, "username", "rita")
    assert stored is not None and stored.status is UserStatus.RESET_REQUIRED


def test_migration_that_knows_nothing(tw: TriggerWorld) -> None:
    _pool, client = _setup(tw)
    tw.triggers.set("UserMigration", lambda **_: None)
    with pytest.raises(NotAuthorizedException, match="^Incorrect username or password.$"):
        tw.world.password_auth(client, "nobody")
    assert tw.triggers.names() == ["UserMigration"]


def test_srp_never_migrates(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    boto = FakeBoto(tw.world)
    with pytest.raises(UserNotFoundException):
        srp_client(tw.world, boto, pool, client, "newbie").authenticate_user()
    assert tw.triggers.calls == []


def test_a_slow_trigger_does_not_block_other_sign_ins(tw: TriggerWorld) -> None:
    # The in-memory store serialises every transaction: a trigger run inside one would make the
    # second sign-in wait for the first one's trigger.
    slow_pool, slow_client = _setup(tw)
    fast_pool, fast_client = _setup(tw)
    tw.world.user(slow_pool, "slow")
    tw.world.user(fast_pool, "fast")
    entered, release = threading.Event(), threading.Event()

    def wait(**kwargs: Any) -> None:
        if kwargs["user"] is not None and kwargs["user"].username == "slow":
            entered.set()
            assert release.wait(10)

    tw.triggers.set("PreAuthentication", wait)
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(tw.world.password_auth(slow_client, "slow")))
    worker.start()
    try:
        assert entered.wait(10)
        done = threading.Thread(target=lambda: results.append(tw.world.password_auth(fast_client, "fast")))
        done.start()
        done.join(10)
        assert not done.is_alive() and len(results) == 1
    finally:
        release.set()
        worker.join(10)
    assert len(results) == 2


def test_write_phase_reads_the_user_again(tw: TriggerWorld) -> None:
    # PreAuthentication runs between the read and the write phase; what changes meanwhile is
    # what the password step checks.
    pool, client = _setup(tw)
    user = tw.world.user(pool, "raj")

    def disable(**_: Any) -> None:
        with tw.store.transaction() as uow:
            current = uow.users.get(pool.id, user.sub)
            assert current is not None
            uow.users.update(replace(current, enabled=False))

    tw.triggers.set("PreAuthentication", disable)
    with pytest.raises(NotAuthorizedException, match="^User is disabled.$"):
        tw.world.password_auth(client, "raj")

    other = tw.world.user(pool, "ria")
    new = tw.world.user(pool, "tmp", "N3w!Password")  # borrow a verifier for another password

    def change_password(**_: Any) -> None:
        with tw.store.transaction() as uow:
            current = uow.users.get(pool.id, other.sub)
            assert current is not None
            uow.users.update(replace(current, password=new.password))

    tw.triggers.set("PreAuthentication", change_password)
    with pytest.raises(NotAuthorizedException, match="^Incorrect username or password.$"):
        tw.world.password_auth(client, "ria")
    assert tw.world.attempts(pool, other).failures == 1


def test_triggers_are_refused_inside_a_phase(tw: TriggerWorld) -> None:
    pool, client = _setup(tw)
    ctx = StepContext(
        store=tw.store,  # type: ignore[arg-type]
        pool=pool,
        client=client,
        now=0.0,
        admin=False,
        responding=False,
        metadata=RequestMetadata(),
        caller=Caller(),
        sessions=None,  # type: ignore[arg-type]
        simulator=None,  # type: ignore[arg-type]
        tokens=tw.tokens,
        trigger_points=tw.triggers,
    )
    assert ctx.triggers is tw.triggers
    with ctx.reading() as phase, pytest.raises(RuntimeError, match="inside a transaction"):
        phase.triggers.pre_authentication(pool)  # type: ignore[call-arg]
    with ctx.writing() as phase, pytest.raises(RuntimeError, match="inside a transaction"):
        phase.triggers.post_authentication(pool)  # type: ignore[call-arg]
