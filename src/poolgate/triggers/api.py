"""What the core calls at each trigger point, and the values the triggers return.

Every method is a no-op (returning its neutral value) when the pool's LambdaConfig does not
configure that trigger. Methods raise ``UserLambdaValidationException`` (the function threw),
``InvalidLambdaResponseException`` (unusable response) or ``UnexpectedLambdaException``
(unreachable, timed out after Cognito's attempts).

**Never call a trigger inside a write transaction**: a trigger may take seconds, and on SQLite
a write transaction holds the database's write lock. Read what the event needs in a read-only
transaction, invoke the trigger, then write in a new transaction (re-checking what may have
changed). ClientMetadata is passed through, never stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from poolgate.pools.model import UserPool
from poolgate.users.model import Group, User

# callerContext.clientId for operations that have no app client [spec triggers.md §3].
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"


@dataclass(frozen=True, slots=True)
class Caller:
    """``callerContext``: the app client (or NO_CLIENT) and the caller's SDK identifier."""

    client_id: str = NO_CLIENT
    sdk: str = "aws-sdk-unknown-unknown"


@dataclass(frozen=True, slots=True)
class PreSignUpResult:
    auto_confirm: bool = False
    auto_verify_email: bool = False
    auto_verify_phone: bool = False


@dataclass(frozen=True, slots=True)
class ChallengeResult:
    """One entry of the CUSTOM_AUTH ``session`` array."""

    challenge_name: str
    challenge_result: bool
    challenge_metadata: str | None = None


@dataclass(frozen=True, slots=True)
class DefineResult:
    challenge_name: str | None = None
    issue_tokens: bool = False
    fail_authentication: bool = False


@dataclass(frozen=True, slots=True)
class CreateResult:
    public_parameters: Mapping[str, str] = field(default_factory=dict)
    private_parameters: Mapping[str, str] = field(default_factory=dict)
    challenge_metadata: str | None = None


@dataclass(frozen=True, slots=True)
class GroupOverride:
    groups: Sequence[str] = ()
    iam_roles: Sequence[str] = ()
    preferred_role: str | None = None


@dataclass(frozen=True, slots=True)
class TokenOverrides:
    """What PreTokenGeneration asks to change (V1 fills only the ID-token members and groups)."""

    id_claims_add: Mapping[str, Any] = field(default_factory=dict)
    id_claims_suppress: Sequence[str] = ()
    access_claims_add: Mapping[str, Any] = field(default_factory=dict)
    access_claims_suppress: Sequence[str] = ()
    scopes_add: Sequence[str] = ()
    scopes_suppress: Sequence[str] = ()
    groups: GroupOverride | None = None  # None: keep the user's groups


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """A UserMigration response that creates a user."""

    attributes: Mapping[str, str]
    final_status: str = "RESET_REQUIRED"
    message_action: str | None = None
    desired_delivery_mediums: Sequence[str] = ("SMS",)
    force_alias_creation: bool = False
    enable_sms_mfa: bool = False


@dataclass(frozen=True, slots=True)
class MessageOverride:
    """A CustomMessage response; None members keep the pool's template."""

    sms_message: str | None = None
    email_message: str | None = None
    email_subject: str | None = None


class Triggers(Protocol):
    """The trigger points. ``source`` is the triggerSource suffix (e.g. ``"SignUp"`` for
    ``PreSignUp_SignUp``); the runner adds the trigger name."""

    def configured(self, pool: UserPool, trigger: str) -> bool:
        """True if LambdaConfig names a function for ``trigger`` (e.g. ``"DefineAuthChallenge"``)."""

    def pre_sign_up(
        self,
        pool: UserPool,
        *,
        source: str,
        username: str,
        attributes: Mapping[str, str],
        validation_data: Mapping[str, str] | None,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> PreSignUpResult: ...

    def post_confirmation(
        self,
        pool: UserPool,
        *,
        source: str,
        user: User,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> None: ...

    def pre_authentication(
        self,
        pool: UserPool,
        *,
        username: str,
        user: User | None,
        validation_data: Mapping[str, str] | None,
        user_not_found: bool,
        caller: Caller,
    ) -> None: ...

    def post_authentication(
        self,
        pool: UserPool,
        *,
        user: User,
        new_device_used: bool | None,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> None: ...

    def define_auth_challenge(
        self,
        pool: UserPool,
        *,
        username: str,
        user: User | None,
        session: Sequence[ChallengeResult],
        client_metadata: Mapping[str, str] | None,
        user_not_found: bool,
        caller: Caller,
    ) -> DefineResult: ...

    def create_auth_challenge(
        self,
        pool: UserPool,
        *,
        username: str,
        user: User | None,
        challenge_name: str,
        session: Sequence[ChallengeResult],
        client_metadata: Mapping[str, str] | None,
        user_not_found: bool,
        caller: Caller,
    ) -> CreateResult: ...

    def verify_auth_challenge(
        self,
        pool: UserPool,
        *,
        username: str,
        user: User | None,
        private_parameters: Mapping[str, str],
        answer: str,
        client_metadata: Mapping[str, str] | None,
        user_not_found: bool,
        caller: Caller,
    ) -> bool: ...

    def pre_token_generation(
        self,
        pool: UserPool,
        *,
        source: str,
        user: User,
        groups: Sequence[Group],
        scopes: Sequence[str],
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> TokenOverrides | None: ...

    def user_migration(
        self,
        pool: UserPool,
        *,
        source: str,
        username: str,
        password: str | None,
        validation_data: Mapping[str, str] | None,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> MigrationResult | None:
        """None when the function found no such user (empty response)."""

    def custom_message(
        self,
        pool: UserPool,
        *,
        source: str,
        user: User,
        code_parameter: str,
        username_parameter: str | None,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> MessageOverride | None: ...


class NoTriggers:
    """A :class:`Triggers` for pools without LambdaConfig, and for unit tests."""

    def configured(self, pool: UserPool, trigger: str) -> bool:
        return False

    def pre_sign_up(self, pool: UserPool, **_: Any) -> PreSignUpResult:
        return PreSignUpResult()

    def post_confirmation(self, pool: UserPool, **_: Any) -> None:
        return None

    def pre_authentication(self, pool: UserPool, **_: Any) -> None:
        return None

    def post_authentication(self, pool: UserPool, **_: Any) -> None:
        return None

    def define_auth_challenge(self, pool: UserPool, **_: Any) -> DefineResult:
        return DefineResult(fail_authentication=True)

    def create_auth_challenge(self, pool: UserPool, **_: Any) -> CreateResult:
        return CreateResult()

    def verify_auth_challenge(self, pool: UserPool, **_: Any) -> bool:
        return False

    def pre_token_generation(self, pool: UserPool, **_: Any) -> TokenOverrides | None:
        return None

    def user_migration(self, pool: UserPool, **_: Any) -> MigrationResult | None:
        return None

    def custom_message(self, pool: UserPool, **_: Any) -> MessageOverride | None:
        return None


def sdk_from_user_agent(user_agent: str | None) -> str:
    """``callerContext.awsSdkVersion`` from a request's User-Agent [spec triggers.md §3 decision]:
    ``Boto3/1.44.8 ...`` → ``boto3-1.44.8``; ``aws-sdk-js/3.1 ...`` → ``aws-sdk-js-3.1``."""
    if not user_agent:
        return "aws-sdk-unknown-unknown"
    first = user_agent.split()[0]
    name, _, version = first.partition("/")
    if not version:
        return "aws-sdk-unknown-unknown"
    return f"{name.lower()}-{version}"
