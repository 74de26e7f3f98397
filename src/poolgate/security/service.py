"""``ThreatProtection``: risk configuration, sign-in assessment, the auth event history and
feedback, compromised-credential checks and analytics publishing.

The auth engine calls ``assess_sign_in`` when primary authentication starts, ``record_step``
as challenges pass or fail, and ``finish`` when the attempt ends; the user services call
``screen_password`` for sign-up and password changes. Every method opens its own short
transaction (or takes the caller's ``uow``) and none runs a trigger.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from poolgate import metrics
from poolgate.clock import Clock
from poolgate.delivery import MessageSender
from poolgate.errors import (
    CodeDeliveryFailureException,
    InvalidParameterException,
    InvalidPasswordException,
    NotAuthorizedException,
    UserPoolAddOnNotEnabledException,
)
from poolgate.pools.model import AppClient, UserPool
from poolgate.pools.service import require_client, require_pool
from poolgate.security import config as riskconfig
from poolgate.security import notify as notices
from poolgate.security.analytics import SIGN_UP, AnalyticsEvent, AnalyticsSink, application_of
from poolgate.security.breached import BreachedPasswords, default_list
from poolgate.security.config import RiskConfiguration
from poolgate.security.events import AuthEventLog, feedback_token, verify_feedback_token
from poolgate.security.model import Attempt, AuthEvent
from poolgate.security.risk import (
    FAILURE_WINDOW_SECONDS,
    STUFFING_WINDOW_SECONDS,
    Assessment,
    EventAction,
    SecurityMode,
    assess,
)
from poolgate.store.base import Store, UnitOfWork
from poolgate.users.lookup import require_user
from poolgate.users.model import User

BLOCKED_MESSAGE = "Unable to login because of security reasons."
COMPROMISED_MESSAGE = "The password has been found in a list of compromised passwords; choose another."
HISTORY_LIMIT = 200
MAX_EVENTS_PER_PAGE = 60
DEFAULT_RETENTION_SECONDS = 90 * 24 * 3600
"""How long auth events are kept [decision; Cognito documents none for the API's history]."""
PURGE_EVERY_SECONDS = 10 * 60
"""At most one opportunistic purge per process in this much (clock) time."""

log = logging.getLogger("poolgate.security")


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
        headers = {
            h.get("headerName", "").lower(): h.get("headerValue") for h in data.get("HttpHeaders") or ()
        }
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
    analytics events, ``feedback_key`` signs FeedbackTokens, ``sender`` (optional) sends the
    account-takeover e-mails. Events older than ``retention_seconds`` are deleted by
    :meth:`purge_old_events`, which the write path runs at most every ``purge_every`` seconds
    of clock time (per process)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        events: AuthEventLog,
        sink: AnalyticsSink,
        feedback_key: bytes,
        *,
        breached: BreachedPasswords | None = None,
        sender: MessageSender | None = None,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        purge_every: float = PURGE_EVERY_SECONDS,
        base_url: str | None = None,
    ) -> None:
        self.store, self.clock, self.events, self.sink = store, clock, events, sink
        self._feedback_key = feedback_key
        self._breached = breached or default_list()
        self.sender = sender
        self.retention_seconds = retention_seconds
        self.purge_every = purge_every
        self._last_purge: float | None = None
        self._purge_lock = threading.Lock()
        # The server's public URL, for the notification e-mails' one-click feedback links.
        self.base_url = base_url

    # Configuration ------------------------------------------------------------------------

    def set_risk_configuration(
        self, pool_id: str, client_id: str | None, documents: Mapping[str, Any]
    ) -> dict[str, Any]:
        """SetRiskConfiguration; ResourceNotFoundException, InvalidParameterException."""
        riskconfig.check_documents(documents)
        stored = RiskConfiguration(
            {k: documents[k] for k in riskconfig.DOCUMENTS if k in documents}, self.clock.now()
        )
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

    def _configuration(
        self, uow: UnitOfWork, pool_id: str, client_id: str | None
    ) -> RiskConfiguration | None:
        if client_id:
            own = RiskConfiguration.from_json(uow.meta.get(riskconfig.meta_key(pool_id, client_id)))
            if own is not None:
                return own
        return RiskConfiguration.from_json(uow.meta.get(riskconfig.meta_key(pool_id, None)))

    # Compromised credentials ------------------------------------------------------------

    def screen_password(
        self, uow: UnitOfWork, pool: UserPool, client_id: str | None, password: str, event: str
    ) -> bool:
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
        self,
        pool: UserPool,
        client: AppClient,
        sub: str,
        username: str,
        context: SignInContext,
        *,
        custom_auth: bool = False,
        compromised: bool = False,
    ) -> tuple[AuthEvent, Assessment]:
        """Rate a sign-in attempt and record it as an InProgress event. The caller applies the
        assessment's ``action``; BLOCK should be answered with :func:`blocked`."""
        now = self.clock.now()
        mode = riskconfig.security_mode(pool, custom_auth=custom_auth)
        with self.store.transaction(readonly=True) as uow:
            configuration = self._configuration(uow, pool.id, client.client_id) or RiskConfiguration()
        history = [e.as_attempt() for e in self.events.for_user(pool.id, sub, limit=HISTORY_LIMIT)]
        since = now - max(FAILURE_WINDOW_SECONDS, STUFFING_WINDOW_SECONDS)
        by_ip = (
            [e.as_attempt() for e in self.events.since_for_ip(pool.id, context.ip, since)]
            if context.ip
            else []
        )
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
        self._maybe_purge(now)
        return event, assessment

    def record_step(self, pool_id: str, event_id: str, challenge: str, passed: bool) -> None:
        """Add a ChallengeResponses entry (``Password`` or ``Mfa``) to an event."""
        event = self.events.get(pool_id, event_id)
        if event is not None:
            self.events.update(event.with_challenge(challenge, "Success" if passed else "Failure"))

    def finish(
        self, pool: UserPool, client: AppClient, event_id: str, *, passed: bool, refresh: bool = False
    ) -> None:
        """Mark an event Pass or Fail and publish its analytics event."""
        event = self.events.get(pool.id, event_id)
        if event is None:
            return
        event = replace(event, response="Pass" if passed else "Fail")
        self.events.update(event)
        kind = (
            ("_userauth.token_refresh" if refresh else "_userauth.sign_in")
            if passed
            else "_userauth.auth_fail"
        )
        self.publish(
            client,
            kind,
            username=event.username,
            event_id=event.event_id,
            endpoint_id=event.analytics_endpoint_id,
        )

    def publish(
        self,
        client: AppClient,
        kind: str,
        *,
        username: str | None,
        event_id: str | None = None,
        endpoint_id: str | None = None,
        user_attributes: Mapping[str, str] | None = None,
    ) -> None:
        """Publish one analytics event for ``client`` (never raises)."""
        application, shared = application_of(client.config)
        self.sink.publish(
            AnalyticsEvent(
                event_type=kind,
                timestamp=self.clock.now(),
                user_pool_id=client.user_pool_id,
                client_id=client.client_id,
                username=username,
                event_id=event_id,
                endpoint_id=endpoint_id,
                application_id=application,
                user_attributes=user_attributes if shared else None,
            )
        )

    def notify(
        self, pool: UserPool, client: AppClient, event_id: str, action: EventAction, email: str | None
    ) -> bool:
        """Send the account-takeover e-mail of ``action`` for the event (the caller has checked
        that the action has Notify set). Returns True when a message went out; a user without
        e-mail, a missing NotifyConfiguration or a failed delivery (logged) returns False: a
        notification never fails the sign-in."""
        if not email or self.sender is None:
            return False
        with self.store.transaction(readonly=True) as uow:
            configuration = self._configuration(uow, pool.id, client.client_id) or RiskConfiguration()
        settings = configuration.notify_configuration()
        event = self.events.get(pool.id, event_id)
        if not settings or event is None:
            return False
        message = notices.notification(
            event,
            action,
            settings,
            email=email,
            feedback_token=self.feedback_token_for(event),
            now=self.clock.now(),
            base_url=self.base_url,
        )
        try:
            self.sender.send(message)
        except CodeDeliveryFailureException:
            log.warning("account-takeover notification for pool %s could not be delivered", pool.id)
            return False
        return True

    def record_sign_up(
        self,
        pool: UserPool,
        client: AppClient,
        sub: str,
        username: str,
        context: SignInContext,
        *,
        compromised: bool = False,
        attributes: Mapping[str, str] | None = None,
    ) -> None:
        """A completed SignUp: a ``SignUp`` auth event (Pass, not rated) when the pool's mode is
        AUDIT or ENFORCED, and a ``_userauth.sign_up`` analytics event when the client has an
        AnalyticsConfiguration or the call sent AnalyticsMetadata. The caller skips the call
        when neither applies (see :func:`sign_up_tracked`)."""
        now = self.clock.now()
        event_id: str | None = None
        if riskconfig.security_mode(pool) is not SecurityMode.OFF:
            event = AuthEvent(
                event_id=str(uuid.uuid4()),
                pool_id=pool.id,
                sub=sub,
                username=username,
                event_type="SignUp",
                created_at=now,
                response="Pass",
                risk={
                    "RiskDecision": "NoRisk",
                    "RiskLevel": "Low",
                    "CompromisedCredentialsDetected": compromised,
                },
                ip=context.ip,
                device=context.device,
                user_agent=context.user_agent,
                context={"EncodedData": context.encoded_data} if context.encoded_data else {},
                analytics_endpoint_id=context.endpoint_id,
            )
            self.events.add(event)
            self._maybe_purge(now)
            event_id = event.event_id
        if analytics_wanted(client, context.endpoint_id):
            self.publish(
                client,
                SIGN_UP,
                username=username,
                event_id=event_id,
                endpoint_id=context.endpoint_id,
                user_attributes=attributes,
            )

    def after_sign_up(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        request: Mapping[str, Any],
        *,
        source_ip: str | None,
        user_agent: str | None,
        compromised: bool,
    ) -> None:
        """The ``UserDeps.on_sign_up`` hook: :meth:`record_sign_up` for a SignUp ``request``
        (its UserContextData and AnalyticsMetadata) when :func:`sign_up_tracked`; returns at
        once otherwise. Errors are logged: the user is already stored."""
        endpoint = (request.get("AnalyticsMetadata") or {}).get("AnalyticsEndpointId")
        if not sign_up_tracked(pool, client, endpoint):
            return
        context = context_from_request(
            request.get("UserContextData"),
            admin=False,
            source_ip=source_ip,
            user_agent=user_agent,
            propagate_user_ip=bool(client.config.get("EnablePropagateAdditionalUserContextData")),
            analytics=request.get("AnalyticsMetadata"),
        )
        try:
            self.record_sign_up(
                pool,
                client,
                user.sub,
                user.username,
                context,
                compromised=compromised,
                attributes=user.attributes,
            )
        except Exception:
            log.exception("recording the sign-up of a user of pool %s failed", pool.id)

    # Retention ------------------------------------------------------------------------

    def purge_old_events(self, *, now: float | None = None, older_than: float | None = None) -> int:
        """Delete the auth events of every pool created more than ``older_than`` seconds
        (default: the retention) before ``now`` (default: the clock); return how many."""
        moment = self.clock.now() if now is None else now
        cutoff = moment - (self.retention_seconds if older_than is None else older_than)
        return self.events.purge_before(cutoff)

    def _maybe_purge(self, now: float) -> None:
        """Purge old events unless this process did so less than ``purge_every`` ago (a clock
        moved backwards counts as due). Errors are logged, never raised."""
        with self._purge_lock:
            last = self._last_purge
            if last is not None and 0 <= now - last < self.purge_every:
                return
            self._last_purge = now
        try:
            removed = self.purge_old_events(now=now)
        except Exception:
            log.exception("purging old auth events failed")
            return
        if removed:
            log.info("purged %d auth events older than the retention period", removed)

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
            replace(
                event,
                feedback=value,
                feedback_provider="User" if token else "Admin",
                feedback_at=self.clock.now(),
            )
        )

    @staticmethod
    def _require_add_on(pool: UserPool) -> None:
        if riskconfig.security_mode(pool) is SecurityMode.OFF:
            raise UserPoolAddOnNotEnabledException(
                "The advanced security features of this user pool are not enabled."
            )


def analytics_wanted(client: AppClient, endpoint_id: str | None) -> bool:
    """True when an analytics event should be published for ``client``: it has an
    AnalyticsConfiguration, or the call sent an AnalyticsEndpointId. Pure (no I/O)."""
    return bool(endpoint_id) or bool(client.config.get("AnalyticsConfiguration"))


def sign_up_tracked(pool: UserPool, client: AppClient, endpoint_id: str | None) -> bool:
    """True when a SignUp must reach :meth:`ThreatProtection.record_sign_up`; pure, so that a
    pool with threat protection OFF and no analytics does no extra work at sign-up."""
    return riskconfig.security_mode(pool) is not SecurityMode.OFF or analytics_wanted(client, endpoint_id)


def blocked() -> NotAuthorizedException:
    """The error of a sign-in refused by threat protection (spec section 6.3 [inferred])."""
    return NotAuthorizedException(BLOCKED_MESSAGE)
