"""``PoolgateServer``: a Poolgate with the testing API, served from a background thread."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import string
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from poolgate.config import AccessKey, Settings

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"
DEFAULT_PASSWORD_POLICY_SAFE = "Passw0rd!Test"


@dataclass(frozen=True, slots=True)
class TestApp:
    """What :meth:`PoolgateServer.create_app` made: a pool, an app client and (maybe) a user."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    pool_id: str
    client_id: str
    client_secret: str | None
    username: str | None
    password: str | None


class PoolgateServer:
    """A real Poolgate server on a free loopback port, in a thread of this process.

    ``start()`` returns once it answers requests; ``stop()`` shuts it down. ``handlers`` maps
    Lambda function names to ``"module:function"`` in-process trigger handlers.
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        region: str = "us-east-1",
        handlers: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="poolgate-")
            data_dir = Path(self._tmp.name)
        self.data_dir = data_dir
        self.region = region
        self.handlers = dict(handlers or {})
        self.extra_env = dict(env or {})
        alphabet = string.ascii_uppercase + "234567"
        self.access_key_id = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
        self.secret_access_key = secrets.token_urlsafe(30)
        self.endpoint = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._services: Any = None
        self._in_process: Any = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        import uvicorn

        from poolgate.services import build_services
        from poolgate.web.app import create_app

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(256)
        port = sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{port}"
        settings = Settings(
            host="127.0.0.1",
            port=port,
            data_dir=self.data_dir,
            region=self.region,
            public_url=self.endpoint,
            testing=True,
            access_keys=(AccessKey(self.access_key_id, self.secret_access_key),),
            log_level="warning",
            lambda_handlers=dict(self.handlers),
        )
        services = build_services(settings)
        self._services = services
        app = create_app(settings, services)
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None

        def run() -> None:
            asyncio.run(self._server.serve(sockets=[sock]))

        self._thread = threading.Thread(target=run, name="poolgate-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("Poolgate did not start")
            time.sleep(0.01)
        return self

    def register_trigger(self, function_name: str, handler: Callable[[dict[str, Any], Any], Any]) -> str:
        """Run ``handler(event, context)`` in this process whenever a pool's LambdaConfig names the
        function ``function_name``; return an ARN to put in LambdaConfig."""
        from poolgate.triggers.inprocess import InProcessInvoker
        from poolgate.triggers.invokers import RoutingInvoker
        from poolgate.triggers.runner import TriggerRunner

        runner = self._services.triggers if self._services is not None else None
        if not isinstance(runner, TriggerRunner) or not isinstance(runner.invoker, RoutingInvoker):
            raise RuntimeError("start the server before registering triggers")
        if self._in_process is None:
            self._in_process = InProcessInvoker({}, region=self.region)
        self._in_process.register(function_name, handler)
        runner.invoker.add_route(function_name, self._in_process)
        return f"arn:aws:lambda:{self.region}:000000000000:function:{function_name}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._server = self._thread = None
        if self._in_process is not None:
            self._in_process.close()
            self._in_process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def environment(self) -> Iterator[None]:
        """Point unmodified boto3 code at this server while the block runs (the SDKs' standard
        per-service endpoint variable, plus this server's credentials and region)."""
        wanted = {
            ENDPOINT_VARIABLE: self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
        }
        saved = {k: os.environ.get(k) for k in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    # -- clients and helpers ---------------------------------------------------------------------

    def client(self) -> Any:
        """A boto3 cognito-idp client for this server (admin calls are signed)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=Config(retries={"max_attempts": 1}),
        )

    def create_app(
        self,
        *,
        username: str | None = None,
        password: str = DEFAULT_PASSWORD_POLICY_SAFE,
        attributes: Mapping[str, str] | None = None,
        generate_secret: bool = False,
        pool_name: str = "test-pool",
        **pool_args: Any,
    ) -> TestApp:
        """A pool, an app client allowing every password/SRP/refresh flow, and optionally a
        CONFIRMED user with ``password``, in one call."""
        cognito = self.client()
        pool_id = cognito.create_user_pool(PoolName=pool_name, **pool_args)["UserPool"]["Id"]
        app = cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="test-client",
            GenerateSecret=generate_secret,
            ExplicitAuthFlows=[
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
                "ALLOW_CUSTOM_AUTH",
            ],
        )["UserPoolClient"]
        if username is not None:
            self.create_user(pool_id, username, password, attributes)
        return TestApp(
            pool_id, app["ClientId"], app.get("ClientSecret"), username, password if username else None
        )

    def create_user(
        self, pool_id: str, username: str, password: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        """A CONFIRMED user with a permanent password."""
        cognito = self.client()
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": k, "Value": v} for k, v in (attributes or {}).items()],
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=password, Permanent=True
        )

    def messages(self, pool_id: str | None = None, username: str | None = None) -> list[dict[str, Any]]:
        """Everything "sent" (codes, invitations), oldest first."""
        params = {k: v for k, v in (("userPoolId", pool_id), ("username", username)) if v}
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        result: list[dict[str, Any]] = self._testing_api("GET", f"/_testing/messages{query}")["messages"]
        return result

    def codes(self, username: str, pool_id: str | None = None) -> list[str]:
        """The codes and temporary passwords sent to ``username``, oldest first."""
        return [m["code"] for m in self.messages(pool_id, username) if m.get("code")]

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (tokens, codes, sessions and lockouts expire)."""
        self._testing_api("POST", "/_testing/clock", {"advance": seconds})

    def reset(self) -> None:
        """Delete every pool, client, user and message, and put the clock back."""
        self._testing_api("POST", "/_testing/reset", {})

    def _testing_api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One call to the testing API with the standard library only: the pytest plugin must work
        with Poolgate's runtime dependencies alone (a non-2xx answer raises ``HTTPError``)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        request = urllib.request.Request(self.endpoint + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None
