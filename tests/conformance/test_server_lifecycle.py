"""Restarts, access keys, the testing clock, and several processes on one PostgreSQL database."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from tests import pg
from tests.server import start_server


def test_data_survives_restart(data_dir: Path) -> None:
    first = start_server(data_dir)
    try:
        client = first.client()
        pool_id = client.create_user_pool(PoolName="durable")["UserPool"]["Id"]
        app = client.create_user_pool_client(UserPoolId=pool_id, ClientName="c", GenerateSecret=True)
        secret = app["UserPoolClient"]["ClientSecret"]
    finally:
        # uvicorn drains, then re-raises SIGTERM so the exit status tells how it ended.
        assert first.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
        assert any("shutdown complete" in line for line in first.output)
    second = start_server(data_dir)
    try:
        client = second.client()
        assert client.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"] == "durable"
        described = client.describe_user_pool_client(
            UserPoolId=pool_id, ClientId=app["UserPoolClient"]["ClientId"]
        )
        assert described["UserPoolClient"]["ClientSecret"] == secret
    finally:
        second.stop()


def test_wrong_or_unknown_key_is_refused(data_dir: Path) -> None:
    server = start_server(data_dir)
    try:
        with pytest.raises(ClientError) as exc:
            server.client(secret="not-the-secret").list_user_pools(MaxResults=5)
        assert exc.value.response["Error"]["Code"] == "InvalidSignatureException"
        with pytest.raises(ClientError) as exc:
            server.client(access_key="AKIAUNKNOWNUNKNOWN00").list_user_pools(MaxResults=5)
        assert exc.value.response["Error"]["Code"] == "UnrecognizedClientException"
        assert (
            exc.value.response["Error"]["Message"] == "The security token included in the request is invalid."
        )
    finally:
        server.stop()


def test_dev_mode_accepts_any_signature(data_dir: Path) -> None:
    server = start_server(data_dir, extra_args=("--dev",))
    try:
        pools = server.client(access_key="AKIAANYTHING00000000", secret="whatever").list_user_pools(
            MaxResults=5
        )
        assert "UserPools" in pools
        assert any("--dev" in line for line in server.output)
    finally:
        server.stop()


def _generated_key(output: list[str]) -> tuple[str, str]:
    text = "".join(output)
    akid = re.search(r"export AWS_ACCESS_KEY_ID=(\S+)", text)
    secret = re.search(r"export AWS_SECRET_ACCESS_KEY=(\S+)", text)
    assert akid and secret, text
    return akid.group(1), secret.group(1)


def test_first_start_generates_a_key(data_dir: Path) -> None:
    server = start_server(data_dir, access_keys=None)
    try:
        akid, secret = _generated_key(server.output)
        assert re.fullmatch(r"AKIA[A-Z2-7]{16}", akid)
        assert "UserPools" in server.client(akid, secret).list_user_pools(MaxResults=1)
    finally:
        server.stop()
    again = start_server(data_dir, access_keys=None)
    try:
        assert "export AWS_ACCESS_KEY_ID" not in "".join(again.output)
        assert "UserPools" in again.client(akid, secret).list_user_pools(MaxResults=1)
    finally:
        again.stop()


def test_testing_api_moves_the_clock(data_dir: Path) -> None:
    server = start_server(data_dir)
    try:
        with server.http() as http:
            before = http.get("/_testing/clock").json()
            moved = http.post("/_testing/clock", json={"advance": 3600}).json()
            assert moved["offset"] == pytest.approx(before["offset"] + 3600)
            assert moved["now"] >= before["now"] + 3600
            client = server.client()
            pool = client.create_user_pool(PoolName="later")["UserPool"]
            assert pool["CreationDate"].timestamp() >= before["now"] + 3600 - 5
            assert http.post("/_testing/clock", json={"bogus": 1}).status_code == 400
            assert http.get("/_testing/messages").json() == {"messages": []}
            assert http.post("/_testing/reset", json={}).status_code == 200
            assert http.get("/_testing/clock").json()["offset"] == 0
        with pytest.raises(ClientError):
            client.describe_user_pool(UserPoolId=pool["Id"])
    finally:
        server.stop()


def test_testing_api_refuses_browsers(data_dir: Path) -> None:
    """Issue 15 item 7: cross-site pages and DNS-rebinding names cannot use the testing API."""
    server = start_server(data_dir, extra_args=("--testing-allowed-origins", "http://localhost:3000"))
    try:
        output = "".join(server.output)
        assert "WARNING: --testing is on" in output and "http://localhost:3000" in output
        pool_id = server.client().create_user_pool(PoolName="kept")["UserPool"]["Id"]
        port = server.url.rsplit(":", 1)[1]
        evil = {"Origin": "http://evil.example"}
        with server.http() as http:
            # A cross-site form or fetch without preflight: text/plain, the attacker's Origin.
            plain = {"Content-Type": "text/plain"}
            reset = http.post("/_testing/reset", content=b"{}", headers={**evil, **plain})
            assert reset.status_code == 403, reset.text
            assert http.post("/_testing/reset", content=b"{}", headers=plain).status_code == 415
            lift = http.post("/_testing/clock", json={"advance": 3600}, headers=evil)
            assert lift.status_code == 403, lift.text
            ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
            assert http.options("/_testing/reset", headers={**evil, **ask}).status_code == 403
            # DNS rebinding: the page's own name, resolved to this server.
            rebound = http.get("/_testing/messages", headers={"Host": f"evil.example:{port}"})
            assert rebound.status_code == 403, rebound.text
            rebound = http.get(
                "/_testing/messages",
                headers={"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"},
            )
            assert rebound.status_code == 403
            assert http.get("/_testing/clock").json()["offset"] == 0
            # The server's own names and origin, and the allowed test page.
            assert http.get("/_testing/messages", headers={"Host": f"localhost:{port}"}).status_code == 200
            assert http.get("/_testing/clock", headers={"Origin": server.url}).status_code == 200
            page = {"Origin": "http://localhost:3000"}
            preflight = http.options("/_testing/clock", headers={**page, **ask})
            assert preflight.status_code == 204
            assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
            assert "content-type" in preflight.headers["access-control-allow-headers"]
            read = http.get("/_testing/messages", headers=page)
            assert read.status_code == 200
            assert read.headers["access-control-allow-origin"] == "http://localhost:3000"
            assert "access-control-allow-origin" not in http.get("/_testing/messages").headers
        assert server.client().describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"] == "kept"
    finally:
        server.stop()


def test_testing_api_is_off_by_default(data_dir: Path) -> None:
    server = start_server(data_dir, testing=False)
    try:
        with server.http() as http:
            assert http.get("/_testing/clock").status_code == 404
            assert http.post("/_testing/reset").status_code in (404, 405)
    finally:
        server.stop()


@pytest.mark.postgres
def test_two_processes_share_one_postgres(tmp_path: Path) -> None:
    with pg.fresh_schema() as url:
        env = {"POOLGATE_MASTER_KEY": _shared_master_key()}
        a = start_server(tmp_path / "a", database_url=url, access_keys=None, env=env)
        b = start_server(tmp_path / "b", database_url=url, access_keys=None, env=env)
        try:
            akid, secret = _generated_key(a.output)
            assert "export AWS_ACCESS_KEY_ID" not in "".join(b.output)
            pool_id = a.client(akid, secret).create_user_pool(PoolName="shared")["UserPool"]["Id"]
            client_id = b.client(akid, secret).create_user_pool_client(UserPoolId=pool_id, ClientName="x")[
                "UserPoolClient"
            ]["ClientId"]
            listed = a.client(akid, secret).list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]
            assert [c["ClientId"] for c in listed] == [client_id]
            with a.http() as http_a, b.http() as http_b:
                http_a.post("/_testing/clock", json={"advance": 120})
                assert http_b.get("/_testing/clock").json()["offset"] == pytest.approx(120)
        finally:
            a.stop()
            b.stop()


def test_wrong_master_key_refuses_to_start(data_dir: Path) -> None:
    server = start_server(data_dir)
    server.client().create_user_pool_client(
        UserPoolId=server.client().create_user_pool(PoolName="k")["UserPool"]["Id"],
        ClientName="c",
        GenerateSecret=True,
    )
    server.stop()
    with pytest.raises(RuntimeError) as exc:
        start_server(data_dir, env={"POOLGATE_MASTER_KEY": _shared_master_key()})
    assert "master key" in str(exc.value)
    assert "Traceback" not in str(exc.value)


def _shared_master_key() -> str:
    from poolgate.security.crypto import MasterKey

    return MasterKey.generate().to_text()


def test_several_workers_serve_one_port(data_dir: Path) -> None:
    server = start_server(data_dir, extra_args=("--workers", "2"))
    try:
        client = server.client()
        ids = {client.create_user_pool(PoolName=f"w{i}")["UserPool"]["Id"] for i in range(6)}
        listed = {p["Id"] for p in client.list_user_pools(MaxResults=60)["UserPools"]}
        assert ids <= listed
    finally:
        server.stop()


def test_start_up_time(data_dir: Path) -> None:
    """Printed, not asserted: machines here are shared and noisy."""
    import time

    began = time.monotonic()
    server = start_server(data_dir)
    first = time.monotonic() - began
    server.stop()
    began = time.monotonic()
    server = start_server(data_dir)
    second = time.monotonic() - began
    server.stop()
    print(f"\nstart-up to 'listening': fresh data folder {first:.2f}s, existing {second:.2f}s")
