"""SECRET_HASH: how an app client with a secret proves itself on public operations.

``SECRET_HASH = Base64(HMAC-SHA256(key=client_secret, msg=username + client_id))``
(spec auth-flows.md §3). A client without a secret ignores a hash it is sent [decision,
open question 7b].
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from poolgate.errors import NotAuthorizedException
from poolgate.pools.model import AppClient


def compute_secret_hash(client_secret: str, username: str, client_id: str) -> str:
    """The SECRET_HASH a client computes for ``username``."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check_secret_hash(
    client: AppClient, username: str, secret_hash: str | None, *, refresh: bool = False
) -> None:
    """Raise NotAuthorizedException unless ``secret_hash`` is right for a client with a secret.

    ``refresh`` selects the message AWS uses on the refresh-token path.
    """
    if client.client_secret is None:
        return
    if not secret_hash:
        raise NotAuthorizedException(
            f"Client {client.client_id} is configured with secret but SECRET_HASH was not received"
        )
    expected = compute_secret_hash(client.client_secret, username, client.client_id)
    if not hmac.compare_digest(expected.encode(), secret_hash.encode()):
        if refresh:
            raise NotAuthorizedException(f"SecretHash does not match for the client: {client.client_id}")
        raise NotAuthorizedException(f"Unable to verify secret hash for client {client.client_id}")
