"""MFA in the sign-in engine, with a frozen clock: SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP,
SELECT_MFA_TYPE, MFA_SETUP, the attempt limit, code expiry and replay."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyotp
import pytest
from tests.unit.auth._support import tokens
from tests.unit.mfa._support import MfaWorld, challenge, fails, make_mfa_world

from poolgate.auth.state import ChallengeName
from poolgate.errors import (
    CodeMismatchException,
    EnableSoftwareTokenMFAException,
    ExpiredCodeException,
    InvalidParameterException,
    MFAMethodNotFoundException,
    NotAuthorizedException,
    SoftwareTokenMFANotFoundException,
)
from poolgate.triggers.api import MessageOverride

INVALID_CODE = "Invalid code or auth state for the user."
INVALID_SESSION = "Invalid session for the user."


@pytest.fixture
def mw() -> Iterator[MfaWorld]:
    built = make_mfa_world()
    yield built
    built.world.store.close()


def test_totp_sign_in_wrong_then_right_then_replayed(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL")
    client = mw.client(pool)
    alice = mw.user(pool, "alice")
    totp = mw.enrol_totp(alice, client)

    ch = challenge(mw.sign_in(client, "alice"))
    assert ch.name is ChallengeName.SOFTWARE_TOKEN_MFA
    assert ch.parameters == {"FRIENDLY_DEVICE_NAME": "phone"}
    fails(
        CodeMismatchException,
        INVALID_CODE,
        mw.answer,
        client,
        ch,
        {"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": "000000"},
    )
    code = totp.at(mw.clock.now())
    tokens(mw.answer(client, ch, {"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code}))
    # The session is spent; a second sign-in with the same code is a replay.
    fails(
        NotAuthorizedException,
        INVALID_SESSION,
        mw.answer,
        client,
        ch,
        {"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
    )
    again = challenge(mw.sign_in(client, "alice"))
    fails(
        ExpiredCodeException,
        "Your software token has already been used once.",
        mw.answer,
        client,
        again,
        {"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
    )
    mw.clock.advance(30)
    tokens(
        mw.answer(client, again, {"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totp.at(mw.clock.now())})
    )


def test_adjacent_steps_accepted_older_refused(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL")
    client = mw.client(pool)
    user = mw.user(pool, "bob")
    totp = mw.enrol_totp(user, client)
    now = mw.clock.now()
    ch = challenge(mw.sign_in(client, "bob"))
    fails(
        CodeMismatchException,
        INVALID_CODE,
        mw.answer,
        client,
        ch,
        {"USERNAME": "bob", "SOFTWARE_TOKEN_MFA_CODE": totp.at(now - 60)},
    )
    tokens(mw.answer(client, ch, {"USERNAME": "bob", "SOFTWARE_TOKEN_MFA_CODE": totp.at(now + 30)}))


def test_three_wrong_answers_end_the_session(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL")
    client = mw.client(pool)
    user = mw.user(pool, "carol")
    totp = mw.enrol_totp(user, client)
    ch = challenge(mw.sign_in(client, "carol"))
    for _ in range(3):
        fails(
            CodeMismatchException,
            INVALID_CODE,
            mw.answer,
            client,
            ch,
            {"USERNAME": "carol", "SOFTWARE_TOKEN_MFA_CODE": "123456"},
        )
    fails(
        NotAuthorizedException,
        INVALID_SESSION,
        mw.answer,
        client,
        ch,
        {"USERNAME": "carol", "SOFTWARE_TOKEN_MFA_CODE": totp.at(mw.clock.now())},
    )


def test_optional_pool_without_factor_and_off_pool_issue_tokens(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL")
    client = mw.client(pool)
    mw.user(pool, "dave")
    tokens(mw.sign_in(client, "dave"))
    off = mw.pool("OFF")
    off_client = mw.client(off)
    erin = mw.user(off, "erin")
    mw.enrol_totp(erin, off_client)
    tokens(mw.sign_in(off_client, "erin"))


def test_sms_mfa_code_from_the_outbox(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL", sms=True)
    client = mw.client(pool)
    user = mw.user(pool, "fay", phone_number="+15555550123")
    mw.enable(user, client, "SMSMfaSettings")
    ch = challenge(mw.sign_in(client, "fay"))
    assert ch.name is ChallengeName.SMS_MFA
    assert ch.parameters == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
        "CODE_DELIVERY_DESTINATION": "+*******0123",
    }
    sent = mw.outbox(pool, "fay")[-1]
    assert (sent.channel, sent.destination, sent.purpose) == ("SMS", "+15555550123", "MFA")
    assert sent.message == f"Code: {sent.code}"
    fails(
        CodeMismatchException,
        INVALID_CODE,
        mw.answer,
        client,
        ch,
        {"USERNAME": "fay", "SMS_MFA_CODE": "000000"},
    )
    tokens(mw.answer(client, ch, {"USERNAME": "fay", "SMS_MFA_CODE": mw.last_code(pool, "fay")}))


def test_sms_code_expires_before_a_long_session(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL", sms=True)
    client = mw.client(pool, AuthSessionValidity=15)
    user = mw.user(pool, "gus", phone_number="+15555550124")
    mw.enable(user, client, "SMSMfaSettings")
    ch = challenge(mw.sign_in(client, "gus"))
    code = mw.last_code(pool, "gus")
    mw.clock.advance(181)
    fails(
        ExpiredCodeException,
        "Invalid code provided, please request a code again.",
        mw.answer,
        client,
        ch,
        {"USERNAME": "gus", "SMS_MFA_CODE": code},
    )
    fails(
        NotAuthorizedException,
        INVALID_SESSION,
        mw.answer,
        client,
        ch,
        {"USERNAME": "gus", "SMS_MFA_CODE": code},
    )


def test_expired_session(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL", sms=True)
    client = mw.client(pool)
    user = mw.user(pool, "hal", phone_number="+15555550125")
    mw.enable(user, client, "SMSMfaSettings")
    ch = challenge(mw.sign_in(client, "hal"))
    mw.clock.advance(181)
    fails(
        NotAuthorizedException,
        "Invalid session for the user, session is expired.",
        mw.answer,
        client,
        ch,
        {"USERNAME": "hal", "SMS_MFA_CODE": mw.last_code(pool, "hal")},
    )


def test_email_otp_uses_the_pool_message(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL", email=True)
    client = mw.client(pool)
    user = mw.user(pool, "ivy", email="ivy@example.com")
    mw.enable(user, client, "EmailMfaSettings")
    ch = challenge(mw.sign_in(client, "ivy"))
    assert ch.name is ChallengeName.EMAIL_OTP
    assert ch.parameters == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
        "CODE_DELIVERY_DESTINATION": "i***@e***",
    }
    sent = mw.outbox(pool, "ivy")[-1]
    assert sent.message == f"Your code is {sent.code}" and sent.destination == "ivy@example.com"
    tokens(mw.answer(client, ch, {"USERNAME": "ivy", "EMAIL_OTP_CODE": mw.last_code(pool, "ivy")}))


def test_select_mfa_type(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL", sms=True)
    client = mw.client(pool)
    user = mw.user(pool, "jon", phone_number="+15555550126")
    totp = mw.enrol_totp(user, client)
    mw.enable(user, client, "SMSMfaSettings")
    ch = challenge(mw.sign_in(client, "jon"))
    assert ch.name is ChallengeName.SELECT_MFA_TYPE
    assert json.loads(ch.parameters["MFAS_CAN_CHOOSE"]) == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    assert ch.parameters["USER_ID_FOR_SRP"] == "jon"
    fails(
        InvalidParameterException,
        "Invalid ANSWER: expected SMS_MFA, EMAIL_OTP (or EMAIL_MFA) or SOFTWARE_TOKEN_MFA.",
        mw.answer,
        client,
        ch,
        {"USERNAME": "jon", "ANSWER": "PIGEON"},
    )
    fails(
        MFAMethodNotFoundException,
        "The MFA method EMAIL_OTP is not available for this user.",
        mw.answer,
        client,
        ch,
        {"USERNAME": "jon", "ANSWER": "EMAIL_MFA"},
    )
    chosen = challenge(mw.answer(client, ch, {"USERNAME": "jon", "ANSWER": "SOFTWARE_TOKEN_MFA"}))
    assert chosen.name is ChallengeName.SOFTWARE_TOKEN_MFA and chosen.session != ch.session
    tokens(mw.answer(client, chosen, {"USERNAME": "jon", "SOFTWARE_TOKEN_MFA_CODE": totp.at(mw.clock.now())}))

    again = challenge(mw.sign_in(client, "jon"))
    sms = challenge(mw.answer(client, again, {"USERNAME": "jon", "ANSWER": "SMS_MFA"}))
    assert sms.name is ChallengeName.SMS_MFA
    fails(
        NotAuthorizedException,
        INVALID_SESSION,
        mw.answer,
        client,
        again,
        {"USERNAME": "jon", "ANSWER": "SMS_MFA"},
    )
    tokens(mw.answer(client, sms, {"USERNAME": "jon", "SMS_MFA_CODE": mw.last_code(pool, "jon")}))

    # A preference ends the choice.
    mw.enable(user, client, "SMSMfaSettings", prefer=True)
    assert challenge(mw.sign_in(client, "jon")).name is ChallengeName.SMS_MFA


def test_mfa_setup_with_the_session(mw: MfaWorld) -> None:
    pool = mw.pool("ON")
    client = mw.client(pool)
    user = mw.user(pool, "kim")
    ch = challenge(mw.sign_in(client, "kim"))
    assert ch.name is ChallengeName.MFA_SETUP
    assert ch.parameters == {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]'}
    fails(
        InvalidParameterException,
        "The software token of this session has not been verified; call VerifySoftwareToken first.",
        mw.answer,
        client,
        ch,
        {"USERNAME": "kim"},
    )

    secret, associated = mw.mfa.associate_software_token(access_token=None, session=ch.session)
    assert associated is not None and associated != ch.session
    fails(
        NotAuthorizedException,
        INVALID_SESSION,
        mw.mfa.associate_software_token,
        access_token=None,
        session=ch.session,
    )
    totp = pyotp.TOTP(secret)
    fails(
        EnableSoftwareTokenMFAException,
        "Code mismatch and fail enable Software Token MFA",
        mw.mfa.verify_software_token,
        access_token=None,
        session=associated,
        code="000000",
        device_name=None,
    )
    verified = mw.mfa.verify_software_token(
        access_token=None, session=associated, code=totp.at(mw.clock.now()), device_name=None
    )
    assert verified is not None
    done = mw.world.auth.respond_to_auth_challenge(
        client.client_id, "MFA_SETUP", {"USERNAME": "kim"}, session=verified
    )
    tokens(done)
    settings = mw.reload(user).settings
    assert settings["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert settings["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    # Next sign-in: TOTP, with a code of a later step than the one used for the enrolment.
    mw.clock.advance(30)
    again = challenge(mw.sign_in(client, "kim"))
    assert again.name is ChallengeName.SOFTWARE_TOKEN_MFA
    tokens(mw.answer(client, again, {"USERNAME": "kim", "SOFTWARE_TOKEN_MFA_CODE": totp.at(mw.clock.now())}))


def test_on_pool_falls_back_to_sms_and_to_a_verified_token(mw: MfaWorld) -> None:
    pool = mw.pool("ON", sms=True)
    client = mw.client(pool)
    mw.user(pool, "lea", phone_number="+15555550127")
    assert challenge(mw.sign_in(client, "lea")).name is ChallengeName.SMS_MFA
    mo = mw.user(pool, "mo")
    mw.enrol_totp(mo, client, enable=False)
    assert challenge(mw.sign_in(client, "mo")).name is ChallengeName.SOFTWARE_TOKEN_MFA
    mw.user(pool, "ned")
    setup = challenge(mw.sign_in(client, "ned"))
    assert json.loads(setup.parameters["MFAS_CAN_SETUP"]) == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]


def test_verify_errors_with_an_access_token(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL")
    client = mw.client(pool)
    user = mw.user(pool, "ola")
    token = mw.token(user, client)
    fails(
        SoftwareTokenMFANotFoundException,
        "No software token is associated with the user; call AssociateSoftwareToken first.",
        mw.mfa.verify_software_token,
        access_token=token,
        session=None,
        code="123456",
        device_name=None,
    )
    mw.mfa.associate_software_token(access_token=token, session=None)
    fails(
        EnableSoftwareTokenMFAException,
        "Code mismatch and fail enable Software Token MFA",
        mw.mfa.verify_software_token,
        access_token=token,
        session=None,
        code="123456",
        device_name=None,
    )
    fails(
        InvalidParameterException,
        "Exactly one of AccessToken and Session must be given.",
        mw.mfa.associate_software_token,
        access_token=None,
        session=None,
    )
    off = mw.pool("OFF", totp=False)
    other = mw.user(off, "pia")
    fails(
        SoftwareTokenMFANotFoundException,
        "Software Token MFA has not been enabled by the userPool",
        mw.mfa.associate_software_token,
        access_token=mw.token(other, mw.client(off)),
        session=None,
    )


def test_totp_secret_is_sealed_in_the_settings(mw: MfaWorld) -> None:
    pool = mw.pool("OPTIONAL")
    client = mw.client(pool)
    user = mw.user(pool, "quin")
    secret, _ = mw.mfa.associate_software_token(access_token=mw.token(user, client), session=None)
    stored = json.dumps(mw.reload(user).settings)
    assert secret not in stored and "pending" in stored


def test_sms_code_message_from_custom_message_outside_transactions() -> None:
    mw = make_mfa_world({"CustomMessage"})
    triggers = mw.triggers
    assert triggers is not None
    triggers.set("CustomMessage", lambda **_: MessageOverride(sms_message="Yours: {####}"))
    try:
        pool = mw.pool("OPTIONAL", sms=True)
        client = mw.client(pool)
        user = mw.user(pool, "rae", phone_number="+15555550128")
        mw.enable(user, client, "SMSMfaSettings")
        ch = challenge(mw.sign_in(client, "rae"))
        sent = mw.outbox(pool, "rae")[-1]
        assert sent.message == f"Yours: {sent.code}"
        call = triggers.of("CustomMessage")[-1]
        assert call["source"] == "Authentication" and call["code_parameter"] == "{####}"
        assert call["client_metadata"] is None  # InitiateAuth's ClientMetadata is not passed on
        assert [c.open_transactions for c in triggers.calls] == [0]
        tokens(mw.answer(client, ch, {"USERNAME": "rae", "SMS_MFA_CODE": sent.code or ""}))
    finally:
        mw.world.store.close()
