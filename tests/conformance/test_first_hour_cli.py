"""What a new user hits in the first hour with the ``poolgate`` command (issue 16): start-up
failures are one clear line, commands that read state say which database they use and never
create an empty one, and what the banner and help tell the user to run works as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def poolgate(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("POOLGATE_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "poolgate", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        check=False,
        cwd=cwd,
    )


def _unwritable(tmp_path: Path) -> str:
    if os.geteuid() == 0:  # root writes anywhere but in /proc
        return "/proc/poolgate-data"
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    return str(folder / "data")


START_FAILURES = {
    "data is a file": (lambda tmp: ["--data", str(_file(tmp))], "is not a folder"),
    "data below a file": (lambda tmp: ["--data", str(_file(tmp) / "sub")], "cannot use the data folder"),
    "data not writable": (lambda tmp: ["--data", _unwritable(tmp)], "cannot use the data folder"),
    "unusable master key": (lambda tmp: ["--data", str(_bad_key(tmp))], "master key file"),
    "unknown database": (lambda tmp: ["--database-url", "nosuchdb://x"], "invalid database URL nosuchdb://x"),
    "database down": (
        lambda tmp: ["--database-url", "postgresql+psycopg://alice:s3cret@127.0.0.1:1/db"],
        "cannot open the database postgresql+psycopg://alice:***@127.0.0.1:1/db",
    ),
}


def _file(tmp: Path) -> Path:
    path = tmp / "a-file"
    path.write_text("not a folder")
    return path


def _bad_key(tmp: Path) -> Path:
    folder = tmp / "data"
    folder.mkdir()
    (folder / "master.key").write_text("not a key")
    return folder


def _assert_one_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("poolgate: ") and expected in lines[0], lines[0]
    assert "s3cret" not in result.stderr


@pytest.mark.parametrize("case", list(START_FAILURES))
def test_serve_start_up_failure_is_one_clear_line(tmp_path: Path, case: str) -> None:
    make_args, expected = START_FAILURES[case]
    _assert_one_line(poolgate("serve", "--port", "0", *make_args(tmp_path), cwd=tmp_path), expected)  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("command", [["migrate"], ["credentials", "add"]])
def test_other_commands_fail_the_same_way(tmp_path: Path, command: list[str]) -> None:
    _assert_one_line(poolgate(*command, "--data", str(_file(tmp_path))), "is not a folder")


STATE_READERS = [
    ["outbox", "--user", "alice"],
    ["credentials"],
    ["credentials", "revoke", "AKIAEXAMPLE"],
    ["export", "us-east-1_AbCdEf123"],
    ["keys", "rotate", "--pool", "us-east-1_AbCdEf123"],
    ["master-key", "fingerprint"],
    ["auth-events", "purge"],
]


@pytest.mark.parametrize("command", STATE_READERS, ids=" ".join)
def test_state_readers_never_create_an_empty_database(tmp_path: Path, command: list[str]) -> None:
    # Run from another folder than the server's: nothing is created, the user is told where we looked.
    result = poolgate(*command, cwd=tmp_path)
    expected = f"no Poolgate database at {tmp_path / 'poolgate-data' / 'poolgate.sqlite3'}"
    _assert_one_line(result, expected)
    assert "--data" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_state_readers_name_the_database_they_read(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert poolgate("credentials", "add", "--data", str(data)).returncode == 0
    result = poolgate("outbox", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert f"using the database {data / 'poolgate.sqlite3'}" in result.stderr
    assert "The outbox is empty." in result.stderr


@pytest.mark.postgres
def test_state_readers_refuse_a_postgres_database_without_poolgate_tables(tmp_path: Path) -> None:
    from tests.pg import fresh_schema

    with fresh_schema() as url:
        result = poolgate("outbox", "--database-url", url, cwd=tmp_path)
        _assert_one_line(result, "has no Poolgate tables")
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                assert sa.inspect(conn).get_table_names() == []
        finally:
            engine.dispose()


def _wait_for_line(proc: subprocess.Popen[str], prefix: str, seen: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(prefix):
            return
    raise AssertionError("the server stopped:\n" + "".join(seen))


def _fake_checkout(tmp_path: Path) -> Path:
    """A copy of the repository's ``dev`` script whose .venv runs this interpreter's Poolgate
    (installed already: the stamp is newer than pyproject.toml, so nothing is installed)."""
    repo = tmp_path / "checkout"
    (repo / ".venv" / "bin").mkdir(parents=True)
    for name in ("dev", "pyproject.toml"):
        (repo / name).write_bytes((ROOT / name).read_bytes())
    (repo / "dev").chmod(0o755)
    (repo / ".venv" / "bin" / "python").symlink_to(sys.executable)
    script = repo / ".venv" / "bin" / "poolgate"
    script.write_text(f'#!/bin/sh\nexec {sys.executable} -m poolgate "$@"\n')
    script.chmod(0o755)
    stamp = repo / ".venv" / ".poolgate-installed"
    stamp.touch()
    later = (repo / "pyproject.toml").stat().st_mtime + 60
    os.utime(stamp, (later, later))
    return repo


@pytest.mark.parametrize("how", ["dev serve", "python -m poolgate serve"])
def test_the_banner_names_a_command_that_works(tmp_path: Path, how: str) -> None:
    # After `./dev serve` (or any start where poolgate is not on PATH) the hint the banner prints
    # must run as written, from another folder for ./dev.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POOLGATE_", "VIRTUAL_ENV"))}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    env["PYTHONUNBUFFERED"] = "1"
    if how == "dev serve":
        repo = _fake_checkout(tmp_path)
        args, cwd, elsewhere = [str(repo / "dev"), "serve", "--port", "0"], repo, Path("/")
    else:
        args, cwd = [sys.executable, "-m", "poolgate", "serve", "--port", "0"], tmp_path
        elsewhere = tmp_path
    seen: list[str] = []
    with subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        try:
            _wait_for_line(proc, "Poolgate listening on ", seen)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    banner = "".join(seen)
    hint = re.search(r"`([^`]+) credentials` prints it again", banner)
    assert hint, banner
    akid = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", banner)
    assert akid, banner
    shown = subprocess.run(
        ["bash", "-c", f"{hint.group(1)} credentials"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert f"AWS_ACCESS_KEY_ID={akid.group(1)}" in shown.stdout
    assert re.search(r"`[^`]+ outbox` shows the codes", banner), banner


def test_the_log_says_which_region_is_served_and_how_to_change_it(tmp_path: Path) -> None:
    from botocore.exceptions import ClientError
    from tests.server import start_server

    server = start_server(tmp_path / "data")
    try:
        output = "".join(server.output)
        assert "serving region us-east-1" in output and "--region or POOLGATE_REGION" in output, output
        with pytest.raises(ClientError) as caught:
            server.client(region_name="eu-west-1").list_user_pools(MaxResults=1)
        error = caught.value.response["Error"]
        assert error["Code"] == "InvalidSignatureException"
        assert error["Message"].startswith("Credential should be scoped to a valid region, not 'eu-west-1'.")
    finally:
        server.stop()
    log = "".join(server.output)
    assert "signed for region eu-west-1, but this server serves us-east-1" in log, log
    assert "--region eu-west-1 (POOLGATE_REGION)" in log


def _aws_commands(text: str) -> list[str]:
    return [line.split("#")[0].strip() for line in text.splitlines() if line.strip().startswith("aws ")]


def test_aws_cli_examples_run_as_written(tmp_path: Path) -> None:
    # The README's and `poolgate --help`'s AWS CLI lines, with only the access key exported (as the
    # banner prints it) and no AWS configuration at all: no region, no profile.
    from tests.server import ACCESS_KEY_ID, SECRET_ACCESS_KEY, start_server

    readme = (ROOT / "README.md").read_text()
    help_text = poolgate("--help").stdout
    commands = _aws_commands(readme) + _aws_commands(help_text)
    assert len(commands) >= 3, commands
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POOLGATE_"))}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    )
    server = start_server(tmp_path / "data")
    try:
        for command in commands:
            line = command.replace("http://127.0.0.1:9229", server.url)
            done = subprocess.run(
                ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=60, check=False
            )
            assert done.returncode == 0, f"{command}\n{done.stderr}"
    finally:
        server.stop()
