"""Sign-up, confirmation, message and forgot-password triggers through boto3 against a live
server whose Lambda calls go to a recording fake (``tests.triggers_support.LambdaEndpoint``),
plus one server with in-process handlers (``tests.trigger_handlers``).

Each test checks the events field by field (spec triggers.md §3–§6) and the effect of each
response field through the API (statuses, attributes, the outbox).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.server import REGION, ServerProcess, start_server
from tests.trigger_handlers import EVENTS_FILE_ENV, read_events
from tests.triggers_support import LambdaEndpoint, fail, lambda_arn, respond

PASSWORD = "Passw0rd!Strong"
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"
META = {"tenant": "acme"}
TRIGGERS = ("PreSignUp", "PostConfirmation", "CustomMessage", "UserMigration")
_tags = itertools.count()


@pytest.fixture(scope="module")
def fake() -> Iterator[LambdaEndpoint]:
    with LambdaEndpoint() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def live(fake: LambdaEndpoint, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"AWS_ENDPOINT_URL_LAMBDA": fake.url, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    proc = start_server(tmp_path_factory.mktemp("user-triggers"), env=env)
    yield proc
    proc.stop()


class Pool:
    """A pool whose four triggers are functions of the fake named ``<Trigger>-<n>``."""

    def __init__(self, live: ServerProcess, fake: LambdaEndpoint, **config: Any) -> None:
        self.live, self.fake, self.cognito = live, fake, live.client()
        tag = next(_tags)
        self.names = {trigger: f"{trigger}-{tag}" for trigger in TRIGGERS}
        config.setdefault("AutoVerifiedAttributes", ["email"])
        created = self.cognito.create_user_pool(
            PoolName="user-triggers",
            LambdaConfig={trigger: lambda_arn(name) for trigger, name in self.names.items()},
            **config,
        )
        self.id = created["UserPool"]["Id"]
        self.client_id = self.cognito.create_user_pool_client(UserPoolId=self.id, ClientName="app")[
            "UserPoolClient"
        ]["ClientId"]

    def set(self, trigger: str, behaviour: Any) -> None:
        self.fake.set(self.names[trigger], behaviour)

    def events(self, trigger: str) -> list[dict[str, Any]]:
        return self.fake.events(self.names[trigger])

    def sign_up(self, username: str = "alice", email: str = "alice@example.com", **extra: Any) -> Any:
        return self.cognito.sign_up(
            ClientId=self.client_id,
            Username=username,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": email}],
            **extra,
        )

    def user(self, username: str) -> dict[str, Any]:
        found: dict[str, Any] = self.cognito.admin_get_user(UserPoolId=self.id, Username=username)
        return found

    def attributes(self, username: str) -> dict[str, str]:
        return {a["Name"]: a["Value"] for a in self.user(username)["UserAttributes"]}

    def messages(self, username: str | None = None) -> list[dict[str, Any]]:
        return self.live.messages(self.id, username)


def check_envelope(event: dict[str, Any], pool: Pool, source: str, username: str, client_id: str) -> None:
    """The common fields of a V1 event (spec §3)."""
    assert event["version"] == "1"
    assert event["triggerSource"] == source
    assert event["region"] == REGION
    assert event["userPoolId"] == pool.id
    assert event["userName"] == username
    assert event["callerContext"]["clientId"] == client_id
    assert re.fullmatch(r"boto3-\d+\.\d+\.\d+", event["callerContext"]["awsSdkVersion"])


def test_sign_up_confirm_events(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake)
    pool.set("CustomMessage", respond(smsMessage="sms {####}"))
    result = pool.sign_up(ValidationData=[{"Name": "captcha", "Value": "ok"}], ClientMetadata=META)
    assert result["UserConfirmed"] is False and result["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"

    [pre] = pool.events("PreSignUp")
    check_envelope(pre, pool, "PreSignUp_SignUp", "alice", pool.client_id)
    assert pre["request"]["userAttributes"] == {"email": "alice@example.com"}
    assert pre["request"]["validationData"] == {"captcha": "ok"}
    assert pre["request"]["clientMetadata"] == META

    [message] = pool.events("CustomMessage")
    check_envelope(message, pool, "CustomMessage_SignUp", "alice", pool.client_id)
    assert message["request"]["codeParameter"] == "{####}"
    assert message["request"]["clientMetadata"] == META
    attrs = message["request"]["userAttributes"]
    assert attrs["sub"] == result["UserSub"] and attrs["cognito:user_status"] == "UNCONFIRMED"
    # Only smsMessage came back, so the e-mail keeps the pool's template.
    [sent] = pool.messages("alice")
    assert sent["message"] == f"Your verification code is {sent['code']}. "

    pool.cognito.confirm_sign_up(
        ClientId=pool.client_id,
        Username="alice",
        ConfirmationCode=sent["code"],
        ClientMetadata={"step": "confirm"},
    )
    [post] = pool.events("PostConfirmation")
    check_envelope(post, pool, "PostConfirmation_ConfirmSignUp", "alice", pool.client_id)
    assert post["request"]["clientMetadata"] == {"step": "confirm"}
    assert post["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert post["request"]["userAttributes"]["email_verified"] == "true"


def test_auto_confirm_and_auto_verify(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake)
    pool.set("PreSignUp", respond(autoConfirmUser=True, autoVerifyEmail=True))
    result = pool.sign_up(ClientMetadata=META)
    assert result["UserConfirmed"] is True and "CodeDeliveryDetails" not in result
    assert pool.user("alice")["UserStatus"] == "CONFIRMED"
    assert pool.attributes("alice")["email_verified"] == "true"
    assert pool.messages("alice") == [] and pool.events("CustomMessage") == []
    [post] = pool.events("PostConfirmation")
    check_envelope(post, pool, "PostConfirmation_ConfirmSignUp", "alice", pool.client_id)
    assert post["request"]["clientMetadata"] == META


def test_auto_verify_moves_an_alias(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake, AliasAttributes=["email"])
    pool.set("PreSignUp", respond(autoConfirmUser=True, autoVerifyEmail=True))
    pool.sign_up("first", "shared@example.com")
    second = pool.sign_up("second", "shared@example.com")
    assert pool.user("shared@example.com")["Username"] == "second"
    assert pool.attributes("first")["email_verified"] == "false"
    assert pool.attributes("second")["sub"] == second["UserSub"]


def test_pre_sign_up_rejection_creates_nobody(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake)
    pool.set("PreSignUp", fail("no thanks"))
    with pytest.raises(ClientError) as caught:
        pool.sign_up()
    assert caught.value.response["Error"]["Code"] == "UserLambdaValidationException"
    assert caught.value.response["Error"]["Message"] == "PreSignUp failed with error no thanks."
    with pytest.raises(pool.cognito.exceptions.UserNotFoundException):
        pool.user("alice")
    assert pool.messages() == []


def test_post_confirmation_failure_keeps_the_user_confirmed(
    live: ServerProcess, fake: LambdaEndpoint
) -> None:
    pool = Pool(live, fake)
    pool.sign_up()
    pool.set("PostConfirmation", fail("crm down"))
    with pytest.raises(ClientError) as caught:
        pool.cognito.admin_confirm_sign_up(UserPoolId=pool.id, Username="alice", ClientMetadata=META)
    assert caught.value.response["Error"]["Message"] == "PostConfirmation failed with error crm down."
    assert pool.user("alice")["UserStatus"] == "CONFIRMED"
    [post] = pool.events("PostConfirmation")
    check_envelope(post, pool, "PostConfirmation_ConfirmSignUp", "alice", NO_CLIENT)
    assert post["request"]["clientMetadata"] == META


def test_custom_email_needs_developer_sending(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake)
    pool.set("CustomMessage", respond(emailMessage="Hi! {####}", emailSubject="Welcome"))
    with pytest.raises(ClientError) as caught:
        pool.sign_up()
    assert caught.value.response["Error"]["Code"] == "InvalidLambdaResponseException"
    with pytest.raises(pool.cognito.exceptions.UserNotFoundException):
        pool.user("alice")

    ses = Pool(
        live,
        fake,
        EmailConfiguration={
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/auth@example.com",
        },
    )
    ses.set("CustomMessage", respond(emailMessage="Hi! Your code: {####}", emailSubject="Welcome"))
    ses.sign_up()
    [sent] = ses.messages("alice")
    assert sent["message"] == f"Hi! Your code: {sent['code']}"


def test_resend_and_admin_reset_messages(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake)
    pool.sign_up()
    pool.cognito.resend_confirmation_code(ClientId=pool.client_id, Username="alice", ClientMetadata=META)
    resend = pool.events("CustomMessage")[-1]
    check_envelope(resend, pool, "CustomMessage_ResendCode", "alice", pool.client_id)
    assert resend["request"]["clientMetadata"] == META

    pool.cognito.admin_confirm_sign_up(UserPoolId=pool.id, Username="alice")
    pool.cognito.admin_update_user_attributes(
        UserPoolId=pool.id, Username="alice", UserAttributes=[{"Name": "email_verified", "Value": "true"}]
    )
    pool.cognito.admin_reset_user_password(UserPoolId=pool.id, Username="alice", ClientMetadata=META)
    reset = pool.events("CustomMessage")[-1]
    check_envelope(reset, pool, "CustomMessage_ForgotPassword", "alice", NO_CLIENT)
    assert reset["request"]["clientMetadata"] == META
    assert reset["request"]["userAttributes"]["cognito:user_status"] == "RESET_REQUIRED"
    assert pool.messages("alice")[-1]["purpose"] == "FORGOT_PASSWORD"


def test_admin_create_user_events(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake)
    # PreSignUp's flags are ignored for AdminCreateUser (spec §6.1).
    pool.set("PreSignUp", respond(autoConfirmUser=True, autoVerifyPhone=True))
    pool.set("CustomMessage", respond(smsMessage="Hello {username}, use {####}"))
    pool.cognito.admin_create_user(
        UserPoolId=pool.id,
        Username="bob",
        TemporaryPassword="Temp0rary!pw",
        DesiredDeliveryMediums=["SMS"],
        UserAttributes=[{"Name": "phone_number", "Value": "+15555550100"}],
        ValidationData=[{"Name": "source", "Value": "import"}],
        ClientMetadata=META,
    )
    [pre] = pool.events("PreSignUp")
    check_envelope(pre, pool, "PreSignUp_AdminCreateUser", "bob", NO_CLIENT)
    assert pre["request"]["userAttributes"] == {"phone_number": "+15555550100"}
    assert pre["request"]["validationData"] == {"source": "import"}
    assert pre["request"]["clientMetadata"] == META
    [message] = pool.events("CustomMessage")
    check_envelope(message, pool, "CustomMessage_AdminCreateUser", "bob", NO_CLIENT)
    assert message["request"]["codeParameter"] == "{####}"
    assert message["request"]["usernameParameter"] == "{username}"
    assert message["request"]["userAttributes"]["cognito:user_status"] == "FORCE_CHANGE_PASSWORD"
    assert pool.user("bob")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert "phone_number_verified" not in pool.attributes("bob")
    [sent] = pool.messages("bob")
    assert sent["channel"] == "SMS" and sent["message"] == "Hello bob, use Temp0rary!pw"


def test_admin_update_attributes_message(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake)
    pool.set("PreSignUp", respond(autoConfirmUser=True, autoVerifyEmail=True))
    pool.sign_up()
    pool.set("CustomMessage", respond(smsMessage="sms {####}"))
    pool.cognito.admin_update_user_attributes(
        UserPoolId=pool.id,
        Username="alice",
        UserAttributes=[{"Name": "email", "Value": "new@example.com"}],
        ClientMetadata=META,
    )
    [event] = pool.events("CustomMessage")
    check_envelope(event, pool, "CustomMessage_UpdateUserAttribute", "alice", NO_CLIENT)
    assert event["request"]["userAttributes"]["email"] == "new@example.com"
    assert event["request"]["clientMetadata"] == META
    assert pool.messages("alice")[-1]["destination"] == "new@example.com"


def test_self_service_messages_name_the_token_client(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake)
    pool.set("PreSignUp", respond(autoConfirmUser=True, autoVerifyEmail=True))
    pool.sign_up()
    client = pool.cognito.create_user_pool_client(
        UserPoolId=pool.id,
        ClientName="signed-in",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    token = pool.cognito.initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    pool.cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": "new@example.com"}], ClientMetadata=META
    )
    pool.cognito.get_user_attribute_verification_code(
        AccessToken=token, AttributeName="email", ClientMetadata=META
    )
    update, verify = pool.events("CustomMessage")
    check_envelope(update, pool, "CustomMessage_UpdateUserAttribute", "alice", client)
    check_envelope(verify, pool, "CustomMessage_VerifyUserAttribute", "alice", client)
    assert update["request"]["clientMetadata"] == META and verify["request"]["clientMetadata"] == META
    assert [m["destination"] for m in pool.messages("alice")] == ["new@example.com"] * 2


def test_forgot_password_migrates_the_user(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake)
    pool.set(
        "UserMigration", respond(userAttributes={"email": "carol@example.com", "email_verified": "true"})
    )
    pool.set("CustomMessage", respond(smsMessage="sms {####}"))
    delivery = pool.cognito.forgot_password(ClientId=pool.client_id, Username="carol", ClientMetadata=META)
    assert delivery["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"

    [migration] = pool.events("UserMigration")
    check_envelope(migration, pool, "UserMigration_ForgotPassword", "carol", pool.client_id)
    assert "password" not in migration["request"]
    assert migration["request"]["clientMetadata"] == META
    [message] = pool.events("CustomMessage")
    check_envelope(message, pool, "CustomMessage_ForgotPassword", "carol", pool.client_id)
    assert message["request"]["userAttributes"]["email"] == "carol@example.com"

    assert pool.user("carol")["UserStatus"] == "RESET_REQUIRED"
    [sent] = pool.messages("carol")
    assert sent["destination"] == "carol@example.com"
    pool.cognito.confirm_forgot_password(
        ClientId=pool.client_id,
        Username="carol",
        ConfirmationCode=sent["code"],
        Password=PASSWORD,
        ClientMetadata={"step": "reset"},
    )
    [post] = pool.events("PostConfirmation")
    check_envelope(post, pool, "PostConfirmation_ConfirmForgotPassword", "carol", pool.client_id)
    assert post["request"]["clientMetadata"] == {"step": "reset"}
    assert pool.user("carol")["UserStatus"] == "CONFIRMED"


def test_forgot_password_for_a_user_the_migration_does_not_know(
    live: ServerProcess, fake: LambdaEndpoint
) -> None:
    pool = Pool(live, fake)
    with pytest.raises(pool.cognito.exceptions.UserNotFoundException):
        pool.cognito.forgot_password(ClientId=pool.client_id, Username="nobody")
    assert len(pool.events("UserMigration")) == 1
    assert pool.events("CustomMessage") == []


def test_in_process_handlers(tmp_path: Path) -> None:
    events_file = tmp_path / "events.jsonl"
    env = {
        "POOLGATE_LAMBDA_HANDLERS": "auto=tests.trigger_handlers:pre_sign_up_auto_confirm,"
        "record=tests.trigger_handlers:record",
        EVENTS_FILE_ENV: str(events_file),
    }
    proc = start_server(tmp_path / "data", env=env)
    try:
        cognito = proc.client()
        pool_id = cognito.create_user_pool(
            PoolName="in-process",
            LambdaConfig={"PreSignUp": lambda_arn("auto"), "PostConfirmation": lambda_arn("record")},
        )["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"][
            "ClientId"
        ]
        result = cognito.sign_up(
            ClientId=client_id,
            Username="dana",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "dana@example.com"}],
            ClientMetadata=META,
        )
        assert result["UserConfirmed"] is True
        attrs = {
            a["Name"]: a["Value"]
            for a in cognito.admin_get_user(UserPoolId=pool_id, Username="dana")["UserAttributes"]
        }
        assert attrs["email_verified"] == "true"
        [post] = read_events(events_file, "record")
        assert post["triggerSource"] == "PostConfirmation_ConfirmSignUp"
        assert post["callerContext"]["clientId"] == client_id
        assert post["request"]["clientMetadata"] == META
    finally:
        proc.stop()
