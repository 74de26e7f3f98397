"""What PreTokenGeneration may change in the tokens (triggers.md section 6.8): pure functions
over claim dictionaries, applied after the claims are built and before they are signed.

- ``groups`` (``groupOverrideDetails``) replaces ``cognito:groups`` in both tokens and
  ``cognito:roles`` / ``cognito:preferred_role`` in the ID token; empty lists remove them.
- ID-token claims are added or replaced, then suppressed: suppress wins over add for the same
  claim. The V1 event fills only these (and groups); V2 and V3 fill the access-token members
  and scopes too, which are applied the same way.
- Scopes live in the access token's space-separated ``scope``: added ones are appended,
  suppressed ones removed (suppress wins); a token left with no scope has no ``scope`` claim.
- Protected claims are never changed: the documented list, plus ``scope`` in the access token
  (changed only through the scope members) [decision].
- ``email_verified``, ``phone_number_verified``, ``updated_at`` and ``address`` keep their ID
  token types: a string given for them is converted as the stored attribute would be.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from poolgate.tokens.claims import attribute_claim
from poolgate.triggers.api import GroupOverride, TokenOverrides

PROTECTED_CLAIMS: Final = frozenset(
    {
        "acr",
        "amr",
        "aud",
        "at_hash",
        "auth_time",
        "azp",
        "cognito:username",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
    }
)
"""Claims PreTokenGeneration may not add, change or suppress [docs, triggers.md section 6.8]."""

_ACCESS_PROTECTED: Final = PROTECTED_CLAIMS | {"scope"}
_TYPED_ID_CLAIMS: Final = frozenset({"email_verified", "phone_number_verified", "updated_at", "address"})


def apply_overrides(
    id_claims: dict[str, Any], access_claims: dict[str, Any], overrides: TokenOverrides | None
) -> None:
    """Change both claim dictionaries in place as ``overrides`` asks (None: no change)."""
    if overrides is None:
        return
    if overrides.groups is not None:
        _override_groups(id_claims, access_claims, overrides.groups)
    _edit(id_claims, overrides.id_claims_add, overrides.id_claims_suppress, PROTECTED_CLAIMS, typed=True)
    _edit(access_claims, overrides.access_claims_add, overrides.access_claims_suppress, _ACCESS_PROTECTED)
    _edit_scopes(access_claims, overrides.scopes_add, overrides.scopes_suppress)


def _override_groups(id_claims: dict[str, Any], access_claims: dict[str, Any], groups: GroupOverride) -> None:
    for claims in (id_claims, access_claims):
        _set_or_drop(claims, "cognito:groups", list(groups.groups))
    _set_or_drop(id_claims, "cognito:roles", list(groups.iam_roles))
    _set_or_drop(id_claims, "cognito:preferred_role", groups.preferred_role)


def _set_or_drop(claims: dict[str, Any], name: str, value: Any) -> None:
    if value:
        claims[name] = value
    else:
        claims.pop(name, None)


def _edit(
    claims: dict[str, Any],
    add: Mapping[str, Any],
    suppress: Sequence[str],
    protected: frozenset[str],
    *,
    typed: bool = False,
) -> None:
    suppressed = set(suppress)
    for name, value in add.items():
        if name in protected or name in suppressed:
            continue
        claims[name] = _typed(name, value) if typed and name in _TYPED_ID_CLAIMS else value
    for name in suppressed - protected:
        claims.pop(name, None)


def _typed(name: str, value: Any) -> Any:
    if isinstance(value, str):
        return attribute_claim(name, value)
    if name == "address" and isinstance(value, dict):
        return value
    if isinstance(value, bool):
        return attribute_claim(name, "true" if value else "false")
    return attribute_claim(name, str(value))


def _edit_scopes(access_claims: dict[str, Any], add: Iterable[str], suppress: Iterable[str]) -> None:
    suppressed = set(suppress)
    added = [scope for scope in add if scope]
    if not added and not suppressed:
        return
    current = str(access_claims.get("scope") or "").split()
    scopes = [scope for scope in dict.fromkeys([*current, *added]) if scope not in suppressed]
    _set_or_drop(access_claims, "scope", " ".join(scopes))
