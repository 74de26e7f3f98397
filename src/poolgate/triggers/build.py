"""Building the trigger runner from the settings: which invoker runs which function.

A LambdaConfig ARN is resolved by its ``function:NAME[:qualifier]`` segment, and the name is
routed, first match wins:

1. ``lambda_handlers`` (``POOLGATE_LAMBDA_HANDLERS``, ``serve --lambda-handler``): an
   in-process Python handler;
2. ``lambda_endpoints`` (``POOLGATE_LAMBDA_ENDPOINTS``): the Lambda Invoke API at that URL,
   one client per distinct URL;
3. everything else: the Lambda Invoke API through botocore's endpoint resolution (AWS, or
   ``AWS_ENDPOINT_URL_LAMBDA``).
"""

from __future__ import annotations

from poolgate.config import Settings
from poolgate.triggers.boto_invoker import BotoLambdaInvoker
from poolgate.triggers.inprocess import InProcessInvoker
from poolgate.triggers.invokers import LambdaInvoker, RoutingInvoker
from poolgate.triggers.runner import TriggerRunner


def build_invoker(settings: Settings) -> RoutingInvoker:
    """The routing invoker for ``settings``; nothing is imported or connected until first use."""
    routes: dict[str, LambdaInvoker] = {}
    if settings.lambda_handlers:
        in_process = InProcessInvoker(
            settings.lambda_handlers,
            threads=settings.lambda_threads,
            region=settings.region,
            account_id=settings.account_id,
        )
        routes.update(dict.fromkeys(settings.lambda_handlers, in_process))
    by_url: dict[str, BotoLambdaInvoker] = {}
    for name, url in settings.lambda_endpoints.items():
        if name in routes:
            continue
        if url not in by_url:
            by_url[url] = BotoLambdaInvoker(region=settings.region, endpoint_url=url)
        routes[name] = by_url[url]
    return RoutingInvoker(routes, BotoLambdaInvoker(region=settings.region))


def build_triggers(settings: Settings) -> TriggerRunner:
    """The :class:`~poolgate.triggers.api.Triggers` a server process uses."""
    return TriggerRunner(
        build_invoker(settings),
        region=settings.region,
        timeout=settings.lambda_timeout_seconds,
        attempts=settings.lambda_attempts,
    )
