"""Invoking functions through the AWS Lambda Invoke API with botocore.

This is the package's adapter to AWS: real Lambda, or any emulator that speaks the Invoke
API (LocalStack, SAM local, ``tests.triggers_support.LambdaEndpoint``). The endpoint is
``endpoint_url`` when given (a per-function endpoint), else whatever botocore resolves,
which honours ``AWS_ENDPOINT_URL_LAMBDA`` and ``AWS_ENDPOINT_URL``.

Credentials come from botocore's usual chain. With a custom endpoint the EC2 instance
metadata lookup is left out of the chain (it only costs seconds off EC2), and when the chain
finds nothing, dummy credentials are used so local emulators work without any setup.

botocore's own retries are off, because the runner makes the attempts; the connect and read
timeouts are the runner's per-attempt deadline.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from poolgate.triggers.invokers import (
    MAX_RESPONSE_BYTES,
    RESPONSE_TOO_LARGE,
    SOCKET_TIMEOUT,
    FunctionError,
    TransientError,
    UnavailableError,
)

# Lambda error codes worth another attempt besides any 5xx [Lambda Invoke API errors].
RETRYABLE_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ServiceException",
        "EC2ThrottledException",
        "ResourceNotReadyException",
        "ResourceConflictException",
        "ThrottlingException",
        "RequestTimeoutException",
    }
)
DUMMY_CREDENTIALS = ("poolgate", "poolgate")


def _custom_endpoint(endpoint_url: str | None) -> bool:
    return bool(
        endpoint_url or os.environ.get("AWS_ENDPOINT_URL_LAMBDA") or os.environ.get("AWS_ENDPOINT_URL")
    )


def error_message(payload: bytes) -> str:
    """The ``errorMessage`` of a Lambda function-error payload (else its text)."""
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return payload.decode("utf-8", "replace").strip()
    if isinstance(body, dict):
        message = body.get("errorMessage")
        if isinstance(message, str):
            return message
        if isinstance(body.get("errorType"), str):
            return str(body["errorType"])
    return json.dumps(body)


class BotoLambdaInvoker:
    """A :class:`~poolgate.triggers.invokers.LambdaInvoker` over one Lambda endpoint.

    Clients are made on first use, one per deadline, and shared by all threads.
    ``max_connections`` bounds the connections kept to the endpoint.
    """

    def __init__(self, *, region: str, endpoint_url: str | None = None, max_connections: int = 32) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        self.max_connections = max_connections
        self._clients: dict[float, Any] = {}
        self._lock = threading.Lock()

    def _client(self, timeout: float) -> Any:
        with self._lock:
            client = self._clients.get(timeout)
            if client is None:
                client = self._clients[timeout] = self._make_client(timeout)
            return client

    def _make_client(self, timeout: float) -> Any:
        import botocore.session
        from botocore.config import Config

        session = botocore.session.Session()
        if _custom_endpoint(self.endpoint_url):
            resolver = session.get_component("credential_provider")
            resolver.remove("iam-role")
        keys: dict[str, str] = {}
        if session.get_credentials() is None:
            keys = {"aws_access_key_id": DUMMY_CREDENTIALS[0], "aws_secret_access_key": DUMMY_CREDENTIALS[1]}
        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
            max_pool_connections=self.max_connections,
        )
        return session.create_client(
            "lambda", region_name=self.region, endpoint_url=self.endpoint_url, config=config, **keys
        )

    def invoke(self, function: str, payload: bytes, timeout: float) -> bytes:
        from botocore.exceptions import (
            ClientError,
            ConnectionError,
            ConnectTimeoutError,
            HTTPClientError,
            ReadTimeoutError,
            ResponseStreamingError,
        )

        client = self._client(timeout)
        try:
            result = client.invoke(FunctionName=function, InvocationType="RequestResponse", Payload=payload)
            stream = result["Payload"]
            try:
                # Read one byte past Lambda's limit, never the whole of an oversized answer.
                body: bytes = stream.read(MAX_RESPONSE_BYTES + 1)
            finally:
                stream.close()
        except (ReadTimeoutError, ConnectTimeoutError):
            raise TransientError(SOCKET_TIMEOUT) from None
        except (ConnectionError, HTTPClientError, ResponseStreamingError) as exc:
            # Connection refused or reset, DNS failure, a dropped stream: the endpoint may recover.
            raise TransientError(f"Unable to reach Lambda function ({type(exc).__name__})") from None
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code") or "ServiceException")
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500)
            if status >= 500 or status == 429 or code in RETRYABLE_CODES:
                raise TransientError(code) from None
            raise UnavailableError(code) from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise UnavailableError(RESPONSE_TOO_LARGE)
        if result.get("FunctionError"):
            raise FunctionError(error_message(body))
        return body

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
