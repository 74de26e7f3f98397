"""The risk engine against the scripted histories of ``risk_table.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from poolgate.security.model import Attempt
from poolgate.security.risk import (
    DEFAULT_ACTIONS,
    EventAction,
    LevelAction,
    RiskLevel,
    RiskPolicy,
    SecurityMode,
    assess,
    network_of,
)

TABLE = yaml.safe_load((Path(__file__).parent / "risk_table.yaml").read_text())
NOW = 1_700_000_000.0


def _attempt(row: dict[str, Any], user: str = "alice") -> Attempt:
    return Attempt(
        at=NOW - float(row.get("ago", 0)),
        username=str(row.get("user", user)),
        ip=str(row.get("ip", "203.0.113.10")),
        user_agent=str(row.get("ua", "Firefox/128")),
        device=row.get("device"),
        success=bool(row.get("ok", False)),
        feedback=row.get("feedback"),
    )


def _policy(row: dict[str, Any]) -> RiskPolicy:
    actions = dict(DEFAULT_ACTIONS)
    for level, action in (row.get("actions") or {}).items():
        actions[RiskLevel(level)] = LevelAction(EventAction(action))
    return RiskPolicy(
        mode=SecurityMode(row.get("mode", "ENFORCED")),
        actions=actions,
        blocked_ranges=tuple(row.get("blocked", ())),
        skipped_ranges=tuple(row.get("skipped", ())),
    )


def test_the_table_has_enough_cases() -> None:
    assert len(TABLE) >= 10
    assert len({case["name"] for case in TABLE}) == len(TABLE)


@pytest.mark.parametrize("case", TABLE, ids=[case["name"] for case in TABLE])
def test_risk_table(case: dict[str, Any]) -> None:
    history = [_attempt(row) for row in case["history"]]
    others = [_attempt(row) for row in case.get("others", [])]
    current = _attempt(case["attempt"])
    result = assess(current, history, history + others, _policy(case.get("policy") or {}))
    got = [result.level.value, result.decision.value, result.action.value]
    assert got == case["expect"], f"signals fired: {result.signals} (score {result.score})"


def test_networks() -> None:
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2::3") == "2001:db8:1::/48"
    assert network_of("not an address") is None
    assert network_of(None) is None
