"""The stand-in deliveries of PreventUserExistenceErrors (issue 15 item 4)."""

from __future__ import annotations

import re

from poolgate.pools.model import UserPool
from poolgate.users.simulated import Simulation

SIM = Simulation(b"k" * 32)
POOL = UserPool("us-east-1_Pool1", "p", 0.0, 0.0)
FOLDING = UserPool("us-east-1_Pool2", "p", 0.0, 0.0, {"UsernameConfiguration": {"CaseSensitive": False}})


def test_the_input_format_decides_when_the_pool_can_deliver_there() -> None:
    assert SIM.delivery(POOL, "ann@example.com", ["phone_number", "email"]) == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert SIM.delivery(POOL, "+15555550123", ["email", "phone_number"]) == {
        "Destination": "+*******0123",
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }


def test_a_username_gets_the_first_medium_with_a_stable_made_up_destination() -> None:
    email = SIM.delivery(POOL, "walter", ["email", "phone_number"])
    assert email["DeliveryMedium"] == "EMAIL" and re.fullmatch(r"w\*\*\*@[a-z]\*\*\*", email["Destination"])
    sms = SIM.delivery(POOL, "walter", ["phone_number"])
    assert sms["DeliveryMedium"] == "SMS" and re.fullmatch(r"\+\*{7}\d{4}", sms["Destination"])
    assert SIM.delivery(POOL, "walter", ["phone_number"]) == sms
    # Half an address is a username.
    assert SIM.delivery(POOL, "ann@", ["email"])["Destination"].startswith("a***@")
    # An address the pool cannot deliver to is treated like a username.
    assert SIM.delivery(POOL, "ann@example.com", ["phone_number"])["DeliveryMedium"] == "SMS"


def test_case_variants_look_alike_only_where_the_pool_folds_names() -> None:
    assert SIM.delivery(FOLDING, "WALTER", ["phone_number"]) == SIM.delivery(
        FOLDING, "walter", ["phone_number"]
    )
    assert SIM.counter_key(FOLDING, "WALTER", "SIGN_UP") == SIM.counter_key(FOLDING, "walter", "SIGN_UP")
    assert SIM.counter_key(POOL, "WALTER", "SIGN_UP") != SIM.counter_key(POOL, "walter", "SIGN_UP")
    assert SIM.counter_key(POOL, "walter", "SIGN_UP") != SIM.counter_key(POOL, "walter", "FORGOT_PASSWORD")
    assert "walter" not in SIM.counter_key(POOL, "walter", "SIGN_UP")
