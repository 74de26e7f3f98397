"""User pools and app clients: their stored form, defaults, update rules and the PoolService.

Core package: imports only ``poolgate.errors``, ``poolgate.clock`` and ``poolgate.store.base``.
"""
