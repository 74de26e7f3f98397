"""Sign-in through boto3 and pycognito: every flow, the tokens, and the failure messages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from pycognito import Cognito
from tests.conformance.auth_support import PASSWORD, AuthPool, make_pool
from tests.server import ServerProcess

from poolgate.pools.secret_hash import compute_secret_hash


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


@pytest.fixture
def ap(server: ServerProcess) -> Iterator[AuthPool]:
    pool = make_pool(server)
    yield pool
    pool.cognito.delete_user_pool(UserPoolId=pool.pool_id)


def test_user_password_auth_tokens_and_claims(ap: AuthPool) -> None:
    ap.user("alice", email="alice@example.com", email_verified="true", given_name="Alice")
    ap.cognito.create_group(UserPoolId=ap.pool_id, GroupName="admins", Precedence=1)
    ap.cognito.admin_add_user_to_group(UserPoolId=ap.pool_id, Username="alice", GroupName="admins")
    before = int(time.time()) - 5
    result = ap.password_auth("alice")["AuthenticationResult"]
    assert result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600
    sub = ap.cognito.admin_get_user(UserPoolId=ap.pool_id, Username="alice")["UserAttributes"]
    sub = next(a["Value"] for a in sub if a["Name"] == "sub")

    id_claims = ap.decode(result["IdToken"], audience=ap.client_id)
    assert id_claims["sub"] == sub
    assert id_claims["aud"] == ap.client_id
    assert id_claims["token_use"] == "id"
    assert id_claims["cognito:username"] == "alice"
    assert id_claims["cognito:groups"] == ["admins"]
    assert id_claims["email"] == "alice@example.com"
    assert id_claims["email_verified"] is True
    assert id_claims["given_name"] == "Alice"
    assert id_claims["auth_time"] >= before and id_claims["iat"] >= before
    assert id_claims["exp"] == id_claims["iat"] + 3600
    assert id_claims["jti"] and id_claims["origin_jti"] and id_claims["event_id"]

    access = ap.decode(result["AccessToken"])
    assert access["token_use"] == "access"
    assert access["client_id"] == ap.client_id and "aud" not in access
    assert access["username"] == "alice" and access["sub"] == sub
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert access["origin_jti"] == id_claims["origin_jti"]
    assert access["jti"] != id_claims["jti"]
    assert "email" not in access
    from jwt import get_unverified_header

    assert (
        get_unverified_header(result["IdToken"])["kid"] != get_unverified_header(result["AccessToken"])["kid"]
    )
    assert len(ap.jwks()["keys"]) >= 2


def test_openid_configuration(ap: AuthPool) -> None:
    import httpx

    doc = httpx.get(f"{ap.server.url}/{ap.pool_id}/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{ap.server.url}/{ap.pool_id}"
    assert doc["jwks_uri"] == f"{ap.server.url}/{ap.pool_id}/.well-known/jwks.json"
    assert "authorization_endpoint" not in doc
    assert httpx.get(f"{ap.server.url}/us-east-1_NoSuchPoo/.well-known/jwks.json").status_code == 404


def test_admin_flows(ap: AuthPool) -> None:
    ap.user("bob")
    admin = ap.cognito.admin_initiate_auth(
        UserPoolId=ap.pool_id,
        ClientId=ap.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
    )
    assert "AccessToken" in admin["AuthenticationResult"]
    legacy = ap.client(ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"])
    result = ap.cognito.admin_initiate_auth(
        UserPoolId=ap.pool_id,
        ClientId=legacy,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
    )
    assert "IdToken" in result["AuthenticationResult"]
    with pytest.raises(ClientError) as exc:
        ap.cognito.admin_initiate_auth(
            UserPoolId=ap.pool_id,
            ClientId=ap.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
        )
    assert error(exc) == ("InvalidParameterException", "Initiate Auth method not supported.")
    with pytest.raises(ClientError) as exc:
        ap.cognito.initiate_auth(
            ClientId=ap.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
        )
    assert error(exc) == ("InvalidParameterException", "Initiate Auth method not supported.")


def test_flow_not_enabled(ap: AuthPool) -> None:
    ap.user("carl")
    srp_only = ap.client(ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(ClientError) as exc:
        ap.password_auth("carl", client_id=srp_only)
    assert error(exc) == ("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
    with pytest.raises(ClientError) as exc:
        ap.cognito.initiate_auth(
            ClientId=ap.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "carl"}
        )
    assert error(exc)[0] == "InvalidParameterException"


def test_wrong_password_unknown_user_and_existence_hiding(ap: AuthPool) -> None:
    ap.user("dora")
    with pytest.raises(ClientError) as exc:
        ap.password_auth("dora", "Wr0ng!Password")
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")
    with pytest.raises(ClientError) as exc:
        ap.password_auth("nobody")
    assert error(exc) == ("UserNotFoundException", "User does not exist.")
    hiding = ap.client(PreventUserExistenceErrors="ENABLED")
    with pytest.raises(ClientError) as exc:
        ap.password_auth("nobody", client_id=hiding)
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_user_states(ap: AuthPool, server: ServerProcess) -> None:
    ap.cognito.sign_up(ClientId=ap.client_id, Username="erin", Password=PASSWORD)
    with pytest.raises(ClientError) as exc:
        ap.password_auth("erin", "Wr0ng!Password")
    assert error(exc) == ("UserNotConfirmedException", "User is not confirmed.")
    ap.user("fred")
    ap.cognito.admin_disable_user(UserPoolId=ap.pool_id, Username="fred")
    with pytest.raises(ClientError) as exc:
        ap.password_auth("fred")
    assert error(exc) == ("NotAuthorizedException", "User is disabled.")
    ap.cognito.admin_enable_user(UserPoolId=ap.pool_id, Username="fred")
    ap.cognito.admin_reset_user_password(UserPoolId=ap.pool_id, Username="fred")
    with pytest.raises(ClientError) as exc:
        ap.password_auth("fred")
    assert error(exc) == ("PasswordResetRequiredException", "Password reset required for the user")


def test_new_password_required(ap: AuthPool) -> None:
    ap.cognito.admin_create_user(
        UserPoolId=ap.pool_id,
        Username="gail",
        TemporaryPassword="Temp0rary!x",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "g@example.com"}],
    )
    first = ap.password_auth("gail", "Temp0rary!x")
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert len(first["Session"]) >= 20
    params = first["ChallengeParameters"]
    assert params["USER_ID_FOR_SRP"] == "gail"
    assert "userAttributes" in params and "requiredAttributes" in params
    with pytest.raises(ClientError) as exc:
        ap.cognito.respond_to_auth_challenge(
            ClientId=ap.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=first["Session"],
            ChallengeResponses={"USERNAME": "gail", "NEW_PASSWORD": "weak"},
        )
    assert error(exc)[0] == "InvalidPasswordException"
    done = ap.cognito.respond_to_auth_challenge(
        ClientId=ap.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first["Session"],
        ChallengeResponses={
            "USERNAME": "gail",
            "NEW_PASSWORD": "N3w!Password",
            "userAttributes.given_name": "Gail",
        },
    )
    assert "AccessToken" in done["AuthenticationResult"]
    user = ap.cognito.admin_get_user(UserPoolId=ap.pool_id, Username="gail")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "given_name", "Value": "Gail"} in user["UserAttributes"]
    assert "AuthenticationResult" in ap.password_auth("gail", "N3w!Password")
    with pytest.raises(ClientError) as exc:
        ap.cognito.respond_to_auth_challenge(
            ClientId=ap.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=first["Session"],
            ChallengeResponses={"USERNAME": "gail", "NEW_PASSWORD": "N3w!Password2"},
        )
    assert error(exc)[0] == "NotAuthorizedException"


def test_refresh_and_global_sign_out(ap: AuthPool) -> None:
    ap.user("hugo")
    first = ap.password_auth("hugo")["AuthenticationResult"]
    refreshed = ap.cognito.initiate_auth(
        ClientId=ap.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    assert "RefreshToken" not in refreshed
    old, new = (
        ap.decode(first["IdToken"], audience=ap.client_id),
        ap.decode(refreshed["IdToken"], audience=ap.client_id),
    )
    assert new["origin_jti"] == old["origin_jti"] and new["auth_time"] == old["auth_time"]
    assert new["jti"] != old["jti"]
    again = ap.cognito.admin_initiate_auth(
        UserPoolId=ap.pool_id,
        ClientId=ap.client_id,
        AuthFlow="REFRESH_TOKEN",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )
    assert "AccessToken" in again["AuthenticationResult"]
    assert ap.cognito.get_user(AccessToken=refreshed["AccessToken"])["Username"] == "hugo"
    ap.cognito.global_sign_out(AccessToken=refreshed["AccessToken"])
    with pytest.raises(ClientError) as exc:
        ap.cognito.get_user(AccessToken=refreshed["AccessToken"])
    assert error(exc) == ("NotAuthorizedException", "Access Token has been revoked")
    with pytest.raises(ClientError) as exc:
        ap.cognito.initiate_auth(
            ClientId=ap.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
        )
    assert error(exc)[0] == "NotAuthorizedException"
    fresh = ap.password_auth("hugo")["AuthenticationResult"]
    assert ap.cognito.get_user(AccessToken=fresh["AccessToken"])["Username"] == "hugo"


def test_revoke_token_and_admin_sign_out(ap: AuthPool) -> None:
    ap.user("ines")
    one = ap.password_auth("ines")["AuthenticationResult"]
    two = ap.password_auth("ines")["AuthenticationResult"]
    ap.cognito.revoke_token(ClientId=ap.client_id, Token=one["RefreshToken"])
    with pytest.raises(ClientError) as exc:
        ap.cognito.get_user(AccessToken=one["AccessToken"])
    assert error(exc) == ("NotAuthorizedException", "Access Token has been revoked")
    assert ap.cognito.get_user(AccessToken=two["AccessToken"])["Username"] == "ines"
    ap.cognito.admin_user_global_sign_out(UserPoolId=ap.pool_id, Username="ines")
    with pytest.raises(ClientError):
        ap.cognito.get_user(AccessToken=two["AccessToken"])


def test_get_tokens_from_refresh_token_with_rotation(ap: AuthPool) -> None:
    ap.user("jack")
    rotating = ap.client(
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"],
    )
    with pytest.raises(ClientError) as exc:
        ap.cognito.initiate_auth(
            ClientId=rotating, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": "x" * 40}
        )
    assert error(exc) == ("InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
    first = ap.password_auth("jack", client_id=rotating)["AuthenticationResult"]
    rotated = ap.cognito.get_tokens_from_refresh_token(ClientId=rotating, RefreshToken=first["RefreshToken"])
    new_refresh = rotated["AuthenticationResult"]["RefreshToken"]
    assert new_refresh != first["RefreshToken"]
    with pytest.raises(ClientError) as exc:
        ap.cognito.get_tokens_from_refresh_token(ClientId=rotating, RefreshToken=first["RefreshToken"])
    assert error(exc)[0] == "RefreshTokenReuseException"
    plain = ap.password_auth("jack")["AuthenticationResult"]
    result = ap.cognito.get_tokens_from_refresh_token(
        ClientId=ap.client_id, RefreshToken=plain["RefreshToken"]
    )
    assert "AccessToken" in result["AuthenticationResult"]


def test_disable_reset_enable_leaves_the_old_tokens_revoked(ap: AuthPool) -> None:
    """Finding 5: AdminDisableUser "revokes all access tokens for the user" [API reference];
    Poolgate revokes the refresh tokens too, so the incident response disable, reset, enable
    leaves every token issued before it dead: access tokens on GetUser, refresh tokens on
    InitiateAuth, AdminInitiateAuth and GetTokensFromRefreshToken, on a plain client, a
    rotating one and one without token revocation (its tokens carry no origin_jti)."""
    ap.user("nora")
    rotating = ap.client(
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )
    untracked = ap.client(EnableTokenRevocation=False)
    plain = ap.password_auth("nora")["AuthenticationResult"]
    admin = ap.cognito.admin_initiate_auth(
        UserPoolId=ap.pool_id,
        ClientId=ap.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "nora", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    rotated = ap.cognito.get_tokens_from_refresh_token(
        ClientId=rotating,
        RefreshToken=ap.password_auth("nora", client_id=rotating)["AuthenticationResult"]["RefreshToken"],
    )["AuthenticationResult"]
    bare = ap.password_auth("nora", client_id=untracked)["AuthenticationResult"]
    assert "origin_jti" not in ap.decode(bare["AccessToken"])
    accesses = [plain["AccessToken"], admin["AccessToken"], rotated["AccessToken"], bare["AccessToken"]]
    for access in accesses:
        ap.cognito.get_user(AccessToken=access)

    ap.cognito.admin_disable_user(UserPoolId=ap.pool_id, Username="nora")
    ap.cognito.admin_set_user_password(
        UserPoolId=ap.pool_id, Username="nora", Password="N3w!Passw0rd", Permanent=True
    )
    ap.cognito.admin_enable_user(UserPoolId=ap.pool_id, Username="nora")

    for access in accesses:
        with pytest.raises(ClientError) as exc:
            ap.cognito.get_user(AccessToken=access)
        assert error(exc) == ("NotAuthorizedException", "Access Token has been revoked")
    revoked = ("NotAuthorizedException", "Refresh Token has been revoked")
    for client_id, refresh in (
        (ap.client_id, plain["RefreshToken"]),
        (ap.client_id, admin["RefreshToken"]),
        (untracked, bare["RefreshToken"]),
    ):
        with pytest.raises(ClientError) as exc:
            ap.cognito.initiate_auth(
                ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": refresh}
            )
        assert error(exc) == revoked
        with pytest.raises(ClientError) as exc:
            ap.cognito.admin_initiate_auth(
                UserPoolId=ap.pool_id,
                ClientId=client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh},
            )
        assert error(exc) == revoked
        with pytest.raises(ClientError) as exc:
            ap.cognito.get_tokens_from_refresh_token(ClientId=client_id, RefreshToken=refresh)
        assert error(exc) == revoked
    with pytest.raises(ClientError) as exc:
        ap.cognito.get_tokens_from_refresh_token(ClientId=rotating, RefreshToken=rotated["RefreshToken"])
    assert error(exc) == revoked
    # RevokeToken on a token that is already revoked succeeds, as for any revoked token.
    ap.cognito.revoke_token(ClientId=ap.client_id, Token=plain["RefreshToken"])
    # The user signs in again with the new password; those tokens work.
    fresh = ap.password_auth("nora", "N3w!Passw0rd")["AuthenticationResult"]
    assert ap.cognito.get_user(AccessToken=fresh["AccessToken"])["Username"] == "nora"
    ap.cognito.initiate_auth(
        ClientId=ap.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": fresh["RefreshToken"]},
    )


def test_a_challenge_answered_after_disable_and_enable_gives_no_working_tokens(data_dir: Any) -> None:
    """Finding 5: a sign-in that proved the password before AdminDisableUser and answers its MFA
    challenge after AdminSetUserPassword and AdminEnableUser gets tokens, but they are dated
    from the old password and refused like the rest of that user's old tokens. The test moves
    the clock, so it has a server of its own (the shared one's tokens would be dated ahead)."""
    from tests.server import start_server

    server = start_server(data_dir)
    ap = make_pool(
        server, SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"}
    )
    try:
        ap.cognito.set_user_pool_mfa_config(
            UserPoolId=ap.pool_id,
            SmsMfaConfiguration={"SmsAuthenticationMessage": "Code {####}"},
            MfaConfiguration="ON",
        )
        ap.user("olga", phone_number="+15555550188")
        challenge = ap.password_auth("olga")
        assert challenge["ChallengeName"] == "SMS_MFA"
        ap.server.advance_clock(5)
        ap.cognito.admin_disable_user(UserPoolId=ap.pool_id, Username="olga")
        ap.cognito.admin_set_user_password(
            UserPoolId=ap.pool_id, Username="olga", Password="N3w!Passw0rd", Permanent=True
        )
        ap.cognito.admin_enable_user(UserPoolId=ap.pool_id, Username="olga")
        late = ap.cognito.respond_to_auth_challenge(
            ClientId=ap.client_id,
            ChallengeName="SMS_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "olga", "SMS_MFA_CODE": ap.server.last_code(ap.pool_id, "olga")},
        )["AuthenticationResult"]
        with pytest.raises(ClientError) as exc:
            ap.cognito.get_user(AccessToken=late["AccessToken"])
        assert error(exc) == ("NotAuthorizedException", "Access Token has been revoked")
        with pytest.raises(ClientError) as exc:
            ap.cognito.initiate_auth(
                ClientId=ap.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": late["RefreshToken"]},
            )
        assert error(exc) == ("NotAuthorizedException", "Refresh Token has been revoked")
    finally:
        server.stop()


def test_access_token_errors(ap: AuthPool) -> None:
    ap.user("kim")
    tokens = ap.password_auth("kim")["AuthenticationResult"]
    with pytest.raises(ClientError) as exc:
        ap.cognito.get_user(AccessToken=tokens["IdToken"])
    assert error(exc) == ("NotAuthorizedException", "Invalid Access Token")
    with pytest.raises(ClientError) as exc:
        ap.cognito.get_user(AccessToken="not.a.token")
    assert error(exc) == ("NotAuthorizedException", "Invalid Access Token")


def test_self_service_operations(ap: AuthPool) -> None:
    ap.cognito.update_user_pool(UserPoolId=ap.pool_id, AutoVerifiedAttributes=["email"])
    ap.user("lena", email="lena@example.com", email_verified="true")
    token = ap.password_auth("lena")["AuthenticationResult"]["AccessToken"]
    me = ap.cognito.get_user(AccessToken=token)
    assert me["Username"] == "lena"
    with pytest.raises(ClientError) as exc:
        ap.cognito.change_password(
            AccessToken=token, PreviousPassword="Wr0ng!Password", ProposedPassword="An0ther!Pass"
        )
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")
    ap.cognito.change_password(AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword="An0ther!Pass")
    token = ap.password_auth("lena", "An0ther!Pass")["AuthenticationResult"]["AccessToken"]
    sent = ap.cognito.update_user_attributes(
        AccessToken=token,
        UserAttributes=[
            {"Name": "email", "Value": "lena2@example.com"},
            {"Name": "family_name", "Value": "Larsen"},
        ],
    )
    assert sent["CodeDeliveryDetailsList"][0]["AttributeName"] == "email"
    code = ap.server.last_code(ap.pool_id, "lena")
    with pytest.raises(ClientError) as exc:
        ap.cognito.verify_user_attribute(
            AccessToken=token, AttributeName="email", Code="000000" if code != "000000" else "111111"
        )
    assert error(exc)[0] == "CodeMismatchException"
    ap.cognito.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    attrs = {a["Name"]: a["Value"] for a in ap.cognito.get_user(AccessToken=token)["UserAttributes"]}
    assert attrs["email"] == "lena2@example.com" and attrs["email_verified"] == "true"
    ap.cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    ap.cognito.delete_user_attributes(AccessToken=token, UserAttributeNames=["family_name"])
    assert "family_name" not in {a["Name"] for a in ap.cognito.get_user(AccessToken=token)["UserAttributes"]}
    ap.cognito.delete_user(AccessToken=token)
    with pytest.raises(ClientError) as exc:
        ap.cognito.admin_get_user(UserPoolId=ap.pool_id, Username="lena")
    assert error(exc)[0] == "UserNotFoundException"


def test_secret_hash_on_sign_in(ap: AuthPool) -> None:
    ap.user("mona")
    app = ap.cognito.create_user_pool_client(
        UserPoolId=ap.pool_id,
        ClientName="s",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    cid, secret = app["UserPoolClient"]["ClientId"], app["UserPoolClient"]["ClientSecret"]
    with pytest.raises(ClientError) as exc:
        ap.password_auth("mona", client_id=cid)
    assert error(exc) == (
        "NotAuthorizedException",
        f"Client {cid} is configured with secret but SECRET_HASH was not received",
    )
    with pytest.raises(ClientError) as exc:
        ap.cognito.initiate_auth(
            ClientId=cid,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": "mona",
                "PASSWORD": PASSWORD,
                "SECRET_HASH": compute_secret_hash(secret, "other", cid),
            },
        )
    assert error(exc) == ("NotAuthorizedException", f"Unable to verify secret hash for client {cid}")
    good = ap.cognito.initiate_auth(
        ClientId=cid,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": "mona",
            "PASSWORD": PASSWORD,
            "SECRET_HASH": compute_secret_hash(secret, "mona", cid),
        },
    )
    refresh = good["AuthenticationResult"]["RefreshToken"]
    again = ap.cognito.initiate_auth(
        ClientId=cid,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh, "SECRET_HASH": compute_secret_hash(secret, "mona", cid)},
    )
    assert "AccessToken" in again["AuthenticationResult"]


def test_sign_in_by_alias_and_case(server: ServerProcess) -> None:
    ap = make_pool(server, AliasAttributes=["email"], UsernameConfiguration={"CaseSensitive": False})
    try:
        ap.user("Nora", email="nora@example.com", email_verified="true")
        assert "AuthenticationResult" in ap.password_auth("nora@example.com")
        assert "AuthenticationResult" in ap.password_auth("NORA")
        ap.user("otto", email="otto@example.com")
        with pytest.raises(ClientError):
            ap.password_auth("otto@example.com")  # unverified e-mail is no alias
    finally:
        ap.cognito.delete_user_pool(UserPoolId=ap.pool_id)


def _pycognito(ap: AuthPool, username: str, client_id: str | None = None) -> Cognito:
    """pycognito's own client, pointed at the server the way its users do it."""
    return Cognito(
        ap.pool_id,
        client_id or ap.client_id,
        username=username,
        access_key="x",
        secret_key="y",
        botocore_config=Config(retries={"max_attempts": 1}),
        boto3_client_kwargs={"endpoint_url": ap.server.url, "region_name": "us-east-1"},
    )


def test_pycognito_srp(ap: AuthPool) -> None:
    ap.user("pia", email="pia@example.com")
    user = _pycognito(ap, "pia")
    user.authenticate(password=PASSWORD)
    claims = ap.decode(user.id_token, audience=ap.client_id)
    assert claims["cognito:username"] == "pia"
    wrong = _pycognito(ap, "pia")
    with pytest.raises(ClientError) as exc:
        wrong.authenticate(password="Wr0ng!Password")
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_srp_unknown_user_with_hidden_existence(ap: AuthPool) -> None:
    hiding = ap.client(PreventUserExistenceErrors="ENABLED")
    user = _pycognito(ap, "ghost", hiding)
    with pytest.raises(ClientError) as exc:
        user.authenticate(password=PASSWORD)
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")


def test_lockout_schedule(data_dir: Any) -> None:
    from tests.server import start_server

    server = start_server(data_dir)
    try:
        ap = make_pool(server)
        ap.user("quinn")
        for _ in range(5):
            with pytest.raises(ClientError) as exc:
                ap.password_auth("quinn", "Wr0ng!Password")
            assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")
        with pytest.raises(ClientError) as exc:
            ap.password_auth("quinn")
        assert error(exc) == ("NotAuthorizedException", "Password attempts exceeded")
        server.advance_clock(2)
        assert "AuthenticationResult" in ap.password_auth("quinn")
    finally:
        server.stop()


def test_temporary_password_expires(data_dir: Any) -> None:
    from tests.server import start_server

    server = start_server(data_dir)
    try:
        ap = make_pool(server)
        ap.cognito.admin_create_user(
            UserPoolId=ap.pool_id, Username="rosa", TemporaryPassword="Temp0rary!x", MessageAction="SUPPRESS"
        )
        server.advance_clock(8 * 86400)
        with pytest.raises(ClientError) as exc:
            ap.password_auth("rosa", "Temp0rary!x")
        assert error(exc) == (
            "NotAuthorizedException",
            "User account has expired, it must be reset by an administrator.",
        )
    finally:
        server.stop()


def test_custom_auth_without_triggers(ap: AuthPool) -> None:
    ap.user("sven")
    custom = ap.client(ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(ClientError) as exc:
        ap.cognito.initiate_auth(ClientId=custom, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "sven"})
    assert error(exc) == (
        "InvalidParameterException",
        "Custom auth lambda trigger is not configured for the user pool.",
    )


def test_signing_key_rotation(data_dir: Any) -> None:
    import os
    import subprocess
    import sys

    from tests.server import start_server

    public = {"POOLGATE_PUBLIC_URL": "http://auth.example"}  # the issuer must survive the restart
    server = start_server(data_dir, env=public)
    ap = make_pool(server)
    ap.public_url = "http://auth.example"
    ap.user("tara")
    old = ap.password_auth("tara")["AuthenticationResult"]
    old_kids = {k["kid"] for k in ap.jwks()["keys"]}
    server.stop()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POOLGATE_")}
    rotated = subprocess.run(
        [sys.executable, "-m", "poolgate", "keys", "rotate", "--pool", ap.pool_id, "--data", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert rotated.returncode == 0, rotated.stderr
    server = start_server(data_dir, env=public)
    try:
        ap = AuthPool(server, server.client(), ap.pool_id, ap.client_id, "http://auth.example")
        kids = {k["kid"] for k in ap.jwks()["keys"]}
        assert old_kids < kids and len(kids) == 4
        assert ap.decode(old["IdToken"], audience=ap.client_id)["cognito:username"] == "tara"
        new = ap.password_auth("tara")["AuthenticationResult"]
        from jwt import get_unverified_header

        assert get_unverified_header(new["IdToken"])["kid"] not in old_kids
        assert ap.cognito.get_user(AccessToken=old["AccessToken"])["Username"] == "tara"
    finally:
        server.stop()
