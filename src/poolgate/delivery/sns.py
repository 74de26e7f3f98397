"""``SnsSender``: SMS through Amazon SNS ``Publish``, as Cognito itself sends them.

boto3 finds credentials, region and endpoint the usual way (environment, shared
config, instance role). ``AWS_ENDPOINT_URL_SNS`` (or ``AWS_ENDPOINT_URL``) points it
at an SNS-compatible service; boto3 reads that variable itself, so Poolgate has no
setting of its own for it.

This is an adapter module: it is the only place in ``poolgate.delivery`` that imports
boto3 or botocore.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from poolgate.delivery.message import Message
from poolgate.errors import CodeDeliveryFailureException

log = logging.getLogger("poolgate.delivery")

# Codes are time-critical, so SNS should send them as transactional (not promotional) SMS.
SMS_ATTRIBUTES = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}

_CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 2},
)


class SnsClient(Protocol):
    """The two calls ``SnsSender`` makes on a boto3 SNS client."""

    def publish(self, **kwargs: object) -> object:
        """Publish one message."""
        ...

    def close(self) -> None:
        """Close the client's HTTP connections."""
        ...


def _failure_reason(exc: Exception) -> str:
    """A short, client-safe description of an SNS failure."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "an error")
        return f"SNS answered {code}"
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials are configured for SNS"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return "SNS did not answer in time"
    if isinstance(exc, EndpointConnectionError):
        return "SNS could not be reached"
    return "the SNS request failed"


class SnsSender:
    """Sends SMS messages with ``sns.publish(PhoneNumber=..., Message=...)``."""

    def __init__(
        self,
        region: str | None = None,
        *,
        default_region: str = "us-east-1",
        client: SnsClient | None = None,
    ) -> None:
        """``region`` wins; otherwise boto3's own lookup (``AWS_REGION``, shared config),
        then ``default_region``. The boto3 client is made on first use, so missing
        credentials show up as a delivery failure rather than a start-up crash.
        ``client`` replaces the boto3 client (for tests).
        """
        self._region = region
        self._default_region = default_region
        self._client = client
        self._lock = threading.Lock()

    def _get_client(self) -> SnsClient:
        with self._lock:
            if self._client is None:
                # A session per sender: boto3's default session is not thread-safe.
                session = boto3.session.Session()
                region = self._region or session.region_name or self._default_region
                self._client = session.client("sns", region_name=region, config=_CLIENT_CONFIG)
            return self._client

    def send(self, message: Message) -> None:
        """Send ``message`` by SMS; raise ``CodeDeliveryFailureException`` on failure."""
        if message.channel != "SMS":
            raise ValueError(f"SnsSender cannot send {message.channel} messages")
        try:
            self._get_client().publish(
                PhoneNumber=message.destination,
                Message=message.body,
                MessageAttributes=SMS_ATTRIBUTES,
            )
        except (BotoCoreError, ClientError) as exc:
            log.warning(
                "SMS for pool %s purpose %s via SNS failed: %s: %s",
                message.user_pool_id,
                message.purpose,
                type(exc).__name__,
                exc,
            )
            raise CodeDeliveryFailureException(
                f"Could not deliver the SMS message: {_failure_reason(exc)}."
            ) from exc

    def close(self) -> None:
        """Close the boto3 client's connections, if it was ever made."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
