"""A fake AWS Lambda for trigger tests: a loopback server that speaks the Lambda Invoke API.

:class:`LambdaEndpoint` answers ``POST /2015-03-31/functions/{name}/invocations`` the way the
Lambda service does, so a real boto3 Lambda client (and so a Poolgate server started with
``AWS_ENDPOINT_URL_LAMBDA=<url>`` or ``POOLGATE_LAMBDA_ENDPOINTS=name=<url>``) can invoke
"functions" that are Python callables in the test process. Every event is recorded.

A behaviour is ``behaviour(event) -> reply`` where the reply is one of:

- a ``dict``: the function's result (normally the event with ``response`` filled in; see
  :func:`respond`), sent back as the payload;
- an ``Exception`` instance: a function error, sent the way Lambda reports an unhandled
  exception (``X-Amz-Function-Error: Unhandled`` and ``{"errorMessage", "errorType"}``);
- ``"sleep:N"``: sleep N seconds, then return the event unchanged (for timeouts);
- ``"status:NNN"``: a Lambda service error with that HTTP status (``status:500`` is
  ``ServiceException``, ``status:429`` ``TooManyRequestsException``, ``status:404``
  ``ResourceNotFoundException``, ``status:403`` ``AccessDeniedException``);
- ``bytes``: sent as the payload verbatim (for unparseable output).

Typical use::

    with LambdaEndpoint() as fake:
        fake.set("presignup", respond(autoConfirmUser=True))
        ...  # pool LambdaConfig {"PreSignUp": lambda_arn("presignup")}
        assert fake.events("presignup")[0]["triggerSource"] == "PreSignUp_SignUp"

A function with no behaviour set returns its event unchanged.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Reply = dict[str, Any] | BaseException | str | bytes
Behaviour = Callable[[dict[str, Any]], Reply]

# The HTTP status and x-amzn-ErrorType Lambda uses for the "status:NNN" replies.
_SERVICE_ERRORS = {
    400: "InvalidRequestContentException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    429: "TooManyRequestsException",
    500: "ServiceException",
    502: "EC2UnexpectedException",
    503: "ServiceException",
}

INVOKE_PREFIX = "/2015-03-31/functions/"


def lambda_arn(name: str, region: str = "us-east-1", account: str = "000000000000") -> str:
    """A Lambda function ARN for a pool's LambdaConfig."""
    return f"arn:aws:lambda:{region}:{account}:function:{name}"


def echo(event: dict[str, Any]) -> Reply:
    """The default behaviour: return the event as it came (an empty ``response``)."""
    return event


def respond(**response: Any) -> Behaviour:
    """A behaviour that returns the event with these ``response`` members set."""

    def behaviour(event: dict[str, Any]) -> Reply:
        return {**event, "response": {**(event.get("response") or {}), **response}}

    return behaviour


def fail(message: str, error_type: str = "Error") -> Behaviour:
    """A behaviour whose function throws ``message``."""

    def behaviour(event: dict[str, Any]) -> Reply:
        return FunctionFailure(message, error_type)

    return behaviour


def sequence(*behaviours: Behaviour | Reply) -> Behaviour:
    """Use each behaviour (or fixed reply) once, in order; the last one then repeats."""
    remaining = list(behaviours)
    lock = threading.Lock()

    def behaviour(event: dict[str, Any]) -> Reply:
        with lock:
            current = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return current(event) if callable(current) else current

    return behaviour


class FunctionFailure(Exception):
    """An exception with an explicit ``errorType`` (otherwise the exception's class name is used)."""

    def __init__(self, message: str, error_type: str = "Error") -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass(frozen=True, slots=True)
class Invocation:
    """One request the fake received."""

    function: str
    qualifier: str | None
    invocation_type: str
    event: Any  # the parsed payload (None if it was not JSON)
    raw: bytes


class LambdaEndpoint:
    """A threaded Lambda Invoke API on 127.0.0.1; a context manager (the server runs inside it)."""

    def __init__(self, behaviours: dict[str, Behaviour] | None = None) -> None:
        self._behaviours: dict[str, Behaviour] = dict(behaviours or {})
        self._invocations: list[Invocation] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def set(self, name: str, behaviour: Behaviour | Reply) -> None:
        """Answer calls of function ``name`` with ``behaviour`` (or always with a fixed reply)."""
        if not callable(behaviour):
            fixed = behaviour
            behaviour = lambda _event: fixed  # noqa: E731 - a constant reply, bound in place
        with self._lock:
            self._behaviours[name] = behaviour

    def invocations(self, name: str | None = None) -> list[Invocation]:
        """Every call received (oldest first), or only the calls of function ``name``."""
        with self._lock:
            return [i for i in self._invocations if name is None or i.function == name]

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """The events received (oldest first), or only those sent to function ``name``."""
        return [i.event for i in self.invocations(name)]

    def clear(self) -> None:
        with self._lock:
            self._invocations.clear()

    def _behaviour(self, name: str) -> Behaviour:
        with self._lock:
            return self._behaviours.get(name, echo)

    def _record(self, invocation: Invocation) -> None:
        with self._lock:
            self._invocations.append(invocation)

    def start(self) -> Self:
        server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A caller that gave up on a sleeping function has closed its socket; the late
        # answer then fails to write, which is expected here.
        pass


def _split_function(path: str) -> tuple[str, str | None, dict[str, list[str]]] | None:
    parsed = urllib.parse.urlsplit(path)
    if not parsed.path.startswith(INVOKE_PREFIX) or not parsed.path.endswith("/invocations"):
        return None
    quoted = parsed.path[len(INVOKE_PREFIX) : -len("/invocations")]
    name = urllib.parse.unquote(quoted)
    query = urllib.parse.parse_qs(parsed.query)
    # FunctionName may be a name, name:qualifier, a partial ARN or a full ARN.
    parts = name.split(":")
    if "function" in parts:
        parts = parts[parts.index("function") + 1 :]
    qualifier = parts[1] if len(parts) > 1 else None
    if "Qualifier" in query:
        qualifier = query["Qualifier"][0]
    return parts[0], qualifier, query


def _handler_for(fake: LambdaEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without this, Nagle and delayed ACKs
        # add about 40 ms to every call.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            target = _split_function(self.path)
            if target is None:
                self._send(
                    404, {"message": "unknown route"}, {"x-amzn-ErrorType": "UnknownOperationException"}
                )
                return
            name, qualifier, _query = target
            try:
                event: Any = json.loads(raw) if raw else None
            except ValueError:
                event = None
            invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
            fake._record(Invocation(name, qualifier, invocation_type, event, raw))
            try:
                reply = fake._behaviour(name)(event)
            except Exception as exc:  # noqa: BLE001 - a behaviour that raises is a function error too
                reply = exc
            self._reply(reply, event)

        def _reply(self, reply: Reply, event: Any) -> None:
            if isinstance(reply, BaseException):
                error_type = getattr(reply, "error_type", type(reply).__name__)
                body: dict[str, Any] = {"errorMessage": str(reply), "errorType": error_type, "stackTrace": []}
                self._send(200, body, {"X-Amz-Function-Error": "Unhandled"})
            elif isinstance(reply, bytes):
                self._send_bytes(200, reply, {})
            elif isinstance(reply, str) and reply.startswith("sleep:"):
                time.sleep(float(reply.partition(":")[2]))
                self._send(200, event, {})
            elif isinstance(reply, str) and reply.startswith("status:"):
                status = int(reply.partition(":")[2])
                code = _SERVICE_ERRORS.get(status, "ServiceException")
                body = {"Type": "Service" if status >= 500 else "User", "message": f"fake {code}"}
                self._send(status, body, {"x-amzn-ErrorType": code})
            else:
                self._send(200, reply, {})

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            self._send_bytes(status, json.dumps(body).encode(), headers)

        def _send_bytes(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Amz-Executed-Version", "$LATEST")
                self.send_header("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                # The caller gave up (timeout) and closed the connection.
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def serve_lambda(behaviours: dict[str, Behaviour] | None = None) -> Iterator[LambdaEndpoint]:
    """For a pytest fixture: ``yield from serve_lambda()``."""
    with LambdaEndpoint(behaviours) as fake:
        yield fake
