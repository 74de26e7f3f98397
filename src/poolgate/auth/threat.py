"""Threat protection in the sign-in path (mfa-devices-security.md section 6).

The engine calls these between phases (never inside a transaction: ``ThreatProtection`` opens
its own short ones), once the password step of a USER_PASSWORD/ADMIN_USER_PASSWORD or SRP
sign-in has an outcome for a known user:

- :func:`after_password` rates the attempt (``assess_sign_in``), records the ``Password``
  step, and applies the action: BLOCK (or a compromised password the configuration blocks)
  ends the attempt with :func:`poolgate.security.service.blocked`; MFA_IF_CONFIGURED and
  MFA_REQUIRED set ``AuthSession.risk_mfa``, which the engine's ``mfa_required`` reads through
  :func:`risk_mfa_step`. The event id goes on the session (``risk_event``) and becomes the
  ``event_id`` claim of the tokens;
- :func:`after_password_failure` records a wrong password as a failed attempt;
- :func:`record_mfa` and :func:`finished` record the MFA steps and the end of the attempt.

An action with ``Notify: true`` sends the account-takeover e-mail (``ThreatProtection.notify``)
as soon as the attempt is rated.

CUSTOM_AUTH sign-ins are rated under the pool's ``CustomAuthMode`` (OFF when unset; spec
section 6.1) by :func:`custom_password_step` (the PASSWORD_VERIFIER of a flow started with
SRP_A) and :func:`before_custom_tokens` (DefineAuthChallenge chose ``issueTokens``), whichever
comes first; :func:`custom_failed` rates and ends the attempt when the flow fails. BLOCK refuses the
sign-in; the MFA actions are recorded but not applied [decision: a custom flow never gets
Cognito's MFA step, its challenges are the app's own second factor].

:func:`after_refresh` publishes the ``_userauth.token_refresh`` analytics event; it returns at
once, without any I/O, when the client has no AnalyticsConfiguration and the call sent no
AnalyticsMetadata.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace

from poolgate.auth.context import StepContext
from poolgate.auth.state import AuthSession, Passed
from poolgate.mfa.model import SOFTWARE_TOKEN_MFA
from poolgate.mfa.pool_config import pool_mfa
from poolgate.mfa.selection import MFA_SETUP, mfa_passed, usable_factors, usable_step
from poolgate.mfa.user_settings import read
from poolgate.pools.model import UserPool
from poolgate.security import config as riskconfig
from poolgate.security.analytics import TOKEN_REFRESH
from poolgate.security.model import AuthEvent
from poolgate.security.risk import Assessment, EventAction, SecurityMode
from poolgate.security.service import (
    SignInContext,
    ThreatProtection,
    analytics_wanted,
    blocked,
    context_from_request,
)
from poolgate.tokens.model import IssuedTokens
from poolgate.users.model import User

MFA_ACTIONS = (EventAction.MFA_IF_CONFIGURED.value, EventAction.MFA_REQUIRED.value)


def _active(ctx: StepContext) -> ThreatProtection | None:
    """The threat protection to use for this sign-in, or None when the pool's mode is OFF."""
    if ctx.threat is None or riskconfig.security_mode(ctx.pool) is SecurityMode.OFF:
        return None
    return ctx.threat


def rates_sign_ins(ctx: StepContext) -> bool:
    """True when threat protection rates this pool's sign-ins (its mode is not OFF)."""
    return _active(ctx) is not None


def sign_in_context(ctx: StepContext, session: AuthSession) -> SignInContext:
    """Where the attempt comes from: this call's connection and (User)ContextData, falling back
    to what the call that began the sign-in sent (an SRP answer often carries none)."""
    now, first = ctx.metadata, session.metadata
    return context_from_request(
        now.context_data or first.context_data,
        admin=ctx.admin,
        source_ip=now.source_ip,
        user_agent=now.user_agent,
        propagate_user_ip=bool(ctx.client.config.get("EnablePropagateAdditionalUserContextData")),
        device_key=session.device_key,
        analytics=now.analytics_metadata or first.analytics_metadata,
    )


def after_password(ctx: StepContext, passed: Passed) -> Passed:
    """Rate a sign-in whose password step passed and apply the action; raises the blocked
    error for BLOCK or a blocked compromised password."""
    threat = _active(ctx)
    session, user = passed.session, passed.user
    if threat is None or session.risk_event is not None or session.custom is not None:
        return passed
    event, assessment = threat.assess_sign_in(
        ctx.pool,
        ctx.client,
        user.sub,
        user.username,
        sign_in_context(ctx, session),
        compromised=session.risk_compromised,
    )
    threat.record_step(ctx.pool.id, event.event_id, "Password", True)
    _notify(ctx, threat, user, event, assessment)
    refuse = assessment.action is EventAction.BLOCK or (
        session.risk_compromised and threat.sign_in_blocked_for_compromised(ctx.pool, ctx.client.client_id)
    )
    if refuse:
        threat.finish(ctx.pool, ctx.client, event.event_id, passed=False)
        raise blocked()
    action = assessment.action.value if assessment.action.value in MFA_ACTIONS else None
    return Passed(replace(session, risk_event=event.event_id, risk_mfa=action), user)


def _notify(
    ctx: StepContext, threat: ThreatProtection, user: User, event: AuthEvent, assessment: Assessment
) -> None:
    """The account-takeover e-mail, when the applied action has Notify set (ENFORCED only)."""
    if assessment.notify:
        threat.notify(
            ctx.pool, ctx.client, event.event_id, assessment.configured_action, user.attributes.get("email")
        )


def after_password_failure(ctx: StepContext, session: AuthSession, user: User | None) -> None:
    """Record a wrong password of a known user as a failed attempt."""
    threat = _active(ctx)
    if threat is None or user is None or session.custom is not None:
        return
    event, _ = threat.assess_sign_in(
        ctx.pool, ctx.client, user.sub, user.username, sign_in_context(ctx, session)
    )
    threat.record_step(ctx.pool.id, event.event_id, "Password", False)
    threat.finish(ctx.pool, ctx.client, event.event_id, passed=False)


def record_mfa(ctx: StepContext, session: AuthSession, passed: bool) -> None:
    """Add an ``Mfa`` step to the attempt's event."""
    if ctx.threat is not None and session.risk_event is not None:
        ctx.threat.record_step(ctx.pool.id, session.risk_event, "Mfa", passed)


def finished(ctx: StepContext, session: AuthSession, *, passed: bool) -> None:
    """Mark the attempt's event Pass or Fail (and publish its analytics event)."""
    if ctx.threat is not None and session.risk_event is not None:
        ctx.threat.finish(ctx.pool, ctx.client, session.risk_event, passed=passed)


def risk_mfa_step(session: AuthSession, user: User, pool: UserPool) -> str | None:
    """The MFA step threat protection demands, or None: with ``risk_mfa`` set and no MFA step
    passed yet, the user's usable factor (preferred, single, else SELECT_MFA_TYPE), then a
    verified TOTP even if not enabled; with none, MFA_SETUP for MFA_REQUIRED and nothing for
    MFA_IF_CONFIGURED (spec section 6.1)."""
    if session.risk_mfa is None or mfa_passed(session.steps):
        return None
    config = pool_mfa(pool)
    state = read(user)
    step = usable_step(usable_factors(config, user, state), state)
    if step is not None:
        return step
    if state.totp_verified:
        return SOFTWARE_TOKEN_MFA
    return MFA_SETUP if session.risk_mfa == EventAction.MFA_REQUIRED.value else None


# -- CUSTOM_AUTH ---------------------------------------------------------------------------------


def _active_custom(ctx: StepContext) -> ThreatProtection | None:
    """Threat protection for a custom sign-in, or None when ``CustomAuthMode`` is OFF."""
    if ctx.threat is None or riskconfig.security_mode(ctx.pool, custom_auth=True) is SecurityMode.OFF:
        return None
    return ctx.threat


def _rate_custom(
    ctx: StepContext, threat: ThreatProtection, session: AuthSession, user: User, *, may_block: bool
) -> AuthSession:
    """Rate a custom sign-in once (the session keeps the event id); BLOCK refuses it when
    ``may_block``."""
    if session.risk_event is not None:
        return session
    event, assessment = threat.assess_sign_in(
        ctx.pool, ctx.client, user.sub, user.username, sign_in_context(ctx, session), custom_auth=True
    )
    _notify(ctx, threat, user, event, assessment)
    if may_block and assessment.action is EventAction.BLOCK:
        threat.finish(ctx.pool, ctx.client, event.event_id, passed=False)
        raise blocked()
    return replace(session, risk_event=event.event_id)


def custom_password_step(
    ctx: StepContext, session: AuthSession, user: User | None, passed: bool
) -> AuthSession:
    """The PASSWORD_VERIFIER of a custom sign-in has an outcome: rate the attempt (a passed
    password may be blocked) and record the ``Password`` step."""
    threat = _active_custom(ctx)
    if threat is None or user is None:
        return session
    rated = _rate_custom(ctx, threat, session, user, may_block=passed)
    assert rated.risk_event is not None
    threat.record_step(ctx.pool.id, rated.risk_event, "Password", passed)
    return rated


def before_custom_tokens(ctx: StepContext, session: AuthSession, user: User) -> AuthSession:
    """DefineAuthChallenge chose to issue tokens: rate the attempt if no password step did
    (raises the blocked error for BLOCK); the event id becomes the tokens' ``event_id``."""
    threat = _active_custom(ctx)
    if threat is None:
        return session
    return _rate_custom(ctx, threat, session, user, may_block=True)


def custom_failed(ctx: StepContext, session: AuthSession, user: User | None) -> None:
    """A custom sign-in of a known user failed (``failAuthentication``): the attempt is rated
    if it was not yet (never blocked: it fails anyway) and its event ends Fail."""
    threat = _active_custom(ctx)
    if threat is None or user is None:
        return
    rated = _rate_custom(ctx, threat, session, user, may_block=False)
    finished(ctx, rated, passed=False)


# -- refresh -------------------------------------------------------------------------------------


def after_refresh(ctx: StepContext, tokens: IssuedTokens) -> None:
    """Publish ``_userauth.token_refresh`` for a successful refresh when the client has an
    AnalyticsConfiguration or the call sent AnalyticsMetadata; otherwise return without I/O."""
    endpoint = (ctx.metadata.analytics_metadata or {}).get("AnalyticsEndpointId")
    if ctx.threat is None or not analytics_wanted(ctx.client, endpoint):
        return
    ctx.threat.publish(
        ctx.client, TOKEN_REFRESH, username=_token_username(tokens.access_token), endpoint_id=endpoint
    )


def _token_username(access_token: str) -> str | None:
    """The ``username`` claim of an access token this server has just signed (not verified)."""
    try:
        payload = access_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    username = claims.get("username") if isinstance(claims, dict) else None
    return str(username) if username else None
