"""Users and groups: attributes, statuses, aliases, codes, and the UserService.

Core package: imports ``poolgate.errors``, ``poolgate.clock``, ``poolgate.pools``,
``poolgate.srp`` (verifiers), ``poolgate.passwords`` and ``poolgate.store.base``.
"""
