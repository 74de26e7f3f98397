"""Domain values for users, groups and one-time codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class UserStatus(StrEnum):
    """``UserStatusType`` of the model."""

    UNCONFIRMED = "UNCONFIRMED"
    CONFIRMED = "CONFIRMED"
    ARCHIVED = "ARCHIVED"
    COMPROMISED = "COMPROMISED"
    UNKNOWN = "UNKNOWN"
    RESET_REQUIRED = "RESET_REQUIRED"
    FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"
    EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"


@dataclass(frozen=True, slots=True)
class PasswordVerifier:
    """An SRP verifier: the canonical padHex of the salt and the hex of ``v = g^x mod N``.

    This is the only form in which Poolgate keeps a password (see ``srp.md`` §6.1); the
    store encrypts it at rest.
    """

    salt: str
    verifier: str


@dataclass(frozen=True, slots=True)
class User:
    """A user of a pool.

    ``username`` is the internal username (immutable; the ``sub`` in pools whose
    UsernameAttributes make e-mail or phone the sign-in name). ``attributes`` holds every
    stored attribute (standard and ``custom:``), including ``sub``. ``settings`` is a JSON
    document for what later features keep per user (MFA preferences, MFAOptions, ...).
    """

    user_pool_id: str
    username: str
    sub: str
    status: UserStatus
    enabled: bool
    attributes: Mapping[str, str]
    created_at: float
    updated_at: float
    password: PasswordVerifier | None = None
    password_set_at: float | None = None
    password_history: tuple[PasswordVerifier, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Group:
    """A group of a pool."""

    user_pool_id: str
    name: str
    created_at: float
    updated_at: float
    description: str | None = None
    role_arn: str | None = None
    precedence: int | None = None


@dataclass(frozen=True, slots=True)
class StoredCode:
    """A one-time code as stored: only its hash, its expiry and the failed attempts so far."""

    user_pool_id: str
    sub: str
    purpose: str
    code_hash: str
    created_at: float
    expires_at: float
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class UserFilter:
    """One ListUsers filter term: ``attribute op "value"`` with op ``=`` or ``^=`` (prefix)."""

    attribute: str
    op: str
    value: str
