"""Lambda triggers: the named points where Cognito runs a pool's functions.

``api`` declares what the core calls (the :class:`Triggers` protocol and the values it
returns); the runner builds each event, invokes the function through a ``LambdaInvoker``
(Lambda Invoke API via boto3, a per-function endpoint, or an in-process Python handler)
and maps failures to Cognito's trigger errors.

Core package: imports ``poolgate.errors``, ``poolgate.pools.model``, ``poolgate.users.model``.
"""
