"""Helpers of the pools-as-code tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from poolgate.config import Settings
from poolgate.pools import defaults
from poolgate.services import Services, build_services

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DATES = ("CreationDate", "LastModifiedDate")


def make_services(folder: Path) -> Services:
    return build_services(Settings(data_dir=folder))


def state(services: Services) -> dict[str, Any]:
    """Everything apply may change, dates included: any write shows up as a difference."""
    result: dict[str, Any] = {}
    for pool in services.pools.list_pools(60, None).items:
        clients = services.pools.list_clients(pool.id, 60, None).items
        users = services.admin_users.list(pool.id, filter_text=None, limit=60, token=None).items
        result[pool.id] = {
            "pool": services.pools.describe_pool(pool.id),
            "clients": [
                defaults.describe_client(services.pools.get_client(pool.id, c.client_id)) for c in clients
            ],
            "groups": list(services.groups.list(pool.id, 60, None).items),
            "users": users,
        }
    return result


def without(document: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in keys}
