"""ThreatProtection on an in-memory store: assessment, history, feedback, analytics,
notification e-mails, SignUp events and the purge of old events."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.auth._support import World, make_world

from poolgate.delivery import Message
from poolgate.errors import NotAuthorizedException, UserPoolAddOnNotEnabledException
from poolgate.security.analytics import AnalyticsEvent
from poolgate.security.events import MemoryAuthEventLog
from poolgate.security.notify import render
from poolgate.security.risk import EventAction
from poolgate.security.service import SignInContext, ThreatProtection, context_from_request

HOME = SignInContext(ip="203.0.113.10", user_agent="Firefox/128", endpoint_id="ep-1")
AWAY = SignInContext(ip="198.51.100.7", user_agent="curl/8.5")


class ListSink:
    def __init__(self) -> None:
        self.events: list[AnalyticsEvent] = []

    def publish(self, event: AnalyticsEvent) -> None:
        self.events.append(event)

    def close(self) -> None:
        return None


def _setup(mode: str = "ENFORCED") -> tuple[World, ThreatProtection, ListSink]:
    world = make_world()
    sink = ListSink()
    threat = ThreatProtection(world.store, world.clock, MemoryAuthEventLog(), sink, b"k" * 32)
    return world, threat, sink


def test_new_network_rates_higher_and_valid_feedback_lowers_the_next_decision() -> None:
    world, threat, sink = _setup()
    pool = world.pool(UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"})
    client = world.client(pool, AnalyticsConfiguration={"ApplicationId": "app-1"})
    user = world.user(pool, "alice")
    event, first = threat.assess_sign_in(pool, client, user.sub, "alice", HOME)
    threat.finish(pool, client, event.event_id, passed=True)
    world.clock.advance(3600)
    event, known = threat.assess_sign_in(pool, client, user.sub, "alice", HOME)
    threat.finish(pool, client, event.event_id, passed=True)
    world.clock.advance(60)
    away_event, away = threat.assess_sign_in(pool, client, user.sub, "alice", AWAY)
    threat.finish(pool, client, away_event.event_id, passed=False)
    assert (first.level.value, known.level.value, away.level.value) == ("Low", "Low", "Medium")
    threat.update_feedback(pool.id, "alice", away_event.event_id, "Valid")
    _, after = threat.assess_sign_in(pool, client, user.sub, "alice", AWAY)
    assert after.level.value == "Low"
    events, token = threat.list_user_auth_events(pool.id, "alice", 2, None)
    assert token is not None and len(events) == 2 and events[0]["EventResponse"] == "InProgress"
    rest, end = threat.list_user_auth_events(pool.id, "alice", 2, token)
    assert end is None and [e["EventResponse"] for e in rest] == ["Pass", "Pass"]
    assert events[1]["EventFeedback"]["Provider"] == "Admin"
    assert sink.events[0].endpoint_id == "ep-1" and sink.events[0].application_id == "app-1"
    assert [e.event_type for e in sink.events] == [
        "_userauth.sign_in",
        "_userauth.sign_in",
        "_userauth.auth_fail",
    ]


def test_feedback_token_is_checked() -> None:
    world, threat, _ = _setup()
    pool = world.pool(UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"})
    client = world.client(pool)
    user = world.user(pool, "bob")
    event, _ = threat.assess_sign_in(pool, client, user.sub, "bob", AWAY)
    with pytest.raises(NotAuthorizedException):
        threat.update_feedback(pool.id, "bob", event.event_id, "Invalid", token="nope")
    threat.update_feedback(pool.id, "bob", event.event_id, "Invalid", token=threat.feedback_token_for(event))
    listed, _ = threat.list_user_auth_events(pool.id, "bob", None, None)
    assert listed[0]["EventFeedback"]["Provider"] == "User"


def test_off_pools_have_no_history() -> None:
    world, threat, _ = _setup()
    pool = world.pool()
    world.user(pool, "carol")
    with pytest.raises(UserPoolAddOnNotEnabledException):
        threat.list_user_auth_events(pool.id, "carol", None, None)


def test_context_from_request() -> None:
    admin = context_from_request(
        {
            "IpAddress": "198.51.100.7",
            "ServerName": "s",
            "ServerPath": "/",
            "HttpHeaders": [{"headerName": "User-Agent", "headerValue": "Edge/1"}],
            "EncodedData": "fp",
        },
        admin=True,
        source_ip="127.0.0.1",
        user_agent="boto3",
        propagate_user_ip=False,
        analytics={"AnalyticsEndpointId": "ep"},
    )
    assert (admin.ip, admin.user_agent, admin.device, admin.endpoint_id) == (
        "198.51.100.7",
        "Edge/1",
        "fp",
        "ep",
    )
    public = context_from_request(
        {"IpAddress": "198.51.100.7"},
        admin=False,
        source_ip="127.0.0.1",
        user_agent="js",
        propagate_user_ip=False,
    )
    assert public.ip == "127.0.0.1"


class ListSender:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)


class NoStore:
    """A store that fails the test if anything opens a transaction."""

    def transaction(self, *, readonly: bool = False) -> Any:
        raise AssertionError("no database work expected")


def test_notification_goes_out_for_notify_actions_only() -> None:
    world, _, _ = _setup()
    sender = ListSender()
    threat = ThreatProtection(
        world.store, world.clock, MemoryAuthEventLog(), ListSink(), b"k" * 32, sender=sender
    )
    pool = world.pool(UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"})
    client = world.client(pool)
    user = world.user(pool, "dora")
    event, _ = threat.assess_sign_in(pool, client, user.sub, "dora", AWAY)
    # Without a NotifyConfiguration nothing is sent.
    assert not threat.notify(pool, client, event.event_id, EventAction.BLOCK, "dora@example.com")
    threat.set_risk_configuration(
        pool.id,
        None,
        {
            "AccountTakeoverRiskConfiguration": {
                "NotifyConfiguration": {
                    "SourceArn": "arn:aws:ses:us-east-1:0:identity/x",
                    "From": "sec@example.com",
                    "MfaEmail": {
                        "Subject": "MFA for {username}",
                        "TextBody": "from {ip-address}",
                        "HtmlBody": "<b>{device-name}</b>",
                    },
                },
                "Actions": {"HighAction": {"Notify": True, "EventAction": "MFA_REQUIRED"}},
            }
        },
    )
    assert not threat.notify(pool, client, event.event_id, EventAction.BLOCK, None)  # no e-mail address
    assert threat.notify(pool, client, event.event_id, EventAction.MFA_IF_CONFIGURED, "dora@example.com")
    assert threat.notify(pool, client, event.event_id, EventAction.BLOCK, "dora@example.com")
    mfa, block = sender.sent
    assert (mfa.subject, mfa.body, mfa.html_body, mfa.sender) == (
        "MFA for dora",
        f"from {AWAY.ip}",
        "<b>curl/8.5</b>",
        "sec@example.com",
    )
    assert mfa.purpose == "ACCOUNT_TAKEOVER_NOTIFICATION" and mfa.code is None
    assert block.subject == "Blocked sign-in attempt" and "dora" in block.body  # the default template


def test_render_escapes_html_and_keeps_unknown_placeholders() -> None:
    values = {"username": "<eve>", "city": ""}
    assert render("{username} in [{city}] {unknown}", values) == "<eve> in [] {unknown}"
    assert render("<p>{username}</p>", values, escape=True) == "<p>&lt;eve&gt;</p>"


def test_old_events_are_purged_at_most_every_interval() -> None:
    world, _, _ = _setup()
    log = MemoryAuthEventLog()
    threat = ThreatProtection(
        world.store, world.clock, log, ListSink(), b"k" * 32, retention_seconds=100, purge_every=50
    )
    pool = world.pool(UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"})
    client = world.client(pool)
    user = world.user(pool, "erin")
    first, _ = threat.assess_sign_in(pool, client, user.sub, "erin", HOME)
    world.clock.advance(120)
    threat.assess_sign_in(pool, client, user.sub, "erin", HOME)  # purges: the first is 120 s old
    assert log.get(pool.id, first.event_id) is None
    world.clock.advance(10)
    kept, _ = threat.assess_sign_in(pool, client, user.sub, "erin", HOME)
    world.clock.advance(130)
    threat.assess_sign_in(pool, client, user.sub, "erin", HOME)
    assert log.get(pool.id, kept.event_id) is None
    world.clock.advance(1)
    assert threat.purge_old_events(older_than=0) == 1  # by hand: everything before now


def test_sign_up_does_no_work_when_off_and_no_analytics() -> None:
    world, _, _ = _setup()
    sink = ListSink()
    threat = ThreatProtection(NoStore(), world.clock, MemoryAuthEventLog(), sink, b"k" * 32)  # type: ignore[arg-type]
    pool = world.pool()
    client = world.client(pool)
    user = world.user(pool, "fay")
    threat.after_sign_up(pool, client, user, {}, source_ip="127.0.0.1", user_agent="ua", compromised=False)
    assert sink.events == []
    threat.after_sign_up(
        pool,
        client,
        user,
        {"AnalyticsMetadata": {"AnalyticsEndpointId": "ep-9"}},
        source_ip="127.0.0.1",
        user_agent="ua",
        compromised=False,
    )
    assert [(e.event_type, e.endpoint_id, e.event_id) for e in sink.events] == [
        ("_userauth.sign_up", "ep-9", None)
    ]


def test_sign_up_event_when_audited() -> None:
    world, _, _ = _setup()
    log = MemoryAuthEventLog()
    threat = ThreatProtection(world.store, world.clock, log, ListSink(), b"k" * 32)
    pool = world.pool(UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"})
    client = world.client(pool, secret=True, EnablePropagateAdditionalUserContextData=True)
    user = world.user(pool, "gil")
    threat.after_sign_up(
        pool,
        client,
        user,
        {"UserContextData": {"IpAddress": "192.0.2.44"}},
        source_ip="127.0.0.1",
        user_agent="ua",
        compromised=True,
    )
    (event,) = log.for_user(pool.id, user.sub, limit=5)
    assert (event.event_type, event.response, event.ip) == ("SignUp", "Pass", "192.0.2.44")
    assert event.risk["CompromisedCredentialsDetected"] is True
