"""/metrics: Prometheus text format that prometheus_client parses, with counters that move —
also when several worker processes serve the requests."""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from tests.conformance.auth_support import make_pool
from tests.server import start_server


def samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx.get(url + "/metrics", timeout=10).text
    result: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            result[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return result


def value(data: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return data.get((name, frozenset(labels.items())), 0.0)


def _exercise(url_server: object) -> None:
    from botocore.exceptions import ClientError

    ap = make_pool(url_server)  # type: ignore[arg-type]
    ap.user("m1")
    ap.password_auth("m1")
    with contextlib.suppress(ClientError):
        ap.password_auth("m1", "Wr0ng!Password")


def test_metrics_counters_move(data_dir: Path) -> None:
    server = start_server(data_dir)
    try:
        before = samples(server.url)
        _exercise(server)
        after = samples(server.url)
        assert value(after, "poolgate_sign_ins_total", flow="USER_PASSWORD_AUTH", outcome="tokens") == (
            value(before, "poolgate_sign_ins_total", flow="USER_PASSWORD_AUTH", outcome="tokens") + 1
        )
        assert (
            value(
                after, "poolgate_sign_ins_total", flow="USER_PASSWORD_AUTH", outcome="NotAuthorizedException"
            )
            >= 1
        )
        assert value(after, "poolgate_requests_total", operation="CreateUserPool", outcome="ok") >= 1
        assert value(after, "poolgate_request_seconds_count", operation="InitiateAuth") >= 2
    finally:
        server.stop()


def test_metrics_with_several_workers(data_dir: Path) -> None:
    server = start_server(data_dir, extra_args=("--workers", "2"))
    try:
        _exercise(server)
        for _ in range(6):  # whichever worker answers, the totals are the same
            data = samples(server.url)
            assert value(data, "poolgate_sign_ins_total", flow="USER_PASSWORD_AUTH", outcome="tokens") == 1
    finally:
        server.stop()


def test_metric_labels_come_from_closed_sets(data_dir: Path) -> None:
    """Issue 15, finding 3: an AuthFlow, ChallengeName or X-Amz-Target as sent never becomes a
    label value. 40 requests with ~900 KiB AuthFlow values used to add each value to
    poolgate_sign_ins_total (RSS 92 -> 190 MiB, /metrics 74 MB); now they count as ``other``."""
    from poolgate.protocol.model import operation_names, service_model

    model = service_model()
    flows = {*model.shape_for("AuthFlowType").enum, *model.shape_for("ChallengeNameType").enum, "other"}
    operations = {*operation_names(), "other"}
    server = start_server(data_dir)
    try:
        ap = make_pool(server)
        before = len(httpx.get(server.url + "/metrics", timeout=10).content)
        junk = "A" * (100 * 1024)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for i in range(20):
                for target, body in (
                    (
                        "InitiateAuth",
                        {"ClientId": ap.client_id, "AuthFlow": f"{junk}{i}", "AuthParameters": {}},
                    ),
                    (
                        "RespondToAuthChallenge",
                        {"ClientId": ap.client_id, "ChallengeName": f"{junk}{i}", "ChallengeResponses": {}},
                    ),
                    (f"{i}{junk[:4000]}", {}),
                ):
                    resp = http.post(
                        "/",
                        json=body,
                        headers={
                            "Content-Type": "application/x-amz-json-1.1",
                            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}",
                        },
                    )
                    assert resp.status_code == 400
        text = httpx.get(server.url + "/metrics", timeout=10).text
        grown = len(text.encode()) - before
        data = samples(server.url)
    finally:
        server.stop()
    print(f"\n/metrics grew by {grown} bytes after 60 requests with 100 KiB (4 KB for targets) junk labels")
    assert grown < 20_000
    for name, labels in data:
        values = dict(labels)
        if name.startswith("poolgate_sign_ins"):
            assert values["flow"] in flows
        if "operation" in values:
            assert values["operation"] in operations
    assert value(data, "poolgate_sign_ins_total", flow="other", outcome="InvalidParameterException") == 40
    assert (
        value(data, "poolgate_requests_total", operation="other", outcome="UnknownOperationException") == 20
    )
