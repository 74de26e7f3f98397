"""Issue 15 item 11: the data folder is 0700 and every file in it 0600, whatever the umask.

The folder holds the SQLite database (and its -wal and -shm files), the generated master key
and the analytics log; under the usual umask 022 they used to be created readable by every
user of the machine.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from poolgate.config import Settings
from poolgate.private_files import make_private_file, prepare_sqlite_file
from poolgate.security.analytics import AnalyticsEvent, JsonLinesSink
from poolgate.services import build_services


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(folder: Path) -> dict[str, str]:
    return {p.name: oct(_mode(p)) for p in sorted(folder.iterdir())}


@pytest.mark.usefixtures("loose_umask")
def test_data_folder_and_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "parent" / "data"
    services = build_services(Settings(data_dir=data))
    try:
        # A write, so SQLite has its -wal and -shm files open.
        services.pools.create_pool("modes", {})
        sink = services.threat.sink
        assert isinstance(sink, JsonLinesSink)
        sink.publish(
            AnalyticsEvent(event_type="_userauth.sign_in", timestamp=0.0, user_pool_id="p", client_id="c")
        )
        names = {p.name for p in data.iterdir()}
        assert {"master.key", "poolgate.sqlite3", "poolgate.sqlite3-wal", "poolgate.sqlite3-shm"} <= names
        assert sink.path.exists()
        print(f"\n[file modes] {data.name}: {oct(_mode(data))} {_modes(data)}")
        assert _mode(data) == 0o700
        for path in data.iterdir():
            assert _mode(path) == 0o600, (path.name, oct(_mode(path)))
    finally:
        services.close()
    # A parent the operator's tools would create is left with the ordinary mode.
    assert _mode(tmp_path / "parent") == 0o755


@pytest.mark.usefixtures("loose_umask")
def test_existing_database_files_are_narrowed(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    database = folder / "poolgate.sqlite3"
    for name in ("poolgate.sqlite3", "poolgate.sqlite3-wal", "poolgate.sqlite3-shm"):
        (folder / name).write_bytes(b"")
        (folder / name).chmod(0o644)
    prepare_sqlite_file(database)
    assert _modes(folder) == {
        "poolgate.sqlite3": "0o600",
        "poolgate.sqlite3-shm": "0o600",
        "poolgate.sqlite3-wal": "0o600",
    }
    # The operator's folder keeps its mode.
    assert _mode(folder) == 0o755
    make_private_file(database)
    assert database.read_bytes() == b""
