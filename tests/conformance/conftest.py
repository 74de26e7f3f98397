from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.server import ServerProcess, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server on SQLite with the testing API, shared by the conformance tests."""
    proc = start_server(tmp_path_factory.mktemp("poolgate-data"))
    yield proc
    proc.stop()


@pytest.fixture
def cognito(server: ServerProcess) -> Any:
    return server.client()


@pytest.fixture
def pool_id(cognito: Any) -> Iterator[str]:
    pool = cognito.create_user_pool(PoolName="conformance")["UserPool"]
    yield pool["Id"]
    cognito.delete_user_pool(UserPoolId=pool["Id"])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
