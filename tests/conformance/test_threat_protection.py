"""Threat protection against a live server: risk configuration, compromised credentials,
the auth event history and its feedback, and analytics events."""

from __future__ import annotations

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


