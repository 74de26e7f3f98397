"""TOTP MFA with Amplify JS v6 (tests/js/amplify-mfa.mjs) against a live server: enrolment during
sign-in through MFA_SETUP, the SOFTWARE_TOKEN_MFA answer, setUpTOTP / verifyTOTPSetup (a wrong code
is an error, not ``Status: ERROR``), and the preference read back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.conformance.test_js_clients import PASSWORD, SIGN_IN_FLOWS, require_node, run_script, succeeded
from tests.server import ServerProcess, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("js-mfa") / "d")
    yield proc
    proc.stop()


def test_amplify_totp_setup_sign_in_and_preferences(server: ServerProcess) -> None:
    node = require_node()
    cognito = server.client()
    pool_id = cognito.create_user_pool(PoolName="js-mfa")["UserPool"]["Id"]
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="js", ExplicitAuthFlows=[*SIGN_IN_FLOWS, "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="amp-mfa", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="amp-mfa", Password=PASSWORD, Permanent=True)
    config: dict[str, Any] = {
        "endpoint": server.url,
        "userPoolId": pool_id,
        "clientId": client_id,
        "username": "amp-mfa",
        "password": PASSWORD,
    }
    steps = succeeded(*run_script(node, "amplify-mfa.mjs", config))

    assert steps["signIn"]["nextStep"] == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
    assert len(steps["signIn"]["sharedSecret"]) == 32
    assert steps["confirmSetupWrongCode"]["error"]["name"] == "EnableSoftwareTokenMFAException"
    assert steps["confirmSetup"]["isSignedIn"] is True
    assert steps["preferenceAfterSetup"]["enabled"] == ["TOTP"]
    assert steps["preferenceAfterSetup"]["preferred"] == "TOTP"
    assert steps["signInAgain"]["nextStep"] == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
    wrong = steps["confirmWrongCode"]["error"]
    assert (wrong["name"], wrong["message"]) == (
        "CodeMismatchException",
        "Invalid code or auth state for the user.",
    )
    assert steps["confirmCode"]["isSignedIn"] is True
    assert steps["setUpTOTP"]["sharedSecret"] != steps["signIn"]["sharedSecret"]
    mismatch = steps["verifyTOTPSetupWrongCode"]["error"]
    assert (mismatch["name"], mismatch["message"]) == (
        "EnableSoftwareTokenMFAException",
        "Code mismatch and fail enable Software Token MFA",
    )
    assert steps["updateMFAPreference"]["enabled"] == ["TOTP"]
    view = cognito.admin_get_user(UserPoolId=pool_id, Username="amp-mfa")
    assert view["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
