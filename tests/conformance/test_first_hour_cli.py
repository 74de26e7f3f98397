"""What a new user hits in the first hour with the ``poolgate`` command (issue 16): start-up
failures are one clear line, commands that read state say which database they use and never
create an empty one, and what the banner and help tell the user to run works as written."""

from __future__ import annotations

import os
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
    _assert_one_line(poolgate("serve", "--port", "0", *make_args(tmp_path), cwd=tmp_path), expected)


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
