"""PreTokenGeneration overrides (triggers.md section 6.8): the pure claim edits, and the token
service running the trigger around its transactions for refreshes."""

from __future__ import annotations

from typing import Any

from tests.unit.tokens._support import SECRET, World, issuer, next_key

from poolgate.tokens.overrides import PROTECTED_CLAIMS, apply_overrides
from poolgate.tokens.service import TokenService
from poolgate.triggers.api import Caller, GroupOverride, NoTriggers, TokenOverrides


def _claims() -> tuple[dict[str, Any], dict[str, Any]]:
    id_claims = {
        "sub": "s",
        "iss": "i",
        "aud": "c",
        "email": "a@b.c",
        "email_verified": True,
        "token_use": "id",
        "cognito:groups": ["g"],
        "cognito:roles": ["r"],
        "cognito:preferred_role": "r",
    }
    access = {
        "sub": "s",
        "scope": "aws.cognito.signin.user.admin",
        "cognito:groups": ["g"],
        "token_use": "access",
    }
    return id_claims, access


def test_none_changes_nothing() -> None:
    id_claims, access = _claims()
    apply_overrides(id_claims, access, None)
    assert (id_claims, access) == _claims()


def test_v1_changes_the_id_token_only() -> None:
    id_claims, access = _claims()
    apply_overrides(
        id_claims,
        access,
        TokenOverrides(
            id_claims_add={"tier": "gold", "email": "x@y.z"}, id_claims_suppress=["cognito:roles"]
        ),
    )
    assert id_claims["tier"] == "gold" and id_claims["email"] == "x@y.z" and "cognito:roles" not in id_claims
    assert access == _claims()[1]


def test_suppress_wins_over_add() -> None:
    id_claims, access = _claims()
    apply_overrides(
        id_claims, access, TokenOverrides(id_claims_add={"email": "x"}, id_claims_suppress=["email"])
    )
    assert "email" not in id_claims


def test_protected_claims_are_ignored() -> None:
    id_claims, access = _claims()
    added = dict.fromkeys(PROTECTED_CLAIMS, "changed")
    apply_overrides(
        id_claims,
        access,
        TokenOverrides(
            id_claims_add=added,
            id_claims_suppress=sorted(PROTECTED_CLAIMS),
            access_claims_add={**added, "scope": "all"},
            access_claims_suppress=["sub", "scope"],
        ),
    )
    assert (id_claims, access) == _claims()


def test_typed_id_claims_keep_their_types() -> None:
    id_claims, access = _claims()
    apply_overrides(
        id_claims,
        access,
        TokenOverrides(
            id_claims_add={"email_verified": "false", "updated_at": "1700000000", "address": "1 Road"}
        ),
    )
    assert id_claims["email_verified"] is False and id_claims["updated_at"] == 1700000000
    assert id_claims["address"] == {"formatted": "1 Road"}


def test_groups_override_both_tokens() -> None:
    id_claims, access = _claims()
    apply_overrides(id_claims, access, TokenOverrides(groups=GroupOverride(["a", "b"], ["arn:r"], "arn:r")))
    assert id_claims["cognito:groups"] == ["a", "b"] == access["cognito:groups"]
    assert id_claims["cognito:roles"] == ["arn:r"] and id_claims["cognito:preferred_role"] == "arn:r"
    id_claims, access = _claims()
    apply_overrides(id_claims, access, TokenOverrides(groups=GroupOverride()))
    assert not {"cognito:groups", "cognito:roles", "cognito:preferred_role"} & (
        id_claims.keys() | access.keys()
    )


def test_v2_access_claims_and_scopes() -> None:
    id_claims, access = _claims()
    apply_overrides(
        id_claims,
        access,
        TokenOverrides(
            access_claims_add={"perm": ["read", "write"], "n": 3},
            access_claims_suppress=["cognito:groups"],
            scopes_add=["api/read", "api/write", "api/read"],
            scopes_suppress=["api/write"],
        ),
    )
    assert access["perm"] == ["read", "write"] and access["n"] == 3 and "cognito:groups" not in access
    assert access["scope"] == "aws.cognito.signin.user.admin api/read"
    apply_overrides(
        id_claims, access, TokenOverrides(scopes_suppress=["aws.cognito.signin.user.admin", "api/read"])
    )
    assert "scope" not in access


class _Recording(NoTriggers):
    def __init__(self, overrides: TokenOverrides | None) -> None:
        self.overrides = overrides
        self.calls: list[dict[str, Any]] = []

    def configured(self, pool: Any, trigger: str) -> bool:
        return trigger == "PreTokenGeneration"

    def pre_token_generation(self, pool: Any, **kwargs: Any) -> TokenOverrides | None:
        self.calls.append(kwargs)
        return self.overrides


def _with_trigger(world: World, triggers: _Recording) -> TokenService:
    """A second service over the same store (keys and sessions live there), with the trigger."""
    return TokenService(world.clock, issuer=issuer, key_generator=next_key, triggers=triggers)


def test_refresh_runs_pre_token_generation(world: World) -> None:
    recording = _Recording(TokenOverrides(id_claims_add={"fresh": "yes"}))
    refresh = world.sign_in().refresh_token
    assert refresh is not None
    caller = Caller(world.client.client_id, "boto3-1")
    issued = _with_trigger(world, recording).refresh_tokens(
        world.store, world.pool, world.client, refresh, secret_hash=None, device_key=None, caller=caller
    )
    assert world.decode(issued.id_token)["fresh"] == "yes"
    call = recording.calls[0]
    assert call["source"] == "RefreshTokens" and call["client_metadata"] is None and call["caller"] == caller
    assert call["user"].sub == world.user.sub


def test_get_tokens_from_refresh_token_passes_its_client_metadata(world: World) -> None:
    client = world.add_client(secret=SECRET, RefreshTokenRotation={"Feature": "ENABLED"})
    refresh = world.sign_in(client).refresh_token
    assert refresh is not None
    recording = _Recording(TokenOverrides(access_claims_add={"rotated": True}))
    issued = _with_trigger(world, recording).tokens_from_refresh_token(
        world.store,
        client.client_id,
        refresh,
        client_secret=SECRET,
        device_key=None,
        client_metadata={"k": "v"},
        caller=Caller(client.client_id),
    )
    assert issued.refresh_token is not None and world.decode(issued.access_token)["rotated"] is True
    assert recording.calls[0]["client_metadata"] == {"k": "v"}
    assert recording.calls[0]["source"] == "RefreshTokens"
