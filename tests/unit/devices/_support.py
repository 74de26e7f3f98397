"""A world for the device tests: the auth world with fake triggers and the real token service
(``tests.unit.auth._triggers``), a ``DeviceService``, a pool that tracks devices, and a fake
boto3 client whose methods run the real operation handlers, for pycognito to drive."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from pycognito import aws_srp
from tests.unit.auth._support import PASSWORD
from tests.unit.auth._triggers import TriggerWorld, make_trigger_world

from poolgate.devices.service import DeviceService
from poolgate.operations import auth as auth_operations
from poolgate.operations import devices as device_operations
from poolgate.operations.registry import OperationContext
from poolgate.pools.model import AppClient, UserPool
from poolgate.srp import timestamp_now
from poolgate.users.model import User

ALWAYS = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
OPT_IN = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}
DEVICE_KEY_PATTERN = r"us-east-1_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


class FakeBoto:
    """The cognito-idp client methods pycognito and the tests call, answered by the handlers."""

    def __init__(self, services: Any) -> None:
        self.ctx = OperationContext("test", "req-1", services=services, source_ip="192.0.2.10")
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def _call(self, handler: Any, name: str, params: dict[str, Any]) -> dict[str, Any]:
        self.sent.append((name, params))
        return dict(handler(self.ctx, params) or {})

    def initiate_auth(self, **params: Any) -> dict[str, Any]:
        return self._call(auth_operations.initiate_auth, "InitiateAuth", params)

    def admin_initiate_auth(self, **params: Any) -> dict[str, Any]:
        return self._call(auth_operations.admin_initiate_auth, "AdminInitiateAuth", params)

    def respond_to_auth_challenge(self, **params: Any) -> dict[str, Any]:
        return self._call(auth_operations.respond_to_auth_challenge, "RespondToAuthChallenge", params)

    def __getattr__(self, name: str) -> Any:
        # confirm_device, get_device, admin_list_devices, ...: the device handlers by name.
        handler = getattr(device_operations, name)
        return lambda **params: self._call(handler, name, params)


@dataclass
class DeviceWorld:
    """Everything a device test touches; ``pool`` tracks devices ("always" unless told)."""

    tw: TriggerWorld
    devices: DeviceService
    boto: FakeBoto
    pool: UserPool
    client: AppClient
    users: dict[str, User] = field(default_factory=dict)

    @property
    def clock(self) -> Any:
        return self.tw.world.clock

    def user(self, username: str, **attributes: str) -> User:
        user = self.tw.world.user(self.pool, username, **attributes)  # type: ignore[arg-type]
        self.users[username] = user
        return user

    def password_auth(self, username: str, password: str = PASSWORD, **extra: str) -> dict[str, Any]:
        params = {"USERNAME": username, "PASSWORD": password, **extra}
        return self.boto.initiate_auth(
            ClientId=self.client.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )

    def srp(self, username: str, password: str = PASSWORD, device: Any = None) -> aws_srp.AWSSRP:
        """pycognito's SRP client; ``device`` is a ``Remembered`` device or None."""
        extra = {}
        if device is not None:
            extra = {
                "device_key": device.key,
                "device_group_key": device.group_key,
                "device_password": device.password,
            }
        client = aws_srp.AWSSRP(
            username, password, self.pool.id, self.client.client_id, client=self.boto, **extra
        )
        client.get_cognito_formatted_timestamp = lambda _now: timestamp_now(self.clock.now())
        return client

    def confirm(self, result: dict[str, Any], name: str = "laptop") -> Remembered:
        """ConfirmDevice for the NewDeviceMetadata of ``result``, computed as pycognito does."""
        metadata = result["AuthenticationResult"]["NewDeviceMetadata"]
        password, config = aws_srp.generate_hash_device(metadata["DeviceGroupKey"], metadata["DeviceKey"])
        answer = self.boto.confirm_device(
            AccessToken=result["AuthenticationResult"]["AccessToken"],
            DeviceKey=metadata["DeviceKey"],
            DeviceSecretVerifierConfig=config,
            DeviceName=name,
        )
        remembered = Remembered(metadata["DeviceKey"], metadata["DeviceGroupKey"], password)
        remembered.user_confirmation_necessary = answer["UserConfirmationNecessary"]
        return remembered

    def claims(self, token: str) -> dict[str, Any]:
        return self.tw.claims(self.pool.id, token)


@dataclass
class Remembered:
    """What a client keeps about its device."""

    key: str
    group_key: str
    password: str
    user_confirmation_necessary: bool | None = None


def make_device_world(
    device_configuration: dict[str, bool] | None = ALWAYS, **pool_config: Any
) -> DeviceWorld:
    tw = make_trigger_world(enabled={"PostAuthentication", "PreTokenGeneration"})
    devices = DeviceService(tw.store, tw.world.clock, tw.tokens)  # type: ignore[arg-type]
    services = SimpleNamespace(auth=tw.world.auth, devices=devices, tokens=tw.tokens)
    if device_configuration is not None:
        pool_config["DeviceConfiguration"] = device_configuration
    pool = tw.world.pool(**pool_config)
    client = tw.world.client(pool)
    return DeviceWorld(tw, devices, FakeBoto(services), pool, client)
