"""``WebhookSender``: hands each message to an HTTP endpoint as JSON.

The endpoint receives ``POST`` with ``Content-Type: application/json`` and this body::

    {"userPoolId": "...", "username": "...", "channel": "SMS", "destination": "+15555550100",
     "purpose": "SIGN_UP", "message": "Your code is 123456", "subject": null}

Any 2xx answer means the message was accepted. Anything else (including redirects,
which are not followed), a connection error or no answer within the timeout is a
delivery failure. The plain ``code`` is not sent: the message text already holds it.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from poolgate.config import ConfigError
from poolgate.delivery.message import Message
from poolgate.errors import CodeDeliveryFailureException

log = logging.getLogger("poolgate.delivery")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Turn every redirect into an ``HTTPError``: a message is never re-posted elsewhere."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def webhook_payload(message: Message) -> dict[str, str | None]:
    """The JSON object posted for ``message``."""
    return {
        "userPoolId": message.user_pool_id,
        "username": message.username,
        "channel": message.channel,
        "destination": message.destination,
        "purpose": str(message.purpose),
        "message": message.body,
        "subject": message.subject,
    }


class WebhookSender:
    """Posts messages (typically SMS) to one HTTP(S) URL."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        """Check the URL now, so a bad setting fails at start-up (``ConfigError``)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("POOLGATE_SMS_WEBHOOK_URL must be an http:// or https:// URL")
        self._url = url
        # The URL may carry a token, so logs show only its scheme, host and port.
        self._safe_url = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
        self._timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())

    def send(self, message: Message) -> None:
        """Post ``message``; raise ``CodeDeliveryFailureException`` unless the answer is 2xx."""
        body = json.dumps(webhook_payload(message)).encode("utf-8")
        request = urllib.request.Request(
            self._url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "poolgate"},
        )
        channel = "email" if message.channel == "EMAIL" else "SMS"
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                status = int(response.status)
                response.read()
        except urllib.error.HTTPError as exc:
            # The error object holds the open response; close it before giving up.
            exc.close()
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            log.warning("%s webhook %s failed: %s", channel, self._safe_url, reason)
            timed_out = isinstance(reason, TimeoutError)
            why = "did not answer in time" if timed_out else "could not be reached"
            raise CodeDeliveryFailureException(
                f"Could not deliver the {channel} message: the delivery webhook {why}."
            ) from exc
        if not 200 <= status < 300:
            log.warning("%s webhook %s answered HTTP %d", channel, self._safe_url, status)
            raise CodeDeliveryFailureException(
                f"Could not deliver the {channel} message: the delivery webhook answered HTTP {status}."
            )
