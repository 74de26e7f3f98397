"""``DeviceService``: ConfirmDevice, GetDevice, ListDevices, UpdateDeviceStatus, ForgetDevice and
their Admin twins (mfa-devices-security.md section 5.2).

Each call is one transaction; none runs a trigger. The public operations act for the holder of
an access token (checked by the token service: signature, expiry, revocation, scope, user); the
Admin ones for the user ``Username`` names in ``UserPoolId``. A device the caller may not see
(unknown, another user's, or pending: handed out but never confirmed) is ResourceNotFoundException
``Device does not exist.``; only ConfirmDevice works on a pending device.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final, Protocol

from poolgate.clock import Clock
from poolgate.devices.model import Device, RememberedStatus
from poolgate.devices.policy import DEVICE_NOT_FOUND, confirmed_device, tracking
from poolgate.errors import (
    DeviceKeyExistsException,
    InvalidParameterException,
    ResourceNotFoundException,
    UserNotFoundException,
)
from poolgate.pools.model import UserPool
from poolgate.pools.service import Page, decode_token, encode_token, require_pool
from poolgate.srp import InvalidDeviceVerifierConfig, parse_device_verifier_config
from poolgate.store.base import Store, UnitOfWork
from poolgate.tokens.model import AccessContext
from poolgate.users.lookup import find_user
from poolgate.users.model import User
from poolgate.users.rules import USER_NOT_FOUND_MESSAGE

DEFAULT_PAGE: Final = 60
"""Devices per ListDevices page when ``Limit`` is absent or 0 (the model's maximum) [decision]."""

DEVICE_EXISTS: Final = "Device key already exists."
"""DeviceKeyExistsException text [decision: AWS's wording is not in our sources]."""
CONFIG_MISSING: Final = "Missing required parameter DeviceSecretVerifierConfig"
"""[decision] a device without a verifier could never do device SRP."""
CONFIG_INVALID: Final = "Invalid device secret verifier config."
"""[decision]"""
TOKEN_MISSING: Final = "Missing required parameter AccessToken"
"""ForgetDevice's AccessToken is optional in the model, but only a token names the user
[decision]."""


class AccessTokenVerifier(Protocol):
    """The part of the token service this module needs."""

    def verify_access_token(self, uow: UnitOfWork, token: str) -> AccessContext:
        """The token's context, or the Cognito error for a bad, expired or revoked token."""


@dataclass(frozen=True, slots=True)
class Owner:
    """The pool and user whose devices a call may touch."""

    pool: UserPool
    user: User


class DeviceService:
    """The device operations. ``tokens`` checks access tokens (the ``TokenService``)."""

    def __init__(self, store: Store, clock: Clock, tokens: AccessTokenVerifier) -> None:
        self._store = store
        self._clock = clock
        self._tokens = tokens

    # -- owners --------------------------------------------------------------------------------

    def _holder(self, uow: UnitOfWork, token: str | None) -> Owner:
        if not token:
            raise InvalidParameterException(TOKEN_MISSING)
        context = self._tokens.verify_access_token(uow, token)
        pool = require_pool(uow, context.user_pool_id)
        user = uow.users.get(pool.id, context.sub)
        if user is None:
            raise UserNotFoundException(USER_NOT_FOUND_MESSAGE)
        return Owner(pool, user)

    @staticmethod
    def _named(uow: UnitOfWork, pool_id: str, username: str, *, declared: bool = True) -> Owner:
        """The pool and the user ``username`` names. An unknown user is UserNotFoundException,
        or, for AdminGetDevice and AdminListDevices, whose error lists in the model lack it
        (``declared`` False), ResourceNotFoundException with the same message [decision]."""
        pool = require_pool(uow, pool_id)
        user = find_user(uow, pool, username)
        if user is None:
            error = UserNotFoundException if declared else ResourceNotFoundException
            raise error(USER_NOT_FOUND_MESSAGE)
        return Owner(pool, user)

    @staticmethod
    def _device(uow: UnitOfWork, owner: Owner, device_key: str, *, lock: bool = False) -> Device:
        device = uow.devices.get(owner.pool.id, device_key, for_update=lock)
        if device is None or device.sub != owner.user.sub or not device.confirmed:
            raise ResourceNotFoundException(DEVICE_NOT_FOUND)
        return device

    # -- ConfirmDevice -------------------------------------------------------------------------

    def confirm_device(
        self,
        access_token: str,
        device_key: str,
        verifier_config: Mapping[str, str] | None,
        *,
        name: str | None = None,
        ip: str | None = None,
    ) -> bool:
        """ConfirmDevice: store the device's SRP salt and verifier (``DeviceSecretVerifierConfig``
        as the client computed it, srp.md section 8.1) and return ``UserConfirmationNecessary``
        (True on a "user opt-in" pool: the device stays not remembered until
        UpdateDeviceStatus).

        Raises ResourceNotFoundException (a device not handed out to this user, or expired),
        DeviceKeyExistsException (already confirmed), InvalidParameterException (verifier
        config missing or malformed) and the access-token errors."""
        salt_b64 = (verifier_config or {}).get("Salt")
        verifier_b64 = (verifier_config or {}).get("PasswordVerifier")
        now = self._clock.now()
        with self._store.transaction() as uow:
            owner = self._holder(uow, access_token)
            device = uow.devices.get(owner.pool.id, device_key, for_update=True)
            if device is None or device.sub != owner.user.sub:
                raise ResourceNotFoundException(DEVICE_NOT_FOUND)
            if device.confirmed:
                raise DeviceKeyExistsException(DEVICE_EXISTS)
            if device.expires_at is not None and device.expires_at <= now:
                raise ResourceNotFoundException(DEVICE_NOT_FOUND)
            if not salt_b64 or not verifier_b64:
                raise InvalidParameterException(CONFIG_MISSING)
            try:
                salt_hex, verifier_hex = parse_device_verifier_config(
                    password_verifier_b64=verifier_b64, salt_b64=salt_b64
                )
            except InvalidDeviceVerifierConfig:
                raise InvalidParameterException(CONFIG_INVALID) from None
            confirmed = confirmed_device(
                device, owner.pool, salt_hex=salt_hex, verifier_hex=verifier_hex, name=name, now=now, ip=ip
            )
            uow.devices.update(confirmed)
            return tracking(owner.pool).opt_in

    # -- GetDevice -----------------------------------------------------------------------------

    def get_device(self, access_token: str | None, device_key: str) -> Device:
        """GetDevice: one confirmed device of the token's user."""
        with self._store.transaction(readonly=True) as uow:
            return self._device(uow, self._holder(uow, access_token), device_key)

    def admin_get_device(self, pool_id: str, username: str, device_key: str) -> Device:
        """AdminGetDevice."""
        with self._store.transaction(readonly=True) as uow:
            return self._device(uow, self._named(uow, pool_id, username, declared=False), device_key)

    # -- ListDevices ---------------------------------------------------------------------------

    def list_devices(self, access_token: str, *, limit: int | None, token: str | None) -> Page:
        """ListDevices: the token's user's confirmed devices in key order, ``limit`` a page."""
        with self._store.transaction(readonly=True) as uow:
            return _page(uow, self._holder(uow, access_token), limit, token)

    def admin_list_devices(
        self, pool_id: str, username: str, *, limit: int | None, token: str | None
    ) -> Page:
        """AdminListDevices."""
        with self._store.transaction(readonly=True) as uow:
            return _page(uow, self._named(uow, pool_id, username, declared=False), limit, token)

    # -- UpdateDeviceStatus --------------------------------------------------------------------

    def update_device_status(self, access_token: str, device_key: str, status: str | None) -> None:
        """UpdateDeviceStatus: ``remembered`` or ``not_remembered`` (None changes nothing)."""
        with self._store.transaction() as uow:
            self._set_status(uow, self._holder(uow, access_token), device_key, status)

    def admin_update_device_status(
        self, pool_id: str, username: str, device_key: str, status: str | None
    ) -> None:
        """AdminUpdateDeviceStatus."""
        with self._store.transaction() as uow:
            self._set_status(uow, self._named(uow, pool_id, username), device_key, status)

    def _set_status(self, uow: UnitOfWork, owner: Owner, device_key: str, status: str | None) -> None:
        device = self._device(uow, owner, device_key, lock=True)
        if status is None or status == device.status.value:
            return
        uow.devices.update(replace(device, status=RememberedStatus(status), updated_at=self._clock.now()))

    # -- ForgetDevice --------------------------------------------------------------------------

    def forget_device(self, access_token: str | None, device_key: str) -> None:
        """ForgetDevice: the device and its verifier are deleted, and the refresh tokens bound to
        it stop working (``Invalid Refresh Token.``) [inferred]; access tokens already issued
        stay valid until they expire."""
        with self._store.transaction() as uow:
            self._forget(uow, self._holder(uow, access_token), device_key)

    def admin_forget_device(self, pool_id: str, username: str, device_key: str) -> None:
        """AdminForgetDevice."""
        with self._store.transaction() as uow:
            self._forget(uow, self._named(uow, pool_id, username), device_key)

    def _forget(self, uow: UnitOfWork, owner: Owner, device_key: str) -> None:
        device = self._device(uow, owner, device_key, lock=True)
        uow.devices.delete(owner.pool.id, device.device_key)
        uow.token_sessions.end_device(owner.pool.id, device.device_key, self._clock.now())


def _page(uow: UnitOfWork, owner: Owner, limit: int | None, token: str | None) -> Page:
    size = min(limit, DEFAULT_PAGE) if limit else DEFAULT_PAGE
    rows = list(uow.devices.list(owner.pool.id, owner.user.sub, limit=size + 1, after=decode_token(token)))
    items = rows[:size]
    more = len(rows) > size
    return Page(items, encode_token(items[-1].device_key) if more and items else None)
