"""SMS and e-mail one-time codes of a sign-in (SMS_MFA, EMAIL_OTP; mfa-devices-security.md
section 4), and the attempt limit every MFA answer shares.

In three phases, like every message Poolgate sends (``users.messages``):

1. :func:`draft` runs CustomMessage (``CustomMessage_Authentication``) with no transaction
   open and settles the text, placeholders kept;
2. :func:`send` issues the code in the caller's write phase: six digits, only a keyed hash
   stored (``users.codes``), bound to the auth session that waits for it, the message recorded
   in the outbox through the same unit of work;
3. the caller delivers the message (``sender.deliver``) once that phase has committed.

A code lives ``CODE_TTL`` seconds, or less when its session ends sooner, and is used once.
Wrong answers count on the session (``StoredAuthSession.attempts``): the ``MAX_WRONG_ANSWERS``-th
wrong answer ends the session, so the next call gets NotAuthorizedException ``Invalid session
for the user.`` [decision in auth-flows.md section 5: three attempts per session].
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from poolgate.delivery import Channel, Message, Purpose
from poolgate.errors import CodeMismatchException, ExpiredCodeException
from poolgate.mfa import messages
from poolgate.mfa.deps import MfaDeps
from poolgate.mfa.pool_config import pool_mfa
from poolgate.pools.model import UserPool
from poolgate.store.base import UnitOfWork
from poolgate.triggers.api import Caller, Triggers
from poolgate.users import codes
from poolgate.users.messages import Draft, apply_override, check_override
from poolgate.users.model import User
from poolgate.users.rules import CODE_PLACEHOLDER, MessageTemplate

CODE_TTL: Final = 180.0
"""Seconds an SMS or e-mail MFA code is valid: three minutes, AuthSessionValidity's default
(the spec ties it to the session: a longer session does not lengthen the code) [decision]."""

MAX_WRONG_ANSWERS: Final = 3
"""Wrong MFA answers one session takes; the last one ends it."""

TRIGGER_SOURCE: Final = "Authentication"
"""``CustomMessage_Authentication``."""

_CHANNELS: Final[Mapping[str, tuple[Channel, str]]] = {
    "SMS_MFA": ("SMS", "phone_number"),
    "EMAIL_OTP": ("EMAIL", "email"),
}


def channel_of(factor: str) -> tuple[Channel, str]:
    """The delivery channel and the attribute of ``SMS_MFA`` or ``EMAIL_OTP``."""
    return _CHANNELS[factor]


def draft(
    triggers: Triggers,
    pool: UserPool,
    user: User,
    factor: str,
    *,
    client_metadata: Mapping[str, str] | None,
    caller: Caller,
) -> Draft:
    """The code message of ``factor`` to ``user``: the pool's MFA template, or what
    CustomMessage returns for it. Must run with no transaction open; raises the trigger's
    errors (and InvalidLambdaResponseException for e-mail text the pool may not accept)."""
    channel, attribute = channel_of(factor)
    config = pool_mfa(pool)
    if channel == "SMS":
        template = MessageTemplate(config.sms_message)
    else:
        template = MessageTemplate(config.email_message, config.email_subject)
    override = triggers.custom_message(
        pool,
        source=TRIGGER_SOURCE,
        user=user,
        code_parameter=CODE_PLACEHOLDER,
        username_parameter=None,
        client_metadata=client_metadata,
        caller=caller,
    )
    check_override(pool, override)
    subject, body = apply_override(channel, template, override, placeholders=(CODE_PLACEHOLDER,))
    return Draft(attribute, channel, user.attributes[attribute], subject, body)


def purpose_of(session_id: str) -> str:
    """The code-store purpose of the code a session waits for (64 characters at most)."""
    return "MFA:" + session_id[:56]


def send(
    uow: UnitOfWork,
    deps: MfaDeps,
    user: User,
    message_draft: Draft,
    *,
    session_id: str,
    now: float,
    ttl: float,
) -> Message:
    """Issue the code of the session ``session_id`` and record its message in the outbox in
    ``uow``; return the message, for delivery once ``uow`` has committed."""
    code = codes.issue(
        uow,
        deps.hasher,
        pool_id=user.user_pool_id,
        sub=user.sub,
        purpose=purpose_of(session_id),
        now=now,
        ttl=ttl,
    )
    message = Message(
        user_pool_id=user.user_pool_id,
        username=user.username,
        channel=message_draft.channel,
        destination=message_draft.destination,
        purpose=Purpose.MFA,
        subject=message_draft.rendered_subject(code=code, username=user.username),
        body=message_draft.render(code=code, username=user.username),
        code=code,
        expires_at=now + ttl,
    )
    deps.sender.send_in(uow, message)
    return message


def check(uow: UnitOfWork, deps: MfaDeps, user: User, *, session_id: str, code: str, now: float) -> None:
    """Use up the code of the session ``session_id`` if ``code`` is it.

    Raises ExpiredCodeException when no code is pending or it has expired, and
    CodeMismatchException ``Invalid code or auth state for the user.`` when ``code`` is wrong;
    the caller counts that with :func:`count_wrong_answer`.
    """
    purpose = purpose_of(session_id)
    stored = uow.codes.get(user.user_pool_id, user.sub, purpose)
    if stored is None or stored.expires_at <= now:
        raise ExpiredCodeException(messages.CODE_EXPIRED)
    expected = deps.hasher(user.user_pool_id, user.sub, purpose, code)
    if not hmac.compare_digest(expected, stored.code_hash):
        raise CodeMismatchException(messages.INVALID_CODE)
    uow.codes.delete(user.user_pool_id, user.sub, purpose)


def discard(uow: UnitOfWork, user: User, session_id: str) -> None:
    """Forget the code of a session that ends."""
    uow.codes.delete(user.user_pool_id, user.sub, purpose_of(session_id))


def count_wrong_answer(uow: UnitOfWork, session_id: str) -> bool:
    """Count one wrong MFA answer on the (locked) session ``session_id``; the
    ``MAX_WRONG_ANSWERS``-th ends it. Returns True when the session has ended."""
    stored = uow.auth_sessions.get(session_id, for_update=True)
    if stored is None:
        return True
    attempts = stored.attempts + 1
    if attempts >= MAX_WRONG_ANSWERS:
        uow.auth_sessions.delete(session_id)
        return True
    uow.auth_sessions.update(replace(stored, attempts=attempts))
    return False
