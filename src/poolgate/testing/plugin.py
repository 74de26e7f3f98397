"""The ``poolgate`` pytest fixture (registered through the ``pytest11`` entry point).

``poolgate`` is a started :class:`~poolgate.testing.PoolgateServer`; while it is active,
``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`` (and the server's credentials and region) point
unmodified boto3 code at it. Scope: ``--poolgate-scope=function|module|session`` or the ini
option ``poolgate_scope`` (default ``session``; with a wider scope the server is ``reset()``
before each test). Trigger handlers: the ini option ``poolgate_handlers`` (lines of
``function-name=module:function``) or ``@pytest.mark.poolgate(handlers={...})`` with a
function-scoped server.

Installing Poolgate loads this module in every pytest run of the environment, so it imports
nothing but pytest at load time: the server (and Poolgate's dependencies) are imported only when a
test asks for the fixture. A broken or partial installation then fails the tests that use
``poolgate``, never an unrelated run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from poolgate.testing.server import PoolgateServer

SCOPES = ("function", "module", "session")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("poolgate")
    group.addoption("--poolgate-scope", choices=SCOPES, default=None, help="scope of the poolgate fixture")
    parser.addini(
        "poolgate_scope", "scope of the poolgate fixture (function, module, session)", default="session"
    )
    parser.addini("poolgate_handlers", "in-process trigger handlers: name=module:function", type="linelist")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "poolgate(handlers=None): options of a function-scoped poolgate server"
    )


def _scope(fixture_name: str, config: pytest.Config) -> str:
    chosen = config.getoption("--poolgate-scope") or config.getini("poolgate_scope")
    return str(chosen) if chosen in SCOPES else "session"


def _handlers(config: pytest.Config) -> dict[str, str]:
    handlers: dict[str, str] = {}
    for line in config.getini("poolgate_handlers"):
        name, sep, target = str(line).partition("=")
        if sep:
            handlers[name.strip()] = target.strip()
    return handlers


@pytest.fixture(scope=_scope)  # type: ignore[arg-type]
def _poolgate_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PoolgateServer]:
    from poolgate.testing.server import PoolgateServer

    handlers = _handlers(request.config)
    marker = request.node.get_closest_marker("poolgate") if request.scope == "function" else None
    if marker is not None:
        handlers.update(marker.kwargs.get("handlers") or {})
    server = PoolgateServer(tmp_path_factory.mktemp("poolgate"), handlers=handlers).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def poolgate(_poolgate_server: PoolgateServer) -> Iterator[PoolgateServer]:
    """A running Poolgate, reset for each test, with boto3 pointed at it through the environment."""
    _poolgate_server.reset()
    with _poolgate_server.environment():
        yield _poolgate_server
