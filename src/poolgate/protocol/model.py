"""Load botocore's cognito-idp service model once.

The model is used as botocore ships it; ``patches.json`` beside this module holds the HTTP
statuses the model leaves at 400, which ``tools/gen_errors.py`` bakes into ``poolgate.errors``.
"""

from __future__ import annotations

from functools import cache, lru_cache

import botocore.session
from botocore.model import OperationModel, ServiceModel

SERVICE_NAME = "cognito-idp"
TARGET_PREFIX = "AWSCognitoIdentityProviderService"


@lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """botocore's cognito-idp model."""
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


def operation_model(name: str) -> OperationModel | None:
    """The operation's model, or None if the service has no such operation."""
    if name not in _operation_name_set():
        # Not cached: the name comes from X-Amz-Target, and remembering every name a caller
        # sends would let it grow memory without bound.
        return None
    return _known_operation_model(name)


@cache
def _known_operation_model(name: str) -> OperationModel:
    return service_model().operation_model(name)


@lru_cache(maxsize=1)
def _operation_name_set() -> frozenset[str]:
    return frozenset(service_model().operation_names)


def operation_names() -> list[str]:
    return list(service_model().operation_names)


def is_public(op: OperationModel) -> bool:
    """True for operations the model marks as not IAM-authorised (``authtype: none``)."""
    if op.auth_type == "none":
        return True
    auth = op._operation_model.get("auth")
    return bool(auth) and "smithy.api#noAuth" in auth
