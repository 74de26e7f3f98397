"""Prometheus metrics, defined in one place.

With ``serve --workers N`` every worker writes its samples to ``PROMETHEUS_MULTIPROC_DIR`` (set
by ``serve`` before the workers start) and ``/metrics`` aggregates them, so the counters are
correct whichever worker answers the scrape. Only counters and histograms are used, which
aggregate exactly in that mode.

Every label value comes from a closed set, never from the request as sent: each distinct value
is a time series kept for the life of the process (and a file in the multiprocess folder), so a
label an unauthenticated caller could choose would let it grow memory and ``/metrics`` without
bound. The callers pass values through :func:`closed`, which maps anything outside the set to
``OTHER``; ``docs/security.md`` (finding 3) lists every label and the set it draws from.
"""

from __future__ import annotations

import os
from collections.abc import Set as AbstractSet

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from poolgate.errors import CognitoError

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# The one label value for anything outside a label's closed set.
OTHER = "other"

REQUESTS = Counter(
    "poolgate_requests_total",
    "API requests by operation and outcome (ok or the error code).",
    ["operation", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "poolgate_request_seconds",
    "API request latency by operation.",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15),
)
SIGN_INS = Counter(
    "poolgate_sign_ins_total",
    "Sign-in steps by flow (AuthFlow or answered ChallengeName) and outcome (tokens, challenge, or the error code).",
    ["flow", "outcome"],
)
TRIGGER_SECONDS = Histogram(
    "poolgate_trigger_seconds",
    "Lambda trigger invocation latency (all attempts) by trigger.",
    ["trigger"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15),
)
TRIGGER_FAILURES = Counter(
    "poolgate_trigger_failures_total",
    "Failed trigger invocations by trigger and error code.",
    ["trigger", "error"],
)
RISK_DECISIONS = Counter(
    "poolgate_risk_decisions_total",
    "Threat-protection decisions by level and decision.",
    ["level", "decision"],
)


def closed(value: str, allowed: AbstractSet[str]) -> str:
    """``value`` when it is one of ``allowed``, else ``OTHER``: a label value from a closed set."""
    return value if value in allowed else OTHER


def error_code(error: CognitoError) -> str:
    """The wire code of ``error`` as a label value: one of the codes the ``CognitoError``
    classes declare (``errors.py`` and the few front-door errors defined beside their raiser)."""
    global _error_codes  # noqa: PLW0603 - a cache of the declared codes, refreshed on a miss
    if error.code not in _error_codes:
        # A class defined since the last look (the set is read again only then).
        _error_codes = _declared_codes()
    return closed(error.code, _error_codes)


def _declared_codes() -> frozenset[str]:
    codes: set[str] = set()
    pending: list[type[CognitoError]] = [CognitoError]
    while pending:
        cls = pending.pop()
        codes.add(cls.code)
        pending.extend(cls.__subclasses__())
    return frozenset(codes)


_error_codes: frozenset[str] = frozenset()


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric (aggregated over worker processes when several)."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
