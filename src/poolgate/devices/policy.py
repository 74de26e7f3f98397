"""The pool's device-tracking settings and the values a new device gets (pure functions).

``DeviceConfiguration{ChallengeRequiredOnNewDevice, DeviceOnlyRememberedOnUserPrompt}`` on the
pool (mfa-devices-security.md section 5.1):

- absent, null, or with neither member set: device tracking is off;
- ``DeviceOnlyRememberedOnUserPrompt`` true ("user opt-in"): ConfirmDevice answers
  ``UserConfirmationNecessary: true`` and the device stays ``not_remembered`` until
  UpdateDeviceStatus; false ("always"): a confirmed device is remembered at once;
- ``ChallengeRequiredOnNewDevice`` true: a remembered device replaces the MFA step. Despite
  its name, this is the "suppress MFA on remembered devices" switch [model doc].
"""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from poolgate.devices.model import Device, RememberedStatus
from poolgate.pools.model import UserPool

DEVICE_NOT_FOUND: Final = "Device does not exist."
"""ResourceNotFoundException text for a device the caller may not use [inferred, with the word
"device" the JS SDK's retry looks for]."""

GROUP_KEY_LENGTH: Final = 9
"""Characters after the leading ``-`` of a DeviceGroupKey (``-abcDEF12`` in srp.md's vector
has 8; real ones vary) [decision]."""

_GROUP_ALPHABET: Final = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class DeviceTracking:
    """A pool's device-tracking settings; ``enabled`` False means every other field is moot."""

    enabled: bool
    opt_in: bool
    remembered_skips_mfa: bool


def tracking(pool: UserPool) -> DeviceTracking:
    """The pool's ``DeviceConfiguration``, read."""
    config: Mapping[str, Any] = pool.config.get("DeviceConfiguration") or {}
    skip = config.get("ChallengeRequiredOnNewDevice")
    opt_in = config.get("DeviceOnlyRememberedOnUserPrompt")
    return DeviceTracking(
        enabled=skip is not None or opt_in is not None,
        opt_in=bool(opt_in),
        remembered_skips_mfa=bool(skip),
    )


def region_of(pool_id: str) -> str:
    """The region prefix of a pool id (``us-east-1`` of ``us-east-1_AbC``)."""
    return pool_id.split("_", 1)[0]


def new_device_key(pool_id: str) -> str:
    """A fresh ``DeviceKey``: ``<region>_<uuid>``, which matches the model's pattern
    ``[\\w-]+_[0-9a-f-]+``."""
    return f"{region_of(pool_id)}_{uuid.uuid4()}"


def new_group_key() -> str:
    """A fresh ``DeviceGroupKey``: ``-`` and letters and digits."""
    return "-" + "".join(secrets.choice(_GROUP_ALPHABET) for _ in range(GROUP_KEY_LENGTH))


def pending_device(
    pool: UserPool, sub: str, *, group_key: str | None, now: float, expires_at: float
) -> Device:
    """The device a sign-in hands out as ``NewDeviceMetadata``: pending until ConfirmDevice.

    ``group_key`` is the user's existing DeviceGroupKey (a new one is drawn when the user has
    no device yet), so that all devices of a user share it; ``expires_at`` is when the pending
    device may be purged (the end of the sign-in's refresh token)."""
    return Device(
        user_pool_id=pool.id,
        sub=sub,
        device_key=new_device_key(pool.id),
        group_key=group_key or new_group_key(),
        created_at=now,
        updated_at=now,
        expires_at=expires_at,
    )


def confirmed_device(
    device: Device,
    pool: UserPool,
    *,
    salt_hex: str,
    verifier_hex: str,
    name: str | None,
    now: float,
    ip: str | None,
) -> Device:
    """``device`` after ConfirmDevice: its verifier stored, no expiry, remembered at once unless
    the pool asks the user first."""
    status = RememberedStatus.NOT_REMEMBERED if tracking(pool).opt_in else RememberedStatus.REMEMBERED
    return replace(
        device,
        status=status,
        name=name,
        salt=salt_hex,
        verifier=verifier_hex,
        confirmed_at=now,
        updated_at=now,
        last_authenticated_at=now,
        last_ip=ip or device.last_ip,
        expires_at=None,
    )
