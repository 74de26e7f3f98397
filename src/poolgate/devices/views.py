"""Response shapes of the device operations: the model's ``DeviceType``."""

from __future__ import annotations

from typing import Any

from poolgate.devices.model import Device


def device_type(device: Device) -> dict[str, Any]:
    """The model's ``DeviceType`` for a confirmed device.

    Attribute names as in public samples of real responses (mfa-devices-security.md section
    5.2 item 6): ``device_status``, ``device_name``, ``dev:device_remembered_status``,
    ``last_ip_used``; ones the device lacks are left out."""
    attributes = [{"Name": "device_status", "Value": "valid"}]
    if device.name:
        attributes.append({"Name": "device_name", "Value": device.name})
    attributes.append({"Name": "dev:device_remembered_status", "Value": device.status.value})
    if device.last_ip:
        attributes.append({"Name": "last_ip_used", "Value": device.last_ip})
    result: dict[str, Any] = {
        "DeviceKey": device.device_key,
        "DeviceAttributes": attributes,
        "DeviceCreateDate": device.created_at,
        "DeviceLastModifiedDate": device.updated_at,
    }
    if device.last_authenticated_at is not None:
        result["DeviceLastAuthenticatedDate"] = device.last_authenticated_at
    return result
