"""Threat protection against a live server: risk configuration, compromised credentials,
the auth event history and its feedback, analytics events, and risk in the sign-in path
(ratings, BLOCK, forced MFA, AUDIT)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from tests.conformance.auth_support import PASSWORD, AuthPool, make_pool
from tests.server import ServerProcess

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
        UserPoolId=pool.pool_id, AccountTakeoverRiskConfiguration=takeover, RiskExceptionConfiguration=exceptions
    )["RiskConfiguration"]
    assert stored["AccountTakeoverRiskConfiguration"] == takeover
    described = cognito.describe_risk_configuration(UserPoolId=pool.pool_id)["RiskConfiguration"]
    assert described["RiskExceptionConfiguration"] == exceptions
    assert "ClientId" not in described and "LastModifiedDate" in described
    # A client without its own configuration answers the pool's; with one, its own.
    inherited = cognito.describe_risk_configuration(UserPoolId=pool.pool_id, ClientId=pool.client_id)
    assert inherited["RiskConfiguration"]["RiskExceptionConfiguration"] == exceptions
    cognito.set_risk_configuration(
        UserPoolId=pool.pool_id, ClientId=pool.client_id,
        CompromisedCredentialsRiskConfiguration={"EventFilter": ["SIGN_UP"], "Actions": {"EventAction": "BLOCK"}},
    )
    own = cognito.describe_risk_configuration(UserPoolId=pool.pool_id, ClientId=pool.client_id)["RiskConfiguration"]
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
        "IpAddress": ip, "ServerName": "app.example.com", "ServerPath": "/login",
        "HttpHeaders": [{"headerName": "User-Agent", "headerValue": agent}],
    }


def _admin_sign_in(pool: AuthPool, username: str, where: tuple[str, str], password: str = PASSWORD,
                   **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = pool.cognito.admin_initiate_auth(
        UserPoolId=pool.pool_id, ClientId=pool.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password}, ContextData=_context(*where), **extra,
    )
    return result


def _events(pool: AuthPool, username: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = pool.cognito.admin_list_user_auth_events(
        UserPoolId=pool.pool_id, Username=username
    )["AuthEvents"]
    return events


def _takeover(pool: AuthPool, actions: dict[str, Any] | None = None, *, blocked: list[str] | None = None) -> None:
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
    _takeover(pool, {**NO_RISK_ACTIONS, "MediumAction": {"Notify": False, "EventAction": "BLOCK"}}, blocked=BLOCK_RANGE)
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
    _takeover(pool, {**NO_RISK_ACTIONS, "MediumAction": {"Notify": False, "EventAction": "MFA_IF_CONFIGURED"},
                     "HighAction": {"Notify": False, "EventAction": "MFA_IF_CONFIGURED"}})
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
    answered = pool.cognito.admin_respond_to_auth_challenge(
        UserPoolId=pool.pool_id, ClientId=pool.client_id, ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=risky["Session"],
        ChallengeResponses={"USERNAME": "guarded", "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(secret).at(now + 30)},
    )
    event = _events(pool, "guarded")[0]
    assert pool.decode(answered["AuthenticationResult"]["AccessToken"], leeway=60)["event_id"] == event["EventId"]
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
