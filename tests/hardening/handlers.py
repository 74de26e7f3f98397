"""In-process custom-auth triggers for the hardening suites (``POOLGATE_LAMBDA_HANDLERS``).

One round: the answer to the CUSTOM_CHALLENGE is ``42``; a right answer issues tokens, a wrong
one fails the sign-in.
"""

from __future__ import annotations

from typing import Any

ANSWER = "42"


def define(event: dict[str, Any], context: Any) -> dict[str, Any]:
    session = event["request"]["session"]
    if not session:
        event["response"] = {
            "challengeName": "CUSTOM_CHALLENGE",
            "issueTokens": False,
            "failAuthentication": False,
        }
    elif session[-1]["challengeResult"]:
        event["response"] = {"issueTokens": True, "failAuthentication": False}
    else:
        event["response"] = {"issueTokens": False, "failAuthentication": True}
    return event


def create(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event["response"] = {
        "publicChallengeParameters": {"question": "the answer?"},
        "privateChallengeParameters": {"answer": ANSWER},
        "challengeMetadata": "ROUND-1",
    }
    return event


def verify(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event["request"]
    event["response"] = {
        "answerCorrect": request["challengeAnswer"] == request["privateChallengeParameters"]["answer"]
    }
    return event
