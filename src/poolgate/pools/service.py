"""PoolService: create, read, update, delete and list user pools and app clients.

Every public method runs in one transaction of the store. The shape rules (what a
pool or client looks like with defaults filled in, what an update replaces) are
pure functions in :mod:`poolgate.pools.defaults`; this module adds identity,
timestamps, existence checks and persistence.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from poolgate.clock import Clock
from poolgate.errors import InvalidParameterException, ResourceNotFoundException
from poolgate.pools import defaults
from poolgate.pools.model import AppClient, UserPool
from poolgate.store.base import DuplicateError, Store, UnitOfWork

# Fixed ids given by the caller must fit the model's UserPoolIdType / ClientIdType, so that
# every later request naming them passes validation.
_POOL_ID = re.compile(r"[\w-]+_[0-9a-zA-Z]+", re.ASCII)
_POOL_ID_MAX = 55
_CLIENT_ID = re.compile(r"[\w+]+", re.ASCII)
_CLIENT_ID_MAX = 128


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing and the token for the next, if any."""

    items: Sequence[Any]
    next_token: str | None


def encode_token(last_id: str) -> str:
    """An opaque pagination token that resumes after ``last_id``."""
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_token(token: str | None) -> str | None:
    """The id a pagination token resumes after; InvalidParameterException if it is not ours."""
    if token is None:
        return None
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidParameterException("Invalid pagination token.") from None


class PoolService:
    """User-pool and app-client management."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        region: str,
        account_id: str,
        on_create: Callable[[UnitOfWork, str], None] | None = None,
    ) -> None:
        """``on_create(uow, pool_id)`` runs in the creating transaction (it makes signing keys)."""
        self._store = store
        self._clock = clock
        self._region = region
        self._account_id = account_id
        self._on_create = on_create

    def arn(self, pool_id: str) -> str:
        return f"arn:aws:cognito-idp:{self._region}:{self._account_id}:userpool/{pool_id}"

    # -- pools -------------------------------------------------------------------------------

    def create_pool(self, name: str, request: Mapping[str, Any], *, pool_id: str | None = None) -> UserPool:
        """Create a pool from CreateUserPool members; raises InvalidParameterException on bad rules.

        ``pool_id`` fixes the pool's id (pools declared as code, imports); it must match the
        model's pool-id pattern and be free, else InvalidParameterException.
        """
        if pool_id is not None:
            check_pool_id(pool_id)
        config = defaults.build_pool_config(request)
        now = self._clock.now()
        with self._store.transaction() as uow:
            for _ in range(5):
                pool = UserPool(pool_id or defaults.new_pool_id(self._region), name, now, now, config)
                try:
                    uow.pools.add(pool)
                except DuplicateError:
                    if pool_id is not None:
                        raise InvalidParameterException(f"User pool {pool_id} already exists.") from None
                    continue
                if self._on_create is not None:
                    self._on_create(uow, pool.id)
                return pool
        raise RuntimeError("could not allocate a unique user pool id")

    def get_pool(self, pool_id: str) -> UserPool:
        """The pool; ResourceNotFoundException if there is none."""
        with self._store.transaction() as uow:
            return require_pool(uow, pool_id)

    def describe_pool(self, pool_id: str) -> dict[str, Any]:
        """The UserPoolType document DescribeUserPool returns."""
        with self._store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            users = uow.pools.count_users(pool_id)
        return defaults.describe_pool(pool, arn=self.arn(pool_id), estimated_users=users)

    def update_pool(self, pool_id: str, request: Mapping[str, Any]) -> UserPool:
        """Apply UpdateUserPool: omitted members revert to their defaults."""
        with self._store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            config = defaults.update_pool_config(pool.config, request)
            updated = replace(pool, config=config, updated_at=self._clock.now())
            uow.pools.update(updated)
            return updated

    def delete_pool(self, pool_id: str) -> None:
        """Delete a pool and everything in it, unless DeletionProtection is ACTIVE."""
        with self._store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            if pool.deletion_protection:
                raise InvalidParameterException(
                    f"The user pool {pool_id} cannot be deleted because deletion protection is activated. "
                    "Deletion protection must be inactivated first."
                )
            uow.pools.delete(pool_id)

    def list_pools(self, max_results: int, next_token: str | None) -> Page:
        """Pools in id order, ``max_results`` at a time."""
        after = decode_token(next_token)
        with self._store.transaction() as uow:
            rows = list(uow.pools.list(max_results + 1, after))
        return _page(rows[:max_results], len(rows) > max_results, lambda p: p.id)

    # -- clients -----------------------------------------------------------------------------

    def create_client(
        self,
        pool_id: str,
        name: str,
        request: Mapping[str, Any],
        *,
        generate_secret: bool,
        secret: str | None,
        client_id: str | None = None,
    ) -> AppClient:
        """Create an app client; a secret is generated or taken from ``secret``.

        ``client_id`` fixes the client's id; it must match the model's client-id pattern
        and be free (in any pool), else InvalidParameterException.
        """
        if client_id is not None:
            check_client_id(client_id)
        now = self._clock.now()
        with self._store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            config = defaults.build_client_config(
                request, pool, has_secret=generate_secret or secret is not None
            )
            if secret is None and generate_secret:
                secret = defaults.new_client_secret()
            for _ in range(5):
                new_id = client_id or defaults.new_client_id()
                client = AppClient(new_id, pool_id, name, now, now, secret, config)
                try:
                    uow.clients.add(client)
                except DuplicateError:
                    if client_id is not None:
                        raise InvalidParameterException(
                            f"User pool client {client_id} already exists."
                        ) from None
                    continue
                return client
        raise RuntimeError("could not allocate a unique client id")

    def get_client(self, pool_id: str, client_id: str) -> AppClient:
        """The client of this pool; ResourceNotFoundException otherwise."""
        with self._store.transaction() as uow:
            return require_client(uow, pool_id, client_id)

    def update_client(
        self, pool_id: str, client_id: str, name: str | None, request: Mapping[str, Any]
    ) -> AppClient:
        """Apply UpdateUserPoolClient: omitted members revert to defaults; the secret is kept."""
        with self._store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            client = require_client(uow, pool_id, client_id)
            config = defaults.update_client_config(
                client.config, request, pool, has_secret=client.client_secret is not None
            )
            updated = replace(
                client,
                client_name=name if name is not None else client.client_name,
                config=config,
                updated_at=self._clock.now(),
            )
            uow.clients.update(updated)
            return updated

    def delete_client(self, pool_id: str, client_id: str) -> None:
        with self._store.transaction() as uow:
            require_client(uow, pool_id, client_id)
            uow.clients.delete(client_id)

    def list_clients(self, pool_id: str, max_results: int, next_token: str | None) -> Page:
        after = decode_token(next_token)
        with self._store.transaction() as uow:
            require_pool(uow, pool_id)
            rows = list(uow.clients.list(pool_id, max_results + 1, after))
        return _page(rows[:max_results], len(rows) > max_results, lambda c: c.client_id)


def check_pool_id(pool_id: str) -> None:
    """Raise InvalidParameterException unless ``pool_id`` is a well-formed user pool id."""
    if not (len(pool_id) <= _POOL_ID_MAX and _POOL_ID.fullmatch(pool_id)):
        raise InvalidParameterException(
            f"Invalid user pool id {pool_id!r}: expected <region>_<letters and digits>, "
            f"at most {_POOL_ID_MAX} characters."
        )


def check_client_id(client_id: str) -> None:
    """Raise InvalidParameterException unless ``client_id`` is a well-formed app client id."""
    if not (len(client_id) <= _CLIENT_ID_MAX and _CLIENT_ID.fullmatch(client_id)):
        raise InvalidParameterException(
            f"Invalid client id {client_id!r}: expected 1-{_CLIENT_ID_MAX} letters, digits, '_' or '+'."
        )


def require_pool(uow: UnitOfWork, pool_id: str) -> UserPool:
    """The pool; ResourceNotFoundException if there is none."""
    pool = uow.pools.get(pool_id)
    if pool is None:
        raise ResourceNotFoundException(f"User pool {pool_id} does not exist.")
    return pool


def require_client(uow: UnitOfWork, pool_id: str | None, client_id: str) -> AppClient:
    """The client (of ``pool_id`` when given); ResourceNotFoundException otherwise."""
    client = uow.clients.get(client_id)
    if client is None or (pool_id is not None and client.user_pool_id != pool_id):
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
    return client


def _page(items: Sequence[Any], more: bool, key: Any) -> Page:
    token = encode_token(key(items[-1])) if more and items else None
    return Page(items, token)
