"""Threat protection against a live server: risk configuration, compromised credentials,
the auth event history and its feedback, analytics events, and risk in the sign-in path
(ratings, BLOCK, forced MFA and MFA set-up, AUDIT, propagated UserContextData), notification
e-mails, SignUp events, sign-up and refresh analytics, CUSTOM_AUTH ratings and the purge of old
events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from pycognito import aws_srp
from tests.conformance import threat_lambdas
from tests.conformance.auth_support import PASSWORD, AuthPool, make_pool
from tests.server import ServerProcess, start_server

BREACHED = "Password1"  # "password1" is on zxcvbn's list, and the list is case-folded
RELAXED_POLICY = {"PasswordPolicy": {"MinimumLength": 8}}
NO_RISK_ACTIONS = {
    "LowAction": {"Notify": False, "EventAction": "NO_ACTION"},
    "MediumAction": {"Notify": False, "EventAction": "NO_ACTION"},
    "HighAction": {"Notify": False, "EventAction": "NO_ACTION"},
}


def _pool(server: ServerProcess, mode: str) -> AuthPool:
    return make_pool(server, Policies=RELAXED_POLICY, UserPoolAddOns={"AdvancedSecurityMode": mode})


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = exc.value.response["Error"]
    return err["Code"], err["Message"]


def _block_compromised(pool: AuthPool) -> None:
    pool.cognito.set_risk_configuration(
        UserPoolId=pool.pool_id,
        CompromisedCredentialsRiskConfiguration={"Actions": {"EventAction": "BLOCK"}},
    )


def test_risk_configuration_round_trip_pool_and_client(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    cognito = pool.cognito
    takeover = {"Actions": {**NO_RISK_ACTIONS, "HighAction": {"Notify": False, "EventAction": "BLOCK"}}}
    exceptions = {"BlockedIPRangeList": ["192.0.2.0/24"], "SkippedIPRangeList": ["10.0.0.0/8"]}
    stored = cognito.set_risk_configuration(
        UserPoolId=pool.pool_id,
        AccountTakeoverRiskConfiguration=takeover,
        RiskExceptionConfiguration=exceptions,
    )["RiskConfiguration"]
    assert stored["AccountTakeoverRiskConfiguration"] == takeover
    described = cognito.describe_risk_configuration(UserPoolId=pool.pool_id)["RiskConfiguration"]
    assert described["RiskExceptionConfiguration"] == exceptions
    assert "ClientId" not in described and "LastModifiedDate" in described
    # A client without its own configuration answers the pool's; with one, its own.
    inherited = cognito.describe_risk_configuration(UserPoolId=pool.pool_id, ClientId=pool.client_id)
    assert inherited["RiskConfiguration"]["RiskExceptionConfiguration"] == exceptions
    cognito.set_risk_configuration(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_id,
        CompromisedCredentialsRiskConfiguration={
            "EventFilter": ["SIGN_UP"],
            "Actions": {"EventAction": "BLOCK"},
        },
    )
    own = cognito.describe_risk_configuration(UserPoolId=pool.pool_id, ClientId=pool.client_id)[
        "RiskConfiguration"
    ]
    assert own["ClientId"] == pool.client_id
    assert "RiskExceptionConfiguration" not in own
    with pytest.raises(ClientError) as exc:
        cognito.set_risk_configuration(
            UserPoolId=pool.pool_id, RiskExceptionConfiguration={"BlockedIPRangeList": ["300.1.1.1/8"]}
        )
    assert _error(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        cognito.describe_risk_configuration(UserPoolId=pool.pool_id, ClientId="nosuchclient")
    assert _error(exc)[0] == "ResourceNotFoundException"


def test_breached_password_refused_at_sign_up_when_enforced(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    _block_compromised(pool)
    with pytest.raises(ClientError) as exc:
        pool.cognito.sign_up(ClientId=pool.client_id, Username="breach", Password=BREACHED)
    assert _error(exc)[0] == "InvalidPasswordException"
    pool.cognito.sign_up(ClientId=pool.client_id, Username="strong", Password=PASSWORD)


def test_breached_password_allowed_in_audit_mode_and_without_block(server: ServerProcess) -> None:
    audit = _pool(server, "AUDIT")
    _block_compromised(audit)
    audit.cognito.sign_up(ClientId=audit.client_id, Username="audited", Password=BREACHED)
    enforced = _pool(server, "ENFORCED")
    enforced.cognito.sign_up(ClientId=enforced.client_id, Username="noaction", Password=BREACHED)


def test_breached_password_refused_at_change_password(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    _block_compromised(pool)
    pool.user("changer")
    access = pool.password_auth("changer")["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as exc:
        pool.cognito.change_password(PreviousPassword=PASSWORD, ProposedPassword=BREACHED, AccessToken=access)
    assert _error(exc)[0] == "InvalidPasswordException"


def test_auth_events_need_the_add_on(server: ServerProcess) -> None:
    pool = _pool(server, "OFF")
    pool.user("plain")
    with pytest.raises(ClientError) as exc:
        pool.cognito.admin_list_user_auth_events(UserPoolId=pool.pool_id, Username="plain")
    assert _error(exc)[0] == "UserPoolAddOnNotEnabledException"
    with pytest.raises(ClientError) as exc:
        pool.cognito.admin_update_auth_event_feedback(
            UserPoolId=pool.pool_id, Username="plain", EventId="abc", FeedbackValue="Valid"
        )
    assert _error(exc)[0] == "UserPoolAddOnNotEnabledException"


# -- the sign-in path --------------------------------------------------------------------------

KNOWN = ("198.51.100.7", "KnownBrowser/1.0")
STRANGER = ("203.0.113.50", "StrangeBrowser/9.9")
BLOCK_RANGE = ["192.0.2.0/24"]


def _context(ip: str, agent: str) -> dict[str, Any]:
    return {
        "IpAddress": ip,
        "ServerName": "app.example.com",
        "ServerPath": "/login",
        "HttpHeaders": [{"headerName": "User-Agent", "headerValue": agent}],
    }


def _admin_sign_in(
    pool: AuthPool, username: str, where: tuple[str, str], password: str = PASSWORD, **extra: Any
) -> dict[str, Any]:
    result: dict[str, Any] = pool.cognito.admin_initiate_auth(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
        ContextData=_context(*where),
        **extra,
    )
    return result


def _events(pool: AuthPool, username: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = pool.cognito.admin_list_user_auth_events(
        UserPoolId=pool.pool_id, Username=username
    )["AuthEvents"]
    return events


def _takeover(
    pool: AuthPool, actions: dict[str, Any] | None = None, *, blocked: list[str] | None = None
) -> None:
    request: dict[str, Any] = {
        "AccountTakeoverRiskConfiguration": {"Actions": actions or NO_RISK_ACTIONS},
    }
    if blocked:
        request["RiskExceptionConfiguration"] = {"BlockedIPRangeList": blocked}
    pool.cognito.set_risk_configuration(UserPoolId=pool.pool_id, **request)


def test_new_ip_and_user_agent_rate_higher_than_known_ones(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    _takeover(pool)
    pool.user("traveller")
    _admin_sign_in(pool, "traveller", KNOWN)
    _admin_sign_in(pool, "traveller", KNOWN)
    _admin_sign_in(pool, "traveller", STRANGER)
    stranger, known, first = _events(pool, "traveller")
    assert known["EventRisk"]["RiskLevel"] == "Low" and known["EventRisk"]["RiskDecision"] == "NoRisk"
    assert stranger["EventRisk"]["RiskLevel"] in ("Medium", "High")
    assert stranger["EventRisk"]["RiskDecision"] == "AccountTakeover"
    assert stranger["EventContextData"]["IpAddress"] == STRANGER[0]
    assert first["EventContextData"] == {"IpAddress": KNOWN[0], "DeviceName": KNOWN[1]}


def test_sign_in_attempts_are_listed_with_their_outcome_and_event_id(server: ServerProcess) -> None:
    pool = _pool(server, "AUDIT")
    pool.user("listed")
    with pytest.raises(ClientError) as exc:
        _admin_sign_in(pool, "listed", KNOWN, password="Wrong-password-1")
    assert _error(exc)[0] == "NotAuthorizedException"
    tokens = _admin_sign_in(pool, "listed", KNOWN)["AuthenticationResult"]
    passed, failed = _events(pool, "listed")
    assert failed["EventResponse"] == "Fail" and passed["EventResponse"] == "Pass"
    assert failed["EventType"] == passed["EventType"] == "SignIn"
    assert failed["ChallengeResponses"] == [{"ChallengeName": "Password", "ChallengeResponse": "Failure"}]
    assert passed["ChallengeResponses"] == [{"ChallengeName": "Password", "ChallengeResponse": "Success"}]
    assert pool.decode(tokens["AccessToken"])["event_id"] == passed["EventId"]
    assert pool.decode(tokens["IdToken"], audience=pool.client_id)["event_id"] == passed["EventId"]


def test_blocked_ip_range_refuses_when_enforced(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    _takeover(pool, blocked=BLOCK_RANGE)
    pool.user("blocked")
    with pytest.raises(ClientError) as exc:
        _admin_sign_in(pool, "blocked", ("192.0.2.9", "Any/1.0"))
    assert _error(exc) == ("NotAuthorizedException", "Unable to login because of security reasons.")
    (event,) = _events(pool, "blocked")
    assert event["EventResponse"] == "Fail"
    assert event["EventRisk"]["RiskDecision"] == "Block"
    assert "AuthenticationResult" in _admin_sign_in(pool, "blocked", KNOWN)


def test_audit_mode_records_and_never_blocks(server: ServerProcess) -> None:
    pool = _pool(server, "AUDIT")
    _takeover(
        pool,
        {**NO_RISK_ACTIONS, "MediumAction": {"Notify": False, "EventAction": "BLOCK"}},
        blocked=BLOCK_RANGE,
    )
    pool.user("audited")
    _admin_sign_in(pool, "audited", KNOWN)
    assert "AuthenticationResult" in _admin_sign_in(pool, "audited", ("192.0.2.9", "Any/1.0"))
    assert "AuthenticationResult" in _admin_sign_in(pool, "audited", STRANGER)
    stranger, blocked_range, _ = _events(pool, "audited")
    assert blocked_range["EventRisk"]["RiskDecision"] == "Block" and blocked_range["EventResponse"] == "Pass"
    assert stranger["EventRisk"]["RiskDecision"] == "Block" and stranger["EventResponse"] == "Pass"


def test_feedback_changes_the_next_decision(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    _takeover(pool)
    pool.user("judged")
    _admin_sign_in(pool, "judged", KNOWN)
    _admin_sign_in(pool, "judged", STRANGER)
    stranger = _events(pool, "judged")[0]
    assert stranger["EventRisk"]["RiskLevel"] != "Low"
    # Valid: the stranger's network and browser become known.
    pool.cognito.admin_update_auth_event_feedback(
        UserPoolId=pool.pool_id, Username="judged", EventId=stranger["EventId"], FeedbackValue="Valid"
    )
    assert _events(pool, "judged")[0]["EventFeedback"]["FeedbackValue"] == "Valid"
    _admin_sign_in(pool, "judged", STRANGER)
    assert _events(pool, "judged")[0]["EventRisk"]["RiskLevel"] == "Low"
    # Invalid: the network is reported, and the next attempt from it is rated High.
    for event in _events(pool, "judged")[:2]:
        pool.cognito.admin_update_auth_event_feedback(
            UserPoolId=pool.pool_id, Username="judged", EventId=event["EventId"], FeedbackValue="Invalid"
        )
    _admin_sign_in(pool, "judged", STRANGER)
    assert _events(pool, "judged")[0]["EventRisk"]["RiskLevel"] == "High"


def test_risky_sign_in_gets_the_totp_challenge(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    pool.cognito.set_user_pool_mfa_config(
        UserPoolId=pool.pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    _takeover(
        pool,
        {
            **NO_RISK_ACTIONS,
            "MediumAction": {"Notify": False, "EventAction": "MFA_IF_CONFIGURED"},
            "HighAction": {"Notify": False, "EventAction": "MFA_IF_CONFIGURED"},
        },
    )
    pool.user("guarded")
    access = _admin_sign_in(pool, "guarded", KNOWN)["AuthenticationResult"]["AccessToken"]
    secret = pool.cognito.associate_software_token(AccessToken=access)["SecretCode"]
    with server.http() as http:
        now = float(http.get("/_testing/clock").json()["now"])
    pool.cognito.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).at(now))
    # From the known place: no MFA; from a new one: the TOTP challenge.
    assert "AuthenticationResult" in _admin_sign_in(pool, "guarded", KNOWN)
    risky = _admin_sign_in(pool, "guarded", STRANGER)
    assert risky["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert _events(pool, "guarded")[0]["EventResponse"] == "InProgress"
    server.advance_clock(30)
    try:
        answered = pool.cognito.admin_respond_to_auth_challenge(
            UserPoolId=pool.pool_id,
            ClientId=pool.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=risky["Session"],
            ChallengeResponses={
                "USERNAME": "guarded",
                "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(secret).at(now + 30),
            },
        )
    finally:
        # The server is shared: later tests verify tokens against the real clock (iat).
        server.advance_clock(-30)
    event = _events(pool, "guarded")[0]
    assert (
        pool.decode(answered["AuthenticationResult"]["AccessToken"], leeway=60)["event_id"]
        == event["EventId"]
    )
    assert event["EventResponse"] == "Pass"
    assert [c["ChallengeName"] for c in event["ChallengeResponses"]] == ["Password", "Mfa"]


def test_risky_sign_in_without_a_factor_passes_with_mfa_if_configured(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    pool.cognito.set_user_pool_mfa_config(
        UserPoolId=pool.pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    pool.user("bare")
    _admin_sign_in(pool, "bare", KNOWN)
    assert "AuthenticationResult" in _admin_sign_in(pool, "bare", STRANGER)


def test_analytics_endpoint_id_reaches_the_analytics_file(server: ServerProcess) -> None:
    pool = _pool(server, "AUDIT")
    pool.user("counted")
    _admin_sign_in(pool, "counted", KNOWN, AnalyticsMetadata={"AnalyticsEndpointId": "endpoint-7f3a"})
    args = list(server.process.args)  # type: ignore[arg-type]
    path = Path(str(args[args.index("--data") + 1])) / "analytics-events.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    mine = [e for e in lines if e["attributes"].get("userpool_id") == pool.pool_id]
    assert [e["event_type"] for e in mine] == ["_userauth.sign_in"]
    assert mine[0]["endpoint"]["id"] == "endpoint-7f3a"
    assert mine[0]["attributes"]["username"] == "counted"


def test_compromised_password_at_sign_in_flagged_then_blocked(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    _takeover(pool)
    pool.user("reused", password=BREACHED)
    assert "AuthenticationResult" in _admin_sign_in(pool, "reused", KNOWN, password=BREACHED)
    assert _events(pool, "reused")[0]["EventRisk"]["CompromisedCredentialsDetected"] is True
    _block_compromised(pool)
    with pytest.raises(ClientError) as exc:
        _admin_sign_in(pool, "reused", KNOWN, password=BREACHED)
    assert _error(exc) == ("NotAuthorizedException", "Unable to login because of security reasons.")
    assert _events(pool, "reused")[0]["EventResponse"] == "Fail"


def test_mfa_required_without_a_factor_asks_for_mfa_setup(server: ServerProcess) -> None:
    # spec section 6.1: MFA_REQUIRED "challenge MFA, prompting setup if the user has none".
    pool = _pool(server, "ENFORCED")
    pool.cognito.set_user_pool_mfa_config(
        UserPoolId=pool.pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="OPTIONAL"
    )
    required = {"Notify": False, "EventAction": "MFA_REQUIRED"}
    _takeover(pool, {**NO_RISK_ACTIONS, "MediumAction": required, "HighAction": required})
    pool.user("unset")
    assert "AuthenticationResult" in _admin_sign_in(pool, "unset", KNOWN)
    risky = _admin_sign_in(pool, "unset", STRANGER)
    assert risky["ChallengeName"] == "MFA_SETUP"
    assert json.loads(risky["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    assert _events(pool, "unset")[0]["EventResponse"] == "InProgress"
    associated = pool.cognito.associate_software_token(Session=risky["Session"])
    with server.http() as http:
        now = float(http.get("/_testing/clock").json()["now"])
    verified = pool.cognito.verify_software_token(
        Session=associated["Session"], UserCode=pyotp.TOTP(associated["SecretCode"]).at(now)
    )
    assert verified["Status"] == "SUCCESS"
    done = pool.cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": "unset"},
    )
    event = _events(pool, "unset")[0]
    assert event["EventResponse"] == "Pass"
    assert (
        pool.decode(done["AuthenticationResult"]["AccessToken"], leeway=120)["event_id"] == event["EventId"]
    )


def _secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_user_context_ip_counts_only_for_clients_that_propagate_it(server: ServerProcess) -> None:
    pool = _pool(server, "AUDIT")
    pool.user("roamer")
    for propagate, username_ip in ((True, "203.0.113.77"), (False, "203.0.113.78")):
        client = pool.cognito.create_user_pool_client(
            UserPoolId=pool.pool_id,
            ClientName=f"propagate-{propagate}",
            GenerateSecret=True,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            EnablePropagateAdditionalUserContextData=propagate,
        )["UserPoolClient"]
        pool.cognito.initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={
                "USERNAME": "roamer",
                "PASSWORD": PASSWORD,
                "SECRET_HASH": _secret_hash(client["ClientSecret"], "roamer", client["ClientId"]),
            },
            UserContextData={"IpAddress": username_ip, "EncodedData": "fingerprint"},
        )
        recorded = _events(pool, "roamer")[0]["EventContextData"]["IpAddress"]
        if propagate:
            assert recorded == username_ip
        else:
            assert recorded != username_ip and recorded in ("127.0.0.1", "::1")


NOTIFY = {
    "From": "security@example.com",
    "ReplyTo": "help@example.com",
    "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/example.com",
    "BlockEmail": {
        "Subject": "Blocked sign-in for {username}",
        "HtmlBody": "<p>Blocked {username} from {ip-address}</p>",
        "TextBody": "Blocked {username} from {ip-address} with {device-name} at {login-time}; "
        "city [{city}] country [{country}] event {event-id} token {feedback-token} link [{one-click-link-valid}]",
    },
    "NoActionEmail": {
        "Subject": "New sign-in",
        "HtmlBody": "<p>hello {username}</p>",
        "TextBody": "Hello {username}",
    },
}


def test_notification_emails_for_actions_with_notify(server: ServerProcess) -> None:
    pool = _pool(server, "ENFORCED")
    pool.cognito.set_risk_configuration(
        UserPoolId=pool.pool_id,
        AccountTakeoverRiskConfiguration={
            "NotifyConfiguration": NOTIFY,
            "Actions": {
                **NO_RISK_ACTIONS,
                "MediumAction": {"Notify": True, "EventAction": "BLOCK"},
                "HighAction": {"Notify": True, "EventAction": "BLOCK"},
            },
        },
    )
    pool.user("warned", email="warned@example.com")
    pool.user("silent")  # no e-mail address: nothing to send
    for username in ("warned", "silent"):
        _admin_sign_in(pool, username, KNOWN)
        with pytest.raises(ClientError) as exc:
            _admin_sign_in(pool, username, STRANGER)
        assert _error(exc)[0] == "NotAuthorizedException"
    assert server.messages(pool.pool_id, "silent") == []
    (message,) = server.messages(pool.pool_id, "warned")  # Low with Notify false sent nothing
    assert message["channel"] == "EMAIL" and message["destination"] == "warned@example.com"
    assert message["purpose"] == "ACCOUNT_TAKEOVER_NOTIFICATION" and message["code"] is None
    blocked = _events(pool, "warned")[0]
    text = message["message"]
    assert text.startswith(f"Blocked warned from {STRANGER[0]} with {STRANGER[1]} at ")
    assert "city [] country [] " in text
    assert f"event {blocked['EventId']} token " in text
    # The one-click link records "Valid" through the server, with the e-mail's token.
    link = text.split("link [")[1].split("]")[0]
    assert link.startswith(f"{server.url}/{pool.pool_id}/auth-event-feedback?")
    with urllib.request.urlopen(link) as answer:
        assert answer.status == 200 and b"marked as yours" in answer.read()
    feedback = _events(pool, "warned")[0]["EventFeedback"]
    assert feedback["FeedbackValue"] == "Valid" and feedback["Provider"] == "User"
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(link.replace("token=", "token=00"))
    assert bad.value.code == 400
    bad.value.close()
    # The token in the e-mail is the FeedbackToken of UpdateAuthEventFeedback.
    token = text.split(" token ")[1].split(" ")[0]
    pool.cognito.update_auth_event_feedback(
        UserPoolId=pool.pool_id,
        Username="warned",
        EventId=blocked["EventId"],
        FeedbackToken=token,
        FeedbackValue="Invalid",
    )
    feedback = _events(pool, "warned")[0]["EventFeedback"]
    assert feedback["FeedbackValue"] == "Invalid" and feedback["Provider"] == "User"
    with pytest.raises(ClientError) as exc:
        pool.cognito.update_auth_event_feedback(
            UserPoolId=pool.pool_id,
            Username="warned",
            EventId=blocked["EventId"],
            FeedbackToken="0" * 64,
            FeedbackValue="Valid",
        )
    assert _error(exc)[0] == "NotAuthorizedException"


def test_sign_up_events_and_analytics(server: ServerProcess) -> None:
    pool = _pool(server, "AUDIT")
    pool.cognito.sign_up(
        ClientId=pool.client_id,
        Username="newcomer",
        Password=PASSWORD,
        AnalyticsMetadata={"AnalyticsEndpointId": "ep-signup"},
        UserContextData={"EncodedData": "fp"},
    )
    (event,) = _events(pool, "newcomer")
    assert event["EventType"] == "SignUp" and event["EventResponse"] == "Pass"
    assert event["EventRisk"]["CompromisedCredentialsDetected"] is False
    assert event["EventContextData"]["IpAddress"] in ("127.0.0.1", "::1")
    pool.cognito.admin_confirm_sign_up(UserPoolId=pool.pool_id, Username="newcomer")
    refresh = pool.password_auth("newcomer")["AuthenticationResult"]["RefreshToken"]
    pool.cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh},
        AnalyticsMetadata={"AnalyticsEndpointId": "ep-refresh"},
    )
    # A refresh without AnalyticsMetadata from a client without AnalyticsConfiguration: nothing.
    pool.cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh},
    )
    mine = [e for e in _analytics(server) if e["attributes"].get("userpool_id") == pool.pool_id]
    assert [(e["event_type"], e["endpoint"]["id"]) for e in mine] == [
        ("_userauth.sign_up", "ep-signup"),
        ("_userauth.sign_in", None),
        ("_userauth.token_refresh", "ep-refresh"),
    ]
    assert mine[0]["attributes"]["event_id"] == event["EventId"]
    assert mine[2]["attributes"]["username"] == "newcomer"
    # With threat protection OFF and no analytics, a sign-up leaves no trace.
    off = _pool(server, "OFF")
    off.cognito.sign_up(ClientId=off.client_id, Username="quiet", Password=PASSWORD)
    assert not [e for e in _analytics(server) if e["attributes"].get("userpool_id") == off.pool_id]


def _analytics(server: ServerProcess) -> list[dict[str, Any]]:
    args = list(server.process.args)  # type: ignore[arg-type]
    path = Path(str(args[args.index("--data") + 1])) / "analytics-events.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# -- CUSTOM_AUTH and retention, on a server of their own (custom triggers; the clock moves) ------


@pytest.fixture(scope="module")
def custom_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(
        tmp_path_factory.mktemp("threat-custom"), env={"POOLGATE_LAMBDA_HANDLERS": threat_lambdas.HANDLERS}
    )
    yield proc
    proc.stop()


def _custom_pool(server: ServerProcess, custom_mode: str | None) -> AuthPool:
    add_ons: dict[str, Any] = {"AdvancedSecurityMode": "ENFORCED"}
    if custom_mode:
        add_ons["AdvancedSecurityAdditionalFlows"] = {"CustomAuthMode": custom_mode}
    cognito = server.client()
    pool_id = cognito.create_user_pool(
        PoolName="custom",
        Policies=RELAXED_POLICY,
        UserPoolAddOns=add_ons,
        LambdaConfig=threat_lambdas.LAMBDA_CONFIG,
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=[
            "ALLOW_CUSTOM_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
    )["UserPoolClient"]["ClientId"]
    pool = AuthPool(server, cognito, pool_id, client_id)
    _takeover(pool, blocked=BLOCK_RANGE)
    return pool


def _custom_sign_in(
    pool: AuthPool, username: str, where: tuple[str, str], answer: str = "2"
) -> dict[str, Any]:
    first = pool.cognito.admin_initiate_auth(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username},
        ContextData=_context(*where),
    )
    assert first["ChallengeName"] == "CUSTOM_CHALLENGE"
    result: dict[str, Any] = pool.cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": username, "ANSWER": answer},
        ContextData=_context(*where),
    )
    return result


def test_custom_auth_is_rated_under_custom_auth_mode(custom_server: ServerProcess) -> None:
    pool = _custom_pool(custom_server, "ENFORCED")
    pool.user("riddler")
    tokens = _custom_sign_in(pool, "riddler", KNOWN)["AuthenticationResult"]
    (event,) = _events(pool, "riddler")
    assert event["EventType"] == "SignIn" and event["EventResponse"] == "Pass"
    assert event["EventContextData"]["IpAddress"] == KNOWN[0]
    assert pool.decode(tokens["AccessToken"])["event_id"] == event["EventId"]
    # A wrong answer ends the attempt Fail; a blocked range is refused even with the right one.
    with pytest.raises(ClientError) as exc:
        _custom_sign_in(pool, "riddler", KNOWN, answer="3")
    assert _error(exc) == ("NotAuthorizedException", "Incorrect username or password.")
    assert _events(pool, "riddler")[0]["EventResponse"] == "Fail"
    with pytest.raises(ClientError) as exc:
        _custom_sign_in(pool, "riddler", ("192.0.2.9", "Any/1.0"))
    assert _error(exc) == ("NotAuthorizedException", "Unable to login because of security reasons.")
    blocked = _events(pool, "riddler")[0]
    assert blocked["EventRisk"]["RiskDecision"] == "Block" and blocked["EventResponse"] == "Fail"


def test_custom_auth_password_step_is_recorded(custom_server: ServerProcess) -> None:
    pool = _custom_pool(custom_server, "ENFORCED")
    pool.user("prover")
    for password, outcome in ((PASSWORD, "Success"), ("Wrong-password-1", "Failure")):
        srp = aws_srp.AWSSRP("prover", password, pool.pool_id, pool.client_id, client=pool.cognito)
        params = {**srp.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
        first = pool.cognito.initiate_auth(
            ClientId=pool.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=params
        )
        assert first["ChallengeName"] == "PASSWORD_VERIFIER"
        answer = {
            "ClientId": pool.client_id,
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": first["Session"],
            "ChallengeResponses": srp.process_challenge(first["ChallengeParameters"], params),
        }
        if outcome == "Success":
            tokens = pool.cognito.respond_to_auth_challenge(**answer)["AuthenticationResult"]
        else:
            with pytest.raises(ClientError) as exc:
                pool.cognito.respond_to_auth_challenge(**answer)
            assert _error(exc)[0] == "NotAuthorizedException"
        event = _events(pool, "prover")[0]
        assert event["ChallengeResponses"] == [{"ChallengeName": "Password", "ChallengeResponse": outcome}]
        assert event["EventResponse"] == ("Pass" if outcome == "Success" else "Fail")
        if outcome == "Success":
            assert pool.decode(tokens["AccessToken"])["event_id"] == event["EventId"]


def test_custom_auth_not_rated_without_custom_auth_mode(custom_server: ServerProcess) -> None:
    pool = _custom_pool(custom_server, None)
    pool.user("unrated")
    tokens = _custom_sign_in(pool, "unrated", ("192.0.2.9", "Any/1.0"))["AuthenticationResult"]
    assert _events(pool, "unrated") == []
    assert "event_id" in pool.decode(tokens["AccessToken"])


def test_old_auth_events_are_purged(custom_server: ServerProcess) -> None:
    pool = _custom_pool(custom_server, "AUDIT")
    pool.user("historian")
    _admin_sign_in(pool, "historian", KNOWN)
    assert len(_events(pool, "historian")) == 1
    # The CLI deletes by age (server and CLI share the database).
    args = list(custom_server.process.args)  # type: ignore[arg-type]
    data = str(args[args.index("--data") + 1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("POOLGATE_")}
    done = subprocess.run(
        [sys.executable, "-m", "poolgate", "auth-events", "purge", "--data", data, "--older-than-days", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert "deleted 0 auth events older than 1 days" in done.stdout
    assert len(_events(pool, "historian")) == 1
    # 89 days on, the event is kept; past 90 days the next sign-in's write purges it.
    custom_server.advance_clock(89 * 86400)
    _admin_sign_in(pool, "historian", KNOWN)
    assert len(_events(pool, "historian")) == 2
    custom_server.advance_clock(2 * 86400)
    _admin_sign_in(pool, "historian", KNOWN)
    remaining = _events(pool, "historian")
    assert len(remaining) == 2  # the first is gone, the one from day 89 is not
