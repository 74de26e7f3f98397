"""The constants of the user rules, in one place: code lifetimes and limits, messages
used by more than one module, and the default message templates.

The facts and their evidence are in ``docs/management.md`` sections 9–17. Every value
Poolgate chose without a source says so next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from poolgate.pools.model import UserPool

# -- one-time codes (docs/management.md section 13) ----------------------------------------

CODE_LENGTH = 6
"""Confirmation, verification and reset codes are six decimal digits."""

SIGN_UP_CODE_TTL = 24 * 3600.0
"""Seconds a sign-up confirmation code stays valid (24 hours, AWS staff answers)."""

ATTRIBUTE_CODE_TTL = 24 * 3600.0
"""Seconds an attribute verification code stays valid (24 hours)."""

FORGOT_PASSWORD_CODE_TTL = 3600.0
"""Seconds a password reset code stays valid (one hour, Developer Guide)."""

MAX_CODE_ATTEMPTS = 5
"""Wrong guesses counted on one pending code before every attempt fails with
LimitExceededException [decision within AWS's documented 5–20]."""

RESEND_LIMIT = 5
"""Code requests per user and purpose allowed in one ``RESEND_WINDOW`` [decision]."""

RESEND_WINDOW = 3600.0
"""Length in seconds of the window ``RESEND_LIMIT`` counts in (one hour, Developer Guide)."""

# -- ListUsers (section 12) --------------------------------------------------------------

LIST_USERS_MAX_LIMIT = 60
"""The largest ``Limit`` ListUsers, ListUsersInGroup and AdminListGroupsForUser accept."""

LIST_USERS_DEFAULT_LIMIT = 60
"""The page size when ``Limit`` is absent or 0 [decision]."""

# -- messages -------------------------------------------------------------------------------

CODE_MISMATCH_MESSAGE = "Invalid verification code provided, please try again."
CODE_EXPIRED_MESSAGE = "Invalid code provided, please request a code again."
ATTEMPT_LIMIT_MESSAGE = "Attempt limit exceeded, please try after some time."
USER_EXISTS_SIGN_UP_MESSAGE = "User already exists"
USER_EXISTS_ADMIN_MESSAGE = "User account already exists"
USER_NOT_FOUND_MESSAGE = "User does not exist."
UNAUTHORIZED_ATTRIBUTE_MESSAGE = "A client attempted to write unauthorized attribute"
SCHEMA_PREFIX = "Attributes did not conform to the schema: "
FILTER_PARSE_MESSAGE = "Error while parsing filter."
PASSWORD_HISTORY_MESSAGE = "The password has previously been used."


def account_exists_message(attribute: str) -> str:
    """The UsernameExists/AliasExists text for an e-mail or phone key, e.g.
    ``An account with the given email already exists.``"""
    return f"An account with the given {attribute} already exists."


def attribute_not_in_schema_message(name: str) -> str:
    """The InvalidParameterException text of (Admin)DeleteUserAttributes for a name the
    pool's schema lacks (issue 15; AWS's ``user.<name>: Attribute does not exist in the
    schema.`` as reported for attribute updates, under the prefix of its attribute errors)."""
    return f"Invalid user attributes: user.{name}: Attribute does not exist in the schema."


def already_confirmed_message(status: str) -> str:
    """The NotAuthorizedException text of ConfirmSignUp for a user that is not UNCONFIRMED."""
    return f"User cannot be confirmed. Current status is {status}"


# -- message templates (section 16) ---------------------------------------------------------

CODE_PLACEHOLDER = "{####}"
USERNAME_PLACEHOLDER = "{username}"

DEFAULT_VERIFICATION_SUBJECT = "Your verification code"
DEFAULT_VERIFICATION_MESSAGE = "Your verification code is {####}. "
DEFAULT_FORGOT_PASSWORD_MESSAGE = "Your password reset code is {####}"
DEFAULT_INVITE_SUBJECT = "Your temporary password"
DEFAULT_INVITE_MESSAGE = "Your username is {username} and temporary password is {####}. "
DEFAULT_SMS_AUTHENTICATION_MESSAGE = "Your authentication code is {####}. "


@dataclass(frozen=True, slots=True)
class MessageTemplate:
    """A message before rendering; ``subject`` is None for SMS."""

    body: str
    subject: str | None = None


def render_template(template: str, *, code: str | None = None, username: str | None = None) -> str:
    """Replace ``{####}`` with ``code`` and ``{username}`` with ``username``.

    A placeholder whose value is not given is left as it is, so a caller can render in
    two steps.
    """
    text = template
    if code is not None:
        text = text.replace(CODE_PLACEHOLDER, code)
    if username is not None:
        text = text.replace(USERNAME_PLACEHOLDER, username)
    return text


def verification_template(pool: UserPool, channel: str, *, forgot_password: bool = False) -> MessageTemplate:
    """The sign-up / attribute-verification (or password-reset) message for ``channel``
    (``EMAIL`` or ``SMS``): the pool's ``VerificationMessageTemplate`` or the default."""
    template: Mapping[str, Any] = pool.config.get("VerificationMessageTemplate") or {}
    default = DEFAULT_FORGOT_PASSWORD_MESSAGE if forgot_password else DEFAULT_VERIFICATION_MESSAGE
    if channel == "SMS":
        return MessageTemplate(str(template.get("SmsMessage") or default))
    return MessageTemplate(
        str(template.get("EmailMessage") or default),
        str(template.get("EmailSubject") or DEFAULT_VERIFICATION_SUBJECT),
    )


def invite_template(pool: UserPool, channel: str) -> MessageTemplate:
    """The AdminCreateUser invitation for ``channel``: the pool's
    ``AdminCreateUserConfig.InviteMessageTemplate`` or the default."""
    admin: Mapping[str, Any] = pool.config.get("AdminCreateUserConfig") or {}
    template: Mapping[str, Any] = admin.get("InviteMessageTemplate") or {}
    if channel == "SMS":
        return MessageTemplate(str(template.get("SMSMessage") or DEFAULT_INVITE_MESSAGE))
    return MessageTemplate(
        str(template.get("EmailMessage") or DEFAULT_INVITE_MESSAGE),
        str(template.get("EmailSubject") or DEFAULT_INVITE_SUBJECT),
    )
