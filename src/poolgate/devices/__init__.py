"""Device tracking ("remembered devices", mfa-devices-security.md section 5).

Owns the ``Device`` value (``model``), the pool's device-tracking settings and the sign-in
rules that involve devices (``policy``: which device a sign-in may use, whether a remembered
device skips MFA, what a completed sign-in hands out), and ``DeviceService`` for ConfirmDevice,
GetDevice, ListDevices, UpdateDeviceStatus, ForgetDevice and their Admin twins (``service``).
The device SRP arithmetic lives in ``poolgate.srp`` and the two device challenges in
``poolgate.auth.challenges``.

Core package: may import ``poolgate.srp``, ``pools``, ``users``, ``tokens.model``, ``errors``
and ``store.base``; never ``protocol``, ``operations``, ``web`` or ``sqlalchemy``.
"""
