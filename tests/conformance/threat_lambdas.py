"""In-process CUSTOM_AUTH triggers for the threat-protection live tests (loaded by the server
through ``POOLGATE_LAMBDA_HANDLERS``): one CUSTOM_CHALLENGE whose answer is ``2`` (or, for a
flow started with SRP_A, the PASSWORD_VERIFIER); tokens when it is answered right, failure
otherwise."""

from __future__ import annotations

from typing import Any

HANDLERS = (
    "tp-define=tests.conformance.threat_lambdas:define,"
    "tp-create=tests.conformance.threat_lambdas:create,"
    "tp-verify=tests.conformance.threat_lambdas:verify"
)
LAMBDA_CONFIG = {
    "DefineAuthChallenge": "arn:aws:lambda:us-east-1:000000000000:function:tp-define",
    "CreateAuthChallenge": "arn:aws:lambda:us-east-1:000000000000:function:tp-create",
    "VerifyAuthChallengeResponse": "arn:aws:lambda:us-east-1:000000000000:function:tp-verify",
}


def define(event: dict[str, Any], context: Any) -> dict[str, Any]:
    session = event["request"]["session"]
    if not session:
        event["response"].update(
            challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False
        )
    elif session[-1]["challengeName"] == "SRP_A":
        event["response"].update(
            challengeName="PASSWORD_VERIFIER", issueTokens=False, failAuthentication=False
        )
    elif session[-1]["challengeResult"]:
        event["response"].update(issueTokens=True, failAuthentication=False)
    else:
        event["response"].update(issueTokens=False, failAuthentication=True)
    return event


def create(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event["response"].update(
        publicChallengeParameters={"question": "1+1"},
        privateChallengeParameters={"answer": "2"},
        challengeMetadata="SUM",
    )
    return event


def verify(event: dict[str, Any], context: Any) -> dict[str, Any]:
    expected = event["request"]["privateChallengeParameters"]["answer"]
    event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == expected
    return event
