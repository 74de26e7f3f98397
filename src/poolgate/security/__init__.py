"""Security: secret encryption at rest (``crypto``), and later risk decisions, lockout and
the auth event log.

Core package: imports only the standard library, ``cryptography``, ``poolgate.config``,
``poolgate.errors``, ``poolgate.clock``, ``poolgate.private_files`` and ``poolgate.store.base``.
"""

from __future__ import annotations
