"""Devices in ``devices``: the ``DeviceRepo`` protocol.

The device verifier is encrypted with the master key and bound to its pool and device key
(``tables.DEVICE_VERIFIER``). ConfirmDevice and the device challenges read a device, check it
and write it back, so ``get(for_update=True)`` locks the row on PostgreSQL; on SQLite write
transactions already run one at a time (see ``auth_repos``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from poolgate.devices.model import Device, RememberedStatus
from poolgate.security.crypto import MasterKey
from poolgate.store.sql.repos import insert_unique
from poolgate.store.sql.tables import DEVICE_VERIFIER, devices


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


class SqlDeviceRepo:
    """The ``DeviceRepo`` protocol."""

    def __init__(self, conn: sa.Connection, key: MasterKey) -> None:
        self._conn = conn
        self._key = key

    def add(self, device: Device) -> None:
        """Store a new device; ``DuplicateError`` if the pool already has its key,
        ``IntegrityError`` if the pool or user does not exist."""
        insert_unique(self._conn, devices, self._values(device), f"device {device.device_key}")

    def get(self, pool_id: str, device_key: str, *, for_update: bool = False) -> Device | None:
        """The device, pending or confirmed; with ``for_update`` the row stays locked until the
        transaction ends."""
        c = devices.c
        query = sa.select(devices).where(c.pool_id == pool_id, c.device_key == device_key)
        if for_update:
            query = query.with_for_update()
        row = self._conn.execute(query).one_or_none()
        return None if row is None else self._from_row(row)

    def update(self, device: Device) -> None:
        """Replace every column but the pool, key, owner and creation time."""
        values = self._values(device)
        for fixed in ("pool_id", "device_key", "sub", "created_at"):
            del values[fixed]
        c = devices.c
        query = sa.update(devices).where(c.pool_id == device.user_pool_id, c.device_key == device.device_key)
        self._conn.execute(query.values(values))

    def delete(self, pool_id: str, device_key: str) -> None:
        c = devices.c
        self._conn.execute(sa.delete(devices).where(c.pool_id == pool_id, c.device_key == device_key))

    def list(self, pool_id: str, sub: str, *, limit: int, after: str | None) -> Sequence[Device]:
        """Confirmed devices of the user in key order (bytewise on every backend)."""
        c = devices.c
        query = sa.select(devices).where(c.pool_id == pool_id, c.sub == sub, c.confirmed_at.is_not(None))
        if after is not None:
            query = query.where(c.device_key > after)
        query = query.order_by(c.device_key).limit(limit)
        return [self._from_row(row) for row in self._conn.execute(query)]

    def group_key(self, pool_id: str, sub: str) -> str | None:
        """The group key of the user's oldest device (all of them share it), or None."""
        c = devices.c
        query = (
            sa.select(c.group_key)
            .where(c.pool_id == pool_id, c.sub == sub)
            .order_by(c.created_at, c.device_key)
            .limit(1)
        )
        value = self._conn.execute(query).scalar_one_or_none()
        return None if value is None else str(value)

    def _values(self, device: Device) -> dict[str, Any]:
        verifier = None
        if device.verifier is not None:
            aad = DEVICE_VERIFIER.aad(device.user_pool_id, device.device_key)
            verifier = self._key.encrypt(device.verifier.encode("ascii"), aad)
        return {
            "pool_id": device.user_pool_id,
            "device_key": device.device_key,
            "sub": device.sub,
            "group_key": device.group_key,
            "status": device.status.value,
            "name": device.name,
            "salt": device.salt,
            "verifier_enc": verifier,
            "created_at": device.created_at,
            "updated_at": device.updated_at,
            "confirmed_at": device.confirmed_at,
            "last_authenticated_at": device.last_authenticated_at,
            "last_ip": device.last_ip,
            "expires_at": device.expires_at,
            "pending_session": device.pending_session,
        }

    def _from_row(self, row: sa.Row[Any]) -> Device:
        pool_id, device_key = str(row.pool_id), str(row.device_key)
        verifier = None
        if row.verifier_enc is not None:
            aad = DEVICE_VERIFIER.aad(pool_id, device_key)
            verifier = self._key.decrypt(bytes(row.verifier_enc), aad).decode("ascii")
        return Device(
            user_pool_id=pool_id,
            sub=str(row.sub),
            device_key=device_key,
            group_key=str(row.group_key),
            created_at=float(row.created_at),
            updated_at=float(row.updated_at),
            status=RememberedStatus(row.status),
            name=_optional_str(row.name),
            salt=_optional_str(row.salt),
            verifier=verifier,
            confirmed_at=_optional_float(row.confirmed_at),
            last_authenticated_at=_optional_float(row.last_authenticated_at),
            last_ip=_optional_str(row.last_ip),
            expires_at=_optional_float(row.expires_at),
            pending_session=_optional_str(row.pending_session),
        )
