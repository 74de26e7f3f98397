"""Small helpers shared by the hardening suites."""

from __future__ import annotations

from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

# The errors every AWS JSON front door may answer with, before any operation runs.
PROTOCOL_ERRORS = frozenset(
    {
        "SerializationException",
        "UnknownOperationException",
        "MissingAuthenticationTokenException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "RequestEntityTooLargeException",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


def status_of(exc: ClientError) -> int:
    return int(exc.response["ResponseMetadata"]["HTTPStatusCode"])


def figure(title: str, counts: Counter[str] | dict[str, Any]) -> None:
    """Print a suite's figure in one block (figures are printed, not asserted)."""
    print(f"\n[hardening] {title}")
    for key, value in sorted(counts.items(), key=lambda kv: str(kv[0])):
        print(f"[hardening]   {key}: {value}")
