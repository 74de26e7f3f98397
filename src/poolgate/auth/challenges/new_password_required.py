"""NEW_PASSWORD_REQUIRED (auth-flows.md sections 5 and 8.3): a user with a temporary password
(FORCE_CHANGE_PASSWORD) chooses a permanent one and fills in missing required attributes.

Issued with ``USER_ID_FOR_SRP``, ``requiredAttributes`` (JSON list of ``userAttributes.<name>``
for required attributes the user lacks) and ``userAttributes`` (JSON object of the attributes
the client may read, without ``sub``). The answer carries ``NEW_PASSWORD`` and optional
``userAttributes.<name>`` values. A required attribute that already has a value cannot be set
here (NotAuthorizedException ``Cannot modify an already provided <name>``); a required one still
missing fails with InvalidParameterException ``Invalid attributes given, <name> is missing``.
A password that breaks the policy or history raises, which leaves the session usable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar, Final

from poolgate.auth import messages
from poolgate.auth.challenges.base import ChallengeType, session_user
from poolgate.auth.context import StepContext, required
from poolgate.auth.sessions import LoadedSession
from poolgate.auth.state import AuthSession, Challenge, ChallengeName, Outcome, Passed
from poolgate.errors import InvalidParameterException, NotAuthorizedException
from poolgate.pools import schema
from poolgate.users.attributes import validate_attributes
from poolgate.users.common import VERIFIABLE, save_user, with_new_password
from poolgate.users.model import User, UserStatus

ATTRIBUTE_PREFIX: Final = "userAttributes."


def issue(ctx: StepContext, session: AuthSession, user: User) -> Challenge:
    """Store the session as waiting for NEW_PASSWORD_REQUIRED (``ctx`` bound to a write phase)
    and build the challenge."""
    issued = ctx.sessions.issue(
        ctx.uow, session, client=ctx.client, now=ctx.now, challenge=ChallengeName.NEW_PASSWORD_REQUIRED
    )
    missing = [ATTRIBUTE_PREFIX + name for name in missing_required(_schema(ctx), user.attributes)]
    parameters = {
        "USER_ID_FOR_SRP": user.username,
        "requiredAttributes": _json(missing),
        "userAttributes": _json(readable_attributes(ctx.client.config, user)),
    }
    return Challenge(ChallengeName.NEW_PASSWORD_REQUIRED, parameters, issued.handle)


class NewPasswordRequired:
    """NEW_PASSWORD_REQUIRED."""

    name: ClassVar[ChallengeName] = ChallengeName.NEW_PASSWORD_REQUIRED

    def respond(self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str]) -> Outcome:
        new_password = required(responses, "NEW_PASSWORD")
        with ctx.writing() as phase:
            return self._answer(phase, phase.sessions.lock(phase.uow, loaded), responses, new_password)

    def _answer(
        self, ctx: StepContext, loaded: LoadedSession, responses: Mapping[str, str], new_password: str
    ) -> Outcome:
        user = session_user(ctx, loaded.session, responses.get("USERNAME", ""))
        if not user.enabled:
            raise NotAuthorizedException(messages.USER_DISABLED)
        attributes = _answered_attributes(ctx, user, responses)
        updated = with_new_password(
            ctx.pool,
            user,
            new_password,
            operation="RespondToAuthChallenge",
            now=ctx.now,
            status=UserStatus.CONFIRMED,
        )
        updated = replace(updated, attributes=attributes)
        save_user(ctx.uow, ctx.pool, updated)
        ctx.sessions.spend(ctx.uow, loaded)
        session = replace(loaded.session, metadata=ctx.metadata)
        return Passed(session.passed(ChallengeName.NEW_PASSWORD_REQUIRED, now=ctx.now), updated)


def missing_required(pool_schema: list[Mapping[str, Any]], attributes: Mapping[str, str]) -> list[str]:
    """Required attributes (``sub`` aside) without a value, in schema order."""
    names = schema.required_names(pool_schema)
    ordered = [str(entry["Name"]) for entry in pool_schema]
    return [name for name in ordered if name in names and not attributes.get(name)]


def readable_attributes(client_config: Mapping[str, Any], user: User) -> dict[str, str]:
    """The user's attributes the client may read (all without ReadAttributes), minus ``sub``."""
    readable = client_config.get("ReadAttributes")
    return {
        name: value
        for name, value in user.attributes.items()
        if name != "sub" and (readable is None or name in readable)
    }


def _answered_attributes(ctx: StepContext, user: User, responses: Mapping[str, str]) -> dict[str, str]:
    given = {
        key.removeprefix(ATTRIBUTE_PREFIX): value
        for key, value in responses.items()
        if key.startswith(ATTRIBUTE_PREFIX)
    }
    pool_schema = _schema(ctx)
    required_names = schema.required_names(pool_schema)
    for name in given:
        if name in required_names and user.attributes.get(name):
            raise NotAuthorizedException(messages.already_provided(name))
    checked: dict[str, str] = {}
    if given:
        context = "admin_update" if ctx.admin else "user_update"
        write = None if ctx.admin else ctx.client.config.get("WriteAttributes")
        checked = validate_attributes(ctx.pool, given, context=context, write_attributes=write)
    merged = dict(user.attributes)
    for name, value in checked.items():
        if name in VERIFIABLE and merged.get(name) != value and f"{name}_verified" not in checked:
            merged[f"{name}_verified"] = "false"
        merged[name] = value
    missing = missing_required(pool_schema, merged)
    if missing:
        raise InvalidParameterException(messages.attributes_missing(missing))
    return merged


def _schema(ctx: StepContext) -> list[Mapping[str, Any]]:
    return list(ctx.pool.config.get("SchemaAttributes") or schema.default_schema())


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


CHALLENGE: Final = ChallengeType(NewPasswordRequired(), issue=issue)
