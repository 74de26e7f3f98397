"""Issue 9 item 1: every challenge answered with a bad ``Session`` gets no tokens.

Challenges covered: PASSWORD_VERIFIER (USER_SRP_AUTH, answered with pycognito's SRP client),
NEW_PASSWORD_REQUIRED (a temporary password), CUSTOM_CHALLENGE (in-process triggers in
``tests.hardening.handlers``), the MFA challenges SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP,
SELECT_MFA_TYPE and MFA_SETUP (after AssociateSoftwareToken and VerifySoftwareToken with the
sign-in's Session), and the device steps DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER of a
remembered device.

Each challenge is answered *correctly* but with a missing, random, expired, replayed, other
user's or other client's session; every answer must be refused with NotAuthorizedException or
InvalidParameterException and no AuthenticationResult.

PASSWORD_VERIFIER and DEVICE_PASSWORD_VERIFIER may be answered without ``Session`` (pycognito
does; the SECRET_BLOCK names the session, auth-flows.md section 5), so their "missing" case
leaves ``Session`` out *and* sends a SECRET_BLOCK the server never issued. DEVICE_SRP_AUTH
without ``Session`` falls back to the device's single pending step (pycognito again, auth-flows.md
section 4.1), so its "missing" case answers after that step was spent;
``test_device_srp_without_session_finds_only_its_pending_step`` pins what the fallback accepts.
The MFA_SETUP operations (AssociateSoftwareToken, VerifySoftwareToken) get the same bad
sessions in ``test_mfa_setup_operations_refuse_bad_sessions``.
"""

from __future__ import annotations

import base64
import itertools
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP, long_to_hex
from tests.conformance.auth_support import FLOWS, PASSWORD, AuthPool, make_pool
from tests.hardening.support import error_code, figure
from tests.server import ServerProcess, start_server
from tests.triggers_support import lambda_arn

from poolgate.srp import encode_device_verifier_config, make_device_verifier

NEW_PASSWORD = "N3w!Passw0rd-x"
TEMP_PASSWORD = "T3mp!Passw0rd"
DEVICE_PASSWORD = "d3vice-Secret"
REFUSALS = {"NotAuthorizedException", "InvalidParameterException"}
ATTACKS = ["missing", "random", "expired", "replayed", "other_user", "other_client"]
SMS_CONFIGURATION = {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"}
ALWAYS_REMEMBER = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
_names = itertools.count()
_outcomes: Counter[str] = Counter()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    handlers = ",".join(f"{n}=tests.hardening.handlers:{n}" for n in ("define", "create", "verify"))
    proc = start_server(tmp_path_factory.mktemp("sessions"), env={"POOLGATE_LAMBDA_HANDLERS": handlers})
    yield proc
    proc.stop()
    figure("sessions: refusals by challenge/attack -> code", _outcomes)


@pytest.fixture(autouse=True)
def real_time(live: ServerProcess) -> None:
    """Each test starts on the real time: pycognito signs SRP claims with the wall clock, and
    the "expired" cases move the server's clock forward."""
    with live.http() as http:
        http.post("/_testing/clock", json={"set": time.time()}).raise_for_status()


def _server_now(live: ServerProcess) -> float:
    with live.http() as http:
        return float(http.get("/_testing/clock").json()["now"])


@dataclass
class Pool:
    """One pool of the suite and its two app clients (A answers, B is "the other client")."""

    ap: AuthPool
    client_a: str
    client_b: str


@dataclass
class Setup:
    live: ServerProcess
    pools: dict[str, Pool]
    totps: dict[str, pyotp.TOTP] = field(default_factory=dict)
    devices: dict[str, dict[str, str]] = field(default_factory=dict)


def _pool(live: ServerProcess, mfa: dict[str, Any] | None = None, **pool_args: Any) -> Pool:
    ap = make_pool(live, **pool_args)
    if mfa is not None:
        ap.cognito.set_user_pool_mfa_config(UserPoolId=ap.pool_id, **mfa)
    flows = [*FLOWS, "ALLOW_CUSTOM_AUTH"]
    return Pool(ap, ap.client(ExplicitAuthFlows=flows), ap.client(ExplicitAuthFlows=flows))


@pytest.fixture(scope="module")
def setup(live: ServerProcess) -> Setup:
    lambdas = {
        "DefineAuthChallenge": "define",
        "CreateAuthChallenge": "create",
        "VerifyAuthChallengeResponse": "verify",
    }
    totp = {"SoftwareTokenMfaConfiguration": {"Enabled": True}}
    return Setup(
        live,
        {
            "plain": _pool(live, LambdaConfig={k: lambda_arn(v) for k, v in lambdas.items()}),
            # MFA optional, with every factor: each user's settings decide the challenge.
            "mfa": _pool(
                live,
                {
                    **totp,
                    "MfaConfiguration": "OPTIONAL",
                    "SmsMfaConfiguration": {"SmsAuthenticationMessage": "Code {####}"},
                    "EmailMfaConfiguration": {"Message": "Code {####}", "Subject": "Sign-in"},
                },
                SmsConfiguration=SMS_CONFIGURATION,
            ),
            # MFA required with TOTP only: a user without a factor gets MFA_SETUP.
            "mfa_on": _pool(live, {**totp, "MfaConfiguration": "ON"}),
            "devices": _pool(live, DeviceConfiguration=ALWAYS_REMEMBER),
        },
    )


@dataclass
class Pending:
    """A challenge waiting for an answer, and how to build the correct answer for a user (at
    the moment of answering: TOTP codes and SRP timestamps depend on the time)."""

    name: str
    session: str
    parameters: dict[str, str]
    answer: Callable[[str], dict[str, str]]


# -- users of each kind ------------------------------------------------------------------------


def _enrol_totp(s: Setup, ap: AuthPool, name: str) -> None:
    access = ap.password_auth(name)["AuthenticationResult"]["AccessToken"]
    totp = pyotp.TOTP(ap.cognito.associate_software_token(AccessToken=access)["SecretCode"])
    ap.cognito.verify_software_token(AccessToken=access, UserCode=totp.at(_server_now(s.live)))
    ap.cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    s.live.advance_clock(30)  # the enrolment used the current step
    s.totps[name] = totp


def _remember_device(s: Setup, ap: AuthPool, name: str, client_id: str) -> None:
    srp = AWSSRP(username=name, password=PASSWORD, pool_id=ap.pool_id, client_id=client_id, client=ap.cognito)
    result = srp.authenticate_user()["AuthenticationResult"]
    metadata = result["NewDeviceMetadata"]
    key, group = metadata["DeviceKey"], metadata["DeviceGroupKey"]
    salt, verifier = encode_device_verifier_config(*make_device_verifier(group, key, DEVICE_PASSWORD))
    ap.cognito.confirm_device(
        AccessToken=result["AccessToken"],
        DeviceKey=key,
        DeviceSecretVerifierConfig={"Salt": salt, "PasswordVerifier": verifier},
    )
    s.devices[name] = {"key": key, "group": group}


def _user(s: Setup, kind: str, client_id: str) -> str:
    """A new user for the challenge kind ``kind`` (the key of its pool in ``USERS``)."""
    name = f"u{next(_names)}"
    ap = s.pools[USERS[kind]].ap
    preference = {"UserPoolId": ap.pool_id, "Username": name}
    if kind == "temporary":
        ap.cognito.admin_create_user(
            UserPoolId=ap.pool_id, Username=name, MessageAction="SUPPRESS", TemporaryPassword=TEMP_PASSWORD
        )
        return name
    ap.user(name, phone_number="+15555550100", email=f"{name}@example.com", email_verified="true")
    if kind == "totp":
        _enrol_totp(s, ap, name)
    elif kind == "sms":
        ap.cognito.admin_set_user_mfa_preference(
            **preference, SMSMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
    elif kind == "email":
        ap.cognito.admin_set_user_mfa_preference(
            **preference, EmailMfaSettings={"Enabled": True, "PreferredMfa": True}
        )
    elif kind == "select":
        ap.cognito.admin_set_user_mfa_preference(
            **preference, SMSMfaSettings={"Enabled": True}, EmailMfaSettings={"Enabled": True}
        )
    elif kind == "device":
        _remember_device(s, ap, name, client_id)
    return name


# -- starting each challenge -------------------------------------------------------------------


def _password_step(s: Setup, pool: str, username: str, client_id: str, expect: str) -> dict[str, Any]:
    ap = s.pools[pool].ap
    resp: dict[str, Any] = ap.password_auth(username, client_id=client_id)
    assert resp.get("ChallengeName") == expect, resp
    return resp


def _start_password_verifier(s: Setup, username: str, client_id: str) -> Pending:
    ap = s.pools["plain"].ap
    srp = AWSSRP(
        username=username, password=PASSWORD, pool_id=ap.pool_id, client_id=client_id, client=ap.cognito
    )
    auth_params = srp.get_auth_params()
    resp = ap.cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=auth_params)
    assert resp["ChallengeName"] == "PASSWORD_VERIFIER"
    params = resp["ChallengeParameters"]

    def answer(as_user: str) -> dict[str, str]:
        # The proof is computed honestly by the user the attacker claims to be.
        other = AWSSRP(
            username=as_user, password=PASSWORD, pool_id=ap.pool_id, client_id=client_id, client=ap.cognito
        )
        other.small_a_value, other.large_a_value = srp.small_a_value, srp.large_a_value
        return dict(other.process_challenge({**params, "USERNAME": as_user}, {"USERNAME": as_user}))

    return Pending("PASSWORD_VERIFIER", resp["Session"], params, answer)


def _start_new_password(s: Setup, username: str, client_id: str) -> Pending:
    resp = s.pools["plain"].ap.cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": TEMP_PASSWORD},
    )
    assert resp["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    return Pending(
        "NEW_PASSWORD_REQUIRED",
        resp["Session"],
        resp["ChallengeParameters"],
        lambda as_user: {"USERNAME": as_user, "NEW_PASSWORD": NEW_PASSWORD},
    )


def _start_custom(s: Setup, username: str, client_id: str) -> Pending:
    resp = s.pools["plain"].ap.cognito.initiate_auth(
        ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": username}
    )
    assert resp["ChallengeName"] == "CUSTOM_CHALLENGE"
    return Pending(
        "CUSTOM_CHALLENGE",
        resp["Session"],
        resp["ChallengeParameters"],
        lambda as_user: {"USERNAME": as_user, "ANSWER": "42"},
    )


def _start_totp(s: Setup, username: str, client_id: str) -> Pending:
    resp = _password_step(s, "mfa", username, client_id, "SOFTWARE_TOKEN_MFA")
    return Pending(
        "SOFTWARE_TOKEN_MFA",
        resp["Session"],
        resp["ChallengeParameters"],
        lambda as_user: {
            "USERNAME": as_user,
            "SOFTWARE_TOKEN_MFA_CODE": s.totps[as_user].at(_server_now(s.live)),
        },
    )


def _start_code(name: str, member: str) -> Callable[[Setup, str, str], Pending]:
    def start(s: Setup, username: str, client_id: str) -> Pending:
        resp = _password_step(s, "mfa", username, client_id, name)
        pool_id = s.pools["mfa"].ap.pool_id
        return Pending(
            name,
            resp["Session"],
            resp["ChallengeParameters"],
            lambda as_user: {"USERNAME": as_user, member: s.live.last_code(pool_id, as_user)},
        )

    return start


def _start_select(s: Setup, username: str, client_id: str) -> Pending:
    resp = _password_step(s, "mfa", username, client_id, "SELECT_MFA_TYPE")
    return Pending(
        "SELECT_MFA_TYPE",
        resp["Session"],
        resp["ChallengeParameters"],
        lambda as_user: {"USERNAME": as_user, "ANSWER": "SMS_MFA"},
    )


def _start_mfa_setup(s: Setup, username: str, client_id: str) -> Pending:
    """MFA_SETUP, with the Session VerifySoftwareToken returned (the one the answer needs)."""
    cognito = s.pools["mfa_on"].ap.cognito
    resp = _password_step(s, "mfa_on", username, client_id, "MFA_SETUP")
    associated = cognito.associate_software_token(Session=resp["Session"])
    totp = pyotp.TOTP(associated["SecretCode"])
    verified = cognito.verify_software_token(
        Session=associated["Session"], UserCode=totp.at(_server_now(s.live))
    )
    return Pending(
        "MFA_SETUP", verified["Session"], resp["ChallengeParameters"], lambda as_user: {"USERNAME": as_user}
    )


def _device_srp(s: Setup, username: str, client_id: str) -> tuple[AWSSRP, dict[str, Any]]:
    """USER_SRP_AUTH with the user's remembered device, answered up to DEVICE_SRP_AUTH."""
    ap, device = s.pools["devices"].ap, s.devices[username]
    srp = AWSSRP(
        username=username,
        password=PASSWORD,
        pool_id=ap.pool_id,
        client_id=client_id,
        client=ap.cognito,
        device_key=device["key"],
        device_group_key=device["group"],
        device_password=DEVICE_PASSWORD,
    )
    params = srp.get_auth_params()
    first = ap.cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    resp: dict[str, Any] = ap.cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=first["Session"],
        ChallengeResponses=srp.process_challenge(first["ChallengeParameters"], params),
    )
    assert resp.get("ChallengeName") == "DEVICE_SRP_AUTH", resp
    return srp, resp


def _device_srp_answer(s: Setup, srp: AWSSRP) -> Callable[[str], dict[str, str]]:
    return lambda as_user: {
        "USERNAME": as_user,
        "DEVICE_KEY": s.devices[as_user]["key"],
        "SRP_A": long_to_hex(srp.large_a_value),
    }


def _start_device_srp(s: Setup, username: str, client_id: str) -> Pending:
    srp, resp = _device_srp(s, username, client_id)
    return Pending(
        "DEVICE_SRP_AUTH", resp["Session"], resp["ChallengeParameters"], _device_srp_answer(s, srp)
    )


def _start_device_verifier(s: Setup, username: str, client_id: str) -> Pending:
    ap = s.pools["devices"].ap
    srp, resp = _device_srp(s, username, client_id)
    resp = ap.cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=resp["Session"],
        ChallengeResponses=_device_srp_answer(s, srp)(username),
    )
    assert resp["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    params = resp["ChallengeParameters"]

    def answer(as_user: str) -> dict[str, str]:
        device = s.devices[as_user]
        other = AWSSRP(
            username=as_user,
            password=PASSWORD,
            pool_id=ap.pool_id,
            client_id=client_id,
            client=ap.cognito,
            device_key=device["key"],
            device_group_key=device["group"],
            device_password=DEVICE_PASSWORD,
        )
        other.small_a_value, other.large_a_value = srp.small_a_value, srp.large_a_value
        return dict(other.process_device_challenge({**params, "USERNAME": as_user}))

    return Pending("DEVICE_PASSWORD_VERIFIER", resp["Session"], params, answer)


# Challenge -> (its start, the kind of user it needs).
STARTS: dict[str, tuple[Callable[[Setup, str, str], Pending], str]] = {
    "PASSWORD_VERIFIER": (_start_password_verifier, "plain"),
    "NEW_PASSWORD_REQUIRED": (_start_new_password, "temporary"),
    "CUSTOM_CHALLENGE": (_start_custom, "plain"),
    "SOFTWARE_TOKEN_MFA": (_start_totp, "totp"),
    "SMS_MFA": (_start_code("SMS_MFA", "SMS_MFA_CODE"), "sms"),
    "EMAIL_OTP": (_start_code("EMAIL_OTP", "EMAIL_OTP_CODE"), "email"),
    "SELECT_MFA_TYPE": (_start_select, "select"),
    "MFA_SETUP": (_start_mfa_setup, "setup"),
    "DEVICE_SRP_AUTH": (_start_device_srp, "device"),
    "DEVICE_PASSWORD_VERIFIER": (_start_device_verifier, "device"),
}
# The kind of user -> its pool.
USERS = {
    "plain": "plain",
    "temporary": "plain",
    "totp": "mfa",
    "sms": "mfa",
    "email": "mfa",
    "select": "mfa",
    "setup": "mfa_on",
    "device": "devices",
}
# Challenges whose answer names its session by the SECRET_BLOCK when Session is left out.
SECRET_BLOCKS = {"PASSWORD_VERIFIER", "DEVICE_PASSWORD_VERIFIER"}


def _respond(
    s: Setup, pool: str, client_id: str, name: str, responses: dict[str, str], session: str | None
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"ClientId": client_id, "ChallengeName": name, "ChallengeResponses": responses}
    if session is not None:
        kwargs["Session"] = session
    result: dict[str, Any] = s.pools[pool].ap.cognito.respond_to_auth_challenge(**kwargs)
    return result


def _random_session() -> str:
    return base64.b64encode(os.urandom(96)).decode()


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("challenge", list(STARTS))
def test_bad_session_gets_no_tokens(live: ServerProcess, setup: Setup, challenge: str, attack: str) -> None:
    start, kind = STARTS[challenge]
    pool = USERS[kind]
    client_id = setup.pools[pool].client_a
    victim = _user(setup, kind, client_id)
    pending = start(setup, victim, client_id)
    session: str | None = pending.session
    claimed = victim
    if attack == "missing":
        session = None
        if challenge == "DEVICE_SRP_AUTH":
            # Without Session the device's pending step is used (pycognito); once the victim
            # has answered it there is none left to take.
            _respond(setup, pool, client_id, pending.name, pending.answer(victim), pending.session)
    elif attack == "random":
        session = _random_session()
    elif attack == "expired":
        live.advance_clock(3 * 60 + 1)  # the default AuthSessionValidity is 3 minutes
    elif attack == "replayed":
        first = _respond(setup, pool, client_id, pending.name, pending.answer(victim), session)
        assert "AuthenticationResult" in first or "ChallengeName" in first, first
        if challenge == "SOFTWARE_TOKEN_MFA":
            live.advance_clock(30)  # a fresh code: only the session is stale
    elif attack == "other_user":
        # The attacker holds a session of their own and claims to be the victim.
        attacker = _user(setup, kind, client_id)
        pending = start(setup, attacker, client_id)
        session = pending.session
    elif attack == "other_client":
        client_id = setup.pools[pool].client_b
    responses = pending.answer(claimed)
    if attack == "missing" and challenge in SECRET_BLOCKS:
        responses["PASSWORD_CLAIM_SECRET_BLOCK"] = base64.b64encode(os.urandom(64)).decode()
    if attack == "replayed" and challenge == "NEW_PASSWORD_REQUIRED":
        responses["NEW_PASSWORD"] = NEW_PASSWORD + "2"
    with pytest.raises(ClientError) as exc:
        result = _respond(setup, pool, client_id, pending.name, responses, session)
        pytest.fail(f"accepted: {result}")
    code = error_code(exc.value)
    _outcomes[f"{challenge}/{attack} -> {code}: {exc.value.response['Error']['Message']}"] += 1
    assert code in REFUSALS, exc.value.response
    ap = setup.pools[pool].ap
    if challenge == "NEW_PASSWORD_REQUIRED" and attack != "replayed":
        # The victim's password was not changed by the refused answer.
        user = ap.cognito.admin_get_user(UserPoolId=ap.pool_id, Username=victim)
        assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    if challenge == "NEW_PASSWORD_REQUIRED" and attack == "replayed":
        # The replay did not set the second password.
        with pytest.raises(ClientError):
            ap.password_auth(victim, NEW_PASSWORD + "2")
    if challenge == "MFA_SETUP" and attack not in ("replayed", "missing"):
        # The refused answer did not finish the set-up: the victim still has no factor enabled.
        user = ap.cognito.admin_get_user(UserPoolId=ap.pool_id, Username=victim)
        assert user.get("UserMFASettingList", []) == []


def test_device_srp_without_session_finds_only_its_pending_step(setup: Setup) -> None:
    """The fallback for pycognito's Session-less DEVICE_SRP_AUTH takes the one step pending for
    that user's device on that client, and it only leads to DEVICE_PASSWORD_VERIFIER, which
    still needs the device's secret."""
    pool = setup.pools["devices"]
    victim = _user(setup, "device", pool.client_a)
    other = _user(setup, "device", pool.client_a)
    pending = _start_device_srp(setup, victim, pool.client_a)
    refusals = Counter[str]()
    for client_id, claimed, key_of in (
        (pool.client_b, victim, victim),
        (pool.client_a, other, victim),
        (pool.client_a, victim, other),
        (pool.client_a, other, other),
    ):
        responses = {**pending.answer(claimed), "DEVICE_KEY": setup.devices[key_of]["key"]}
        with pytest.raises(ClientError) as exc:
            _respond(setup, "devices", client_id, "DEVICE_SRP_AUTH", responses, None)
        refusals[error_code(exc.value)] += 1
    assert set(refusals) <= REFUSALS, refusals
    # The victim's own Session-less answer is taken (as pycognito needs) ...
    step = _respond(setup, "devices", pool.client_a, "DEVICE_SRP_AUTH", pending.answer(victim), None)
    assert step["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    # ... but a proof made with the wrong device password gets no tokens.
    device = setup.devices[victim]
    guess = AWSSRP(
        username=victim,
        password=PASSWORD,
        pool_id=pool.ap.pool_id,
        client_id=pool.client_a,
        client=pool.ap.cognito,
        device_key=device["key"],
        device_group_key=device["group"],
        device_password="not-the-device-secret",
    )
    with pytest.raises(ClientError) as exc:
        _respond(
            setup,
            "devices",
            pool.client_a,
            "DEVICE_PASSWORD_VERIFIER",
            guess.process_device_challenge(step["ChallengeParameters"]),
            None,
        )
    assert error_code(exc.value) == "NotAuthorizedException"
    _outcomes[f"DEVICE_SRP_AUTH without Session, wrong client/user/device -> {dict(refusals)}"] += 1


SETUP_ATTACKS = ["missing", "random", "expired", "replayed", "other_challenge"]


@pytest.mark.parametrize("operation", ["AssociateSoftwareToken", "VerifySoftwareToken"])
@pytest.mark.parametrize("attack", SETUP_ATTACKS)
def test_mfa_setup_operations_refuse_bad_sessions(
    live: ServerProcess, setup: Setup, operation: str, attack: str
) -> None:
    """AssociateSoftwareToken and VerifySoftwareToken with the sign-in's Session (the MFA_SETUP
    path) refuse a missing, random, expired, spent, or other-challenge session."""
    pool = setup.pools["mfa_on"]
    cognito = pool.ap.cognito
    victim = _user(setup, "setup", pool.client_a)
    resp = _password_step(setup, "mfa_on", victim, pool.client_a, "MFA_SETUP")
    session: str | None = resp["Session"]
    code = "123456"
    if operation == "VerifySoftwareToken":
        associated = cognito.associate_software_token(Session=session)
        session = associated["Session"]
        code = pyotp.TOTP(associated["SecretCode"]).at(_server_now(live))
    if attack == "missing":
        session = None
    elif attack == "random":
        session = _random_session()
    elif attack == "expired":
        live.advance_clock(3 * 60 + 1)
        if operation == "VerifySoftwareToken":
            code = pyotp.TOTP(associated["SecretCode"]).at(_server_now(live))
    elif attack == "replayed":
        if operation == "AssociateSoftwareToken":
            cognito.associate_software_token(Session=session)
        else:
            cognito.verify_software_token(Session=session, UserCode=code)
    elif attack == "other_challenge":
        # A live session of another user's sign-in waiting for SOFTWARE_TOKEN_MFA.
        session = _password_step(
            setup,
            "mfa",
            _user(setup, "totp", setup.pools["mfa"].client_a),
            setup.pools["mfa"].client_a,
            "SOFTWARE_TOKEN_MFA",
        )["Session"]
    kwargs: dict[str, Any] = {} if session is None else {"Session": session}
    with pytest.raises(ClientError) as exc:
        if operation == "AssociateSoftwareToken":
            result = cognito.associate_software_token(**kwargs)
        else:
            result = cognito.verify_software_token(UserCode=code, **kwargs)
        pytest.fail(f"accepted: {result}")
    got = error_code(exc.value)
    _outcomes[f"{operation}/{attack} -> {got}: {exc.value.response['Error']['Message']}"] += 1
    assert got in REFUSALS, exc.value.response
