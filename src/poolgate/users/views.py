"""Response shapes of the user operations: UserType, AdminGetUser, GetUser, GroupType,
CodeDeliveryDetailsType and the SignUp result.

Plain dicts keyed by the model's member names, dates as epoch seconds, optional members
left out (docs/management.md section 14). The MFA members come from ``User.settings``
keys ``MFAOptions``, ``PreferredMfaSetting`` and ``UserMFASettingList``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from poolgate.pools.schema import DEVELOPER_PREFIX
from poolgate.users.attributes import mask_destination
from poolgate.users.model import Group, User


def attribute_list(
    attributes: Mapping[str, str], names: Collection[str] | None = None
) -> list[dict[str, str]]:
    """``attributes`` as an AttributeListType: ``sub`` first, then the stored order.

    With ``names``, only those attributes (that the user has) are listed.
    """
    ordered = sorted(attributes.items(), key=lambda item: item[0] != "sub")
    return [{"Name": k, "Value": v} for k, v in ordered if names is None or k in names]


def user_type(user: User, attributes_to_get: Collection[str] | None = None) -> dict[str, Any]:
    """The UserType of ListUsers, ListUsersInGroup and AdminCreateUser's ``User``.

    ``attributes_to_get`` is ListUsers' ``AttributesToGet`` (None: every attribute).
    """
    result: dict[str, Any] = {
        "Username": user.username,
        "Attributes": attribute_list(user.attributes, attributes_to_get),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status.value,
    }
    mfa_options = _mfa_options(user)
    if mfa_options:
        result["MFAOptions"] = mfa_options
    return result


def admin_get_user(user: User) -> dict[str, Any]:
    """The AdminGetUserResponse for ``user``."""
    result: dict[str, Any] = {
        "Username": user.username,
        "UserAttributes": attribute_list(user.attributes),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.updated_at,
        "Enabled": user.enabled,
        "UserStatus": user.status.value,
    }
    result.update(_mfa_members(user))
    return result


def get_user(user: User, read_attributes: Collection[str] | None = None) -> dict[str, Any]:
    """The GetUserResponse for ``user``: no developer-only attributes, and only the app
    client's ``read_attributes`` when it has a list (``sub`` is always readable)."""
    visible = {
        k: v
        for k, v in user.attributes.items()
        if not k.startswith(DEVELOPER_PREFIX)
        and (read_attributes is None or k in read_attributes or k == "sub")
    }
    result: dict[str, Any] = {"Username": user.username, "UserAttributes": attribute_list(visible)}
    result.update(_mfa_members(user))
    return result


def group_type(group: Group) -> dict[str, Any]:
    """The GroupType of CreateGroup, GetGroup, ListGroups and AdminListGroupsForUser."""
    result: dict[str, Any] = {"GroupName": group.name, "UserPoolId": group.user_pool_id}
    if group.description is not None:
        result["Description"] = group.description
    if group.role_arn is not None:
        result["RoleArn"] = group.role_arn
    if group.precedence is not None:
        result["Precedence"] = group.precedence
    result["LastModifiedDate"] = group.updated_at
    result["CreationDate"] = group.created_at
    return result


def code_delivery(channel: str, destination: str, attribute_name: str) -> dict[str, str]:
    """A CodeDeliveryDetailsType for a code sent by ``channel`` (``EMAIL`` or ``SMS``) to
    ``destination``, which is masked here."""
    return {
        "Destination": mask_destination(channel, destination),
        "DeliveryMedium": channel,
        "AttributeName": attribute_name,
    }


def sign_up_result(
    user_sub: str, *, confirmed: bool, delivery: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The SignUpResponse: ``UserConfirmed``, ``UserSub`` and, when a code was sent, its
    ``CodeDeliveryDetails``."""
    result: dict[str, Any] = {"UserConfirmed": confirmed, "UserSub": user_sub}
    if delivery is not None:
        result["CodeDeliveryDetails"] = dict(delivery)
    return result


def _mfa_options(user: User) -> list[dict[str, str]]:
    return [dict(option) for option in user.settings.get("MFAOptions") or ()]


def _mfa_members(user: User) -> dict[str, Any]:
    members: dict[str, Any] = {}
    mfa_options = _mfa_options(user)
    if mfa_options:
        members["MFAOptions"] = mfa_options
    preferred = user.settings.get("PreferredMfaSetting")
    if preferred:
        members["PreferredMfaSetting"] = str(preferred)
    setting_list = list(user.settings.get("UserMFASettingList") or ())
    if setting_list:
        members["UserMFASettingList"] = [str(s) for s in setting_list]
    return members
