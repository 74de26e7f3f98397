"""What the user services share: their dependencies, the trigger inputs of a call, password
setting, uniqueness checks and code delivery."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from poolgate.clock import Clock
from poolgate.delivery import Message, TransactionalSender
from poolgate.errors import (
    AliasExistsException,
    LimitExceededException,
    PasswordHistoryPolicyViolationException,
    UsernameExistsException,
    UserNotFoundException,
)
from poolgate.mfa.model import EMAIL_OTP, SMS_MFA, enabled_factors
from poolgate.passwords import check_password
from poolgate.pools.model import AppClient, UserPool
from poolgate.srp import ProofMismatch, make_verifier, pool_name_from_pool_id
from poolgate.srp import check_password as srp_check_password
from poolgate.store.base import DuplicateError, Store, UnitOfWork
from poolgate.triggers.api import Caller, NoTriggers, Triggers
from poolgate.users import attributes, codes, rules, simulated
from poolgate.users.attributes import username_keys
from poolgate.users.messages import Draft
from poolgate.users.model import PasswordVerifier, User
from poolgate.users.simulated import Simulation
from poolgate.users.views import code_delivery

# Attributes that carry a ``<name>_verified`` flag and can receive codes.
VERIFIABLE = ("email", "phone_number")


class PasswordScreen(Protocol):
    """Compromised-credential screening (``poolgate.security``): raises
    InvalidPasswordException when ``password`` must be refused for ``event`` (SIGN_UP or
    PASSWORD_CHANGE) in this pool and client; returns whether it was found breached."""

    def __call__(
        self, uow: UnitOfWork, pool: UserPool, client_id: str | None, password: str, event: str
    ) -> bool: ...


def no_screen(uow: UnitOfWork, pool: UserPool, client_id: str | None, password: str, event: str) -> bool:
    """The screen of a server without threat protection: nothing is refused."""
    return False


class SignUpHook(Protocol):
    """Threat protection's view of a completed SignUp (``ThreatProtection.after_sign_up``):
    records the SignUp auth event and the sign-up analytics event. Must not raise, and must do
    no I/O for a pool and client that ask for neither."""

    def __call__(
        self,
        pool: UserPool,
        client: AppClient,
        user: User,
        request: Mapping[str, Any],
        *,
        source_ip: str | None,
        user_agent: str | None,
        compromised: bool,
    ) -> None: ...


def no_sign_up_hook(
    pool: UserPool,
    client: AppClient,
    user: User,
    request: Mapping[str, Any],
    *,
    source_ip: str | None,
    user_agent: str | None,
    compromised: bool,
) -> None:
    """The sign-up hook of a server without threat protection."""


@dataclass(frozen=True, slots=True)
class UserDeps:
    """The collaborators of the user services."""

    store: Store
    clock: Clock
    hasher: codes.CodeHasher
    sender: TransactionalSender
    triggers: Triggers = field(default_factory=NoTriggers)
    screen: PasswordScreen = no_screen
    on_sign_up: SignUpHook = no_sign_up_hook
    # Stand-in answers for unknown names (PreventUserExistenceErrors); the server derives its
    # key from the master key so that they are stable across processes and restarts.
    simulation: Simulation = field(default_factory=lambda: Simulation(secrets.token_bytes(32)))


@dataclass(frozen=True, slots=True)
class TriggerContext:
    """What one API call hands to the triggers it runs: ``callerContext`` and the request's
    ClientMetadata and ValidationData (passed through, never stored). Each service picks
    the parts the spec routes to each trigger (spec triggers.md §5)."""

    caller: Caller = field(default_factory=Caller)
    client_metadata: Mapping[str, str] | None = None
    validation_data: Mapping[str, str] | None = None
    # The connection (threat protection records it with a SignUp event).
    source_ip: str | None = field(default=None, compare=False)
    user_agent: str | None = field(default=None, compare=False)

    def for_client(self, client_id: str | None) -> Caller:
        """``caller`` naming ``client_id`` (an access token's client, say) when it is known."""
        return replace(self.caller, client_id=client_id) if client_id else self.caller


@dataclass(slots=True)
class Outgoing:
    """Messages recorded in the outbox during a transaction, to deliver after it commits."""

    messages: list[Message] = field(default_factory=list)

    def deliver(self, sender: TransactionalSender) -> None:
        for message in self.messages:
            sender.deliver(message)


def new_sub() -> str:
    return str(uuid.uuid4())


def password_policy(pool: UserPool) -> Mapping[str, Any]:
    policies: Mapping[str, Any] = pool.config.get("Policies") or {}
    return policies.get("PasswordPolicy") or {}


def make_password(pool: UserPool, user_id_for_srp: str, password: str, *, operation: str) -> PasswordVerifier:
    """Check ``password`` against the pool's policy and return its SRP verifier."""
    check_password(password_policy(pool), password, operation=operation)
    salt, verifier = make_verifier(pool_name_from_pool_id(pool.id), user_id_for_srp, password)
    return PasswordVerifier(salt, verifier)


def with_new_password(
    pool: UserPool,
    user: User,
    password: str,
    *,
    operation: str,
    now: float,
    status: Any,
    history: bool = True,
) -> User:
    """``user`` with ``password`` set (policy, history and verifier) and the given status."""
    verifier = make_password(pool, user.username, password, operation=operation)
    size = int(password_policy(pool).get("PasswordHistorySize") or 0)
    previous = ((user.password,) if user.password else ()) + user.password_history
    if history and size:
        for old in previous[:size]:
            try:
                srp_check_password(
                    pool_name_from_pool_id(pool.id), user.username, password, old.salt, old.verifier
                )
            except ProofMismatch:
                continue
            raise PasswordHistoryPolicyViolationException(rules.PASSWORD_HISTORY_MESSAGE)
    return replace(
        user,
        password=verifier,
        password_set_at=now,
        password_history=previous[: max(size - 1, 0)] if size else (),
        status=status,
        updated_at=now,
    )


def store_new_user(uow: UnitOfWork, pool: UserPool, user: User, *, admin: bool) -> None:
    """Insert a user; UsernameExistsException / AliasExistsException on a taken key."""
    try:
        uow.users.add(user, username_keys(pool, user.username, user.attributes))
    except DuplicateError as exc:
        raise duplicate_error(exc.kind, admin=admin, sign_in=pool.username_attributes) from None


def save_user(uow: UnitOfWork, pool: UserPool, user: User) -> None:
    """Update a user and its lookup keys; AliasExistsException if an alias is taken."""
    try:
        uow.users.update(user, username_keys(pool, user.username, user.attributes))
    except DuplicateError as exc:
        raise duplicate_error(exc.kind, admin=True) from None


def duplicate_error(kind: str | None, *, admin: bool, sign_in: Collection[str] = ()) -> Exception:
    """The error for a new or changed user whose key of ``kind`` another user holds.

    ``sign_in`` is the pool's UsernameAttributes when a user is being created: there an
    e-mail or phone number is the name the user signs in with, so AdminCreateUser answers
    UsernameExistsException as SignUp does (boto/boto3#3213: "the exception cast is
    UsernameExistsException ... the message properly states the conflict is on email"; moto's
    test_admin_create_user_with_existing_username_attribute_fails). An alias taken by an
    administrator's create (AliasAttributes pools) or by an update is AliasExistsException.
    """
    if kind in (None, "username"):
        return UsernameExistsException(
            rules.USER_EXISTS_ADMIN_MESSAGE if admin else rules.USER_EXISTS_SIGN_UP_MESSAGE
        )
    if kind in ("email", "phone_number") and (not admin or kind in sign_in):
        return UsernameExistsException(rules.account_exists_message(kind))
    return AliasExistsException(rules.account_exists_message(kind))


def check_free(
    uow: UnitOfWork,
    pool: UserPool,
    username: str,
    attrs: Mapping[str, str],
    *,
    admin: bool,
    movable: Collection[str] = (),
) -> None:
    """Raise what :func:`store_new_user` would raise if a user with these keys were added
    now, so that a doomed call fails before its triggers run. Keys of the kinds in
    ``movable`` (aliases that ForceAliasCreation will take over) are not checked. The
    database checks again when the write phase inserts the user."""
    for kind, key in username_keys(pool, username, attrs):
        if kind not in movable and uow.users.find(pool.id, kind, key) is not None:
            raise duplicate_error(kind, admin=admin, sign_in=pool.username_attributes)


def reload_user(uow: UnitOfWork, pool: UserPool, user: User) -> User:
    """The stored version of ``user`` at the start of a write phase; UserNotFoundException
    if it was deleted since the read phase."""
    fresh = uow.users.get(pool.id, user.sub)
    if fresh is None:
        raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
    return fresh


def send_code(
    deps: UserDeps,
    uow: UnitOfWork,
    outgoing: Outgoing,
    pool: UserPool,
    user: User,
    draft: Draft,
    *,
    purpose: str,
    ttl: float,
) -> dict[str, str]:
    """Issue a code for ``purpose``, fill it into ``draft`` and record the message in the
    outbox (delivered by ``outgoing`` after the commit); return the CodeDeliveryDetails."""
    now = deps.clock.now()
    code = codes.issue(uow, deps.hasher, pool_id=pool.id, sub=user.sub, purpose=purpose, now=now, ttl=ttl)
    message = Message(
        user_pool_id=pool.id,
        username=user.username,
        channel=draft.channel,
        destination=draft.destination,
        purpose=purpose,
        subject=draft.rendered_subject(code=code, username=user.username),
        body=draft.render(code=code, username=user.username),
        code=code,
        expires_at=now + ttl,
    )
    deps.sender.send_in(uow, message)
    outgoing.messages.append(message)
    return code_delivery(draft.channel, draft.destination, draft.attribute)


# AccountRecoverySetting mechanism names and the attribute each sends codes to.
ADMIN_ONLY = "admin_only"
RECOVERY_MECHANISMS = {"verified_email": "email", "verified_phone_number": "phone_number"}
LEGACY_RECOVERY_ORDER = ("phone_number", "email")


def admin_only_recovery(pool: UserPool) -> bool:
    """True when the pool's AccountRecoverySetting is ``admin_only``: users cannot reset their
    own password (ForgotPassword is refused)."""
    recovery: Mapping[str, Any] = pool.config.get("AccountRecoverySetting") or {}
    return any(m.get("Name") == ADMIN_ONLY for m in recovery.get("RecoveryMechanisms") or ())


def recovery_attributes(pool: UserPool) -> list[str]:
    """The attributes a reset code may go to, most preferred first: the pool's
    ``verified_email`` / ``verified_phone_number`` mechanisms by ``Priority`` (1 first), or the
    legacy order without a setting (phone before e-mail) [API reference,
    AccountRecoverySettingType / RecoveryOptionType]."""
    recovery: Mapping[str, Any] = pool.config.get("AccountRecoverySetting") or {}
    mechanisms = sorted(recovery.get("RecoveryMechanisms") or [], key=lambda m: m.get("Priority", 0))
    order = [RECOVERY_MECHANISMS[m["Name"]] for m in mechanisms if m.get("Name") in RECOVERY_MECHANISMS]
    return order or list(LEGACY_RECOVERY_ORDER)


# The MFA factor that disqualifies each recovery attribute.
_RECOVERY_MFA = {"phone_number": SMS_MFA, "email": EMAIL_OTP}


def mfa_channels(pool: UserPool, user: User) -> frozenset[str]:
    """The recovery attributes ``user`` may not reset a password by, under the pool's
    AccountRecoverySetting: the phone number while SMS MFA is on, the e-mail address while
    e-mail MFA is on, so one stolen channel is not both factors and the way around them
    [API reference, AccountRecoverySettingType: "SMS doesn't qualify for a valid password
    recovery mechanism if the user also has SMS multi-factor authentication (MFA) activated.
    Email MFA is also disqualifying for account recovery with email."]. The legacy behaviour
    (no setting) excludes nothing."""
    recovery: Mapping[str, Any] = pool.config.get("AccountRecoverySetting") or {}
    if not recovery.get("RecoveryMechanisms"):
        return frozenset()
    enabled = enabled_factors(user)
    return frozenset(attribute for attribute, factor in _RECOVERY_MFA.items() if factor in enabled)


def verified_contact(pool: UserPool, user: User, *, verified_only: bool = True) -> str | None:
    """The attribute a recovery or verification code goes to: the first of
    :func:`recovery_attributes` that the user has (and has verified); a mechanism the user
    cannot receive is skipped for the next, and so is one the user signs in with as a second
    factor (:func:`mfa_channels`)."""
    excluded = mfa_channels(pool, user)
    for attribute in recovery_attributes(pool):
        if attribute in excluded:
            continue
        if user.attributes.get(attribute) and (
            not verified_only or user.attributes.get(f"{attribute}_verified") == "true"
        ):
            return attribute
    return None


def release_aliases(
    uow: UnitOfWork, pool: UserPool, user: User, kinds: Collection[str] | None = None
) -> None:
    """ForceAliasCreation (and PreSignUp's auto-verification): an alias the new user claims
    moves from its current holder, whose attribute stays but becomes unverified. ``kinds``
    limits the move to those alias kinds (None: every key but the username)."""
    for kind, key in attributes.username_keys(pool, user.username, user.attributes)[1:]:
        if kinds is not None and kind not in kinds:
            continue
        holder = uow.users.find(pool.id, kind, key)
        if holder is None or holder.sub == user.sub:
            continue
        attrs = dict(holder.attributes)
        if kind in VERIFIABLE:
            attrs[f"{kind}_verified"] = "false"
        else:
            attrs.pop(kind, None)
        save_user(uow, pool, replace(holder, attributes=attrs))


# The rows a simulated delivery writes in place of the code and the message (see
# :func:`stand_in_delivery`).
STAND_IN_SCOPE = "simulated-deliveries"


def stand_in_delivery(
    deps: UserDeps,
    pool: UserPool,
    username: str,
    *,
    checks: Callable[[UnitOfWork], None],
    purpose: str,
    ttl: float,
    channel: str,
    forgot_password: bool = False,
) -> None:
    """The write phase of a simulated delivery (PreventUserExistenceErrors): ``checks`` (the
    client and the request limit under the name's key), then the work a real delivery does in
    its transaction (:func:`send_code`) without a user or a message: the user read again by
    ``sub`` (the stand-in's finds nobody), a code drawn and hashed, the pool's message text
    rendered, and two rows written where a real delivery writes the code and the outbox
    message (counters under the name's key, kept as long as the code would be), so that both
    answers take the same time (docs/security.md, item 4). Nothing is sent."""
    with deps.store.transaction() as uow:
        checks(uow)
        if uow.users.get(pool.id, deps.simulation.sub(pool, username)) is None:
            deps.simulation.read_user()
        code = codes.new_code()
        deps.hasher(pool.id, "", purpose, code)
        template = rules.verification_template(pool, channel, forgot_password=forgot_password)
        rules.render_template(template.body, code=code, username=username)
        key = deps.simulation.counter_key(pool, username, purpose)
        # Two clock reads, like the code and the outbox row (the testing clock reads the database).
        for row in ("code", "message"):
            uow.counters.increment(STAND_IN_SCOPE, f"{key}/{row}", now=deps.clock.now(), window=ttl)


def limit_code_requests(
    deps: UserDeps, uow: UnitOfWork, pool: UserPool, user: User, *, counting: bool
) -> None:
    """LimitExceededException once the user asked for too many codes in the window.

    A read phase passes ``counting=False`` and only looks at the counter; the write phase
    counts the request."""
    limit_requests(deps, uow, f"{pool.id}/{user.sub}", counting=counting)


def limit_requests(deps: UserDeps, uow: UnitOfWork, key: str, *, counting: bool) -> None:
    """:func:`limit_code_requests` for any counter ``key`` (a user's, or the key of a name that
    is no user, ``Simulation.counter_key``)."""
    now = deps.clock.now()
    if counting:
        count = uow.counters.increment(simulated.REQUESTS_SCOPE, key, now=now, window=rules.RESEND_WINDOW)
    else:
        count = uow.counters.get(simulated.REQUESTS_SCOPE, key, now=now) + 1
    if count > rules.RESEND_LIMIT:
        raise LimitExceededException(rules.ATTEMPT_LIMIT_MESSAGE)
