"""``ThreatProtection``: risk configuration, sign-in assessment, the auth event history and
feedback, compromised-credential checks and analytics publishing.

The auth engine calls ``assess_sign_in`` when primary authentication starts, ``record_step``
as challenges pass or fail, and ``finish`` when the attempt ends; the user services call
``screen_password`` for sign-up and password changes. Every method opens its own short
transaction (or takes the caller's ``uow``) and none runs a trigger.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from poolgate import metrics
from poolgate.clock import Clock
from poolgate.errors import (
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    UserPoolAddOnNotEnabledException,
)
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.service import require_client, require_pool
from poolgate.security import config as riskconfig
from poolgate.security.analytics import AnalyticsEvent, AnalyticsSink, application_of
from poolgate.security.breached import BreachedPasswords, default_list
from poolgate.security.config import RiskConfiguration
from poolgate.security.events import AuthEvent, AuthEventLog, feedback_token, verify_feedback_token
from poolgate.security.risk import (
    FAILURE_WINDOW_SECONDS,
    STUFFING_WINDOW_SECONDS,
    Assessment,
    Attempt,
    SecurityMode,
    assess,
)
from poolgate.store.base import Store, UnitOfWork
from poolgate.users.lookup import require_user

BLOCKED_MESSAGE = "Unable to login because of security reasons."
COMPROMISED_MESSAGE = "The password has been found in a list of compromised passwords; choose another."
HISTORY_LIMIT = 200
MAX_EVENTS_PER_PAGE = 60


@dataclass(frozen=True, slots=True)
class SignInContext:
    """Who is signing in from where: the effective client IP, the User-Agent, the device (a
    DEVICE_KEY or the EncodedData fingerprint), EncodedData as sent, and AnalyticsMetadata."""

    ip: str | None = None
    user_agent: str | None = None
    device: str | None = None
    encoded_data: str | None = None
    endpoint_id: str | None = None


def context_from_request(
    context_data: Mapping[str, Any] | None,
    *,
    admin: bool,
    source_ip: str | None,
    user_agent: str | None,
    propagate_user_ip: bool,
    device_key: str | None = None,
    analytics: Mapping[str, Any] | None = None,
) -> SignInContext:
    """Combine (User)ContextData with the connection. Admin ContextData describes the end
    user (its IpAddress and HttpHeaders win); public UserContextData.IpAddress counts only for
    clients with EnablePropagateAdditionalUserContextData (spec section 6.2)."""
    data = context_data or {}
    ip, agent = source_ip, user_agent
    if admin and data:
        ip = data.get("IpAddress") or ip
        headers = {h.get("headerName", "").lower(): h.get("headerValue") for h in data.get("HttpHeaders") or ()}
        agent = headers.get("user-agent") or agent
    elif propagate_user_ip and data.get("IpAddress"):
        ip = data["IpAddress"]
    encoded = data.get("EncodedData")
    return SignInContext(
        ip=ip,
        user_agent=agent,
        device=device_key or encoded,
        encoded_data=encoded,
        endpoint_id=(analytics or {}).get("AnalyticsEndpointId"),
    )


class ThreatProtection:
    """The threat-protection service. ``events`` stores auth events, ``sink`` receives
    analytics events, ``feedback_key`` signs FeedbackTokens, ``notify`` (optional) sends the
    account-takeover e-mails."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        events: AuthEventLog,
        sink: AnalyticsSink,
        feedback_key: bytes,
        *,
        breached: BreachedPasswords | None = None,
    ) -> None:
        self.store, self.clock, self.events, self.sink = store, clock, events, sink
        self._feedback_key = feedback_key
        self._breached = breached or default_list()

    # Configuration ------------------------------------------------------------------------

    def set_risk_configuration(self, pool_id: str, client_id: str | None, documents: Mapping[str, Any]) -> dict[str, Any]:
        """SetRiskConfiguration; ResourceNotFoundException, InvalidParameterException."""
        riskconfig.check_documents(documents)
        stored = RiskConfiguration({k: documents[k] for k in riskconfig.DOCUMENTS if k in documents}, self.clock.now())
        with self.store.transaction() as uow:
            require_pool(uow, pool_id)
            if client_id:
                require_client(uow, pool_id, client_id)
            uow.meta.set(riskconfig.meta_key(pool_id, client_id), stored.to_json())
        return riskconfig.describe(pool_id, client_id, stored)

    def describe_risk_configuration(self, pool_id: str, client_id: str | None) -> dict[str, Any]:
        """DescribeRiskConfiguration: the client's own configuration, else the pool's."""
        with self.store.transaction(readonly=True) as uow:
            require_pool(uow, pool_id)
            if client_id:
                require_client(uow, pool_id, client_id)
            own = self._configuration(uow, pool_id, client_id)
        return riskconfig.describe(pool_id, client_id, own)

    def _configuration(self, uow: UnitOfWork, pool_id: str, client_id: str | None) -> RiskConfiguration | None:
        if client_id:
            own = RiskConfiguration.from_json(uow.meta.get(riskconfig.meta_key(pool_id, client_id)))
            if own is not None:
                return own
        return RiskConfiguration.from_json(uow.meta.get(riskconfig.meta_key(pool_id, None)))

    # Compromised credentials ------------------------------------------------------------

    def screen_password(self, uow: UnitOfWork, pool: UserPool, client_id: str | None, password: str, event: str) -> bool:
        """Check ``password`` for ``event`` (SIGN_UP, PASSWORD_CHANGE, SIGN_IN). Returns True
        when it is breached and the pool evaluates risk; raises InvalidPasswordException when
        the configuration blocks it under ENFORCED mode."""
        mode = riskconfig.security_mode(pool)
        if mode is SecurityMode.OFF or not self._breached.is_breached(password):
            return False
        configuration = self._configuration(uow, pool.id, client_id) or RiskConfiguration()
        if mode is SecurityMode.ENFORCED and configuration.blocks_compromised(event) and event != "SIGN_IN":
            raise InvalidPasswordException(COMPROMISED_MESSAGE)
        return True

    def sign_in_blocked_for_compromised(self, pool: UserPool, client_id: str) -> bool:
        """True when a breached password must refuse a sign-in (ENFORCED, SIGN_IN, BLOCK)."""
        if riskconfig.security_mode(pool) is not SecurityMode.ENFORCED:
            return False
        with self.store.transaction(readonly=True) as uow:
            configuration = self._configuration(uow, pool.id, client_id) or RiskConfiguration()
        return configuration.blocks_compromised("SIGN_IN")

    # Sign-in ------------------------------------------------------------------------------

    def assess_sign_in(
        self, pool: UserPool, client: AppClient, sub: str, username: str, context: SignInContext,
        *, custom_auth: bool = False, compromised: bool = False,
    ) -> tuple[AuthEvent, Assessment]:
        """Rate a sign-in attempt and record it as an InProgress event. The caller applies the
        assessment's ``action``; BLOCK should be answered with :func:`blocked`."""
        now = self.clock.now()
        mode = riskconfig.security_mode(pool, custom_auth=custom_auth)
        with self.store.transaction(readonly=True) as uow:
            configuration = self._configuration(uow, pool.id, client.client_id) or RiskConfiguration()
        history = [e.as_attempt() for e in self.events.for_user(pool.id, sub, limit=HISTORY_LIMIT)]
        since = now - max(FAILURE_WINDOW_SECONDS, STUFFING_WINDOW_SECONDS)
        by_ip = [e.as_attempt() for e in self.events.since_for_ip(pool.id, context.ip, since)] if context.ip else []
        current = Attempt(now, username, context.ip, context.user_agent, context.device)
        assessment = assess(current, history, by_ip, configuration.policy(mode))
        if assessment.evaluated:
            metrics.RISK_DECISIONS.labels(assessment.level.value, assessment.decision.value).inc()
        event = AuthEvent(
            event_id=str(uuid.uuid4()),
            pool_id=pool.id,
            sub=sub,
            username=username,
            event_type="SignIn",
            created_at=now,
            risk={
                "RiskDecision": assessment.decision.value,
                "RiskLevel": assessment.level.value,
                "CompromisedCredentialsDetected": compromised,
                "signals": list(assessment.signals),
                "action": assessment.action.value,
                "mode": mode.value,
            },
            ip=context.ip,
            device=context.device,
            user_agent=context.user_agent,
            context={"EncodedData": context.encoded_data} if context.encoded_data else {},
            analytics_endpoint_id=context.endpoint_id,
        )
        self.events.add(event)
        return event, assessment

    def record_step(self, pool_id: str, event_id: str, challenge: str, passed: bool) -> None:
        """Add a ChallengeResponses entry (``Password`` or ``Mfa``) to an event."""
        event = self.events.get(pool_id, event_id)
        if event is not None:
            self.events.update(event.with_challenge(challenge, "Success" if passed else "Failure"))

    def finish(self, pool: UserPool, client: AppClient, event_id: str, *, passed: bool, refresh: bool = False) -> None:
        """Mark an event Pass or Fail and publish its analytics event."""
        event = self.events.get(pool.id, event_id)
        if event is None:
            return
        event = replace(event, response="Pass" if passed else "Fail")
        self.events.update(event)
        kind = ("_userauth.token_refresh" if refresh else "_userauth.sign_in") if passed else "_userauth.auth_fail"
        self.publish(client, kind, username=event.username, event_id=event.event_id, endpoint_id=event.analytics_endpoint_id)

    def publish(
        self, client: AppClient, kind: str, *, username: str | None, event_id: str | None = None,
        endpoint_id: str | None = None, user_attributes: Mapping[str, str] | None = None,
    ) -> None:
        """Publish one analytics event for ``client`` (never raises)."""
        application, shared = application_of(client.config)
        self.sink.publish(
            AnalyticsEvent(
                event_type=kind, timestamp=self.clock.now(), user_pool_id=client.user_pool_id,
                client_id=client.client_id, username=username, event_id=event_id, endpoint_id=endpoint_id,
                application_id=application, user_attributes=user_attributes if shared else None,
            )
        )

    def feedback_token_for(self, event: AuthEvent) -> str:
        """The FeedbackToken that the notification e-mail of ``event`` carries."""
        return feedback_token(self._feedback_key, event.pool_id, event.sub, event.event_id)

    # History and feedback ---------------------------------------------------------------

    def list_user_auth_events(
        self, pool_id: str, username: str, max_results: int | None, next_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """AdminListUserAuthEvents, newest first; UserPoolAddOnNotEnabledException when the
        pool's AdvancedSecurityMode is OFF."""
        with self.store.transaction(readonly=True) as uow:
            pool = require_pool(uow, pool_id)
            self._require_add_on(pool)
            user = require_user(uow, pool, username)
        limit = max_results or MAX_EVENTS_PER_PAGE
        page = list(self.events.for_user(pool_id, user.sub, limit=limit + 1, before=next_token))
        more = len(page) > limit
        page = page[:limit]
        return [e.to_wire() for e in page], (page[-1].event_id if more and page else None)

    def update_feedback(
        self, pool_id: str, username: str, event_id: str, value: str, *, token: str | None = None
    ) -> None:
        """AdminUpdateAuthEventFeedback (``token`` None, Provider Admin) and
        UpdateAuthEventFeedback (FeedbackToken checked, Provider User)."""
        with self.store.transaction(readonly=True) as uow:
            pool = require_pool(uow, pool_id)
            self._require_add_on(pool)
            user = require_user(uow, pool, username)
        event = self.events.get(pool_id, event_id)
        if event is None or event.sub != user.sub:
            raise InvalidParameterException(f"Auth event {event_id} does not exist for this user.")
        if token is not None:
            verify_feedback_token(self._feedback_key, pool_id, user.sub, event_id, token)
        self.events.update(
            replace(event, feedback=value, feedback_provider="User" if token else "Admin", feedback_at=self.clock.now())
        )

    @staticmethod
    def _require_add_on(pool: UserPool) -> None:
        if riskconfig.security_mode(pool) is SecurityMode.OFF:
            raise UserPoolAddOnNotEnabledException("The advanced security features of this user pool are not enabled.")


def blocked() -> NotAuthorizedException:
    """The error of a sign-in refused by threat protection (spec section 6.3 [inferred])."""
    return NotAuthorizedException(BLOCKED_MESSAGE)
