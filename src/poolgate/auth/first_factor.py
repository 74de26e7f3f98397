"""The password step shared by the password flows and PASSWORD_VERIFIER: lockout, account
checks, the password check itself, and what each outcome writes.

Both functions run in a write phase (``ctx`` bound to its unit of work) and take the user as
that phase re-read it, so a change made since the read phase (a new password, a disabled
account) is what gets checked. Every write here must survive the error that follows it (a
counted failure, a refused attempt during a lock), so failures come back as ``Failed`` or
``Rejected`` and the engine raises them once the phase has committed.
"""

from __future__ import annotations

from collections.abc import Callable

from poolgate.auth import account, messages
from poolgate.auth.context import StepContext
from poolgate.auth.devices import recognise_device
from poolgate.auth.state import AuthSession, ChallengeName, Failed, Outcome, Passed, Rejected
from poolgate.errors import NotAuthorizedException
from poolgate.security import lockout
from poolgate.srp import ProofMismatch, SrpError
from poolgate.users.model import User


def checks_before_password(ctx: StepContext, user: User) -> Rejected | None:
    """Lockout then the account checks that come before the password.

    A running lock returns ``Rejected`` (``Password attempts exceeded``) after noting the
    attempt; an account error is raised.
    """
    if lockout.refuse_if_locked(ctx.uow.login_attempts, ctx.pool.id, user.sub, ctx.now):
        return Rejected(NotAuthorizedException(messages.ATTEMPTS_EXCEEDED))
    account.check_before_password(user, ctx.client)
    return None


def password_step(
    ctx: StepContext,
    user: User,
    session: AuthSession,
    step: ChallengeName,
    verify: Callable[[], None],
) -> Outcome:
    """Run ``verify`` (which raises an ``SrpError`` when the password or proof is wrong) under
    the lockout and account rules; on success return ``session`` with ``step`` passed, as the
    engine settles it within this phase (``StepContext.settle_in_phase``: ``Issued`` when the
    tokens could be prepared here too).

    ``ProofMismatch`` counts towards the lockout and reports ``Failed``; other SRP errors (a
    stale TIMESTAMP, a bad SRP_A) are refused with the same generic message but not counted,
    since they say nothing about the password. On success the caller's ``DEVICE_KEY`` is
    settled (``devices.recognise_device``): ResourceNotFoundException for an unknown device.
    """
    refused = checks_before_password(ctx, user)
    if refused is not None:
        return refused
    repo = ctx.uow.login_attempts
    try:
        verify()
    except ProofMismatch:
        lockout.count_failure(repo, ctx.pool.id, user.sub, ctx.now)
        return Failed(session, user, step, NotAuthorizedException(messages.INCORRECT_CREDENTIALS))
    except SrpError:
        return Rejected(NotAuthorizedException(messages.INCORRECT_CREDENTIALS))
    repo.reset(ctx.pool.id, user.sub)
    error = account.error_after_password(user, ctx.pool, ctx.client, ctx.now)
    if error is not None:
        return Rejected(error)
    # Raises (rolling the phase back) for a DEVICE_KEY that is not a device of this user.
    passed = recognise_device(ctx, user, session.passed(step, now=ctx.now, password=True))
    return ctx.settle_in_phase(Passed(passed, user))
