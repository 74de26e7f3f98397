"""Users, sign-up and password recovery through boto3 against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.server import ServerProcess

from poolgate.pools.secret_hash import compute_secret_hash

STRONG = "Passw0rd!Strong"


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def attrs(user: dict[str, Any]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.get("Attributes") or user.get("UserAttributes") or []}


@pytest.fixture
def email_pool(cognito: Any) -> Iterator[dict[str, str]]:
    """A pool that signs in with a username, auto-verifies e-mail, and a client without secret."""
    pool_id = cognito.create_user_pool(
        PoolName="users",
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True}],
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"][
        "ClientId"
    ]
    yield {"pool": pool_id, "client": client_id}
    cognito.delete_user_pool(UserPoolId=pool_id)


def test_admin_create_get_delete(cognito: Any, server: ServerProcess, email_pool: dict[str, str]) -> None:
    pool = email_pool["pool"]
    created = cognito.admin_create_user(
        UserPoolId=pool,
        Username="alice",
        TemporaryPassword="Temp0rary!",
        UserAttributes=[
            {"Name": "email", "Value": "alice@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
        DesiredDeliveryMediums=["EMAIL"],
    )["User"]
    assert created["Username"] == "alice"
    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert created["Enabled"] is True
    assert attrs(created)["email"] == "alice@example.com"
    invitation = server.messages(pool, "alice")[-1]
    assert invitation["purpose"] == "ADMIN_CREATE_USER" and invitation["code"] == "Temp0rary!"
    assert "alice" in invitation["message"] and "Temp0rary!" in invitation["message"]

    got = cognito.admin_get_user(UserPoolId=pool, Username="alice")
    assert got["Username"] == "alice" and attrs(got)["sub"] == attrs(created)["sub"]

    with pytest.raises(ClientError) as exc:
        cognito.admin_create_user(
            UserPoolId=pool,
            Username="alice",
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": "x@example.com"}],
        )
    assert code_of(exc) == "UsernameExistsException"
    assert exc.value.response["Error"]["Message"] == "User account already exists"

    cognito.admin_delete_user(UserPoolId=pool, Username="alice")
    with pytest.raises(ClientError) as exc:
        cognito.admin_get_user(UserPoolId=pool, Username="alice")
    assert code_of(exc) == "UserNotFoundException"
    assert exc.value.response["Error"]["Message"] == "User does not exist."


def test_admin_create_user_checks_password_and_schema(cognito: Any, email_pool: dict[str, str]) -> None:
    pool = email_pool["pool"]
    with pytest.raises(ClientError) as exc:
        cognito.admin_create_user(
            UserPoolId=pool,
            Username="bob",
            TemporaryPassword="short",
            UserAttributes=[{"Name": "email", "Value": "b@example.com"}],
        )
    assert code_of(exc) == "InvalidPasswordException"
    with pytest.raises(ClientError) as exc:
        cognito.admin_create_user(UserPoolId=pool, Username="bob", MessageAction="SUPPRESS")
    assert code_of(exc) == "InvalidParameterException"  # email is required
    with pytest.raises(ClientError) as exc:
        cognito.admin_create_user(
            UserPoolId=pool,
            Username="bob",
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": "b@example.com"},
                {"Name": "custom:nope", "Value": "x"},
            ],
        )
    assert code_of(exc) == "InvalidParameterException"


def test_generated_temporary_password_and_resend(
    cognito: Any, server: ServerProcess, email_pool: dict[str, str]
) -> None:
    pool = email_pool["pool"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="carol",
        DesiredDeliveryMediums=["EMAIL"],
        UserAttributes=[{"Name": "email", "Value": "carol@example.com"}],
    )
    first = server.last_code(pool, "carol")
    assert len(first) >= 8
    cognito.admin_create_user(
        UserPoolId=pool, Username="carol", MessageAction="RESEND", DesiredDeliveryMediums=["EMAIL"]
    )
    assert server.last_code(pool, "carol") != first


def test_set_password_enable_disable(cognito: Any, email_pool: dict[str, str]) -> None:
    pool = email_pool["pool"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="dave",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "dave@example.com"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username="dave", Password=STRONG, Permanent=True)
    assert cognito.admin_get_user(UserPoolId=pool, Username="dave")["UserStatus"] == "CONFIRMED"
    cognito.admin_set_user_password(UserPoolId=pool, Username="dave", Password=STRONG + "2", Permanent=False)
    assert cognito.admin_get_user(UserPoolId=pool, Username="dave")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    with pytest.raises(ClientError) as exc:
        cognito.admin_set_user_password(UserPoolId=pool, Username="dave", Password="weak", Permanent=True)
    assert code_of(exc) == "InvalidPasswordException"
    cognito.admin_disable_user(UserPoolId=pool, Username="dave")
    assert cognito.admin_get_user(UserPoolId=pool, Username="dave")["Enabled"] is False
    cognito.admin_enable_user(UserPoolId=pool, Username="dave")
    assert cognito.admin_get_user(UserPoolId=pool, Username="dave")["Enabled"] is True
    with pytest.raises(ClientError) as exc:
        cognito.admin_disable_user(UserPoolId=pool, Username="nobody")
    assert code_of(exc) == "UserNotFoundException"


def test_update_and_delete_attributes(
    cognito: Any, server: ServerProcess, email_pool: dict[str, str]
) -> None:
    pool = email_pool["pool"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="erin",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "erin@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    cognito.admin_update_user_attributes(
        UserPoolId=pool,
        Username="erin",
        UserAttributes=[
            {"Name": "given_name", "Value": "Erin"},
            {"Name": "email", "Value": "erin2@example.com"},
        ],
    )
    got = attrs(cognito.admin_get_user(UserPoolId=pool, Username="erin"))
    assert got["given_name"] == "Erin" and got["email"] == "erin2@example.com"
    assert got["email_verified"] == "false"
    assert server.messages(pool, "erin")[-1]["purpose"].startswith("VERIFY_ATTRIBUTE")
    cognito.admin_delete_user_attributes(UserPoolId=pool, Username="erin", UserAttributeNames=["given_name"])
    assert "given_name" not in attrs(cognito.admin_get_user(UserPoolId=pool, Username="erin"))
    with pytest.raises(ClientError) as exc:
        cognito.admin_delete_user_attributes(UserPoolId=pool, Username="erin", UserAttributeNames=["email"])
    assert code_of(exc) == "InvalidParameterException"


def test_delete_attributes_follows_the_update_rules(cognito: Any, server: ServerProcess) -> None:
    """Issue 15 item 2: DeleteUserAttributes checks what UpdateUserAttributes checks (the
    client's WriteAttributes, developer-only and immutable attributes, unknown names),
    AdminDeleteUserAttributes what AdminUpdateUserAttributes checks; required attributes stay."""
    pool = cognito.create_user_pool(
        PoolName="deletes",
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
            {"Name": "tenant", "AttributeDataType": "String", "Mutable": False},
            {"Name": "level", "AttributeDataType": "String", "Mutable": True},
            {
                "Name": "secret",
                "AttributeDataType": "String",
                "Mutable": True,
                "DeveloperOnlyAttribute": True,
            },
        ],
    )["UserPool"]["Id"]
    flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="narrow",
        ExplicitAuthFlows=flows,
        WriteAttributes=["email", "given_name", "custom:tenant"],
    )["UserPoolClient"]["ClientId"]
    open_client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="open", ExplicitAuthFlows=flows
    )["UserPoolClient"]["ClientId"]
    values = {
        "email": "fay@example.com",
        "given_name": "Fay",
        "custom:tenant": "acme",
        "custom:level": "3",
        "dev:custom:secret": "s3cr3t",
    }
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="fay",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in values.items()],
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username="fay", Password=STRONG, Permanent=True)

    def token(client_id: str) -> str:
        result = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "fay", "PASSWORD": STRONG},
        )
        return str(result["AuthenticationResult"]["AccessToken"])

    def refused(call: Any, **kwargs: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as exc:
            call(**kwargs)
        return code_of(exc), str(exc.value.response["Error"]["Message"])

    narrow, wide = token(client), token(open_client)
    unauthorized = ("NotAuthorizedException", "A client attempted to write unauthorized attribute")
    immutable = ("InvalidParameterException", "Attribute cannot be updated")
    # Not in the client's WriteAttributes, developer-only, immutable: refused, as by UpdateUserAttributes.
    for access, name, expected in [
        (narrow, "custom:level", unauthorized),
        (wide, "dev:custom:secret", unauthorized),
        (wide, "email_verified", unauthorized),
        (narrow, "custom:tenant", immutable),
        (wide, "custom:tenant", immutable),
    ]:
        assert (
            refused(cognito.delete_user_attributes, AccessToken=access, UserAttributeNames=[name]) == expected
        )
        assert (
            refused(
                cognito.update_user_attributes,
                AccessToken=access,
                UserAttributes=[{"Name": name, "Value": "x"}],
            )
            == expected
        )
    assert refused(cognito.delete_user_attributes, AccessToken=wide, UserAttributeNames=["email"]) == (
        "InvalidParameterException",
        "Attributes did not conform to the schema: email: The attribute is required\n",
    )
    assert refused(cognito.delete_user_attributes, AccessToken=wide, UserAttributeNames=["custom:nope"]) == (
        "InvalidParameterException",
        "Invalid user attributes: user.custom:nope: Attribute does not exist in the schema.",
    )
    # Administrators are not bound by a client's list; immutability, required and the schema apply.
    for name, expected in [
        ("custom:tenant", immutable),
        (
            "email",
            (
                "InvalidParameterException",
                "Attributes did not conform to the schema: email: The attribute is required\n",
            ),
        ),
        (
            "custom:nope",
            (
                "InvalidParameterException",
                "Invalid user attributes: user.custom:nope: Attribute does not exist in the schema.",
            ),
        ),
    ]:
        assert (
            refused(
                cognito.admin_delete_user_attributes,
                UserPoolId=pool,
                Username="fay",
                UserAttributeNames=[name],
            )
            == expected
        )
    # A refused request deletes nothing, not even the names before the refused one.
    refused(
        cognito.delete_user_attributes, AccessToken=wide, UserAttributeNames=["given_name", "custom:tenant"]
    )
    assert attrs(cognito.admin_get_user(UserPoolId=pool, Username="fay")).items() >= values.items()

    cognito.delete_user_attributes(AccessToken=narrow, UserAttributeNames=["given_name"])
    cognito.delete_user_attributes(AccessToken=wide, UserAttributeNames=["custom:level"])
    cognito.admin_delete_user_attributes(
        UserPoolId=pool, Username="fay", UserAttributeNames=["dev:custom:secret"]
    )
    left = attrs(cognito.admin_get_user(UserPoolId=pool, Username="fay"))
    assert {"given_name", "custom:level", "dev:custom:secret"}.isdisjoint(left)
    assert left["custom:tenant"] == "acme" and left["email"] == "fay@example.com"
    cognito.delete_user_pool(UserPoolId=pool)


def test_admin_create_user_of_a_taken_sign_in_email(cognito: Any) -> None:
    """Issue 15 C (moto's test suite): in a pool that signs in with the e-mail, AdminCreateUser
    of an e-mail another user has answers as SignUp does, not AliasExistsException; an
    alias taken in an AliasAttributes pool stays AliasExistsException."""
    pool = cognito.create_user_pool(PoolName="by-email", UsernameAttributes=["email", "phone_number"])
    pool_id = pool["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"][
        "ClientId"
    ]
    for username in ("gil@example.com", "+15555550100"):
        cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    for username, kind in (("gil@example.com", "email"), ("+15555550100", "phone_number")):
        with pytest.raises(ClientError) as exc:
            cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
        assert code_of(exc) == "UsernameExistsException"
        assert exc.value.response["Error"]["Message"] == f"An account with the given {kind} already exists."
    with pytest.raises(ClientError) as exc:
        cognito.sign_up(ClientId=client_id, Username="gil@example.com", Password=STRONG)
    assert code_of(exc) == "UsernameExistsException"
    assert exc.value.response["Error"]["Message"] == "An account with the given email already exists."
    cognito.delete_user_pool(UserPoolId=pool_id)

    alias_pool = cognito.create_user_pool(PoolName="alias", AliasAttributes=["email"])["UserPool"]["Id"]
    verified = [{"Name": "email", "Value": "hal@example.com"}, {"Name": "email_verified", "Value": "true"}]
    cognito.admin_create_user(
        UserPoolId=alias_pool, Username="hal", MessageAction="SUPPRESS", UserAttributes=verified
    )
    with pytest.raises(ClientError) as exc:
        cognito.admin_create_user(
            UserPoolId=alias_pool, Username="hal2", MessageAction="SUPPRESS", UserAttributes=verified
        )
    assert code_of(exc) == "AliasExistsException"
    assert exc.value.response["Error"]["Message"] == "An account with the given email already exists."
    cognito.delete_user_pool(UserPoolId=alias_pool)


def test_list_users_filter_and_pages(cognito: Any, email_pool: dict[str, str]) -> None:
    pool = email_pool["pool"]
    for i in range(7):
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=f"user{i}",
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": f"u{i}@{'corp' if i < 3 else 'home'}.example"}],
        )
    seen: list[str] = []
    kwargs: dict[str, Any] = {"UserPoolId": pool, "Limit": 3}
    while True:
        page = cognito.list_users(**kwargs)
        assert len(page["Users"]) <= 3
        seen += [u["Username"] for u in page["Users"]]
        if "PaginationToken" not in page:
            break
        kwargs["PaginationToken"] = page["PaginationToken"]
    assert sorted(seen) == [f"user{i}" for i in range(7)]
    corp = cognito.list_users(UserPoolId=pool, Filter='email ^= "u1@CORP"')["Users"]
    assert [u["Username"] for u in corp] == ["user1"]
    exact = cognito.list_users(UserPoolId=pool, Filter='username = "user4"', AttributesToGet=["email"])[
        "Users"
    ]
    assert [u["Username"] for u in exact] == ["user4"]
    assert [a["Name"] for a in exact[0]["Attributes"]] == ["email"]
    status = cognito.list_users(UserPoolId=pool, Filter='cognito:user_status = "FORCE_CHANGE_PASSWORD"')
    assert len(status["Users"]) == 7
    with pytest.raises(ClientError) as exc:
        cognito.list_users(UserPoolId=pool, Filter="email = unquoted")
    assert code_of(exc) == "InvalidParameterException"
    described = cognito.describe_user_pool(UserPoolId=pool)["UserPool"]
    assert described["EstimatedNumberOfUsers"] == 7


def test_sign_up_and_confirm_with_the_outbox_code(
    cognito: Any, server: ServerProcess, email_pool: dict[str, str]
) -> None:
    pool, client = email_pool["pool"], email_pool["client"]
    result = cognito.sign_up(
        ClientId=client,
        Username="frank",
        Password=STRONG,
        UserAttributes=[{"Name": "email", "Value": "frank@example.com"}],
    )
    assert result["UserConfirmed"] is False
    assert result["CodeDeliveryDetails"] == {
        "Destination": "f***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert cognito.admin_get_user(UserPoolId=pool, Username="frank")["UserStatus"] == "UNCONFIRMED"
    code = server.last_code(pool, "frank")
    with pytest.raises(ClientError) as exc:
        cognito.confirm_sign_up(
            ClientId=client, Username="frank", ConfirmationCode="000000" if code != "000000" else "111111"
        )
    assert code_of(exc) == "CodeMismatchException"
    cognito.confirm_sign_up(ClientId=client, Username="frank", ConfirmationCode=code)
    user = cognito.admin_get_user(UserPoolId=pool, Username="frank")
    assert user["UserStatus"] == "CONFIRMED"
    assert attrs(user)["email_verified"] == "true"
    assert attrs(user)["sub"] == result["UserSub"]
    with pytest.raises(ClientError) as exc:
        cognito.confirm_sign_up(ClientId=client, Username="frank", ConfirmationCode=code)
    assert code_of(exc) == "NotAuthorizedException"
    assert exc.value.response["Error"]["Message"] == "User cannot be confirmed. Current status is CONFIRMED"


def test_sign_up_errors(cognito: Any, email_pool: dict[str, str]) -> None:
    client = email_pool["client"]
    cognito.sign_up(
        ClientId=client,
        Username="gina",
        Password=STRONG,
        UserAttributes=[{"Name": "email", "Value": "gina@example.com"}],
    )
    with pytest.raises(ClientError) as exc:
        cognito.sign_up(
            ClientId=client,
            Username="gina",
            Password=STRONG,
            UserAttributes=[{"Name": "email", "Value": "gina@example.com"}],
        )
    assert code_of(exc) == "UsernameExistsException"
    assert exc.value.response["Error"]["Message"] == "User already exists"
    with pytest.raises(ClientError) as exc:
        cognito.sign_up(
            ClientId=client,
            Username="hank",
            Password="password",
            UserAttributes=[{"Name": "email", "Value": "hank@example.com"}],
        )
    assert code_of(exc) == "InvalidPasswordException"
    assert exc.value.response["Error"]["Message"].startswith("Password did not conform with policy: ")
    with pytest.raises(ClientError) as exc:
        cognito.sign_up(ClientId="nosuchclient0000000000000a", Username="x", Password=STRONG)
    assert code_of(exc) == "ResourceNotFoundException"


def test_confirmation_attempt_limit_and_resend(
    cognito: Any, server: ServerProcess, email_pool: dict[str, str]
) -> None:
    pool, client = email_pool["pool"], email_pool["client"]
    cognito.sign_up(
        ClientId=client,
        Username="ivy",
        Password=STRONG,
        UserAttributes=[{"Name": "email", "Value": "ivy@example.com"}],
    )
    code = server.last_code(pool, "ivy")
    wrong = "123456" if code != "123456" else "654321"
    for _ in range(5):
        with pytest.raises(ClientError) as exc:
            cognito.confirm_sign_up(ClientId=client, Username="ivy", ConfirmationCode=wrong)
        assert code_of(exc) == "CodeMismatchException"
    with pytest.raises(ClientError) as exc:
        cognito.confirm_sign_up(ClientId=client, Username="ivy", ConfirmationCode=code)
    assert code_of(exc) == "LimitExceededException"
    delivery = cognito.resend_confirmation_code(ClientId=client, Username="ivy")["CodeDeliveryDetails"]
    assert delivery["DeliveryMedium"] == "EMAIL"
    fresh = server.last_code(pool, "ivy")
    cognito.confirm_sign_up(ClientId=client, Username="ivy", ConfirmationCode=fresh)
    with pytest.raises(ClientError) as exc:
        cognito.resend_confirmation_code(ClientId=client, Username="ivy")
    assert code_of(exc) == "InvalidParameterException"


def test_secret_hash_on_sign_up(cognito: Any, email_pool: dict[str, str]) -> None:
    pool = email_pool["pool"]
    app = cognito.create_user_pool_client(UserPoolId=pool, ClientName="s", GenerateSecret=True)[
        "UserPoolClient"
    ]
    with pytest.raises(ClientError) as exc:
        cognito.sign_up(
            ClientId=app["ClientId"],
            Username="jack",
            Password=STRONG,
            UserAttributes=[{"Name": "email", "Value": "jack@example.com"}],
        )
    assert code_of(exc) == "NotAuthorizedException"
    assert "SECRET_HASH was not received" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        cognito.sign_up(
            ClientId=app["ClientId"],
            Username="jack",
            Password=STRONG,
            SecretHash="d3Jvbmc=",
            UserAttributes=[{"Name": "email", "Value": "jack@example.com"}],
        )
    assert (
        exc.value.response["Error"]["Message"] == f"Unable to verify secret hash for client {app['ClientId']}"
    )
    good = compute_secret_hash(app["ClientSecret"], "jack", app["ClientId"])
    assert (
        cognito.sign_up(
            ClientId=app["ClientId"],
            Username="jack",
            Password=STRONG,
            SecretHash=good,
            UserAttributes=[{"Name": "email", "Value": "jack@example.com"}],
        )["UserConfirmed"]
        is False
    )


def test_forgot_password_round_trip(cognito: Any, server: ServerProcess, email_pool: dict[str, str]) -> None:
    pool, client = email_pool["pool"], email_pool["client"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="kate",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "kate@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username="kate", Password="Old!Passw0rd", Permanent=True)
    delivery = cognito.forgot_password(ClientId=client, Username="kate")["CodeDeliveryDetails"]
    assert delivery == {"Destination": "k***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    code = server.last_code(pool, "kate")
    with pytest.raises(ClientError) as exc:
        cognito.confirm_forgot_password(
            ClientId=client, Username="kate", ConfirmationCode=code, Password="weak"
        )
    assert code_of(exc) == "InvalidPasswordException"
    cognito.confirm_forgot_password(ClientId=client, Username="kate", ConfirmationCode=code, Password=STRONG)
    assert cognito.admin_get_user(UserPoolId=pool, Username="kate")["UserStatus"] == "CONFIRMED"
    with pytest.raises(ClientError) as exc:
        cognito.confirm_forgot_password(
            ClientId=client, Username="kate", ConfirmationCode=code, Password=STRONG
        )
    assert code_of(exc) == "ExpiredCodeException"
    with pytest.raises(ClientError) as exc:
        cognito.forgot_password(ClientId=client, Username="nobody")
    assert code_of(exc) == "UserNotFoundException"


def test_forgot_password_needs_a_verified_contact(cognito: Any, email_pool: dict[str, str]) -> None:
    pool, client = email_pool["pool"], email_pool["client"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="leo",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "leo@example.com"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username="leo", Password="Old!Passw0rd", Permanent=True)
    with pytest.raises(ClientError) as exc:
        cognito.forgot_password(ClientId=client, Username="leo")
    assert code_of(exc) == "InvalidParameterException"


def test_admin_reset_user_password(cognito: Any, server: ServerProcess, email_pool: dict[str, str]) -> None:
    pool = email_pool["pool"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="mia",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "mia@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username="mia", Password=STRONG, Permanent=True)
    cognito.admin_reset_user_password(UserPoolId=pool, Username="mia")
    assert cognito.admin_get_user(UserPoolId=pool, Username="mia")["UserStatus"] == "RESET_REQUIRED"
    assert server.messages(pool, "mia")[-1]["purpose"] == "FORGOT_PASSWORD"


def _recovery_pool(cognito: Any, mechanisms: list[dict[str, Any]]) -> tuple[str, str]:
    pool = cognito.create_user_pool(
        PoolName="recovery",
        AutoVerifiedAttributes=["email"],
        AccountRecoverySetting={"RecoveryMechanisms": mechanisms},
    )["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="app")["UserPoolClient"]["ClientId"]
    return pool, client


def _recoverable_user(cognito: Any, pool: str, name: str, *, phone_verified: bool = True) -> None:
    cognito.admin_create_user(
        UserPoolId=pool,
        Username=name,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{name}@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "phone_number", "Value": "+15555550123"},
            {"Name": "phone_number_verified", "Value": "true" if phone_verified else "false"},
        ],
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username=name, Password=STRONG, Permanent=True)


def test_forgot_password_admin_only(cognito: Any, server: ServerProcess) -> None:
    """Issue 15 item A: a pool whose AccountRecoverySetting is admin_only refuses ForgotPassword
    (it used to send a code by the legacy rule)."""
    pool, client = _recovery_pool(cognito, [{"Name": "admin_only", "Priority": 1}])
    try:
        _recoverable_user(cognito, pool, "una")
        with pytest.raises(ClientError) as exc:
            cognito.forgot_password(ClientId=client, Username="una")
        assert code_of(exc) == "NotAuthorizedException"
        assert exc.value.response["Error"]["Message"] == "Contact administrator to reset password."
        assert server.messages(pool, "una") == []
    finally:
        cognito.delete_user_pool(UserPoolId=pool)


@pytest.mark.parametrize("phone_first", [True, False], ids=["phone-priority-1", "email-priority-1"])
def test_forgot_password_follows_recovery_priorities(cognito: Any, phone_first: bool) -> None:
    """Issue 15 item A: the mechanism with Priority 1 decides the medium; one whose attribute
    the user has not verified is skipped for the next."""
    phone = {"Name": "verified_phone_number", "Priority": 1 if phone_first else 2}
    email = {"Name": "verified_email", "Priority": 2 if phone_first else 1}
    pool, client = _recovery_pool(cognito, [email, phone])
    try:
        _recoverable_user(cognito, pool, "vera")
        _recoverable_user(cognito, pool, "walt", phone_verified=False)
        both = cognito.forgot_password(ClientId=client, Username="vera")["CodeDeliveryDetails"]
        mail_only = cognito.forgot_password(ClientId=client, Username="walt")["CodeDeliveryDetails"]
        if phone_first:
            assert both == {
                "Destination": "+*******0123",
                "DeliveryMedium": "SMS",
                "AttributeName": "phone_number",
            }
        else:
            assert both == {"Destination": "v***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
        assert mail_only == {"Destination": "w***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    finally:
        cognito.delete_user_pool(UserPoolId=pool)


def test_forgot_password_skips_the_channel_of_the_users_second_factor(cognito: Any) -> None:
    """Issue 15 item A: under an AccountRecoverySetting, SMS does not qualify for a user with SMS
    MFA on, nor e-mail for one with e-mail MFA on (API reference, AccountRecoverySettingType);
    the next mechanism is used, and with none left the user has no recovery contact."""
    phone = {"Name": "verified_phone_number", "Priority": 1}
    pool, client = _recovery_pool(cognito, [phone, {"Name": "verified_email", "Priority": 2}])
    try:
        cognito.update_user_pool(
            UserPoolId=pool,
            AutoVerifiedAttributes=["email"],
            AccountRecoverySetting={"RecoveryMechanisms": [phone, {"Name": "verified_email", "Priority": 2}]},
            SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"},
        )
        cognito.set_user_pool_mfa_config(
            UserPoolId=pool,
            SmsMfaConfiguration={"SmsAuthenticationMessage": "Code {####}"},
            MfaConfiguration="OPTIONAL",
        )
        _recoverable_user(cognito, pool, "yuri")
        before = cognito.forgot_password(ClientId=client, Username="yuri")["CodeDeliveryDetails"]
        assert before["DeliveryMedium"] == "SMS"
        cognito.admin_set_user_mfa_preference(
            UserPoolId=pool, Username="yuri", SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
        after = cognito.forgot_password(ClientId=client, Username="yuri")["CodeDeliveryDetails"]
        assert after == {"Destination": "y***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    finally:
        cognito.delete_user_pool(UserPoolId=pool)


def test_admin_reset_user_password_needs_a_password_set(cognito: Any, email_pool: dict[str, str]) -> None:
    """Issue 15 item B: a user who never set a password (FORCE_CHANGE_PASSWORD) cannot be
    reset; the status stays (it used to become RESET_REQUIRED)."""
    pool, client = email_pool["pool"], email_pool["client"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="xena",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "xena@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    for call in (
        lambda: cognito.admin_reset_user_password(UserPoolId=pool, Username="xena"),
        lambda: cognito.forgot_password(ClientId=client, Username="xena"),
    ):
        with pytest.raises(ClientError) as exc:
            call()  # type: ignore[no-untyped-call]
        assert code_of(exc) == "NotAuthorizedException"
        assert exc.value.response["Error"]["Message"] == "User password cannot be reset in the current state."
    assert cognito.admin_get_user(UserPoolId=pool, Username="xena")["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_admin_confirm_sign_up(cognito: Any, email_pool: dict[str, str]) -> None:
    pool, client = email_pool["pool"], email_pool["client"]
    cognito.sign_up(
        ClientId=client,
        Username="nina",
        Password=STRONG,
        UserAttributes=[{"Name": "email", "Value": "nina@example.com"}],
    )
    cognito.admin_confirm_sign_up(UserPoolId=pool, Username="nina")
    assert cognito.admin_get_user(UserPoolId=pool, Username="nina")["UserStatus"] == "CONFIRMED"
    with pytest.raises(ClientError) as exc:
        cognito.admin_confirm_sign_up(UserPoolId=pool, Username="nina")
    assert code_of(exc) == "NotAuthorizedException"


def test_email_as_username_pool(cognito: Any, server: ServerProcess) -> None:
    pool = cognito.create_user_pool(
        PoolName="by-email", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"]
    )["UserPool"]["Id"]
    try:
        client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="c")["UserPoolClient"][
            "ClientId"
        ]
        result = cognito.sign_up(ClientId=client, Username="Olga@Example.com", Password=STRONG)
        user = cognito.admin_get_user(UserPoolId=pool, Username="Olga@Example.com")
        assert user["Username"] == result["UserSub"]
        assert attrs(user)["email"] == "Olga@Example.com"
        with pytest.raises(ClientError) as exc:
            cognito.sign_up(ClientId=client, Username="Olga@Example.com", Password=STRONG)
        assert code_of(exc) == "UsernameExistsException"
        assert exc.value.response["Error"]["Message"] == "An account with the given email already exists."
        with pytest.raises(ClientError) as exc:
            cognito.sign_up(ClientId=client, Username="not-an-email", Password=STRONG)
        assert exc.value.response["Error"]["Message"] == "Username should be an email."
        code = server.last_code(pool, result["UserSub"])
        cognito.confirm_sign_up(ClientId=client, Username="Olga@Example.com", ConfirmationCode=code)
    finally:
        cognito.delete_user_pool(UserPoolId=pool)


def test_groups(cognito: Any, email_pool: dict[str, str]) -> None:
    pool = email_pool["pool"]
    group = cognito.create_group(UserPoolId=pool, GroupName="admins", Description="Admins", Precedence=1)[
        "Group"
    ]
    assert group["GroupName"] == "admins" and group["Precedence"] == 1 and group["UserPoolId"] == pool
    with pytest.raises(ClientError) as exc:
        cognito.create_group(UserPoolId=pool, GroupName="admins")
    assert code_of(exc) == "GroupExistsException"
    cognito.create_group(UserPoolId=pool, GroupName="readers")
    updated = cognito.update_group(UserPoolId=pool, GroupName="admins", Description="Root")["Group"]
    assert updated["Description"] == "Root" and updated["Precedence"] == 1
    assert cognito.get_group(UserPoolId=pool, GroupName="admins")["Group"]["Description"] == "Root"
    names = [g["GroupName"] for g in cognito.list_groups(UserPoolId=pool)["Groups"]]
    assert names == ["admins", "readers"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="pat",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "pat@example.com"}],
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="pat", GroupName="admins")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="pat", GroupName="readers")
    mine = cognito.admin_list_groups_for_user(UserPoolId=pool, Username="pat", Limit=1)
    assert [g["GroupName"] for g in mine["Groups"]] == ["admins"] and "NextToken" in mine
    members = cognito.list_users_in_group(UserPoolId=pool, GroupName="admins")["Users"]
    assert [u["Username"] for u in members] == ["pat"]
    cognito.admin_remove_user_from_group(UserPoolId=pool, Username="pat", GroupName="admins")
    assert cognito.list_users_in_group(UserPoolId=pool, GroupName="admins")["Users"] == []
    cognito.delete_group(UserPoolId=pool, GroupName="admins")
    with pytest.raises(ClientError) as exc:
        cognito.get_group(UserPoolId=pool, GroupName="admins")
    assert code_of(exc) == "ResourceNotFoundException"
