"""PoolService.create_pool / create_client with fixed ids (pools as code, imports)."""

from __future__ import annotations

import pytest

from poolgate.errors import InvalidParameterException
from poolgate.services import Services


def test_a_fixed_pool_id_is_used_and_gets_signing_keys(services: Services) -> None:
    pool = services.pools.create_pool("fixed", {}, pool_id="eu-central-1_Fixed123")
    assert pool.id == "eu-central-1_Fixed123"
    assert services.pools.describe_pool("eu-central-1_Fixed123")["Name"] == "fixed"
    with services.store.transaction(readonly=True) as uow:
        assert uow.signing_keys.list(pool.id)


@pytest.mark.parametrize(
    "bad", ["nounderscore", "us-east-1_", "us-east-1_has-dash", "us east_1", "x_" + "a" * 60]
)
def test_malformed_pool_ids_are_refused(services: Services, bad: str) -> None:
    with pytest.raises(InvalidParameterException, match="Invalid user pool id"):
        services.pools.create_pool("bad", {}, pool_id=bad)
    assert not services.pools.list_pools(10, None).items


def test_a_taken_pool_id_is_refused(services: Services) -> None:
    services.pools.create_pool("first", {}, pool_id="us-east-1_Taken1")
    with pytest.raises(InvalidParameterException, match="User pool us-east-1_Taken1 already exists."):
        services.pools.create_pool("second", {}, pool_id="us-east-1_Taken1")
    assert services.pools.get_pool("us-east-1_Taken1").name == "first"


def test_fixed_client_ids(services: Services) -> None:
    one = services.pools.create_pool("one", {}).id
    two = services.pools.create_pool("two", {}).id
    client = services.pools.create_client(
        one, "web", {}, generate_secret=False, secret=None, client_id="my+client_1"
    )
    assert client.client_id == "my+client_1"
    assert services.pools.get_client(one, "my+client_1").client_name == "web"
    # Client ids are unique across pools.
    with pytest.raises(InvalidParameterException, match="User pool client my\\+client_1 already exists."):
        services.pools.create_client(
            two, "web", {}, generate_secret=False, secret=None, client_id="my+client_1"
        )
    for bad in ("", "has space", "dash-ed", "x" * 129):
        with pytest.raises(InvalidParameterException, match="Invalid client id"):
            services.pools.create_client(one, "bad", {}, generate_secret=False, secret=None, client_id=bad)
