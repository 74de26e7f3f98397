"""Domain values for user pools and app clients.

A pool's and a client's configuration is kept in the shape Cognito returns it in
(``UserPoolType`` / ``UserPoolClientType`` members, defaults filled in), because
DescribeUserPool and DescribeUserPoolClient must give back exactly what was stored.
The handful of fields that Poolgate's own rules read are typed properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class UserPool:
    """A user pool. ``config`` holds the UserPoolType members except the computed ones
    (Id, Name, Arn, CreationDate, LastModifiedDate, EstimatedNumberOfUsers)."""

    id: str
    name: str
    created_at: float
    updated_at: float
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def deletion_protection(self) -> bool:
        return self.config.get("DeletionProtection") == "ACTIVE"

    @property
    def username_case_sensitive(self) -> bool:
        return bool(self.config.get("UsernameConfiguration", {}).get("CaseSensitive", True))

    @property
    def username_attributes(self) -> tuple[str, ...]:
        return tuple(self.config.get("UsernameAttributes", ()))

    @property
    def alias_attributes(self) -> tuple[str, ...]:
        return tuple(self.config.get("AliasAttributes", ()))


@dataclass(frozen=True, slots=True)
class AppClient:
    """An app client. ``config`` holds the UserPoolClientType members except UserPoolId,
    ClientName, ClientId, ClientSecret, CreationDate and LastModifiedDate."""

    client_id: str
    user_pool_id: str
    client_name: str
    created_at: float
    updated_at: float
    client_secret: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
