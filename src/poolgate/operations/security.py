"""Threat-protection operations: SetRiskConfiguration, DescribeRiskConfiguration,
AdminListUserAuthEvents, AdminUpdateAuthEventFeedback and UpdateAuthEventFeedback."""

from __future__ import annotations

from poolgate.operations.registry import OperationContext, Params, Result, operation
from poolgate.security.config import DOCUMENTS


@operation("SetRiskConfiguration")
def set_risk_configuration(ctx: OperationContext, params: Params) -> Result:
    documents = {name: params[name] for name in DOCUMENTS if name in params}
    configuration = ctx.services.threat.set_risk_configuration(
        params["UserPoolId"], params.get("ClientId"), documents
    )
    return {"RiskConfiguration": configuration}


@operation("DescribeRiskConfiguration")
def describe_risk_configuration(ctx: OperationContext, params: Params) -> Result:
    configuration = ctx.services.threat.describe_risk_configuration(
        params["UserPoolId"], params.get("ClientId")
    )
    return {"RiskConfiguration": configuration}


@operation("AdminListUserAuthEvents")
def admin_list_user_auth_events(ctx: OperationContext, params: Params) -> Result:
    events, next_token = ctx.services.threat.list_user_auth_events(
        params["UserPoolId"], params["Username"], params.get("MaxResults"), params.get("NextToken")
    )
    return {"AuthEvents": events, **({"NextToken": next_token} if next_token else {})}


@operation("AdminUpdateAuthEventFeedback")
def admin_update_auth_event_feedback(ctx: OperationContext, params: Params) -> Result:
    ctx.services.threat.update_feedback(
        params["UserPoolId"], params["Username"], params["EventId"], params["FeedbackValue"]
    )
    return {}


@operation("UpdateAuthEventFeedback")
def update_auth_event_feedback(ctx: OperationContext, params: Params) -> Result:
    ctx.services.threat.update_feedback(
        params["UserPoolId"],
        params["Username"],
        params["EventId"],
        params["FeedbackValue"],
        token=params["FeedbackToken"],
    )
    return {}
