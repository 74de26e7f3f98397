"""Sign-in operations: InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge and
AdminRespondToAuthChallenge. Each maps its request to one ``AuthService`` call and the
``StepResult`` back to the response shape.

A challenge answers ``ChallengeName``, ``Session`` and ``ChallengeParameters``; tokens answer
``AuthenticationResult`` with an empty ``ChallengeParameters`` beside it, as Cognito's own
responses do (the familiar ``"ChallengeParameters": {}`` of a USER_PASSWORD_AUTH sign-in).

ClientMetadata, AnalyticsMetadata, (User)ContextData and the connection's source IP and
User-Agent go down as ``RequestMetadata``; the
triggers' ``callerContext`` as a ``Caller`` naming the app client and the caller's SDK (from
its User-Agent).
"""

from __future__ import annotations

from typing import Any

from poolgate.auth.state import Authenticated, RequestMetadata, StepResult
from poolgate.operations.registry import OperationContext, Params, Result, operation
from poolgate.triggers.api import Caller, sdk_from_user_agent


@operation("InitiateAuth")
def initiate_auth(ctx: OperationContext, params: Params) -> Result:
    result = ctx.services.auth.initiate_auth(
        params["ClientId"],
        params["AuthFlow"],
        params.get("AuthParameters") or {},
        metadata=_metadata(ctx, params, "UserContextData"),
        caller=_caller(ctx, params),
    )
    return _response(result)


@operation("AdminInitiateAuth")
def admin_initiate_auth(ctx: OperationContext, params: Params) -> Result:
    result = ctx.services.auth.admin_initiate_auth(
        params["UserPoolId"],
        params["ClientId"],
        params["AuthFlow"],
        params.get("AuthParameters") or {},
        metadata=_metadata(ctx, params, "ContextData"),
        caller=_caller(ctx, params),
    )
    return _response(result)


@operation("RespondToAuthChallenge")
def respond_to_auth_challenge(ctx: OperationContext, params: Params) -> Result:
    result = ctx.services.auth.respond_to_auth_challenge(
        params["ClientId"],
        params["ChallengeName"],
        params.get("ChallengeResponses") or {},
        session=params.get("Session"),
        metadata=_metadata(ctx, params, "UserContextData"),
        caller=_caller(ctx, params),
    )
    return _response(result)


@operation("AdminRespondToAuthChallenge")
def admin_respond_to_auth_challenge(ctx: OperationContext, params: Params) -> Result:
    result = ctx.services.auth.admin_respond_to_auth_challenge(
        params["UserPoolId"],
        params["ClientId"],
        params["ChallengeName"],
        params.get("ChallengeResponses") or {},
        session=params.get("Session"),
        metadata=_metadata(ctx, params, "ContextData"),
        caller=_caller(ctx, params),
    )
    return _response(result)


def _metadata(ctx: OperationContext, params: Params, context_member: str) -> RequestMetadata:
    return RequestMetadata(
        client_metadata=params.get("ClientMetadata") or {},
        analytics_metadata=params.get("AnalyticsMetadata"),
        context_data=params.get(context_member),
        source_ip=ctx.source_ip,
        user_agent=ctx.user_agent,
    )


def _caller(ctx: OperationContext, params: Params) -> Caller:
    return Caller(params["ClientId"], sdk_from_user_agent(ctx.user_agent))


def _response(result: StepResult) -> dict[str, Any]:
    if isinstance(result, Authenticated):
        return {
            "ChallengeParameters": {},
            "AuthenticationResult": result.tokens.as_result(result.new_device_metadata),
        }
    return {
        "ChallengeName": result.name.value,
        "Session": result.session,
        "ChallengeParameters": dict(result.parameters),
    }
