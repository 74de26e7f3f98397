"""cognito-idp requests as the AWS SDKs send them: JSON 1.1 bodies, SigV4 on admin calls.

Signing goes through botocore's own ``SigV4Auth``, so an admin call carries
exactly the headers boto3 would send (``X-Amz-Date``, ``Authorization`` over
``host``, ``x-amz-date`` and ``x-amz-target``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from benchmarks.http import Connection

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"
SERVICE = "cognito-idp"


class ApiError(Exception):
    """A non-200 answer; ``code`` is the wire error code (``__type``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a server listens and the credentials its admin calls are signed with."""

    host: str
    port: int
    region: str = "us-east-1"
    access_key_id: str = "AKIDBENCHMARK0000000"
    secret_access_key: str = "benchmark-secret-not-a-real-key"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class Api:
    """Encodes and sends cognito-idp operations over a :class:`Connection`."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._signer = SigV4Auth(
            Credentials(endpoint.access_key_id, endpoint.secret_access_key), SERVICE, endpoint.region
        )
        self._url = endpoint.url + "/"

    def encode(
        self, operation: str, params: dict[str, Any], *, signed: bool
    ) -> tuple[list[tuple[str, str]], bytes]:
        """Return the headers and body of one request (signed now, if asked, so the date is fresh)."""
        body = orjson.dumps(params)
        headers = {"X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": CONTENT_TYPE}
        if signed:
            request = AWSRequest(method="POST", url=self._url, data=body, headers=headers)
            self._signer.add_auth(request)
            # botocore signs the Host header it derives from the URL; the connection sends the same value.
            return [(k, v) for k, v in request.headers.items() if k.lower() != "host"], body
        return list(headers.items()), body

    async def call(
        self, conn: Connection, operation: str, params: dict[str, Any], *, signed: bool = False
    ) -> dict[str, Any]:
        """Send one operation and return the decoded result; raise :class:`ApiError` for an error answer."""
        headers, body = self.encode(operation, params, signed=signed)
        response = await conn.request("POST", "/", headers, body)
        try:
            decoded = orjson.loads(response.body) if response.body else {}
        except orjson.JSONDecodeError:
            decoded = {"__type": "UnparseableResponse", "message": response.body[:200].decode("latin-1")}
        if response.status != 200:
            code = str(decoded.get("__type", "")).rsplit("#", 1)[-1] or response.headers.get(
                "x-amzn-errortype", "Unknown"
            )
            message = str(decoded.get("message", decoded.get("Message", "")))
            raise ApiError(response.status, code, message)
        result: dict[str, Any] = decoded
        return result

    async def get_json(self, conn: Connection, path: str) -> Any:
        """GET a JSON document (the JWKS) from the server."""
        response = await conn.request("GET", path)
        if response.status != 200:
            raise ApiError(response.status, "HttpError", response.body[:200].decode("latin-1"))
        return orjson.loads(response.body)
