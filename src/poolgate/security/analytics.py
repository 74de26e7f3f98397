"""AnalyticsMetadata: Pinpoint-style events about sign-ups, sign-ins and token refreshes.

Cognito sends these to the Amazon Pinpoint project of the app client's
``AnalyticsConfiguration``; Poolgate has no Pinpoint, so each event goes to a sink instead
[decision, spec mfa-devices-security.md section 8]: by default one JSON object per line in
``analytics-events.jsonl`` in the data folder, or a POST to ``POOLGATE_ANALYTICS_WEBHOOK_URL``.
The event types are Pinpoint's ``_userauth.sign_in``, ``_userauth.sign_up``,
``_userauth.auth_fail`` and (Poolgate's own) ``_userauth.token_refresh``.

Publishing never fails the request that caused it: a sink error is logged and dropped, and
the webhook is called from a background thread. No password, code or token is ever put in an
event.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from poolgate.private_files import make_private_folder, open_private_append

log = logging.getLogger("poolgate.analytics")

SIGN_IN = "_userauth.sign_in"
SIGN_UP = "_userauth.sign_up"
AUTH_FAIL = "_userauth.auth_fail"
TOKEN_REFRESH = "_userauth.token_refresh"


@dataclass(frozen=True, slots=True)
class AnalyticsEvent:
    """One published event. ``application_id`` comes from the client's AnalyticsConfiguration
    (ApplicationId, or the ApplicationArn); ``endpoint_id`` from the request's
    AnalyticsMetadata; ``user_attributes`` only when the configuration has UserDataShared."""

    event_type: str
    timestamp: float
    user_pool_id: str
    client_id: str
    username: str | None = None
    event_id: str | None = None
    endpoint_id: str | None = None
    application_id: str | None = None
    user_attributes: Mapping[str, str] | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "event_type": self.event_type,
            "timestamp": self.timestamp,
            "application_id": self.application_id,
            "endpoint": {"id": self.endpoint_id},
            "attributes": {
                "userpool_id": self.user_pool_id,
                "client_id": self.client_id,
                **({"username": self.username} if self.username else {}),
                **({"event_id": self.event_id} if self.event_id else {}),
                **self.attributes,
            },
        }
        if self.user_attributes is not None:
            document["user_attributes"] = dict(self.user_attributes)
        return document


class AnalyticsSink(Protocol):
    """Where analytics events go."""

    def publish(self, event: AnalyticsEvent) -> None:
        """Hand over one event; must not raise."""

    def close(self) -> None:
        """Flush and release resources."""


class JsonLinesSink:
    """Appends each event as one JSON line to ``path`` (safe across threads; each line is
    written with one ``write`` call on a file opened for appending, so lines from several
    worker processes do not interleave)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def publish(self, event: AnalyticsEvent) -> None:
        line = json.dumps(event.to_json(), separators=(",", ":")) + "\n"
        try:
            with self._lock:
                make_private_folder(self.path.parent)
                with os.fdopen(open_private_append(self.path), "a", encoding="utf-8") as out:
                    out.write(line)
        except OSError:
            log.exception("could not write an analytics event to %s", self.path)

    def close(self) -> None:
        return None


class WebhookSink:
    """POSTs each event as JSON to ``url`` from a background thread (2 s timeout, no retry)."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self.url = url
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="poolgate-analytics")

    def publish(self, event: AnalyticsEvent) -> None:
        self._pool.submit(self._post, json.dumps(event.to_json()).encode())

    def _post(self, body: bytes) -> None:
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except Exception:
            log.warning("analytics webhook %s failed", self.url, exc_info=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def build_sink(data_dir: Path, webhook_url: str | None) -> AnalyticsSink:
    """The webhook sink when a URL is configured, else the JSON-lines file in ``data_dir``."""
    if webhook_url:
        return WebhookSink(webhook_url)
    return JsonLinesSink(data_dir / "analytics-events.jsonl")


def application_of(client_config: Mapping[str, Any]) -> tuple[str | None, bool]:
    """The Pinpoint application of a client's AnalyticsConfiguration and its UserDataShared."""
    analytics = client_config.get("AnalyticsConfiguration") or {}
    application = analytics.get("ApplicationId") or analytics.get("ApplicationArn")
    return (str(application) if application else None), bool(analytics.get("UserDataShared", False))
