"""The sign-in trigger points outside CUSTOM_AUTH's rounds (``custom``): PreAuthentication and
UserMigration before the password step, PostAuthentication and PreTokenGeneration at the end
(triggers.md sections 6.3, 6.4, 6.8 and 6.9; auth-flows.md sections 4.2, 6 and 7).

All run between phases, with no transaction open.

- PreAuthentication and UserMigration get the InitiateAuth / AdminInitiateAuth ClientMetadata
  as ``validationData`` and no ``clientMetadata``.
- :func:`finish` runs PostAuthentication first (an error there fails the call before any token
  session exists), then PreTokenGeneration, then one short write phase that reads the user
  again (it may have been deleted, disabled or reset meanwhile) and issues the tokens with what
  PreTokenGeneration asked to change. Both get the RespondToAuthChallenge call's ClientMetadata,
  never the InitiateAuth call's (a sign-in that completes in InitiateAuth sends ``{}``).
  On a pool that tracks devices (``devices.plan_for_tokens``) the same write phase hands out a
  new device (``NewDeviceMetadata``, and the tokens are bound to it) when the sign-in named
  none, or binds the tokens to the device that device SRP proved; ``newDeviceUsed`` says which.
- :func:`finish_in_phase` is the same write work done in the write phase of the step that
  passed, when neither trigger is configured (the engine offers it when tokens come next).
"""

from __future__ import annotations

from typing import Final

from poolgate.auth import account
from poolgate.auth.context import StepContext
from poolgate.auth.devices import DevicePlan, hand_out_device, new_device_metadata, plan_for_tokens
from poolgate.auth.existence import hides_existence, unknown_user_error
from poolgate.auth.state import Authenticated, AuthSession, ChallengeName, Issued
from poolgate.errors import CognitoError
from poolgate.triggers.api import MigrationResult, TokenOverrides
from poolgate.users.lookup import find_user
from poolgate.users.migration import migrated_user, store_migrated_user
from poolgate.users.model import User

MIGRATION_SOURCE: Final = "Authentication"
"""UserMigration_Authentication."""
AUTHENTICATION: Final = "Authentication"
NEW_PASSWORD_CHALLENGE: Final = "NewPasswordChallenge"
AUTHENTICATE_DEVICE: Final = "AuthenticateDevice"


def pre_authentication(ctx: StepContext, typed_username: str, user: User | None) -> None:
    """Run PreAuthentication for ``user``, or for an unknown user (``userNotFound: true``) when
    the client hides user existence; without existence hiding it does not run for unknown users
    [triggers.md section 6.3]. Raises what the trigger raises (UserLambdaValidationException
    ``PreAuthentication failed with error <message>.`` when it throws)."""
    if user is None and not hides_existence(ctx.client):
        return
    ctx.triggers.pre_authentication(
        ctx.pool,
        username=typed_username if user is None else user.username,
        user=user,
        validation_data=ctx.validation_data,
        user_not_found=user is None,
        caller=ctx.caller,
    )


def migrate_user(ctx: StepContext, typed_username: str, password: str) -> User | None:
    """Ask UserMigration about a user the pool does not know; when it answers with attributes,
    create that user (with ``password``, which the pool's policy does not judge, and the status
    the answer chose) and return it. None when no trigger is configured or the function knows
    no such user.

    The user is created in its own write phase, committed before the sign-in goes on: a user
    migrated in RESET_REQUIRED stays, although this sign-in then fails. If a concurrent sign-in
    created the user first, that user is returned instead.
    """
    if not ctx.triggers.configured(ctx.pool, "UserMigration"):
        return None
    result: MigrationResult | None = ctx.triggers.user_migration(
        ctx.pool,
        source=MIGRATION_SOURCE,
        username=typed_username,
        password=password,
        validation_data=ctx.validation_data,
        client_metadata=None,
        caller=ctx.caller,
    )
    if result is None:
        return None
    migrated = migrated_user(ctx.pool, typed_username, result, now=ctx.now, password=password)
    with ctx.writing() as phase:
        existing = find_user(phase.uow, ctx.pool, typed_username)
        if existing is not None:
            return existing
        store_migrated_user(phase.uow, ctx.pool, migrated)
    return migrated.user


def token_source(session: AuthSession) -> str:
    """The PreTokenGeneration source suffix: ``AuthenticateDevice`` for a sign-in that ended with
    device SRP, ``NewPasswordChallenge`` for one that went through NEW_PASSWORD_REQUIRED,
    ``Authentication`` otherwise."""
    if ChallengeName.DEVICE_PASSWORD_VERIFIER in session.steps:
        return AUTHENTICATE_DEVICE
    if ChallengeName.NEW_PASSWORD_REQUIRED in session.steps:
        return NEW_PASSWORD_CHALLENGE
    return AUTHENTICATION


def finish(ctx: StepContext, session: AuthSession, user: User) -> Authenticated:
    """Issue the tokens of a completed sign-in of ``user``; raises what the triggers raise, and
    the account errors of ``account.check_at_issue`` (or the unknown-user error) when the user
    changed since the step that authenticated it."""
    metadata = ctx.respond_client_metadata
    devices = plan_for_tokens(ctx.pool, session)
    ctx.triggers.post_authentication(
        ctx.pool,
        user=user,
        new_device_used=devices.new_device_used,
        client_metadata=metadata,
        caller=ctx.caller,
    )
    overrides = ctx.tokens.pre_token_generation(
        ctx.store,
        ctx.pool,
        ctx.client,
        user,
        source=token_source(session),
        client_metadata=metadata,
        caller=ctx.caller,
    )
    with ctx.writing() as phase:
        current = phase.uow.users.get(ctx.pool.id, user.sub)
        if current is None:
            raise unknown_user_error(ctx.client)
        account.check_at_issue(current)
        issued = _issue(phase, session, current, devices, overrides)
    return signed(issued)


def finish_in_phase(phase: StepContext, session: AuthSession, user: User) -> Issued | None:
    """:func:`finish` inside the write phase of the step that just passed (``phase``), which
    read ``user`` itself: possible when neither PostAuthentication nor PreTokenGeneration has
    to run first and ``user`` may have tokens. Saves the token phase's transaction (a password
    sign-in then commits once). None when the regular :func:`finish` must run instead."""
    points = phase.trigger_points
    if points.configured(phase.pool, "PostAuthentication") or points.configured(
        phase.pool, "PreTokenGeneration"
    ):
        return None
    try:
        account.check_at_issue(user)
    except CognitoError:
        # Raised by finish after the step has committed, as it would be without this shortcut.
        return None
    return _issue(phase, session, user, plan_for_tokens(phase.pool, session), None)


def signed(issued: Issued) -> Authenticated:
    """The tokens of ``issued``, signed (after its phase committed: the RSA work holds no lock)."""
    device = issued.device
    return Authenticated(issued.tokens.sign(), None if device is None else new_device_metadata(device))


def _issue(
    phase: StepContext,
    session: AuthSession,
    user: User,
    devices: DevicePlan,
    overrides: TokenOverrides | None,
) -> Issued:
    """In a write phase: the device handed out (if the plan says so) and the token session."""
    device = hand_out_device(phase, user) if devices.hand_out else None
    pending = phase.tokens.prepare_sign_in(
        phase.uow,
        phase.pool,
        phase.client,
        user,
        auth_time=session.auth_time if session.auth_time is not None else phase.now,
        device_key=device.device_key if device is not None else devices.bind,
        overrides=overrides,
        event_id=session.risk_event,
    )
    return Issued(session, user, pending, device)
