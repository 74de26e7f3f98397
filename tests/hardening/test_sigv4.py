"""Issue 9 item 5: SigV4 on the IAM-authorised operations (protocol.md sections 3-5).

Requests are signed with botocore's ``SigV4Auth`` at a time the test chooses and sent raw with
httpx, so the skew window can be probed one second either side of 300 s. Then wrong region,
wrong service, each signed header tampered and the body tampered; and every operation the model
marks as signed, tried with six bad-auth variants. Nothing is accepted, and each refusal carries
the error code the spec gives for it.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import botocore.session
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.hardening.support import figure
from tests.server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, ServerProcess, start_server

PREFIX = "AWSCognitoIdentityProviderService"
MODEL = botocore.session.get_session().get_service_model("cognito-idp")
SIGNED_OPERATIONS = sorted(
    name
    for name in MODEL.operation_names
    if MODEL.operation_model(name).metadata.get("signatureVersion") == "v4"
    and (MODEL.operation_model(name).auth_type != "none")
    and "smithy.api#noAuth" not in (MODEL.operation_model(name).auth or [])
)
JS_DIR = Path(__file__).resolve().parents[1] / "js"
_outcomes: Counter[str] = Counter()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("sigv4"))
    yield proc
    proc.stop()
    figure("SigV4: variant -> code", _outcomes)


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def sign(
    url: str,
    operation: str,
    body: bytes,
    *,
    when: datetime.datetime | None = None,
    region: str = REGION,
    service: str = "cognito-idp",
    key: str = ACCESS_KEY_ID,
    secret: str = SECRET_ACCESS_KEY,
) -> dict[str, str]:
    """The headers botocore's signer produces for this request, signed at ``when``."""
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{PREFIX}.{operation}",
        },
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=when or _utcnow()):
        SigV4Auth(Credentials(key, secret), service, region).add_auth(request)
    return dict(request.headers.items())


def send(live: ServerProcess, headers: dict[str, str], body: bytes) -> httpx.Response:
    with httpx.Client(base_url=live.url, timeout=10) as http:
        return http.post("/", content=body, headers=headers)


def _code(resp: httpx.Response) -> str:
    return str(resp.json().get("__type", resp.status_code)) if resp.status_code != 200 else "200"


def _expect(variant: str, resp: httpx.Response, code: str) -> None:
    got = _code(resp)
    _outcomes[f"{variant} -> {got}"] += 1
    assert got == code, (variant, resp.status_code, resp.text)
    if code != "200":
        assert resp.status_code == 400, (variant, resp.status_code)


BODY = json.dumps({"MaxResults": 1}).encode()


def _on_whole_second() -> None:
    """Wait until just after a whole second, so X-Amz-Date's truncation costs nothing."""
    time.sleep(1 - time.time() % 1 + 0.01)


@pytest.mark.parametrize(
    ("offset", "code"),
    [(-301, "InvalidSignatureException"), (-299, "200"), (299, "200"), (301, "InvalidSignatureException")],
)
def test_skew_window_boundary(live: ServerProcess, offset: int, code: str) -> None:
    _on_whole_second()
    when = _utcnow().replace(microsecond=0) + datetime.timedelta(seconds=offset)
    resp = send(live, sign(live.url, "ListUserPools", BODY, when=when), BODY)
    _expect(f"skew {offset:+d} s", resp, code)
    if code != "200":
        assert (
            resp.json()["message"].startswith("Signature expired")
            or "Signature not yet current" in resp.json()["message"]
        ), resp.text


def test_correct_signature_is_accepted(live: ServerProcess) -> None:
    _expect("correct", send(live, sign(live.url, "ListUserPools", BODY), BODY), "200")


def test_wrong_region_and_service(live: ServerProcess) -> None:
    _expect(
        "region eu-west-1",
        send(live, sign(live.url, "ListUserPools", BODY, region="eu-west-1"), BODY),
        "InvalidSignatureException",
    )
    _expect(
        "service cognito-identity",
        send(live, sign(live.url, "ListUserPools", BODY, service="cognito-identity"), BODY),
        "InvalidSignatureException",
    )


TAMPERED = {
    "host": "evil.example:443",
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": f"{PREFIX}.DeleteUserPool",
}


def test_each_signed_header_tampered(live: ServerProcess) -> None:
    headers = sign(live.url, "ListUserPools", BODY)
    signed = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert set(signed) >= {"host", "x-amz-date", "x-amz-target", "content-type"}
    for name in signed:
        changed = {k: v for k, v in headers.items() if k.lower() != name}
        if name == "x-amz-date":
            stamp = datetime.datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ") + datetime.timedelta(
                seconds=1
            )
            changed["X-Amz-Date"] = stamp.strftime("%Y%m%dT%H%M%SZ")
        else:
            changed[name] = TAMPERED.get(name, "tampered")
        _expect(f"header {name} tampered", send(live, changed, BODY), "InvalidSignatureException")


def test_body_tampered(live: ServerProcess) -> None:
    headers = sign(live.url, "ListUserPools", BODY)
    _expect(
        "body tampered",
        send(live, headers, json.dumps({"MaxResults": 60}).encode()),
        "InvalidSignatureException",
    )
    _expect("body appended", send(live, headers, BODY + b" "), "InvalidSignatureException")


VARIANTS = {
    "none": "MissingAuthenticationTokenException",
    "garbage header": "IncompleteSignatureException",
    "unknown key": "UnrecognizedClientException",
    "wrong secret": "InvalidSignatureException",
    "expired date": "InvalidSignatureException",
    "wrong scope": "InvalidSignatureException",
}


def _variant(live: ServerProcess, operation: str, variant: str, body: bytes) -> dict[str, str]:
    if variant == "none":
        return {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"{PREFIX}.{operation}"}
    if variant == "garbage header":
        return {**_variant(live, operation, "none", body), "Authorization": "garbage ;=, not sigv4"}
    args: dict[str, Any] = {  # type: ignore[assignment]
        "unknown key": {"key": "AKIAUNKNOWNKEY000000"},
        "wrong secret": {"secret": "not-the-secret"},
        "expired date": {"when": _utcnow() - datetime.timedelta(hours=1)},
        "wrong scope": {"region": "ap-south-1"},
    }[variant]
    return sign(live.url, operation, body, **args)


def test_control_characters_in_a_header_are_refused_by_the_http_layer(live: ServerProcess) -> None:
    """Not a valid field value (RFC 9110 section 5.5): the parser answers 400 before the API sees it."""
    headers = {**_variant(live, "ListUserPools", "none", BODY), "Authorization": "garbage \x01 not sigv4"}
    resp = send(live, headers, BODY)
    _outcomes[f"control character in Authorization -> {resp.status_code}"] += 1
    assert resp.status_code == 400


def test_every_signed_operation_refuses_six_bad_auths(live: ServerProcess) -> None:
    assert len(SIGNED_OPERATIONS) > 100
    body = b"{}"
    for operation in SIGNED_OPERATIONS:
        for variant, code in VARIANTS.items():
            _expect(f"every op: {variant}", send(live, _variant(live, operation, variant, body), body), code)
    print(f"[hardening] SigV4: {len(SIGNED_OPERATIONS)} signed operations x {len(VARIANTS)} variants refused")


def test_unsigned_target_cannot_be_replayed_as_another_operation(live: ServerProcess) -> None:
    """Issue 15 item 6: AdminGetUser signed over host and x-amz-date only, replayed as AdminDeleteUser."""
    cognito = live.client()
    pool_id = cognito.create_user_pool(PoolName="sigv4-replay")["UserPool"]["Id"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="victim", MessageAction="SUPPRESS")
    body = json.dumps({"UserPoolId": pool_id, "Username": "victim"}).encode()
    request = AWSRequest(method="POST", url=live.url + "/", data=body)
    SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY), "cognito-idp", REGION).add_auth(request)
    narrow = dict(request.headers.items())
    assert "SignedHeaders=host;x-amz-date," in narrow["Authorization"]
    for operation in ("AdminGetUser", "AdminDeleteUser"):
        headers = {
            **narrow,
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{PREFIX}.{operation}",
        }
        resp = send(live, headers, body)
        _expect(f"x-amz-target unsigned ({operation})", resp, "IncompleteSignatureException")
        assert resp.json()["message"].endswith("not signed: x-amz-target."), resp.text
    assert cognito.admin_get_user(UserPoolId=pool_id, Username="victim")["Username"] == "victim"


def test_real_clients_sign_every_x_amz_header(live: ServerProcess, tmp_path: Path) -> None:
    """boto3, the AWS CLI and the JavaScript SDK v3 still get through: they sign every x-amz-* header."""
    cognito = live.client()
    pool_id = cognito.create_user_pool(PoolName="sigv4-clients")["UserPool"]["Id"]
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Id"] == pool_id
    _outcomes["boto3 -> 200"] += 1

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POOLGATE_"))}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "awscli",
            "cognito-idp",
            "describe-user-pool",
            "--user-pool-id",
            pool_id,
            "--endpoint-url",
            live.url,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert f'"Id": "{pool_id}"' in cli.stdout
    _outcomes["AWS CLI -> 200"] += 1

    node = shutil.which("node")
    assert node is not None, "Node.js (node >= 20) is not on PATH: install it, then run ./dev test"
    config = {
        "endpoint": live.url,
        "region": REGION,
        "accessKeyId": ACCESS_KEY_ID,
        "secretAccessKey": SECRET_ACCESS_KEY,
        "userPoolId": pool_id,
    }
    js = subprocess.run(
        [node, str(JS_DIR / "sdk-v3-admin.mjs"), json.dumps(config)],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(js.stdout.strip().splitlines()[-1]) if js.stdout.strip() else {}
    assert js.returncode == 0 and report.get("ok"), (js.stdout, js.stderr[-2000:])
    sent = report["calls"][0]
    # What the JS SDK v3 sends besides the Authorization header, and which of it is signed.
    assert {"x-amz-target", "x-amz-user-agent", "x-amz-date", "x-amz-content-sha256"} <= set(sent["signed"])
    assert set(sent["headers"]) - set(sent["signed"]) == {"authorization", "user-agent"}
    _outcomes[f"JS SDK v3 {report['version']} -> 200"] += len(report["calls"])
