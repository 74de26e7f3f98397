"""Issue 9 item 6: 20,000 model-generated requests (``tests.hardening.model_strategies``) spread
over every operation, signed with the server's keys where the model asks for SigV4.

No response may be a 5xx, and every error code must be one the model declares for that
operation, UnsupportedOperationException, or a protocol error (serialization, unknown
operation, missing or bad signature, body too large). The counts per code are printed.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, Phase, given, settings
from tests.conformance.auth_support import make_pool
from tests.hardening.model_strategies import MODEL, request_bodies
from tests.hardening.support import PROTOCOL_ERRORS, figure
from tests.server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, ServerProcess, start_server

TOTAL = 20_000
WORKERS = 4
PREFIX = "AWSCognitoIdentityProviderService"
CREDENTIALS = Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY)


def _public(operation: str) -> bool:
    op = MODEL.operation_model(operation)
    return op.auth_type == "none" or "smithy.api#noAuth" in (op.auth or [])


def _allowed(operation: str) -> frozenset[str]:
    declared = {shape.name for shape in MODEL.operation_model(operation).error_shapes}
    return frozenset(declared | PROTOCOL_ERRORS | {"UnsupportedOperationException"})


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("fuzz"))
    yield proc
    proc.stop()


class Sender:
    """Sends requests from a few threads, each with its own httpx client, and tallies answers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.local = threading.local()
        self.lock = threading.Lock()
        self.codes: Counter[str] = Counter()
        self.per_op: Counter[str] = Counter()
        self.bad: list[str] = []
        self.clients: list[httpx.Client] = []

    def _http(self) -> httpx.Client:
        if not hasattr(self.local, "http"):
            self.local.http = httpx.Client(base_url=self.url, timeout=30)
            with self.lock:
                self.clients.append(self.local.http)
        return self.local.http  # type: ignore[no-any-return]

    def send(self, operation: str, body: bytes | dict[str, Any]) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{PREFIX}.{operation}"}
        if not _public(operation):
            request = AWSRequest(method="POST", url=self.url + "/", data=data, headers=headers)
            SigV4Auth(CREDENTIALS, "cognito-idp", REGION).add_auth(request)
            headers = dict(request.headers.items())
        resp = self._http().post("/", content=data, headers=headers)
        code = "200" if resp.status_code == 200 else str(resp.json().get("__type"))
        problem = None
        if resp.status_code >= 500:
            problem = f"{operation} -> {resp.status_code} {resp.text[:200]} for {data[:300]!r}"
        elif code != "200" and code not in _allowed(operation):
            problem = f"{operation} -> undeclared {code}: {resp.text[:200]} for {data[:300]!r}"
        with self.lock:
            self.codes[code] += 1
            self.per_op[operation] += 1
            if problem:
                self.bad.append(problem)


def _draw(operation: str, known: dict[str, list[str]], examples: int, submit: Any) -> None:
    """Run Hypothesis over ``operation``'s bodies, handing each one to ``submit``."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(request_bodies(operation, known))
    def draw(body: bytes | dict[str, Any]) -> None:
        submit(operation, body)

    draw()


@pytest.mark.stress
def test_twenty_thousand_model_requests(live: ServerProcess) -> None:
    ap = make_pool(live)
    ap.user("alice")
    tokens = ap.password_auth("alice")["AuthenticationResult"]
    spare = make_pool(live)
    known = {
        "UserPoolId": [ap.pool_id, spare.pool_id],
        "ClientId": [ap.client_id, spare.client_id],
        "Username": ["alice"],
        "AccessToken": [tokens["AccessToken"]],
        "RefreshToken": [tokens["RefreshToken"]],
        "Token": [tokens["RefreshToken"]],
    }
    operations = sorted(MODEL.operation_names)
    per_op = TOTAL // len(operations) + 1
    sender = Sender(live.url)
    futures: list[Future[None]] = []
    with ThreadPoolExecutor(WORKERS) as pool:
        rounds = 0
        while len(futures) < TOTAL and rounds < 5:
            rounds += 1
            for operation in operations:
                if len(futures) >= TOTAL:
                    break

                _draw(
                    operation,
                    known,
                    per_op,
                    lambda op, body: futures.append(pool.submit(sender.send, op, body)),
                )
        for future in futures:
            future.result()
    for client in sender.clients:
        client.close()
    figure(
        f"model fuzz: {sum(sender.codes.values())} requests over {len(sender.per_op)} operations, by code",
        sender.codes,
    )
    assert sum(sender.codes.values()) >= TOTAL
    assert len(sender.per_op) == len(operations)
    assert not sender.bad, "\n".join(sender.bad[:30]) + f"\n({len(sender.bad)} in all)"


def _post(live: ServerProcess, operation: str, body: dict[str, Any]) -> httpx.Response:
    sender = Sender(live.url)
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{PREFIX}.{operation}"}
    if not _public(operation):
        request = AWSRequest(method="POST", url=sender.url + "/", data=data, headers=headers)
        SigV4Auth(CREDENTIALS, "cognito-idp", REGION).add_auth(request)
        headers = dict(request.headers.items())
    with httpx.Client(base_url=live.url, timeout=30) as http:
        return http.post("/", content=data, headers=headers)


def test_sign_up_without_password_is_not_a_500(live: ServerProcess) -> None:
    ap = make_pool(live)
    resp = _post(live, "SignUp", {"ClientId": ap.client_id, "Username": "nopass"})
    assert resp.status_code < 500, resp.text


def test_associate_software_token_deleted_user_uses_a_declared_code(live: ServerProcess) -> None:
    """The model declares no UserNotFoundException for AssociateSoftwareToken: a deleted user's
    access token is answered NotAuthorizedException (VerifySoftwareToken, which declares it,
    keeps UserNotFoundException)."""
    ap = make_pool(live)
    ap.user("gone")
    token = ap.password_auth("gone")["AuthenticationResult"]["AccessToken"]
    ap.cognito.admin_delete_user(UserPoolId=ap.pool_id, Username="gone")
    resp = _post(live, "AssociateSoftwareToken", {"AccessToken": token})
    assert resp.status_code == 400, resp.text
    assert resp.json() == {"__type": "NotAuthorizedException", "message": "User does not exist."}
    assert resp.json()["__type"] in _allowed("AssociateSoftwareToken")
    resp = _post(live, "VerifySoftwareToken", {"AccessToken": token, "UserCode": "123456"})
    assert resp.json()["__type"] == "UserNotFoundException", resp.text
    assert resp.json()["__type"] in _allowed("VerifySoftwareToken")
