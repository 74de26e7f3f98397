"""Message drafts: the text of a code message or an invitation, settled before any write.

A service that sends a code first drafts the message outside every write transaction: it
takes the pool's template and lets the CustomMessage trigger replace it [spec triggers.md
§6.10]. The draft keeps the placeholders ``{####}`` (and ``{username}`` in invitations); the
write phase issues the code and fills them in (see ``common.send_code``). This split keeps
the Lambda call, which may take seconds, out of the database's write lock.

What the trigger may return, and what happens otherwise:

* ``smsMessage`` and ``emailMessage`` replace the body only when they contain every
  placeholder the request offered and fit Cognito's limits (140 characters for SMS, 20,000
  for e-mail); otherwise the template is kept [decision]. AWS is reported to do the same
  with an AdminCreateUser message that lacks ``{username}`` (Stack Overflow question
  56865198).
* ``emailMessage`` / ``emailSubject`` are refused with InvalidLambdaResponseException unless
  the pool sends its own mail (``EmailConfiguration.EmailSendingAccount`` = ``DEVELOPER``),
  as the trigger's documentation says.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from poolgate.delivery import Channel
from poolgate.errors import InvalidLambdaResponseException
from poolgate.pools.model import UserPool
from poolgate.triggers.api import Caller, MessageOverride, Triggers
from poolgate.users import rules
from poolgate.users.model import User

SMS_LIMIT = 140
EMAIL_LIMIT = 20_000
EMAIL_NOT_ALLOWED_MESSAGE = (
    "Invalid lambda function output : emailMessage and emailSubject can only be returned "
    "when the user pool's EmailSendingAccount is DEVELOPER"
)


@dataclass(frozen=True, slots=True)
class Draft:
    """A message whose text is decided but whose code is not issued yet.

    ``attribute`` is the attribute the message goes to (``email`` or ``phone_number``) and
    ``destination`` its value; ``subject`` (e-mail only) and ``body`` still hold the
    placeholders.
    """

    attribute: str
    channel: Channel
    destination: str
    subject: str | None
    body: str

    def render(self, *, code: str, username: str | None = None) -> str:
        """The body with the code (and the sign-in name) filled in."""
        return rules.render_template(self.body, code=code, username=username)

    def rendered_subject(self, *, code: str, username: str | None = None) -> str | None:
        if self.subject is None:
            return None
        return rules.render_template(self.subject, code=code, username=username)


def channel_of(attribute: str) -> Channel:
    """EMAIL for ``email``, SMS for ``phone_number``."""
    return "EMAIL" if attribute == "email" else "SMS"


def sends_own_email(pool: UserPool) -> bool:
    """True when the pool's EmailSendingAccount is DEVELOPER (mail through the pool's SES)."""
    config: Mapping[str, Any] = pool.config.get("EmailConfiguration") or {}
    return config.get("EmailSendingAccount") == "DEVELOPER"


def draft_code_message(
    triggers: Triggers,
    pool: UserPool,
    user: User,
    *,
    attribute: str,
    source: str,
    caller: Caller,
    client_metadata: Mapping[str, str] | None,
    destination: str | None = None,
    forgot_password: bool = False,
) -> Draft:
    """Draft the code message of ``source`` (``SignUp``, ``ResendCode``, ``ForgotPassword``,
    ``UpdateUserAttribute``, ``VerifyUserAttribute``) to ``user``'s ``attribute``.

    ``destination`` overrides the attribute's stored value (a held-back new e-mail).
    Raises the trigger's errors, and InvalidLambdaResponseException for e-mail text the pool
    may not accept.
    """
    channel = channel_of(attribute)
    template = rules.verification_template(pool, channel, forgot_password=forgot_password)
    override = triggers.custom_message(
        pool,
        source=source,
        user=user,
        code_parameter=rules.CODE_PLACEHOLDER,
        username_parameter=None,
        client_metadata=client_metadata,
        caller=caller,
    )
    check_override(pool, override)
    subject, body = apply_override(channel, template, override, placeholders=(rules.CODE_PLACEHOLDER,))
    return Draft(attribute, channel, destination or user.attributes[attribute], subject, body)


def draft_invitations(
    triggers: Triggers, pool: UserPool, user: User, mediums: Sequence[str], *, caller: Caller
) -> list[Draft]:
    """Draft AdminCreateUser's invitation for each of ``mediums`` (``EMAIL``, ``SMS``) the
    user has an address for. The CustomMessage_AdminCreateUser trigger runs once, and only
    if there is something to send; it gets no ClientMetadata [spec triggers.md §5]."""
    targets = [
        (channel, attribute)
        for channel, attribute in (("EMAIL", "email"), ("SMS", "phone_number"))
        if channel in mediums and user.attributes.get(attribute)
    ]
    if not targets:
        return []
    override = triggers.custom_message(
        pool,
        source="AdminCreateUser",
        user=user,
        code_parameter=rules.CODE_PLACEHOLDER,
        username_parameter=rules.USERNAME_PLACEHOLDER,
        client_metadata=None,
        caller=caller,
    )
    check_override(pool, override)
    drafts: list[Draft] = []
    for channel, attribute in targets:
        typed: Channel = "EMAIL" if channel == "EMAIL" else "SMS"
        template = rules.invite_template(pool, typed)
        subject, body = apply_override(
            typed, template, override, placeholders=(rules.CODE_PLACEHOLDER, rules.USERNAME_PLACEHOLDER)
        )
        drafts.append(Draft(attribute, typed, user.attributes[attribute], subject, body))
    return drafts


def check_override(pool: UserPool, override: MessageOverride | None) -> None:
    """Refuse e-mail text from the trigger when Cognito, not the pool, sends the mail."""
    if override is None or sends_own_email(pool):
        return
    if override.email_message is not None or override.email_subject is not None:
        raise InvalidLambdaResponseException(EMAIL_NOT_ALLOWED_MESSAGE)


def apply_override(
    channel: Channel,
    template: rules.MessageTemplate,
    override: MessageOverride | None,
    *,
    placeholders: Collection[str],
) -> tuple[str | None, str]:
    """The (subject, body) to send on ``channel``: the trigger's text where it is usable,
    the template's elsewhere."""
    if override is None:
        return template.subject, template.body
    if channel == "SMS":
        return None, _usable(override.sms_message, placeholders, SMS_LIMIT) or template.body
    body = _usable(override.email_message, placeholders, EMAIL_LIMIT) or template.body
    return override.email_subject or template.subject, body


def _usable(text: str | None, placeholders: Collection[str], limit: int) -> str | None:
    if not text or len(text) > limit:
        return None
    if any(placeholder not in text for placeholder in placeholders):
        return None
    return text
