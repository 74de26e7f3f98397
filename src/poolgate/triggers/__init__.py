"""Lambda triggers: the named points where Cognito runs a pool's functions.

``api`` declares what the core calls (the :class:`Triggers` protocol and the values it
returns). ``runner.TriggerRunner`` implements it: ``events`` builds each event, a
``invokers.LambdaInvoker`` runs the function, ``responses`` reads the answer, and the runner
maps failures to Cognito's trigger errors. The invokers are ``boto_invoker`` (the Lambda
Invoke API: AWS, an emulator, or a per-function endpoint) and ``inprocess`` (a Python
handler in the server process); ``build.build_triggers`` wires them from the settings.
The custom SMS and e-mail sender triggers are out of scope.

Core package: ``api``, ``events``, ``responses``, ``invokers`` and ``runner`` import only
``poolgate.errors``, ``poolgate.pools.model`` and ``poolgate.users.model``. ``boto_invoker``
(botocore, imported on first use) and ``build`` (``poolgate.config``) are the package's
adapter edge, used only by the composition root.
"""
