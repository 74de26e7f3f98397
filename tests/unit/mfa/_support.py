"""A world for the MFA unit tests: the auth test world (in-memory store, frozen clock, fake token
service) plus the MfaService with a fake access-token check, and helpers to enrol users."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyotp
import pytest
from tests.unit.auth._support import PASSWORD, World, challenge, make_world
from tests.unit.auth._triggers import FakeTriggers, TrackingStore

from poolgate.auth.mfa_setup import MfaSetupSessions
from poolgate.auth.service import AuthService
from poolgate.auth.sessions import Sessions
from poolgate.auth.state import Challenge, StepResult
from poolgate.delivery.outbox import OutboxSender
from poolgate.errors import CognitoError, NotAuthorizedException
from poolgate.mfa.deps import mfa_deps
from poolgate.mfa.service import MfaService
from poolgate.pools.model import AppClient, UserPool
from poolgate.store.base import OutboxMessage, UnitOfWork
from poolgate.tokens.model import AccessContext
from poolgate.users.model import User

START = 1_800_000_010.0
"""Ten seconds into a 30-second step, so one code stays current for 20 seconds."""


@dataclass
class FakeAccess:
    """Access tokens ``access:<sub>`` (what FakeTokens issues) for the users registered here."""

    users: dict[str, AccessContext] = field(default_factory=dict)

    def add(self, user: User, client_id: str) -> str:
        token = f"access:{user.sub}"
        self.users[token] = AccessContext(
            user.user_pool_id, client_id, user.sub, user.username, None, None, {}
        )
        return token

    def verify_access_token(self, uow: UnitOfWork, token: str) -> AccessContext:
        try:
            return self.users[token]
        except KeyError:
            raise NotAuthorizedException("Invalid Access Token") from None


@dataclass
class MfaWorld:
    """The auth world with MFA: ``mfa`` is the MfaService of the operations."""

    world: World
    access: FakeAccess
    mfa: MfaService
    triggers: FakeTriggers | None = None

    @property
    def clock(self) -> Any:
        return self.world.clock

    def pool(
        self, mode: str = "OPTIONAL", *, sms: bool = False, totp: bool = True, email: bool = False
    ) -> UserPool:
        """A pool with MfaConfiguration ``mode`` and the given factors."""
        pool = self.world.pool(SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"})
        request: dict[str, Any] = {
            "SoftwareTokenMfaConfiguration": {"Enabled": totp},
            "MfaConfiguration": mode,
        }
        if sms:
            request["SmsMfaConfiguration"] = {"SmsAuthenticationMessage": "Code: {####}"}
        if email:
            request["EmailMfaConfiguration"] = {"Message": "Your code is {####}", "Subject": "Sign-in code"}
        self.mfa.set_pool_config(pool.id, request)
        return self.world.pools.get_pool(pool.id)

    def client(self, pool: UserPool, **config: Any) -> AppClient:
        return self.world.client(pool, **config)

    def user(self, pool: UserPool, username: str, **attributes: str) -> User:
        return self.world.user(pool, username, PASSWORD, **attributes)  # type: ignore[arg-type]

    def reload(self, user: User) -> User:
        return self.world.get_user(self.world.pools.get_pool(user.user_pool_id), user.sub)

    def token(self, user: User, client: AppClient) -> str:
        return self.access.add(user, client.client_id)

    def enrol_totp(
        self, user: User, client: AppClient, *, enable: bool = True, prefer: bool = False
    ) -> pyotp.TOTP:
        """Associate and verify a TOTP token with the access-token path; optionally enable it."""
        token = self.token(user, client)
        secret, session = self.mfa.associate_software_token(access_token=token, session=None)
        assert session is None
        totp = pyotp.TOTP(secret)
        self.mfa.verify_software_token(
            access_token=token, session=None, code=totp.at(self.clock.now()), device_name="phone"
        )
        if enable:
            settings = {"Enabled": True, "PreferredMfa": prefer}
            self.mfa.set_preference(token, {"SoftwareTokenMfaSettings": settings})
        # Enrolment used the current step: move to the next one so a sign-in has a fresh code.
        self.clock.advance(30)
        return totp

    def enable(self, user: User, client: AppClient, member: str, *, prefer: bool = False) -> None:
        self.mfa.set_preference(self.token(user, client), {member: {"Enabled": True, "PreferredMfa": prefer}})

    def sign_in(self, client: AppClient, username: str, password: str = PASSWORD) -> StepResult:
        return self.world.password_auth(client, username, password)

    def answer(self, client: AppClient, ch: Challenge, responses: dict[str, str]) -> StepResult:
        return self.world.auth.respond_to_auth_challenge(
            client.client_id, ch.name.value, responses, session=ch.session
        )

    def outbox(self, pool: UserPool, username: str) -> list[OutboxMessage]:
        with self.world.store.transaction(readonly=True) as uow:
            return list(uow.outbox.list(pool.id, username))

    def last_code(self, pool: UserPool, username: str) -> str:
        codes = [m.code for m in self.outbox(pool, username) if m.code]
        assert codes, "no code was sent"
        return str(codes[-1])


def make_mfa_world(triggers: set[str] | None = None) -> MfaWorld:
    """A fresh world; with ``triggers``, the engine runs a ``FakeTriggers`` with those triggers
    configured (``MfaWorld.triggers``) over a store that counts open transactions."""
    world = make_world(START)
    deps = mfa_deps(world.master_key, OutboxSender(world.store, world.clock))
    fake: FakeTriggers | None = None
    if triggers is None:
        world.auth = AuthService(world.store, world.clock, world.tokens, world.master_key, mfa=deps)
    else:
        tracking = TrackingStore(world.store)
        fake = FakeTriggers(tracking, triggers)
        world.auth = AuthService(
            tracking,  # type: ignore[arg-type]
            world.clock,
            world.tokens,
            world.master_key,
            triggers=fake,
            mfa=deps,
        )
    access = FakeAccess()
    setup = MfaSetupSessions(world.store, world.clock, deps, Sessions(world.master_key))
    service = MfaService(world.store, world.clock, deps, access, setup)
    return MfaWorld(world, access, service, fake)


def fails(error: type[CognitoError], message: str, call: Any, *args: Any, **kwargs: Any) -> None:
    """``call(*args, **kwargs)`` raises ``error`` with exactly ``message``."""
    with pytest.raises(error) as info:
        call(*args, **kwargs)
    assert str(info.value) == message, str(info.value)


__all__ = ["PASSWORD", "START", "FakeAccess", "MfaWorld", "challenge", "fails", "make_mfa_world"]
