"""Security: secret encryption at rest (``crypto``), the failed-password lockout shared by
sign-in and ChangePassword (``lockout``), risk decisions and the auth event log.

``model`` (``AuthEvent``, ``Attempt``) is in the models layer, below ``poolgate.store.base``, and
imports only the standard library; ``crypto`` (the master key) is a foundation module that the
SQL store uses too, importing only ``poolgate.config`` and ``poolgate.private_files``. The rest
is core: it may import the foundation modules, the models, ``poolgate.store.base`` and the core
packages ``pools``, ``users`` and ``delivery``; never ``auth`` or ``mfa``
(docs/architecture.md, checked by ``tests/unit/test_import_layers.py``).
"""

from __future__ import annotations
