"""CORS for browser apps (Amplify, amazon-cognito-identity-js in a page).

Real Cognito's exact CORS headers are not documented; these are a permissive
superset [decision, spec protocol.md §1 and clients.md].
"""

from __future__ import annotations

ALLOWED_HEADERS = (
    "content-type, x-amz-target, x-amz-user-agent, cache-control, authorization, x-amz-date, "
    "x-amz-security-token, x-amz-content-sha256, amz-sdk-invocation-id, amz-sdk-request"
)
EXPOSED_HEADERS = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date"


def cors_headers(origin: str | None) -> dict[str, str]:
    """Headers added to every response of the API endpoint."""
    headers = {
        "Access-Control-Allow-Origin": origin or "*",
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
    }
    if origin:
        headers["Vary"] = "Origin"
    return headers


def preflight_headers(origin: str | None, requested: str | None) -> dict[str, str]:
    """Headers of the answer to ``OPTIONS /``."""
    headers = cors_headers(origin)
    headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    headers["Access-Control-Allow-Headers"] = requested or ALLOWED_HEADERS
    headers["Access-Control-Max-Age"] = "86400"
    return headers
