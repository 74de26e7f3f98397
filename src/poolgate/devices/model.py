"""Domain values of device tracking: a user's device and its remembered status.

A device is born *pending* when a sign-in on a tracking pool hands out ``NewDeviceMetadata``;
ConfirmDevice makes it *confirmed* by storing the device's SRP salt and verifier
(mfa-devices-security.md section 5.2, srp.md section 8.1). Only confirmed devices take part in
device SRP and show up in the management operations; a pending device expires with the refresh
token of the sign-in that created it, unless it is confirmed first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RememberedStatus(StrEnum):
    """``DeviceRememberedStatusType`` of the model."""

    REMEMBERED = "remembered"
    NOT_REMEMBERED = "not_remembered"


@dataclass(frozen=True, slots=True)
class Device:
    """One device of one user.

    ``device_key`` is ``<region>_<uuid>`` and unique in its pool; ``group_key`` is the user's
    ``DeviceGroupKey`` (the same for every device of the user), the "pool name" of the device
    SRP arithmetic. ``salt`` (canonical padHex) and ``verifier`` (hex) are set at ConfirmDevice;
    the store encrypts the verifier, which stands in for the device's password.
    ``expires_at`` is set only while the device is pending. ``pending_session`` is the stored
    id of the DEVICE_SRP_AUTH session last issued for this device, so that a client that
    answers without ``Session`` (pycognito) can be matched to it (auth-flows.md section 4.1).
    """

    user_pool_id: str
    sub: str
    device_key: str
    group_key: str
    created_at: float
    updated_at: float
    status: RememberedStatus = RememberedStatus.NOT_REMEMBERED
    name: str | None = None
    salt: str | None = None
    verifier: str | None = field(default=None, repr=False)
    confirmed_at: float | None = None
    last_authenticated_at: float | None = None
    last_ip: str | None = None
    expires_at: float | None = None
    pending_session: str | None = None

    @property
    def confirmed(self) -> bool:
        """True once ConfirmDevice stored the device's verifier."""
        return self.confirmed_at is not None and self.verifier is not None and self.salt is not None

    @property
    def remembered(self) -> bool:
        """True for a confirmed device whose remembered status is ``remembered``."""
        return self.confirmed and self.status is RememberedStatus.REMEMBERED
