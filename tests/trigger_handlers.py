"""In-process trigger handlers for servers started by tests.

A ``poolgate serve`` subprocess started from the repository root can import these by name::

    POOLGATE_LAMBDA_HANDLERS="presignup=tests.trigger_handlers:pre_sign_up_auto_confirm,
                              record=tests.trigger_handlers:record,
                              sleepy=tests.trigger_handlers:sleepy,
                              boom=tests.trigger_handlers:boom"

and the pool's LambdaConfig then names ``arn:aws:lambda:us-east-1:000000000000:function:record``
(see ``tests.triggers_support.lambda_arn``).

``record`` appends every event as one JSON line to the file named by
``POOLGATE_TEST_EVENTS_FILE`` and answers with the ``response`` found, keyed by the event's
``triggerSource`` (or ``"*"`` for any source), in the JSON file named by
``POOLGATE_TEST_RESPONSES_FILE``. A response value ``{"__raise__": "message"}`` makes it throw
``message`` instead. The files are re-read on every call, so a test may change them between
calls. :func:`read_events` and :func:`write_responses` are the test-side helpers.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

EVENTS_FILE_ENV = "POOLGATE_TEST_EVENTS_FILE"
RESPONSES_FILE_ENV = "POOLGATE_TEST_RESPONSES_FILE"

_write_lock = threading.Lock()


class TriggerRejected(Exception):
    """What the handlers throw; the message becomes Cognito's ``failed with error`` text."""


def pre_sign_up_auto_confirm(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """PreSignUp: confirm the user and verify whichever of email/phone was given."""
    attributes = event["request"].get("userAttributes") or {}
    event["response"] = {
        "autoConfirmUser": True,
        "autoVerifyEmail": "email" in attributes,
        "autoVerifyPhone": "phone_number" in attributes,
    }
    return event


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Return the event unchanged (every trigger's "do nothing")."""
    return event


def boom(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Always throw; the message names the trigger source."""
    raise TriggerRejected(f"rejected {event.get('triggerSource')}")


def sleepy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sleep half a second past the caller's deadline, then return the event (too late)."""
    time.sleep(context.get_remaining_time_in_millis() / 1000 + 0.5)
    return event


def record(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Append the event to ``$POOLGATE_TEST_EVENTS_FILE``; answer from ``$POOLGATE_TEST_RESPONSES_FILE``."""
    events_file = os.environ.get(EVENTS_FILE_ENV)
    if events_file:
        line = json.dumps({"function": context.function_name, "event": event})
        with _write_lock, open(events_file, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    response = _configured_response(str(event.get("triggerSource", "")))
    if isinstance(response, dict) and "__raise__" in response:
        raise TriggerRejected(str(response["__raise__"]))
    if response is not None:
        event["response"] = {**(event.get("response") or {}), **response}
    return event


def _configured_response(source: str) -> dict[str, Any] | None:
    path = os.environ.get(RESPONSES_FILE_ENV)
    if not path or not Path(path).exists():
        return None
    table = json.loads(Path(path).read_text(encoding="utf-8"))
    found = table.get(source, table.get("*"))
    return found if isinstance(found, dict) else None


def read_events(path: Path, function: str | None = None) -> list[dict[str, Any]]:
    """The events ``record`` wrote to ``path`` (oldest first), optionally only one function's."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["event"] for row in rows if function is None or row["function"] == function]


def write_responses(path: Path, responses: dict[str, dict[str, Any]]) -> None:
    """Set what ``record`` answers: ``{triggerSource or "*": response}``."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(responses), encoding="utf-8")
    os.replace(tmp, path)
