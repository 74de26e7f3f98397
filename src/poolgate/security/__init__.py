"""Security: secret encryption at rest (``crypto``), the failed-password lockout shared by
sign-in and ChangePassword (``lockout``), risk decisions and the auth event log.

Core package: imports only the standard library, ``cryptography``, ``poolgate.config``,
``poolgate.errors``, ``poolgate.clock``, ``poolgate.private_files`` and ``poolgate.store.base``.
"""

from __future__ import annotations
