"""The command line: --version, --help, credentials and master-key rotation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from tests.server import start_server

from poolgate import __version__


def poolgate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("POOLGATE_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "poolgate", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
    )


def test_version_and_help() -> None:
    assert poolgate("--version").stdout.strip() == f"poolgate {__version__}"
    out = poolgate("--help").stdout
    for command in ("serve", "migrate", "credentials", "master-key"):
        assert command in out
    serve_help = poolgate("serve", "--help").stdout
    for flag in (
        "--host",
        "--port",
        "--data",
        "--database-url",
        "--region",
        "--public-url",
        "--workers",
        "--dev",
        "--testing",
    ):
        assert flag in serve_help


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    result = poolgate("migrate", "--data", str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "poolgate.sqlite3").exists()
    assert poolgate("migrate", "--data", str(tmp_path / "d")).returncode == 0


def _exports(text: str) -> tuple[str, str]:
    akid = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", text)
    secret = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", text)
    assert akid and secret, text
    return akid.group(1), secret.group(1)


def test_credentials_add_show_revoke(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    added = poolgate("credentials", "add", "--data", data, "--description", "ci")
    assert added.returncode == 0, added.stderr
    akid, secret = _exports(added.stdout)
    assert akid in poolgate("credentials", "--data", data).stdout
    server = start_server(tmp_path / "d", access_keys=None)
    try:
        assert "UserPools" in server.client(akid, secret).list_user_pools(MaxResults=1)
        revoked = poolgate("credentials", "revoke", akid, "--data", data)
        assert revoked.returncode == 0, revoked.stderr
        with pytest.raises(ClientError) as exc:
            server.client(akid, secret).list_user_pools(MaxResults=1)
        assert exc.value.response["Error"]["Code"] == "UnrecognizedClientException"
    finally:
        server.stop()
    assert poolgate("credentials", "revoke", akid, "--data", data).returncode == 1


def test_master_key_rotation_keeps_secrets(tmp_path: Path) -> None:
    data = tmp_path / "d"
    server = start_server(data)
    client = server.client()
    pool_id = client.create_user_pool(PoolName="rot")["UserPool"]["Id"]
    app = client.create_user_pool_client(UserPoolId=pool_id, ClientName="c", GenerateSecret=True)[
        "UserPoolClient"
    ]
    server.stop()
    old_key = (data / "master.key").read_text()
    rotated = poolgate("master-key", "rotate", "--data", str(data))
    assert rotated.returncode == 0, rotated.stderr
    assert (data / "master.key").read_text() != old_key
    assert oct((data / "master.key").stat().st_mode & 0o777) == "0o600"
    server = start_server(data)
    try:
        described = server.client().describe_user_pool_client(UserPoolId=pool_id, ClientId=app["ClientId"])
        assert described["UserPoolClient"]["ClientSecret"] == app["ClientSecret"]
    finally:
        server.stop()
    refused = poolgate("credentials", "--data", str(data), env={"POOLGATE_MASTER_KEY": old_key.strip()})
    assert refused.returncode != 0
    assert "master key" in refused.stderr and "Traceback" not in refused.stderr


def test_bad_configuration_is_a_clear_error(tmp_path: Path) -> None:
    result = poolgate("migrate", "--data", str(tmp_path), env={"POOLGATE_ACCESS_KEYS": "nocolon"})
    assert result.returncode == 2
    assert "POOLGATE_ACCESS_KEYS" in result.stderr and "Traceback" not in result.stderr


def test_aws_cli_against_the_server(tmp_path: Path) -> None:
    """The README's AWS CLI example, run with the real `aws` command (CLI v1 from PyPI)."""
    server = start_server(tmp_path / "d")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POOLGATE_"))}
    env.update(
        AWS_ACCESS_KEY_ID="AKIATESTPOOLGATE0001",
        AWS_SECRET_ACCESS_KEY="test-secret-key-for-poolgate-0001",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
    )
    aws = [sys.executable, "-m", "awscli", "cognito-idp"]
    try:
        created = subprocess.run(
            [*aws, "create-user-pool", "--pool-name", "cli-pool", "--endpoint-url", server.url],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        assert '"Name": "cli-pool"' in created.stdout
        missing = subprocess.run(
            [
                *aws,
                "describe-user-pool",
                "--user-pool-id",
                "us-east-1_NoSuchPoo",
                "--endpoint-url",
                server.url,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert missing.returncode == 255
        assert (
            "An error occurred (ResourceNotFoundException) when calling the DescribeUserPool operation"
            in (missing.stderr)
        )
    finally:
        server.stop()
