"""Device operations: ConfirmDevice, GetDevice, ListDevices, UpdateDeviceStatus, ForgetDevice
and their Admin twins. Each maps its request to one ``DeviceService`` call."""

from __future__ import annotations

from poolgate.devices.views import device_type
from poolgate.operations.registry import OperationContext, Params, Result, operation


@operation("ConfirmDevice")
def confirm_device(ctx: OperationContext, params: Params) -> Result:
    necessary = ctx.services.devices.confirm_device(
        params["AccessToken"],
        params["DeviceKey"],
        params.get("DeviceSecretVerifierConfig"),
        name=params.get("DeviceName"),
        ip=ctx.source_ip,
    )
    return {"UserConfirmationNecessary": necessary}


@operation("GetDevice")
def get_device(ctx: OperationContext, params: Params) -> Result:
    device = ctx.services.devices.get_device(params.get("AccessToken"), params["DeviceKey"])
    return {"Device": device_type(device)}


@operation("AdminGetDevice")
def admin_get_device(ctx: OperationContext, params: Params) -> Result:
    device = ctx.services.devices.admin_get_device(
        params["UserPoolId"], params["Username"], params["DeviceKey"]
    )
    return {"Device": device_type(device)}


@operation("ListDevices")
def list_devices(ctx: OperationContext, params: Params) -> Result:
    page = ctx.services.devices.list_devices(
        params["AccessToken"], limit=params.get("Limit"), token=params.get("PaginationToken")
    )
    return {"Devices": [device_type(device) for device in page.items], "PaginationToken": page.next_token}


@operation("AdminListDevices")
def admin_list_devices(ctx: OperationContext, params: Params) -> Result:
    page = ctx.services.devices.admin_list_devices(
        params["UserPoolId"],
        params["Username"],
        limit=params.get("Limit"),
        token=params.get("PaginationToken"),
    )
    return {"Devices": [device_type(device) for device in page.items], "PaginationToken": page.next_token}


@operation("UpdateDeviceStatus")
def update_device_status(ctx: OperationContext, params: Params) -> Result:
    ctx.services.devices.update_device_status(
        params["AccessToken"], params["DeviceKey"], params.get("DeviceRememberedStatus")
    )
    return {}


@operation("AdminUpdateDeviceStatus")
def admin_update_device_status(ctx: OperationContext, params: Params) -> Result:
    ctx.services.devices.admin_update_device_status(
        params["UserPoolId"], params["Username"], params["DeviceKey"], params.get("DeviceRememberedStatus")
    )
    return {}


@operation("ForgetDevice")
def forget_device(ctx: OperationContext, params: Params) -> Result:
    ctx.services.devices.forget_device(params.get("AccessToken"), params["DeviceKey"])
    return {}


@operation("AdminForgetDevice")
def admin_forget_device(ctx: OperationContext, params: Params) -> Result:
    ctx.services.devices.admin_forget_device(params["UserPoolId"], params["Username"], params["DeviceKey"])
    return {}
