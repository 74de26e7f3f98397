"""The user services at their trigger points, with a fake ``Triggers`` that records every call.

The fake also checks, on every call, that no write transaction is open (spec: never invoke a
trigger inside one), and that a "post" trigger sees its user already committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from poolgate.clock import FrozenClock
from poolgate.delivery import Message
from poolgate.delivery.outbox import OutboxSender
from poolgate.errors import (
    InvalidLambdaResponseException,
    InvalidParameterException,
    UserLambdaValidationException,
    UserNotFoundException,
)
from poolgate.operations.registry import OperationContext
from poolgate.operations.users import trigger_context
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.service import PoolService
from poolgate.store.base import UnitOfWork
from poolgate.store.sql import SqlStore, memory_store
from poolgate.tokens.model import AccessContext
from poolgate.triggers.api import (
    NO_CLIENT,
    Caller,
    MessageOverride,
    MigrationResult,
    PreSignUpResult,
)
from poolgate.users.admin import AdminUserService
from poolgate.users.codes import HmacCodeHasher
from poolgate.users.common import TriggerContext, UserDeps
from poolgate.users.lookup import find_user
from poolgate.users.model import User, UserStatus
from poolgate.users.recovery import RecoveryService
from poolgate.users.self_service import SelfService
from poolgate.users.signup import SignUpService

PASSWORD = "Corr3ct!Horse"
SDK = "boto3-1.44.8"
META = {"app": "web"}
VALIDATION = {"captcha": "ok"}
DEVELOPER_EMAIL = {
    "EmailSendingAccount": "DEVELOPER",
    "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/x",
}


class WatchedStore:
    """A store that counts the write transactions open at any moment."""

    def __init__(self, inner: SqlStore) -> None:
        self.inner = inner
        self.writing = 0

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[UnitOfWork]:
        with self.inner.transaction(readonly=readonly) as uow:
            self.writing += 0 if readonly else 1
            try:
                yield uow
            finally:
                self.writing -= 0 if readonly else 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Call:
    trigger: str
    source: str | None
    kwargs: dict[str, Any]


@dataclass
class FakeTriggers:
    """Records calls; answers from the attributes below; raises ``fail[trigger]``."""

    store: WatchedStore
    calls: list[Call] = field(default_factory=list)
    pre_sign_up_result: PreSignUpResult = field(default_factory=PreSignUpResult)
    message: MessageOverride | None = None
    migration: MigrationResult | None = None
    fail: dict[str, Exception] = field(default_factory=dict)
    committed: list[User | None] = field(default_factory=list)

    def _called(self, trigger: str, pool: UserPool, kwargs: dict[str, Any]) -> None:
        assert self.store.writing == 0, f"{trigger} ran inside a write transaction"
        self.calls.append(Call(trigger, kwargs.get("source"), kwargs))
        if trigger in self.fail:
            raise self.fail[trigger]

    def configured(self, pool: UserPool, trigger: str) -> bool:
        return True

    def pre_sign_up(self, pool: UserPool, **kwargs: Any) -> PreSignUpResult:
        self._called("PreSignUp", pool, kwargs)
        return self.pre_sign_up_result

    def post_confirmation(self, pool: UserPool, **kwargs: Any) -> None:
        # What the database holds when the trigger runs: the confirmed user, committed.
        with self.store.transaction(readonly=True) as uow:
            self.committed.append(uow.users.get(pool.id, kwargs["user"].sub))
        self._called("PostConfirmation", pool, kwargs)

    def user_migration(self, pool: UserPool, **kwargs: Any) -> MigrationResult | None:
        self._called("UserMigration", pool, kwargs)
        return self.migration

    def custom_message(self, pool: UserPool, **kwargs: Any) -> MessageOverride | None:
        self._called("CustomMessage", pool, kwargs)
        return self.message

    def sources(self) -> list[str]:
        return [f"{c.trigger}_{c.source}" for c in self.calls]


class RecordingSender(OutboxSender):
    """The outbox, plus the messages (with subjects) in the order they were recorded."""

    def __init__(self, store: SqlStore, clock: FrozenClock) -> None:
        super().__init__(store, clock)
        self.messages: list[Message] = []

    def send_in(self, uow: UnitOfWork, message: Message) -> None:
        super().send_in(uow, message)
        self.messages.append(message)


class FakeTokens:
    """Access tokens are ``"<pool>|<client>|<sub>"``."""

    def verify_access_token(self, uow: UnitOfWork, token: str) -> AccessContext:
        pool_id, client_id, sub = token.split("|")
        return AccessContext(pool_id, client_id, sub, sub, None, None, {})

    def global_sign_out(self, uow: UnitOfWork, pool: UserPool, user: User) -> None:
        pass


@dataclass
class World:
    store: WatchedStore
    triggers: FakeTriggers
    sender: RecordingSender
    pools: PoolService
    sign_up: SignUpService
    admin: AdminUserService
    recovery: RecoveryService
    self_service: SelfService

    def pool(self, **config: Any) -> tuple[UserPool, AppClient]:
        config.setdefault("AutoVerifiedAttributes", ["email"])
        pool = self.pools.create_pool("triggers", config)
        return pool, self.pools.create_client(pool.id, "app", {}, generate_secret=False, secret=None)

    def user(self, pool: UserPool, username: str) -> User | None:
        with self.store.transaction(readonly=True) as uow:
            return find_user(uow, pool, username)

    def code(self) -> str:
        code = self.sender.messages[-1].code
        assert code is not None
        return code


@pytest.fixture
def world() -> Iterator[World]:
    inner = memory_store()
    clock = FrozenClock()
    store = WatchedStore(inner)
    triggers = FakeTriggers(store)
    sender = RecordingSender(inner, clock)
    deps = UserDeps(store, clock, HmacCodeHasher(b"k" * 32), sender, triggers)  # type: ignore[arg-type]
    yield World(
        store,
        triggers,
        sender,
        PoolService(inner, clock, region="us-east-1", account_id="000000000000"),
        SignUpService(deps),
        AdminUserService(deps, FakeTokens()),
        RecoveryService(deps),
        SelfService(deps, FakeTokens()),
    )
    inner.close()


def context(client_id: str = NO_CLIENT, validation: dict[str, str] | None = None) -> TriggerContext:
    return TriggerContext(Caller(client_id, SDK), META, validation)


def sign_up(world: World, client: AppClient, username: str = "alice", **attrs: str) -> Any:
    attributes = [{"Name": k, "Value": v} for k, v in (attrs or {"email": "alice@example.com"}).items()]
    return world.sign_up.sign_up(
        client.client_id,
        username,
        PASSWORD,
        {"UserAttributes": attributes},
        context(client.client_id, VALIDATION),
    )


# -- PreSignUp, CustomMessage_SignUp, PostConfirmation_ConfirmSignUp ---------------------------


def test_sign_up_runs_pre_sign_up_then_custom_message_outside_writes(world: World) -> None:
    _pool, client = world.pool()
    result = sign_up(world, client)
    assert world.triggers.sources() == ["PreSignUp_SignUp", "CustomMessage_SignUp"]
    pre = world.triggers.calls[0].kwargs
    assert pre["username"] == "alice"
    assert pre["attributes"] == {"email": "alice@example.com"}
    assert pre["validation_data"] == VALIDATION and pre["client_metadata"] == META
    assert pre["caller"] == Caller(client.client_id, SDK)
    message = world.triggers.calls[1].kwargs
    assert message["code_parameter"] == "{####}" and message["username_parameter"] is None
    assert message["client_metadata"] == META
    assert message["user"].status is UserStatus.UNCONFIRMED and message["user"].sub == result.user.sub
    assert result.user.status is UserStatus.UNCONFIRMED and result.delivery is not None


def test_failing_pre_sign_up_stores_nothing(world: World) -> None:
    pool, client = world.pool()
    world.triggers.fail["PreSignUp"] = UserLambdaValidationException("PreSignUp failed with error no.")
    with pytest.raises(UserLambdaValidationException):
        sign_up(world, client)
    assert world.user(pool, "alice") is None
    assert world.sender.messages == []


def test_failing_custom_message_stores_nothing(world: World) -> None:
    pool, client = world.pool()
    world.triggers.fail["CustomMessage"] = UserLambdaValidationException("CustomMessage failed.")
    with pytest.raises(UserLambdaValidationException):
        sign_up(world, client)
    assert world.user(pool, "alice") is None


def test_auto_confirm_sends_no_code_and_runs_post_confirmation_after_commit(world: World) -> None:
    _pool, client = world.pool()
    world.triggers.pre_sign_up_result = PreSignUpResult(auto_confirm=True, auto_verify_email=True)
    result = sign_up(world, client)
    assert result.user.status is UserStatus.CONFIRMED and result.delivery is None
    assert world.triggers.sources() == ["PreSignUp_SignUp", "PostConfirmation_ConfirmSignUp"]
    post = world.triggers.calls[1].kwargs
    assert post["client_metadata"] == META and post["caller"] == Caller(client.client_id, SDK)
    stored = world.triggers.committed[0]
    assert stored is not None and stored.status is UserStatus.CONFIRMED
    assert stored.attributes["email_verified"] == "true"
    assert world.sender.messages == []


def test_auto_verify_needs_the_attribute(world: World) -> None:
    pool, client = world.pool()
    world.triggers.pre_sign_up_result = PreSignUpResult(auto_verify_phone=True)
    with pytest.raises(InvalidParameterException):
        sign_up(world, client)
    assert world.user(pool, "alice") is None


def test_auto_verified_email_alias_moves_to_the_new_user(world: World) -> None:
    pool, client = world.pool(AliasAttributes=["email"])
    world.triggers.pre_sign_up_result = PreSignUpResult(auto_confirm=True, auto_verify_email=True)
    first = sign_up(world, client, "first", email="shared@example.com").user
    second = sign_up(world, client, "second", email="shared@example.com").user
    holder = world.user(pool, "shared@example.com")
    assert holder is not None and holder.sub == second.sub
    old = world.user(pool, "first")
    assert old is not None and old.sub == first.sub and old.attributes["email_verified"] == "false"


def test_post_confirmation_failure_leaves_the_user_confirmed(world: World) -> None:
    pool, client = world.pool()
    sign_up(world, client)
    world.triggers.fail["PostConfirmation"] = UserLambdaValidationException("PostConfirmation failed.")
    with pytest.raises(UserLambdaValidationException):
        world.sign_up.confirm(client.client_id, "alice", world.code(), {}, context(client.client_id))
    user = world.user(pool, "alice")
    assert user is not None and user.status is UserStatus.CONFIRMED
    assert world.triggers.sources()[-1] == "PostConfirmation_ConfirmSignUp"
    assert world.triggers.calls[-1].kwargs["client_metadata"] == META


def test_admin_confirm_runs_post_confirmation_without_a_client(world: World) -> None:
    pool, client = world.pool()
    sign_up(world, client)
    world.sign_up.admin_confirm(pool.id, "alice", context())
    call = world.triggers.calls[-1]
    assert (call.trigger, call.source) == ("PostConfirmation", "ConfirmSignUp")
    assert call.kwargs["caller"].client_id == NO_CLIENT and call.kwargs["user"].status is UserStatus.CONFIRMED


def test_resend_uses_custom_message_resend_code(world: World) -> None:
    _pool, client = world.pool()
    sign_up(world, client)
    world.triggers.message = MessageOverride(sms_message="sms {####}")
    world.sign_up.resend(client.client_id, "alice", {}, context(client.client_id))
    assert world.triggers.sources()[-1] == "CustomMessage_ResendCode"
    # E-mail goes out with the template: the override only carried SMS text.
    assert world.sender.messages[-1].body.startswith("Your verification code is ")


# -- CustomMessage text -------------------------------------------------------------------------


def test_email_override_needs_developer_sending(world: World) -> None:
    pool, client = world.pool()
    world.triggers.message = MessageOverride(email_message="Hi {####}", email_subject="Welcome")
    with pytest.raises(InvalidLambdaResponseException):
        sign_up(world, client)
    assert world.user(pool, "alice") is None


def test_email_override_with_developer_sending(world: World) -> None:
    _pool, client = world.pool(EmailConfiguration=DEVELOPER_EMAIL)
    world.triggers.message = MessageOverride(email_message="<b>{####}</b> is yours", email_subject="Welcome")
    sign_up(world, client)
    message = world.sender.messages[-1]
    assert message.subject == "Welcome" and message.body == f"<b>{message.code}</b> is yours"


def test_override_without_the_code_placeholder_keeps_the_template(world: World) -> None:
    _pool, client = world.pool(EmailConfiguration=DEVELOPER_EMAIL)
    world.triggers.message = MessageOverride(email_message="no code here")
    sign_up(world, client)
    assert world.sender.messages[-1].body == f"Your verification code is {world.code()}. "


# -- AdminCreateUser ----------------------------------------------------------------------------


def test_admin_create_user_triggers(world: World) -> None:
    pool, _ = world.pool()
    world.triggers.pre_sign_up_result = PreSignUpResult(auto_confirm=True, auto_verify_email=True)
    world.triggers.message = MessageOverride(sms_message="{username} / {####}")
    request = {
        "UserAttributes": [{"Name": "phone_number", "Value": "+15555550100"}],
        "TemporaryPassword": "Temp0rary!pw",
    }
    user = world.admin.create(pool.id, "bob", request, context(validation=VALIDATION))
    assert user.status is UserStatus.FORCE_CHANGE_PASSWORD
    assert "phone_number_verified" not in user.attributes
    assert world.triggers.sources() == ["PreSignUp_AdminCreateUser", "CustomMessage_AdminCreateUser"]
    pre, message = (c.kwargs for c in world.triggers.calls)
    assert pre["validation_data"] == VALIDATION and pre["client_metadata"] == META
    assert pre["caller"].client_id == NO_CLIENT
    assert message["username_parameter"] == "{username}" and message["client_metadata"] is None
    assert world.sender.messages[-1].body == "bob / Temp0rary!pw"


def test_admin_create_user_override_needs_the_username_placeholder(world: World) -> None:
    pool, _ = world.pool()
    world.triggers.message = MessageOverride(sms_message="code {####}")
    request = {
        "UserAttributes": [{"Name": "phone_number", "Value": "+15555550100"}],
        "TemporaryPassword": "Temp0rary!pw",
    }
    world.admin.create(pool.id, "bob", request, context())
    assert world.sender.messages[-1].body == "Your username is bob and temporary password is Temp0rary!pw. "


def test_failing_pre_sign_up_stops_admin_create_user(world: World) -> None:
    pool, _ = world.pool()
    world.triggers.fail["PreSignUp"] = UserLambdaValidationException("PreSignUp failed with error no.")
    with pytest.raises(UserLambdaValidationException):
        world.admin.create(pool.id, "bob", {}, context())
    assert world.user(pool, "bob") is None


def test_suppressed_invitation_runs_no_custom_message(world: World) -> None:
    pool, _ = world.pool()
    world.admin.create(pool.id, "bob", {"MessageAction": "SUPPRESS"}, context())
    assert world.triggers.sources() == ["PreSignUp_AdminCreateUser"]


# -- recovery -----------------------------------------------------------------------------------


def confirmed_user(world: World, client: AppClient, username: str = "alice") -> None:
    world.triggers.pre_sign_up_result = PreSignUpResult(auto_confirm=True, auto_verify_email=True)
    sign_up(world, client, username)
    world.triggers.pre_sign_up_result = PreSignUpResult()
    world.triggers.calls.clear()


def test_forgot_password_and_confirm(world: World) -> None:
    _pool, client = world.pool()
    confirmed_user(world, client)
    world.triggers.message = MessageOverride(sms_message="reset {####}")
    world.recovery.forgot_password(client.client_id, "alice", {}, context(client.client_id))
    world.recovery.confirm_forgot_password(
        client.client_id, "alice", world.code(), "N3w!Password", {}, context(client.client_id)
    )
    assert world.triggers.sources() == [
        "CustomMessage_ForgotPassword",
        "PostConfirmation_ConfirmForgotPassword",
    ]
    assert all(c.kwargs["client_metadata"] == META for c in world.triggers.calls)
    assert world.sender.messages[-1].body.startswith("Your password reset code is ")


def test_admin_reset_password_custom_message(world: World) -> None:
    pool, client = world.pool()
    confirmed_user(world, client)
    world.recovery.admin_reset_password(pool.id, "alice", context())
    call = world.triggers.calls[-1]
    assert (call.trigger, call.source) == ("CustomMessage", "ForgotPassword")
    assert call.kwargs["caller"].client_id == NO_CLIENT and call.kwargs["client_metadata"] == META
    assert call.kwargs["user"].status is UserStatus.RESET_REQUIRED


def test_forgot_password_migrates_an_unknown_user(world: World) -> None:
    pool, client = world.pool()
    world.triggers.migration = MigrationResult({"email": "carol@example.com", "email_verified": "true"})
    delivery = world.recovery.forgot_password(client.client_id, "carol", {}, context(client.client_id))
    call = world.triggers.calls[0]
    assert (call.trigger, call.source) == ("UserMigration", "ForgotPassword")
    assert call.kwargs["username"] == "carol" and call.kwargs["password"] is None
    assert call.kwargs["client_metadata"] == META and call.kwargs["validation_data"] is None
    assert world.triggers.sources()[1] == "CustomMessage_ForgotPassword"
    user = world.user(pool, "carol")
    assert user is not None and user.status is UserStatus.RESET_REQUIRED and user.password is None
    assert delivery["AttributeName"] == "email"
    assert world.sender.messages[-1].destination == "carol@example.com"
    world.recovery.confirm_forgot_password(client.client_id, "carol", world.code(), "N3w!Password", {})
    user = world.user(pool, "carol")
    assert user is not None and user.status is UserStatus.CONFIRMED and user.password is not None


def test_migration_without_a_verified_contact_stores_nothing(world: World) -> None:
    pool, client = world.pool()
    world.triggers.migration = MigrationResult({"email": "carol@example.com"})
    with pytest.raises(InvalidParameterException):
        world.recovery.forgot_password(client.client_id, "carol", {}, context(client.client_id))
    assert world.user(pool, "carol") is None


def test_migration_answering_nothing_is_the_unknown_user_answer(world: World) -> None:
    _pool, client = world.pool()
    with pytest.raises(UserNotFoundException):
        world.recovery.forgot_password(client.client_id, "nobody", {}, context(client.client_id))
    assert world.triggers.sources() == ["UserMigration_ForgotPassword"]


# -- attribute verification ---------------------------------------------------------------------


def test_admin_update_attributes_custom_message(world: World) -> None:
    pool, client = world.pool()
    confirmed_user(world, client)
    changes = [{"Name": "email", "Value": "new@example.com"}]
    world.admin.update_attributes(pool.id, "alice", changes, context())
    call = world.triggers.calls[-1]
    assert (call.trigger, call.source) == ("CustomMessage", "UpdateUserAttribute")
    assert call.kwargs["user"].attributes["email"] == "new@example.com"
    assert call.kwargs["caller"].client_id == NO_CLIENT and call.kwargs["client_metadata"] == META
    assert world.sender.messages[-1].destination == "new@example.com"


def test_self_service_custom_messages_name_the_token_client(world: World) -> None:
    pool, client = world.pool()
    confirmed_user(world, client)
    user = world.user(pool, "alice")
    assert user is not None
    token = f"{pool.id}|{client.client_id}|{user.sub}"
    world.self_service.update_attributes(token, [{"Name": "email", "Value": "new@example.com"}], context())
    world.self_service.get_verification_code(token, "email", context())
    assert world.triggers.sources() == [
        "CustomMessage_UpdateUserAttribute",
        "CustomMessage_VerifyUserAttribute",
    ]
    assert all(c.kwargs["caller"] == Caller(client.client_id, SDK) for c in world.triggers.calls)


# -- the handlers' trigger inputs ---------------------------------------------------------------


def test_trigger_context_from_a_request() -> None:
    agent = "Boto3/1.44.8 md/Botocore#1.44.8"
    ctx = OperationContext("SignUp", "r", None, user_agent=agent)  # type: ignore[arg-type]
    params = {"ClientId": "c1", "ClientMetadata": META, "ValidationData": [{"Name": "a", "Value": "b"}]}
    assert trigger_context(ctx, params) == TriggerContext(Caller("c1", "boto3-1.44.8"), META, {"a": "b"})
    assert trigger_context(ctx, {}) == TriggerContext(Caller(NO_CLIENT, "boto3-1.44.8"), None, None)
