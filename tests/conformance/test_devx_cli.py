"""`poolgate apply`, `serve --config`, `import-pool` and `export` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.server import start_server

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILE = """\
pools:
  - Id: us-east-1_CliDemo1
    PoolName: cli-demo
    AutoVerifiedAttributes: [email]
    clients:
      - ClientId: clidemoclient0000000000001
        ClientName: web
        ExplicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
    groups:
      - GroupName: admins
        Precedence: 1
    users:
      - Username: alice
        Password: Passw0rd!Alice
        Attributes: {email: alice@example.com, email_verified: "true"}
        Groups: [admins]
"""


def poolgate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POOLGATE_")}
    return subprocess.run(
        [sys.executable, "-m", "poolgate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_apply_twice_is_idempotent_and_serve_config_signs_in(tmp_path: Path) -> None:
    data, path = tmp_path / "d", tmp_path / "pools.yaml"
    path.write_text(FILE)
    first = poolgate("apply", str(path), "--data", str(data))
    assert first.returncode == 0, first.stderr
    assert "+ pool us-east-1_CliDemo1 (cli-demo)" in first.stdout
    second = poolgate("apply", str(path), "--data", str(data))
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "= nothing to change"
    path.write_text(FILE.replace("Precedence: 1", "Precedence: 2"))
    third = poolgate("apply", str(path), "--dry-run", "--data", str(data))
    assert "Precedence" in third.stdout
    server = start_server(tmp_path / "fresh", extra_args=("--config", str(path)))
    try:
        result = server.client().initiate_auth(
            ClientId="clidemoclient0000000000001",
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": "Passw0rd!Alice"},
        )
        assert result["AuthenticationResult"]["TokenType"] == "Bearer"
    finally:
        server.stop()


def test_invalid_file_names_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        FILE.replace("ExplicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH", "ExplicitAuthFlows: [NOT_A_FLOW")
    )
    result = poolgate("apply", str(path), "--data", str(tmp_path / "d"))
    assert result.returncode == 1
    assert "bad.yaml:" in result.stderr and "ExplicitAuthFlows" in result.stderr
    assert "Traceback" not in result.stderr
    listed = poolgate("export", "us-east-1_CliDemo1", "--data", str(tmp_path / "d"))
    assert listed.returncode != 0  # nothing was created


def test_import_pool_and_export_round_trip(tmp_path: Path) -> None:
    data = tmp_path / "d"
    imported = poolgate(
        "import-pool",
        str(FIXTURES / "describe-user-pool.json"),
        str(FIXTURES / "describe-user-pool-client.json"),
        "--data",
        str(data),
    )
    assert imported.returncode == 0, imported.stderr
    pool_id = json.loads((FIXTURES / "describe-user-pool.json").read_text())["UserPool"]["Id"]
    exported = poolgate("export", pool_id, "--data", str(data), "-o", str(tmp_path / "out.yaml"))
    assert exported.returncode == 0, exported.stderr
    again = poolgate("apply", str(tmp_path / "out.yaml"), "--data", str(data))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "= nothing to change"


def test_encrypted_export_round_trip(tmp_path: Path) -> None:
    data, path = tmp_path / "d", tmp_path / "pools.yaml"
    path.write_text(FILE)
    assert poolgate("apply", str(path), "--data", str(data)).returncode == 0
    env_pass = {"POOLGATE_EXPORT_PASSPHRASE": "correct horse battery staple"}
    sealed = tmp_path / "secret.export"
    no_pass = poolgate("export", "us-east-1_CliDemo1", "--include-secrets", "--encrypt", "--data", str(data))
    assert no_pass.returncode == 1 and "POOLGATE_EXPORT_PASSPHRASE" in no_pass.stderr
    done = _poolgate_env(
        env_pass,
        "export",
        "us-east-1_CliDemo1",
        "--include-secrets",
        "--encrypt",
        "--data",
        str(data),
        "-o",
        str(sealed),
    )
    assert done.returncode == 0, done.stderr
    text = sealed.read_text()
    assert text.startswith("poolgate-sealed-export v1") and "alice" not in text
    assert oct(sealed.stat().st_mode & 0o777) == "0o600"
    fresh = tmp_path / "fresh"
    wrong = _poolgate_env(
        {"POOLGATE_EXPORT_PASSPHRASE": "a wrong passphrase!"}, "apply", str(sealed), "--data", str(fresh)
    )
    assert wrong.returncode == 1 and "wrong POOLGATE_EXPORT_PASSPHRASE" in wrong.stderr
    applied = _poolgate_env(env_pass, "apply", str(sealed), "--data", str(fresh))
    assert applied.returncode == 0, applied.stderr
    server = start_server(fresh)
    try:
        result = server.client().initiate_auth(
            ClientId="clidemoclient0000000000001",
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": "Passw0rd!Alice"},
        )
        assert "AuthenticationResult" in result  # the verifier travelled inside the sealed file
    finally:
        server.stop()


def _poolgate_env(extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POOLGATE_")}
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "poolgate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
