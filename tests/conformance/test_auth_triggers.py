"""The sign-in triggers through boto3 against a live server whose Lambda calls go to a recording
fake (``tests.triggers_support.LambdaEndpoint``): PreAuthentication, PostAuthentication,
PreTokenGeneration, UserMigration and the CUSTOM_AUTH trio.

Every recorded event is checked field by field against spec triggers.md (sections 3-6), and
each response field's effect through the API: claims in the verified tokens, a migrated user
signed in, custom challenges won and lost. A last server with a short Lambda deadline shows
that a function that hangs fails its own sign-in only.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conformance.auth_support import AuthPool
from tests.server import ServerProcess, start_server
from tests.triggers_support import LambdaEndpoint, fail, lambda_arn, respond

PASSWORD = "Corr3ct!Horse"
META = {"tenant": "acme"}
TRIGGERS = (
    "PreAuthentication",
    "PostAuthentication",
    "PreTokenGeneration",
    "UserMigration",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
)
FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_CUSTOM_AUTH",
]
LAMBDA_ENV = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}
_tags = itertools.count()


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


@pytest.fixture(scope="module")
def fake() -> Iterator[LambdaEndpoint]:
    with LambdaEndpoint() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def live(fake: LambdaEndpoint, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(
        tmp_path_factory.mktemp("auth-triggers"), env={**LAMBDA_ENV, "AWS_ENDPOINT_URL_LAMBDA": fake.url}
    )
    yield proc
    proc.stop()


class Pool:
    """A pool whose sign-in triggers are functions of the fake named ``<Trigger>-<n>``."""

    def __init__(
        self,
        live: ServerProcess,
        fake: LambdaEndpoint,
        *,
        triggers: tuple[str, ...] = TRIGGERS,
        **client_config: Any,
    ) -> None:
        self.live, self.fake, self.cognito = live, fake, live.client()
        tag = next(_tags)
        self.names = {trigger: f"{trigger}-{tag}" for trigger in triggers}
        self.id = self.cognito.create_user_pool(
            PoolName="auth-triggers", LambdaConfig={t: lambda_arn(n) for t, n in self.names.items()}
        )["UserPool"]["Id"]
        client_config.setdefault("ExplicitAuthFlows", FLOWS)
        self.client_id = self.cognito.create_user_pool_client(
            UserPoolId=self.id, ClientName="app", **client_config
        )["UserPoolClient"]["ClientId"]
        self.auth = AuthPool(live, self.cognito, self.id, self.client_id)

    def set(self, trigger: str, behaviour: Any) -> None:
        self.fake.set(self.names[trigger], behaviour)

    def events(self, trigger: str) -> list[dict[str, Any]]:
        return self.fake.events(self.names[trigger])

    def sources(self) -> list[str]:
        """The triggerSource of every event of this pool, oldest first."""
        mine = set(self.names.values())
        return [i.event["triggerSource"] for i in self.fake.invocations() if i.function in mine]

    def user(self, username: str, **attributes: str) -> str:
        """A CONFIRMED user; returns its sub."""
        attrs = [{"Name": k, "Value": v} for k, v in attributes.items()]
        created = self.cognito.admin_create_user(
            UserPoolId=self.id, Username=username, MessageAction="SUPPRESS", UserAttributes=attrs
        )
        self.cognito.admin_set_user_password(
            UserPoolId=self.id, Username=username, Password=PASSWORD, Permanent=True
        )
        return next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")  # type: ignore[no-any-return]


@pytest.fixture
def pool(live: ServerProcess, fake: LambdaEndpoint) -> Pool:
    return Pool(live, fake)


def _envelope(event: dict[str, Any], pool: Pool, source: str, username: str, *, version: str = "1") -> None:
    assert set(event) == {
        "version",
        "triggerSource",
        "region",
        "userPoolId",
        "userName",
        "callerContext",
        "request",
        "response",
    }
    assert event["version"] == version and event["triggerSource"] == source
    assert event["region"] == "us-east-1" and event["userPoolId"] == pool.id and event["userName"] == username
    caller = event["callerContext"]
    assert caller["clientId"] == pool.client_id and caller["awsSdkVersion"].startswith("boto3-")


def _user_attributes(attributes: dict[str, str], sub: str, **expected: str) -> None:
    assert attributes["sub"] == sub and attributes["cognito:user_status"] == "CONFIRMED"
    for name, value in expected.items():
        assert attributes[name] == value
    assert all(isinstance(value, str) for value in attributes.values())


def test_password_sign_in_events(pool: Pool) -> None:
    sub = pool.user("ann", email="ann@example.com", email_verified="true")
    pool.cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ann", "PASSWORD": PASSWORD},
        ClientMetadata=META,
    )
    assert pool.sources() == [
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
    ]
    pre = pool.events("PreAuthentication")[0]
    _envelope(pre, pool, "PreAuthentication_Authentication", "ann")
    assert set(pre["request"]) == {"userAttributes", "validationData"} and pre["response"] == {}
    _user_attributes(pre["request"]["userAttributes"], sub, email="ann@example.com", email_verified="true")
    assert pre["request"]["validationData"] == META
    post = pool.events("PostAuthentication")[0]
    _envelope(post, pool, "PostAuthentication_Authentication", "ann")
    assert set(post["request"]) == {"userAttributes", "clientMetadata"} and post["response"] == {}
    assert post["request"]["clientMetadata"] == {}  # InitiateAuth's ClientMetadata does not reach it
    token = pool.events("PreTokenGeneration")[0]
    _envelope(token, pool, "TokenGeneration_Authentication", "ann")
    assert set(token["request"]) == {"userAttributes", "groupConfiguration", "clientMetadata"}
    assert token["request"]["groupConfiguration"] == {
        "groupsToOverride": [],
        "iamRolesToOverride": [],
        "preferredRole": None,
    }
    assert token["request"]["clientMetadata"] == {}
    assert token["response"] == {"claimsOverrideDetails": None}


def test_pre_token_generation_changes_the_tokens(pool: Pool) -> None:
    pool.user("bea", email="bea@example.com", given_name="Bea")
    pool.cognito.create_group(UserPoolId=pool.id, GroupName="staff")
    pool.cognito.admin_add_user_to_group(UserPoolId=pool.id, Username="bea", GroupName="staff")
    pool.set(
        "PreTokenGeneration",
        respond(
            claimsOverrideDetails={
                "claimsToAddOrOverride": {
                    "tier": "gold",
                    "given_name": "Beatrix",
                    "email": "spoof@example.com",
                },
                "claimsToSuppress": ["email"],
                "groupOverrideDetails": {
                    "groupsToOverride": ["admins", "ops"],
                    "iamRolesToOverride": [],
                    "preferredRole": None,
                },
            }
        ),
    )
    result = pool.auth.password_auth("bea")["AuthenticationResult"]
    id_claims = pool.auth.decode(result["IdToken"], audience=pool.client_id)
    access = pool.auth.decode(result["AccessToken"])
    assert id_claims["tier"] == "gold" and id_claims["given_name"] == "Beatrix"
    assert "email" not in id_claims  # suppress wins over add
    assert id_claims["cognito:groups"] == ["admins", "ops"] == access["cognito:groups"]
    assert "tier" not in access  # V1 changes the ID token only
    assert pool.events("PreTokenGeneration")[0]["request"]["groupConfiguration"]["groupsToOverride"] == [
        "staff"
    ]


def test_pre_token_generation_v2_changes_the_access_token(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake, triggers=())
    name = f"PreTokenV2-{next(_tags)}"
    pool.cognito.update_user_pool(
        UserPoolId=pool.id,
        LambdaConfig={
            "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": lambda_arn(name)},
        },
    )
    pool.user("vic", email="vic@example.com")
    fake.set(
        name,
        respond(
            claimsAndScopeOverrideDetails={
                "idTokenGeneration": {
                    "claimsToAddOrOverride": {"plan": "pro"},
                    "claimsToSuppress": ["email"],
                },
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"roles": ["reader", "writer"]},
                    "scopesToAdd": ["api/read"],
                    "scopesToSuppress": [],
                },
            }
        ),
    )
    result = pool.auth.password_auth("vic")["AuthenticationResult"]
    id_claims = pool.auth.decode(result["IdToken"], audience=pool.client_id)
    access = pool.auth.decode(result["AccessToken"])
    assert id_claims["plan"] == "pro" and "email" not in id_claims
    assert access["roles"] == ["reader", "writer"] and "roles" not in id_claims
    assert access["scope"].split() == ["aws.cognito.signin.user.admin", "api/read"]
    assert pool.cognito.get_user(AccessToken=result["AccessToken"])["Username"] == "vic"
    event = fake.events(name)[0]
    _envelope(event, pool, "TokenGeneration_Authentication", "vic", version="2")
    assert event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}


def test_refresh_runs_pre_token_generation_only(pool: Pool) -> None:
    pool.user("cal")
    refresh = pool.auth.password_auth("cal")["AuthenticationResult"]["RefreshToken"]
    pool.fake.clear()
    pool.cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh},
        ClientMetadata=META,
    )
    assert pool.sources() == ["TokenGeneration_RefreshTokens"]
    assert pool.events("PreTokenGeneration")[0]["request"]["clientMetadata"] == {}


def test_pre_authentication_error(pool: Pool) -> None:
    pool.user("dan")
    pool.set("PreAuthentication", fail("Not allowed today"))
    with pytest.raises(ClientError) as exc:
        pool.auth.password_auth("dan")
    assert error(exc) == (
        "UserLambdaValidationException",
        "PreAuthentication failed with error Not allowed today.",
    )
    assert pool.sources() == ["PreAuthentication_Authentication"]


def test_admin_flow_migrates_and_routes_client_metadata(pool: Pool) -> None:
    pool.set(
        "UserMigration",
        respond(
            userAttributes={"email": "old@example.com", "email_verified": "true", "name": "Old Timer"},
            finalUserStatus="CONFIRMED",
            messageAction="SUPPRESS",
        ),
    )
    result = pool.cognito.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "oldie", "PASSWORD": "legacy-pass"},
        ClientMetadata=META,
    )
    claims = pool.auth.decode(result["AuthenticationResult"]["IdToken"], audience=pool.client_id)
    assert claims["cognito:username"] == "oldie" and claims["email"] == "old@example.com"
    assert pool.sources() == [
        "UserMigration_Authentication",
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
    ]
    migration = pool.events("UserMigration")[0]
    _envelope(migration, pool, "UserMigration_Authentication", "oldie")
    assert migration["request"] == {"password": "legacy-pass", "validationData": META, "clientMetadata": {}}
    pre = pool.events("PreAuthentication")[0]
    assert pre["request"]["validationData"] == META
    _user_attributes(pre["request"]["userAttributes"], claims["sub"], name="Old Timer")
    assert pool.events("PostAuthentication")[0]["request"]["clientMetadata"] == {}
    assert pool.events("PreTokenGeneration")[0]["request"]["clientMetadata"] == {}
    user = pool.cognito.admin_get_user(UserPoolId=pool.id, Username="oldie")
    assert user["UserStatus"] == "CONFIRMED"
    pool.fake.clear()
    pool.auth.password_auth("oldie", "legacy-pass")  # the migrated password works; no second migration
    assert "UserMigration_Authentication" not in pool.sources()


def _define(event: dict[str, Any]) -> dict[str, Any]:
    """Two correct answers win; any wrong one loses."""
    session = event["request"]["session"]
    if any(not entry["challengeResult"] for entry in session):
        decision: dict[str, Any] = {"failAuthentication": True, "issueTokens": False}
    elif len(session) >= 2:
        decision = {"issueTokens": True, "failAuthentication": False}
    else:
        decision = {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False}
    return {**event, "response": decision}


def _create(event: dict[str, Any]) -> dict[str, Any]:
    n = len(event["request"]["session"]) + 1
    return {
        **event,
        "response": {
            "publicChallengeParameters": {"question": f"what is {n}+{n}?"},
            "privateChallengeParameters": {"answer": str(2 * n)},
            "challengeMetadata": f"ROUND-{n}",
        },
    }


def _verify(event: dict[str, Any]) -> dict[str, Any]:
    request = event["request"]
    return {
        **event,
        "response": {
            "answerCorrect": request["challengeAnswer"] == request["privateChallengeParameters"]["answer"],
        },
    }


@pytest.fixture
def game(pool: Pool) -> Pool:
    pool.set("DefineAuthChallenge", _define)
    pool.set("CreateAuthChallenge", _create)
    pool.set("VerifyAuthChallengeResponse", _verify)
    return pool


def _answer(pool: Pool, session: str, answer: str) -> dict[str, Any]:
    result: dict[str, Any] = pool.cognito.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=session,
        ChallengeResponses={"USERNAME": "eve", "ANSWER": answer},
        ClientMetadata={"round": "answer"},
    )
    return result


def test_custom_challenge_won_in_two_rounds(game: Pool) -> None:
    sub = game.user("eve")
    first = game.cognito.initiate_auth(
        ClientId=game.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": "eve"},
        ClientMetadata=META,
    )
    assert first["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert first["ChallengeParameters"] == {"question": "what is 1+1?", "USERNAME": "eve"}
    second = _answer(game, first["Session"], "2")
    assert second["ChallengeName"] == "CUSTOM_CHALLENGE" and second["Session"] != first["Session"]
    assert second["ChallengeParameters"] == {"question": "what is 2+2?", "USERNAME": "eve"}
    result = _answer(game, second["Session"], "4")["AuthenticationResult"]
    assert game.auth.decode(result["IdToken"], audience=game.client_id)["sub"] == sub
    assert game.sources() == [
        "DefineAuthChallenge_Authentication",
        "CreateAuthChallenge_Authentication",
        "VerifyAuthChallengeResponse_Authentication",
        "DefineAuthChallenge_Authentication",
        "CreateAuthChallenge_Authentication",
        "VerifyAuthChallengeResponse_Authentication",
        "DefineAuthChallenge_Authentication",
        "PostAuthentication_Authentication",
        "TokenGeneration_Authentication",
    ]
    defines = game.events("DefineAuthChallenge")
    _envelope(defines[0], game, "DefineAuthChallenge_Authentication", "eve")
    assert set(defines[0]["request"]) == {"userAttributes", "session", "clientMetadata", "userNotFound"}
    assert defines[0]["request"]["session"] == [] and defines[0]["request"]["clientMetadata"] == {}
    assert defines[0]["request"]["userNotFound"] is False
    _user_attributes(defines[0]["request"]["userAttributes"], sub)
    assert defines[2]["request"]["session"] == [
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": "ROUND-1"},
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": "ROUND-2"},
    ]
    assert defines[2]["request"]["clientMetadata"] == {"round": "answer"}
    creates = game.events("CreateAuthChallenge")
    _envelope(creates[0], game, "CreateAuthChallenge_Authentication", "eve")
    assert creates[0]["request"]["challengeName"] == "CUSTOM_CHALLENGE"
    assert creates[0]["request"]["clientMetadata"] == {} and creates[0]["request"]["userNotFound"] is False
    assert creates[1]["request"]["clientMetadata"] == {"round": "answer"}
    verifies = game.events("VerifyAuthChallengeResponse")
    _envelope(verifies[0], game, "VerifyAuthChallengeResponse_Authentication", "eve")
    assert set(verifies[0]["request"]) == {
        "userAttributes",
        "privateChallengeParameters",
        "challengeAnswer",
        "clientMetadata",
        "userNotFound",
    }
    assert verifies[0]["request"]["privateChallengeParameters"] == {"answer": "2"}
    assert verifies[0]["request"]["challengeAnswer"] == "2"
    assert verifies[0]["request"]["clientMetadata"] == {"round": "answer"}
    assert game.events("PostAuthentication")[0]["request"]["clientMetadata"] == {"round": "answer"}
    assert game.events("PreTokenGeneration")[0]["request"]["clientMetadata"] == {"round": "answer"}


def test_custom_challenge_lost_and_spent_session(game: Pool) -> None:
    game.user("eve")
    first = game.cognito.initiate_auth(
        ClientId=game.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "eve"}
    )
    with pytest.raises(ClientError) as exc:
        _answer(game, first["Session"], "3")
    assert error(exc) == ("NotAuthorizedException", "Incorrect username or password.")
    assert game.events("DefineAuthChallenge")[-1]["request"]["session"] == [
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": "ROUND-1"},
    ]
    verified = len(game.events("VerifyAuthChallengeResponse"))
    with pytest.raises(ClientError) as exc:
        _answer(game, first["Session"], "2")
    assert error(exc) == ("NotAuthorizedException", "Invalid session for the user.")
    assert len(game.events("VerifyAuthChallengeResponse")) == verified


def test_custom_auth_needs_all_three_triggers(live: ServerProcess, fake: LambdaEndpoint) -> None:
    pool = Pool(live, fake, triggers=("DefineAuthChallenge", "CreateAuthChallenge"))
    pool.user("fay")
    with pytest.raises(ClientError) as exc:
        pool.cognito.initiate_auth(
            ClientId=pool.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "fay"}
        )
    assert error(exc) == (
        "InvalidParameterException",
        "Custom auth lambda trigger is not configured for the user pool.",
    )
    assert pool.sources() == []


def test_a_hanging_trigger_fails_only_its_own_sign_in(tmp_path_factory: pytest.TempPathFactory) -> None:
    with LambdaEndpoint() as fake:
        env = {**LAMBDA_ENV, "AWS_ENDPOINT_URL_LAMBDA": fake.url, "POOLGATE_LAMBDA_TIMEOUT_SECONDS": "0.5"}
        live = start_server(tmp_path_factory.mktemp("auth-trigger-timeout"), env=env)
        try:
            slow = Pool(live, fake, triggers=("PreAuthentication",))
            plain = Pool(live, fake, triggers=())
            slow.user("sid")
            plain.user("pam")
            slow.set("PreAuthentication", "sleep:3")
            outcome: list[Any] = []

            def sign_in() -> None:
                try:
                    outcome.append(slow.auth.password_auth("sid"))
                except ClientError as exc:
                    outcome.append(exc)

            worker = threading.Thread(target=sign_in)
            worker.start()
            deadline = time.monotonic() + 10
            while not slow.events("PreAuthentication") and time.monotonic() < deadline:
                time.sleep(0.01)
            assert slow.events("PreAuthentication"), "the slow trigger was never called"
            # While the function hangs, the same server signs in users of another pool.
            for _ in range(3):
                assert "AccessToken" in plain.auth.password_auth("pam")["AuthenticationResult"]
            worker.join(30)
            assert not worker.is_alive() and len(outcome) == 1
            failure = outcome[0]
            assert isinstance(failure, ClientError)
            assert failure.response["Error"]["Code"] == "UnexpectedLambdaException"
            assert failure.response["Error"]["Message"] == (
                "PreAuthentication invocation failed due to error Socket timeout while invoking Lambda function."
            )
            assert len(slow.events("PreAuthentication")) == 3  # Cognito's three attempts
        finally:
            live.stop()
