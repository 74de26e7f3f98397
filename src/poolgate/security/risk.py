"""The risk engine: local, explainable signals in, a level, a decision and an action out.

Everything that decides a risk level is in this module, in the ``WEIGHTS`` table and
``THRESHOLDS`` below; nothing is learned and nothing leaves the server (no geolocation). Each
assessment lists the signals that fired, so an auth event can say why it was rated the way it
was. The table test ``tests/unit/security/risk_table.yaml`` pins the behaviour.

Signals, all about one sign-in attempt compared with the history of the same user and of the
same client IP:

- ``new_network``: the attempt's network (IPv4 /24, IPv6 /48) is not one the user has
  signed in from before;
- ``new_user_agent`` and ``new_device``: likewise for the User-Agent header and the device
  (the ``DEVICE_KEY``, or the context-data fingerprint ``EncodedData`` when no key is sent);
- ``user_failures`` / ``user_failures_burst``: failed attempts for this user in the last
  15 minutes (3 or more / 10 or more);
- ``ip_failures`` / ``ip_failures_burst``: failed attempts from this IP address for any user
  in the last 15 minutes (5 or more / 20 or more);
- ``credential_stuffing`` / ``credential_stuffing_burst``: distinct usernames tried from this
  IP address in the last hour, this one included (5 or more / 10 or more);
- ``reported_network``: an earlier attempt from this network or with this User-Agent was
  reported ``Invalid`` by feedback.

The novelty signals need a baseline: a user with no trusted sign-in yet (a first sign-in) has
nothing to compare with, so they do not fire [decision]. "Trusted" means a successful attempt
nobody reported ``Invalid``, or any attempt reported ``Valid``; so feedback changes later
decisions in both directions.

Scores below 30 are Low, below 60 Medium, else High. The decision is ``Block`` for a blocked IP
range or a BLOCK action, ``AccountTakeover`` for Medium and High, ``NoRisk`` for Low. The mode
decides whether the action is applied: AUDIT records the configured action and applies
``NO_ACTION``; ENFORCED applies it. Addresses in a skipped range are not evaluated.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from poolgate.security.model import Attempt


class RiskLevel(StrEnum):
    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


class RiskDecision(StrEnum):
    NO_RISK = "NoRisk"
    ACCOUNT_TAKEOVER = "AccountTakeover"
    BLOCK = "Block"


class EventAction(StrEnum):
    BLOCK = "BLOCK"
    MFA_IF_CONFIGURED = "MFA_IF_CONFIGURED"
    MFA_REQUIRED = "MFA_REQUIRED"
    NO_ACTION = "NO_ACTION"


class SecurityMode(StrEnum):
    OFF = "OFF"
    AUDIT = "AUDIT"
    ENFORCED = "ENFORCED"


# Signal name -> weight. Each signal is explained in the module docstring.
WEIGHTS: Mapping[str, int] = {
    "new_network": 30,
    "new_user_agent": 10,
    "new_device": 15,
    "user_failures": 15,
    "user_failures_burst": 35,
    "ip_failures": 15,
    "ip_failures_burst": 35,
    "credential_stuffing": 30,
    "credential_stuffing_burst": 60,
    "reported_network": 60,
}
# Lowest score of each level above Low.
THRESHOLDS: Mapping[RiskLevel, int] = {RiskLevel.MEDIUM: 30, RiskLevel.HIGH: 60}

FAILURE_WINDOW_SECONDS = 15 * 60
STUFFING_WINDOW_SECONDS = 60 * 60
USER_FAILURES = (3, 10)
IP_FAILURES = (5, 20)
STUFFING_USERS = (5, 10)


@dataclass(frozen=True, slots=True)
class LevelAction:
    """What to do at one risk level: the event action and whether to e-mail the user."""

    action: EventAction = EventAction.NO_ACTION
    notify: bool = False


# Without an AccountTakeoverRiskConfiguration [decision, the console's suggested defaults]:
DEFAULT_ACTIONS: Mapping[RiskLevel, LevelAction] = {
    RiskLevel.LOW: LevelAction(EventAction.NO_ACTION),
    RiskLevel.MEDIUM: LevelAction(EventAction.MFA_IF_CONFIGURED),
    RiskLevel.HIGH: LevelAction(EventAction.MFA_REQUIRED),
}


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    """The effective configuration for one sign-in: mode, actions per level, IP ranges."""

    mode: SecurityMode = SecurityMode.OFF
    actions: Mapping[RiskLevel, LevelAction] = field(default_factory=lambda: dict(DEFAULT_ACTIONS))
    blocked_ranges: tuple[str, ...] = ()
    skipped_ranges: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    """The engine's answer. ``configured_action`` is what the policy says for the level;
    ``action`` is what is applied (NO_ACTION unless ENFORCED). ``evaluated`` is False when
    the mode is OFF or the address is in a skipped range."""

    level: RiskLevel
    decision: RiskDecision
    action: EventAction
    configured_action: EventAction
    notify: bool
    score: int
    signals: tuple[str, ...]
    evaluated: bool = True


NOT_EVALUATED = Assessment(
    RiskLevel.LOW, RiskDecision.NO_RISK, EventAction.NO_ACTION, EventAction.NO_ACTION, False, 0, (), False
)


def network_of(ip: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) network of an address, or None for a missing or bad one."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def in_ranges(ip: str | None, ranges: Sequence[str]) -> bool:
    """True when ``ip`` lies in one of the CIDR ``ranges`` (bad entries are ignored)."""
    if not ip or not ranges:
        return False
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    for cidr in ranges:
        try:
            if address in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


def _trusted(attempt: Attempt) -> bool:
    if attempt.feedback == "Invalid":
        return False
    return attempt.success or attempt.feedback == "Valid"


def _tier(count: int, limits: tuple[int, int], names: tuple[str, str]) -> list[str]:
    if count >= limits[1]:
        return [names[1]]
    if count >= limits[0]:
        return [names[0]]
    return []


def signals_for(
    current: Attempt, user_history: Sequence[Attempt], ip_history: Sequence[Attempt]
) -> list[str]:
    """The names of the signals that fire for ``current``; histories exclude it."""
    fired: list[str] = []
    network = network_of(current.ip)
    trusted = [a for a in user_history if _trusted(a)]
    if trusted:
        if network is not None and network not in {network_of(a.ip) for a in trusted}:
            fired.append("new_network")
        if current.user_agent and current.user_agent not in {a.user_agent for a in trusted}:
            fired.append("new_user_agent")
        if current.device and current.device not in {a.device for a in trusted}:
            fired.append("new_device")
    reported = [a for a in user_history if a.feedback == "Invalid"]
    if any(
        (network is not None and network_of(a.ip) == network)
        or (current.user_agent is not None and a.user_agent == current.user_agent)
        for a in reported
    ):
        fired.append("reported_network")
    since = current.at - FAILURE_WINDOW_SECONDS
    user_failures = sum(1 for a in user_history if not a.success and a.at >= since)
    fired += _tier(user_failures, USER_FAILURES, ("user_failures", "user_failures_burst"))
    ip_failures = sum(1 for a in ip_history if not a.success and a.at >= since and a.ip == current.ip)
    fired += _tier(ip_failures, IP_FAILURES, ("ip_failures", "ip_failures_burst"))
    stuffing_since = current.at - STUFFING_WINDOW_SECONDS
    users = {a.username for a in ip_history if a.at >= stuffing_since and a.ip == current.ip}
    users.add(current.username)
    fired += _tier(len(users), STUFFING_USERS, ("credential_stuffing", "credential_stuffing_burst"))
    return fired


def level_for(score: int) -> RiskLevel:
    """The risk level of a score (see ``THRESHOLDS``)."""
    if score >= THRESHOLDS[RiskLevel.HIGH]:
        return RiskLevel.HIGH
    if score >= THRESHOLDS[RiskLevel.MEDIUM]:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


def assess(
    current: Attempt, user_history: Sequence[Attempt], ip_history: Sequence[Attempt], policy: RiskPolicy
) -> Assessment:
    """Rate ``current`` against the user's earlier attempts and the IP's earlier attempts."""
    if policy.mode is SecurityMode.OFF or in_ranges(current.ip, policy.skipped_ranges):
        return NOT_EVALUATED
    enforced = policy.mode is SecurityMode.ENFORCED
    if in_ranges(current.ip, policy.blocked_ranges):
        applied = EventAction.BLOCK if enforced else EventAction.NO_ACTION
        return Assessment(
            RiskLevel.HIGH, RiskDecision.BLOCK, applied, EventAction.BLOCK, False, 100, ("blocked_ip_range",)
        )
    fired = signals_for(current, user_history, ip_history)
    score = sum(WEIGHTS[name] for name in fired)
    level = level_for(score)
    configured = policy.actions.get(level, DEFAULT_ACTIONS[level])
    if configured.action is EventAction.BLOCK:
        decision = RiskDecision.BLOCK
    elif level is RiskLevel.LOW:
        decision = RiskDecision.NO_RISK
    else:
        decision = RiskDecision.ACCOUNT_TAKEOVER
    return Assessment(
        level=level,
        decision=decision,
        action=configured.action if enforced else EventAction.NO_ACTION,
        configured_action=configured.action,
        notify=configured.notify and enforced,
        score=score,
        signals=tuple(fired),
    )
