"""ThreatProtection on an in-memory store: assessment, history, feedback, analytics."""

from __future__ import annotations

import pytest
from tests.unit.auth._support import World, make_world

from poolgate.errors import NotAuthorizedException, UserPoolAddOnNotEnabledException
from poolgate.security.analytics import AnalyticsEvent
from poolgate.security.events import MemoryAuthEventLog
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
    assert [e.event_type for e in sink.events] == ["_userauth.sign_in", "_userauth.sign_in", "_userauth.auth_fail"]


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
        {"IpAddress": "198.51.100.7", "ServerName": "s", "ServerPath": "/",
         "HttpHeaders": [{"headerName": "User-Agent", "headerValue": "Edge/1"}], "EncodedData": "fp"},
        admin=True, source_ip="127.0.0.1", user_agent="boto3", propagate_user_ip=False,
        analytics={"AnalyticsEndpointId": "ep"},
    )
    assert (admin.ip, admin.user_agent, admin.device, admin.endpoint_id) == ("198.51.100.7", "Edge/1", "fp", "ep")
    public = context_from_request(
        {"IpAddress": "198.51.100.7"}, admin=False, source_ip="127.0.0.1", user_agent="js", propagate_user_ip=False
    )
    assert public.ip == "127.0.0.1"
