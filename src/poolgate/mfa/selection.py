"""Which MFA step a sign-in needs (mfa-devices-security.md section 2's table, auth-flows.md
section 6 step 4). Pure functions of the pool, the user and the sign-in's passed steps; the
engine's ``next_challenge`` rows call :func:`mfa_required` and :func:`mfa_step`.

A factor is *usable* by a user when the user enabled it and can receive it: SMS needs the
pool's SMS MFA and a ``phone_number``, e-mail the pool's e-mail MFA and an ``email``; TOTP needs
a verified token, and stays usable when the pool switches TOTP off later [docs].

| Pool | User | Step |
|---|---|---|
| OFF | anything | none |
| ON / OPTIONAL | preferred factor usable | that factor |
| ON / OPTIONAL | exactly one usable factor | that factor |
| ON / OPTIONAL | several usable, none preferred | SELECT_MFA_TYPE |
| ON | none usable, but a verified TOTP | SOFTWARE_TOKEN_MFA [decision] |
| ON | none usable, pool SMS MFA and a phone | SMS_MFA [inferred, spec section 1] |
| ON | none of the above | MFA_SETUP |
| OPTIONAL | none usable | none |
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from poolgate.mfa.model import EMAIL_OTP, FACTORS, SMS_MFA, SOFTWARE_TOKEN_MFA
from poolgate.mfa.pool_config import OFF, ON, PoolMfa, pool_mfa
from poolgate.mfa.user_settings import UserMfa, read
from poolgate.pools.model import UserPool
from poolgate.users.model import User

MFA_SETUP: Final = "MFA_SETUP"
SELECT_MFA_TYPE: Final = "SELECT_MFA_TYPE"

MFA_STEPS: Final = frozenset({*FACTORS, MFA_SETUP})
"""Steps that, once passed, satisfy a sign-in's MFA: a factor's challenge (each factor is named
by its ChallengeName), or MFA_SETUP, which enrols one."""

SETUP_FACTORS: Final = (SMS_MFA, SOFTWARE_TOKEN_MFA)
"""Factors ``MFAS_CAN_SETUP`` lists when the pool enables them. MFA_SETUP itself enrols TOTP
(AssociateSoftwareToken / VerifySoftwareToken with the Session); SMS is listed as Cognito does,
for an app that adds a phone number and calls SetUserMFAPreference. E-mail enrolment through
MFA_SETUP (Amplify's ``EMAIL`` answer) is not implemented, so ``EMAIL_OTP`` is not offered."""


def usable_factors(pool: PoolMfa, user: User, state: UserMfa) -> tuple[str, ...]:
    """The user's enabled factors that can be challenged now, in Cognito's order."""
    reachable = {
        SMS_MFA: pool.sms and bool(user.attributes.get("phone_number")),
        EMAIL_OTP: pool.email and bool(user.attributes.get("email")),
        SOFTWARE_TOKEN_MFA: state.totp_verified,
    }
    return tuple(factor for factor in state.enabled if reachable[factor])


def usable_step(usable: tuple[str, ...], state: UserMfa) -> str | None:
    """The step among the user's ``usable`` factors: the preferred one, else the only one, else
    SELECT_MFA_TYPE to let the user choose; None when no factor is usable. Shared by the pool's
    MFA (:func:`mfa_step`) and the MFA threat protection asks for (``auth.threat``)."""
    if state.preferred in usable:
        return state.preferred
    if len(usable) == 1:
        return usable[0]
    if usable:
        return SELECT_MFA_TYPE
    return None


def mfa_passed(steps: Collection[str]) -> bool:
    """True when the sign-in has already passed an MFA step."""
    return any(str(step) in MFA_STEPS for step in steps)


def mfa_required(steps: Collection[str], user: User, pool: UserPool) -> bool:
    """True when the sign-in still owes an MFA step: the pool is not OFF, no MFA step has been
    passed, and the pool is ON or the user has a usable factor."""
    config = pool_mfa(pool)
    if config.mode == OFF or mfa_passed(steps):
        return False
    return config.mode == ON or bool(usable_factors(config, user, read(user)))


def mfa_step(user: User, pool: UserPool) -> str | None:
    """The MFA step for ``user`` following the module's table (a ChallengeName value), or None
    when no MFA is due. Does not look at the steps passed: see :func:`mfa_required`."""
    config = pool_mfa(pool)
    if config.mode == OFF:
        return None
    state = read(user)
    step = usable_step(usable_factors(config, user, state), state)
    if step is not None:
        return step
    if config.mode != ON:
        return None
    if state.totp_verified:
        return SOFTWARE_TOKEN_MFA
    if config.sms and user.attributes.get("phone_number"):
        return SMS_MFA
    return MFA_SETUP


def choices(user: User, pool: UserPool) -> tuple[str, ...]:
    """``MFAS_CAN_CHOOSE`` of SELECT_MFA_TYPE: the user's usable factors."""
    return usable_factors(pool_mfa(pool), user, read(user))


def can_set_up(pool: UserPool) -> tuple[str, ...]:
    """``MFAS_CAN_SETUP`` of MFA_SETUP: the pool's factors that MFA_SETUP can enrol."""
    return tuple(factor for factor in pool_mfa(pool).factors if factor in SETUP_FACTORS)
