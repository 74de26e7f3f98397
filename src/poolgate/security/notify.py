"""Account-takeover notification e-mails (AccountTakeoverRiskConfiguration.NotifyConfiguration).

When the action applied to a risky sign-in has ``Notify: true`` (only under ENFORCED), the user
gets the e-mail of that action: ``BlockEmail`` for BLOCK, ``MfaEmail`` for MFA_IF_CONFIGURED and
MFA_REQUIRED, ``NoActionEmail`` for NO_ACTION, each {Subject, HtmlBody, TextBody}. A template the
configuration leaves out falls back to Poolgate's own wording below [decision: Cognito has
defaults too, their text is not in our sources].

Placeholders, as listed by the Cognito Developer Guide (message templates, "advanced security
template placeholders"): ``{username}``, ``{ip-address}``, ``{city}``, ``{country}``,
``{login-time}``, ``{device-name}``, ``{event-id}``, ``{feedback-token}``,
``{one-click-link-valid}`` and ``{one-click-link-invalid}``. Poolgate has no geolocation, so
``{city}`` and ``{country}`` are empty; ``{device-name}`` is the User-Agent (as in the event's
``EventContextData.DeviceName``). The one-click links need a hosted domain in Cognito; Poolgate
has no page that takes them, so they render empty [decision], and ``{event-id}`` with
``{feedback-token}`` let an app build its own link that calls UpdateAuthEventFeedback. Values
put into ``HtmlBody`` are HTML-escaped. Unknown ``{...}`` text is left as it is.

The message goes through the delivery layer like every other e-mail (recorded in the outbox,
then SMTP when configured); ``From`` and ``ReplyTo`` become its headers. A user without an
``email`` attribute gets nothing.
"""

from __future__ import annotations

import datetime
import html
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

from poolgate.delivery import Message
from poolgate.security.model import AuthEvent
from poolgate.security.risk import EventAction

PURPOSE: Final = "ACCOUNT_TAKEOVER_NOTIFICATION"
"""``Message.purpose`` of these e-mails (what the outbox and /_testing/messages show)."""

KEEP_SECONDS: Final = 24 * 3600
"""How long the outbox keeps a notification (it carries no code)."""

TEMPLATE_OF: Final[Mapping[EventAction, str]] = {
    EventAction.BLOCK: "BlockEmail",
    EventAction.MFA_IF_CONFIGURED: "MfaEmail",
    EventAction.MFA_REQUIRED: "MfaEmail",
    EventAction.NO_ACTION: "NoActionEmail",
}

_DETAILS = "Time: {login-time}\nDevice: {device-name}\nIP address: {ip-address}\n"
DEFAULTS: Final[Mapping[str, Mapping[str, str]]] = {
    "BlockEmail": {
        "Subject": "Blocked sign-in attempt",
        "TextBody": "We blocked an unrecognized sign-in to your account {username}.\n" + _DETAILS,
    },
    "MfaEmail": {
        "Subject": "New sign-in attempt",
        "TextBody": "We asked for a second factor at an unrecognized sign-in to your account {username}.\n"
        + _DETAILS,
    },
    "NoActionEmail": {
        "Subject": "New sign-in attempt",
        "TextBody": "We noticed an unrecognized sign-in to your account {username}.\n" + _DETAILS,
    },
}

_PLACEHOLDER = re.compile(r"\{([a-z][a-z-]*)\}")


FEEDBACK_PATH = "/auth-event-feedback"


def one_click_link(base_url: str, event: AuthEvent, feedback_token: str, value: str) -> str:
    """The link that gives ``value`` (``valid`` or ``invalid``) as feedback on ``event``
    (served by ``GET <base>/<poolId>/auth-event-feedback``, which calls the code of
    UpdateAuthEventFeedback with the token)."""
    query = urllib.parse.urlencode(
        {"username": event.username, "event_id": event.event_id, "token": feedback_token, "feedback": value}
    )
    return f"{base_url.rstrip('/')}/{event.pool_id}{FEEDBACK_PATH}?{query}"


def placeholder_values(event: AuthEvent, feedback_token: str, base_url: str | None = None) -> dict[str, str]:
    """The value of each placeholder for ``event``; the one-click links stay empty without a
    ``base_url`` (the server's public URL)."""
    when = datetime.datetime.fromtimestamp(event.created_at, tz=datetime.UTC)
    return {
        "username": event.username,
        "ip-address": event.ip or "",
        "city": "",
        "country": "",
        "login-time": when.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "device-name": event.user_agent or "",
        "event-id": event.event_id,
        "feedback-token": feedback_token,
        "one-click-link-valid": one_click_link(base_url, event, feedback_token, "valid") if base_url else "",
        "one-click-link-invalid": one_click_link(base_url, event, feedback_token, "invalid")
        if base_url
        else "",
    }


def render(template: str, values: Mapping[str, str], *, escape: bool = False) -> str:
    """``template`` with each known placeholder replaced (HTML-escaped when ``escape``)."""

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        if found is None:
            return match.group(0)
        return html.escape(found) if escape else found

    return _PLACEHOLDER.sub(value, template)


def notification(
    event: AuthEvent,
    action: EventAction,
    configuration: Mapping[str, Any],
    *,
    email: str,
    feedback_token: str,
    now: float,
    base_url: str | None = None,
) -> Message:
    """The e-mail for ``action`` on ``event``, to ``email``, from the NotifyConfiguration
    ``configuration`` (From, ReplyTo, BlockEmail, MfaEmail, NoActionEmail)."""
    name = TEMPLATE_OF[action]
    template = {**DEFAULTS[name], **(configuration.get(name) or {})}
    values = placeholder_values(event, feedback_token, base_url)
    text = template.get("TextBody") or DEFAULTS[name]["TextBody"]
    html_body = template.get("HtmlBody")
    return Message(
        user_pool_id=event.pool_id,
        username=event.username,
        channel="EMAIL",
        destination=email,
        purpose=PURPOSE,
        subject=render(str(template.get("Subject") or DEFAULTS[name]["Subject"]), values),
        body=render(str(text), values),
        code=None,
        expires_at=now + KEEP_SECONDS,
        html_body=render(str(html_body), values, escape=True) if html_body else None,
        sender=configuration.get("From") or None,
        reply_to=configuration.get("ReplyTo") or None,
    )
