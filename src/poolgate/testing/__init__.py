"""Poolgate for test suites: a real server in a background thread, and a pytest plugin.

```python
def test_sign_in(poolgate):
    app = poolgate.create_app(username="alice", password="Passw0rd!")
    tokens = poolgate.client().initiate_auth(
        ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Passw0rd!"})
```

The server is the same code as ``poolgate serve --testing`` (SQLite in a temporary folder,
real SigV4, real SRP and tokens); only the process is shared with the tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from poolgate.testing.server import PoolgateServer, TestApp

__all__ = ["PoolgateServer", "TestApp"]


def __getattr__(name: str) -> Any:
    # Imported on first use: pytest loads poolgate.testing.plugin (and so this package) in every
    # run of an environment Poolgate is installed in, and that must not import the server.
    if name in __all__:
        from poolgate.testing import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
