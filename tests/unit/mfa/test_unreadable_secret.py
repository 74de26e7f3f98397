"""A sealed TOTP secret that does not open (sealed under another master key, altered, or copied
from another user) is answered with a Cognito error and logged, never a server error (issue 9)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import pyotp
import pytest
from tests.unit.mfa._support import MfaWorld, challenge, fails, make_mfa_world

from poolgate.auth.state import ChallengeName
from poolgate.errors import SoftwareTokenMFANotFoundException
from poolgate.mfa import user_settings
from poolgate.mfa.seeds import KEY_PURPOSE, SeedBox
from poolgate.security.crypto import MasterKey
from poolgate.users.model import User

NOT_FOUND = "Software Token MFA does not exist for the user."
NOT_ASSOCIATED = "No software token is associated with the user; call AssociateSoftwareToken first."


@pytest.fixture
def mw() -> Iterator[MfaWorld]:
    built = make_mfa_world()
    yield built
    built.world.store.close()


def _reseal_under_another_key(mw: MfaWorld, user: User, *, pending: bool) -> None:
    """Replace the user's verified (or pending) secret with one sealed under a foreign key."""
    foreign = SeedBox(MasterKey.generate().derive(KEY_PURPOSE))
    stored = mw.reload(user)
    record = user_settings.read(stored).totp
    sealed = foreign.seal(stored.user_pool_id, stored.sub, b"0123456789abcdefghij")
    record = replace(record, pending=sealed) if pending else replace(record, secret=sealed)
    with mw.world.store.transaction() as uow:
        uow.users.update(replace(stored, settings=user_settings.with_totp(stored.settings, record)))


def _moved_from(mw: MfaWorld, source: User, target: User) -> None:
    """Copy ``source``'s sealed verified secret into ``target``'s settings."""
    record = user_settings.read(mw.reload(source)).totp
    stored = mw.reload(target)
    with mw.world.store.transaction() as uow:
        uow.users.update(replace(stored, settings=user_settings.with_totp(stored.settings, record)))


def test_sign_in_with_a_secret_sealed_under_another_key(
    mw: MfaWorld, caplog: pytest.LogCaptureFixture
) -> None:
    pool = mw.pool("OPTIONAL")
    client = mw.client(pool)
    user = mw.user(pool, "tess")
    totp = mw.enrol_totp(user, client, prefer=True)
    _reseal_under_another_key(mw, user, pending=False)
    ch = challenge(mw.sign_in(client, "tess"))
    assert ch.name is ChallengeName.SOFTWARE_TOKEN_MFA
    with caplog.at_level(logging.ERROR, logger="poolgate.mfa"):
        fails(
            SoftwareTokenMFANotFoundException,
            NOT_FOUND,
            mw.answer,
            client,
            ch,
            {"USERNAME": "tess", "SOFTWARE_TOKEN_MFA_CODE": totp.at(mw.clock.now())},
        )
    [record] = [r for r in caplog.records if r.name == "poolgate.mfa"]
    assert record.levelno == logging.ERROR
    assert user.sub in record.getMessage() and "verified" in record.getMessage()
    # The user recovers by associating and verifying a new token.
    token = mw.token(user, client)
    secret, _ = mw.mfa.associate_software_token(access_token=token, session=None)
    fresh = pyotp.TOTP(secret)
    mw.mfa.verify_software_token(
        access_token=token, session=None, code=fresh.at(mw.clock.now()), device_name=None
    )


def test_secret_copied_from_another_user_does_not_open(
    mw: MfaWorld, caplog: pytest.LogCaptureFixture
) -> None:
    pool = mw.pool("OPTIONAL")
    client = mw.client(pool)
    owner, thief = mw.user(pool, "owner"), mw.user(pool, "thief")
    totp = mw.enrol_totp(owner, client, prefer=True)
    mw.enrol_totp(thief, client, prefer=True)
    _moved_from(mw, owner, thief)
    ch = challenge(mw.sign_in(client, "thief"))
    with caplog.at_level(logging.ERROR, logger="poolgate.mfa"):
        fails(
            SoftwareTokenMFANotFoundException,
            NOT_FOUND,
            mw.answer,
            client,
            ch,
            {"USERNAME": "thief", "SOFTWARE_TOKEN_MFA_CODE": totp.at(mw.clock.now())},
        )
    assert any(r.name == "poolgate.mfa" for r in caplog.records)


def test_verify_software_token_with_an_unreadable_pending_secret(
    mw: MfaWorld, caplog: pytest.LogCaptureFixture
) -> None:
    pool = mw.pool("OPTIONAL")
    client = mw.client(pool)
    user = mw.user(pool, "uma")
    token = mw.token(user, client)
    mw.mfa.associate_software_token(access_token=token, session=None)
    _reseal_under_another_key(mw, user, pending=True)
    with caplog.at_level(logging.ERROR, logger="poolgate.mfa"):
        fails(
            SoftwareTokenMFANotFoundException,
            NOT_ASSOCIATED,
            mw.mfa.verify_software_token,
            access_token=token,
            session=None,
            code="123456",
            device_name=None,
        )
    [record] = [r for r in caplog.records if r.name == "poolgate.mfa"]
    assert "pending" in record.getMessage()
