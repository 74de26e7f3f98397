"""The security package's records, below the store: an auth event and the risk engine's view
of one attempt.

``store.base`` declares the ``auth_events`` repository over ``AuthEvent``; the services
(``security.events``, ``security.service``, ``auth.threat``) and the SQL store import them
from here. Imports only the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Attempt:
    """One sign-in attempt as the engine sees it. ``success`` is a completed sign-in;
    ``feedback`` is ``Valid``, ``Invalid`` or None."""

    at: float
    username: str
    ip: str | None = None
    user_agent: str | None = None
    device: str | None = None
    success: bool = False
    feedback: str | None = None


@dataclass(frozen=True, slots=True)
class AuthEvent:
    """One recorded attempt. ``response`` is Pass, Fail or InProgress; ``challenges`` lists
    (ChallengeName Password|Mfa, Success|Failure); ``risk`` holds RiskDecision, RiskLevel,
    CompromisedCredentialsDetected and Poolgate's ``signals``; ``context`` the IP, device,
    user agent and the untouched EncodedData; ``analytics`` the AnalyticsEndpointId."""

    event_id: str
    pool_id: str
    sub: str
    username: str
    event_type: str
    created_at: float
    response: str = "InProgress"
    risk: Mapping[str, Any] = field(default_factory=dict)
    challenges: tuple[tuple[str, str], ...] = ()
    ip: str | None = None
    device: str | None = None
    user_agent: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    analytics_endpoint_id: str | None = None
    feedback: str | None = None
    feedback_provider: str | None = None
    feedback_at: float | None = None

    def as_attempt(self) -> Attempt:
        """The risk engine's view of this event."""
        return Attempt(
            at=self.created_at,
            username=self.username,
            ip=self.ip,
            user_agent=self.user_agent,
            device=self.device,
            success=self.response == "Pass",
            feedback=self.feedback,
        )

    def with_challenge(self, name: str, outcome: str) -> AuthEvent:
        return replace(self, challenges=(*self.challenges, (name, outcome)))

    def to_wire(self) -> dict[str, Any]:
        """The ``AuthEventType`` of AdminListUserAuthEvents."""
        item: dict[str, Any] = {
            "EventId": self.event_id,
            "EventType": self.event_type,
            "CreationDate": self.created_at,
            "EventResponse": self.response,
            "EventRisk": {k: v for k, v in self.risk.items() if k in _RISK_MEMBERS},
            "ChallengeResponses": [{"ChallengeName": n, "ChallengeResponse": r} for n, r in self.challenges],
            "EventContextData": {
                k: v
                for k, v in (
                    ("IpAddress", self.ip),
                    ("DeviceName", self.user_agent),
                    ("Timezone", None),
                    ("City", None),
                    ("Country", None),
                )
                if v
            },
        }
        if self.feedback:
            item["EventFeedback"] = {
                "FeedbackValue": self.feedback,
                "Provider": self.feedback_provider or "Admin",
                "FeedbackDate": self.feedback_at,
            }
        return item


_RISK_MEMBERS = ("RiskDecision", "RiskLevel", "CompromisedCredentialsDetected")
