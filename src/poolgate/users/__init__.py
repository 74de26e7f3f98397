"""Users and groups: attributes, statuses, aliases, codes, and the UserService.

Core package: imports ``poolgate.errors``, ``poolgate.clock``, ``poolgate.pools``,
``poolgate.srp`` (verifiers), ``poolgate.passwords``, ``poolgate.security.lockout`` (ChangePassword
counts toward the sign-in lockout) and ``poolgate.store.base``.
"""
