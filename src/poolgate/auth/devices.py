"""Remembered devices in a sign-in (mfa-devices-security.md section 5, auth-flows.md section 6).

- After the password step (``first_factor.password_step``), :func:`recognise_device` settles
  the ``DEVICE_KEY`` the caller named: it must be a confirmed device of the user when the pool
  tracks devices (else ResourceNotFoundException ``Device does not exist.``, raised inside the
  write phase so that the step rolls back and the JS SDK can repeat its PASSWORD_VERIFIER answer
  without the key), and it is dropped when the pool does not.
- ``engine.next_challenge`` then asks :func:`needs_device_srp` (the DEVICE row) and the MFA rows
  ask :func:`device_skips_mfa`. Both are pure.
- ``hooks.finish`` asks :func:`plan_for_tokens` what the tokens are bound to and whether a new
  device is handed out (``NewDeviceMetadata``), and :func:`hand_out_device` stores it.

The DEVICE row comes after the MFA rows: amazon-cognito-identity-js expects tokens right after
DEVICE_PASSWORD_VERIFIER (``getDeviceResponse``) while it does handle DEVICE_SRP_AUTH after an
MFA answer, as Amplify JS does since aws-amplify/amplify-js#14626. So a device that does not
skip MFA is proven after the MFA step, and one that does is proven instead of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from poolgate.auth import messages
from poolgate.auth.context import StepContext, required
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, ChallengeName
from poolgate.devices.model import Device
from poolgate.devices.policy import DEVICE_NOT_FOUND, pending_device, tracking
from poolgate.errors import NotAuthorizedException, ResourceNotFoundException
from poolgate.pools.clients import token_validity_seconds
from poolgate.pools.model import AppClient, UserPool
from poolgate.users.lookup import find_user
from poolgate.users.model import User


def recognise_device(ctx: StepContext, user: User, session: AuthSession) -> AuthSession:
    """``session`` (whose password step just passed for ``user``; ``ctx`` bound to the write
    phase) with its ``device_key`` settled and ``device_remembered`` set.

    Raises ResourceNotFoundException ``Device does not exist.`` for a key that is not a
    confirmed device of this user on a pool that tracks devices."""
    if session.device_key is None or not tracking(ctx.pool).enabled:
        return replace(session, device_key=None, device_remembered=False)
    device = usable_device(ctx, user, session.device_key)
    if device is None:
        raise ResourceNotFoundException(DEVICE_NOT_FOUND)
    return replace(session, device_remembered=device.remembered)


def usable_device(ctx: StepContext, user: User, device_key: str, *, lock: bool = False) -> Device | None:
    """The confirmed device ``device_key`` of ``user``, or None (``ctx`` bound to a phase)."""
    device = ctx.uow.devices.get(ctx.pool.id, device_key, for_update=lock)
    if device is None or device.sub != user.sub or not device.confirmed:
        return None
    return device


# -- the table's conditions (pure) ----------------------------------------------------------------


def device_skips_mfa(session: AuthSession, user: User, pool: UserPool) -> bool:
    """True when the device of the sign-in replaces its MFA step: a remembered device on a pool
    with ``ChallengeRequiredOnNewDevice`` (mfa-devices-security.md section 5.2 item 3). The
    device is proven by device SRP, which ``next_challenge`` issues after the MFA rows."""
    return (
        session.device_key is not None and session.device_remembered and tracking(pool).remembered_skips_mfa
    )


def needs_device_srp(session: AuthSession, user: User, pool: UserPool, client: AppClient) -> bool:
    """True while the sign-in names a confirmed device (see :func:`recognise_device`) that it has
    not yet proven with DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER. CUSTOM_AUTH sign-ins end
    through DefineAuthChallenge and never reach the table."""
    return (
        session.device_key is not None
        and ChallengeName.DEVICE_PASSWORD_VERIFIER not in session.steps
        and tracking(pool).enabled
    )


# -- DEVICE_SRP_AUTH answered without Session --------------------------------------------------


def find_pending_step(ctx: StepContext, responses: Mapping[str, str]) -> LoadedSession:
    """The DEVICE_SRP_AUTH session last issued for the device ``DEVICE_KEY`` of the user
    ``USERNAME`` (``ctx`` bound to a read phase). pycognito sends no ``Session`` on its device
    steps (auth-flows.md section 4.1): the device row records the session of the pending step,
    and ``Sessions.check_usable`` then checks its client, expiry and challenge as usual.

    Raises NotAuthorizedException ``Invalid session for the user.`` when there is no such step."""
    device_key = required(responses, "DEVICE_KEY")
    device = ctx.uow.devices.get(ctx.pool.id, device_key)
    user = find_user(ctx.uow, ctx.pool, required(responses, "USERNAME"))
    if device is None or user is None or device.sub != user.sub or device.pending_session is None:
        raise NotAuthorizedException(messages.INVALID_SESSION)
    return ctx.sessions.find_stored(ctx.uow, device.pending_session)


# -- tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DevicePlan:
    """What a completed sign-in does about devices: the device its refresh token is bound to
    (``bind``), whether it hands out a new device (``hand_out``), and PostAuthentication's
    ``newDeviceUsed`` (None when the pool does not track devices)."""

    bind: str | None = None
    hand_out: bool = False
    new_device_used: bool | None = None


def plan_for_tokens(pool: UserPool, session: AuthSession) -> DevicePlan:
    """The :class:`DevicePlan` of ``session``'s sign-in. Pure.

    - tracking off: nothing;
    - a device proven by device SRP: the tokens are bound to it;
    - no device named, and not an Admin* sign-in (admin flows do not support device tracking,
      auth-flows.md section 4.2): a new device, to which the tokens are bound;
    - a device named but not proven (a CUSTOM_AUTH sign-in): neither."""
    if not tracking(pool).enabled:
        return DevicePlan()
    if session.device_key is not None and ChallengeName.DEVICE_PASSWORD_VERIFIER in session.steps:
        return DevicePlan(bind=session.device_key, new_device_used=False)
    if session.device_key is None and not session.admin:
        return DevicePlan(hand_out=True, new_device_used=True)
    return DevicePlan(new_device_used=False)


def hand_out_device(ctx: StepContext, user: User) -> Device:
    """Store a pending device for ``user`` (``ctx`` bound to the token write phase): it lives as
    long as the refresh token issued with it, unless ConfirmDevice keeps it."""
    lifetime = token_validity_seconds(ctx.client.config)["RefreshToken"]
    device = pending_device(
        ctx.pool,
        user.sub,
        group_key=ctx.uow.devices.group_key(ctx.pool.id, user.sub),
        now=ctx.now,
        expires_at=ctx.now + lifetime,
    )
    ctx.uow.devices.add(device)
    return device


def new_device_metadata(device: Device) -> dict[str, str]:
    """``AuthenticationResult.NewDeviceMetadata`` for a device handed out."""
    return {"DeviceKey": device.device_key, "DeviceGroupKey": device.group_key}
