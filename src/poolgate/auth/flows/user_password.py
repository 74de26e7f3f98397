"""USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and its legacy name ADMIN_NO_SRP_AUTH
(auth-flows.md section 4.2): the plain password is checked against the stored SRP verifier.

Order: USERNAME, PASSWORD -> SECRET_HASH -> user lookup (alias, case folding) -> lockout and
account checks -> password -> account checks that wait for the password -> pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from poolgate.auth.context import StepContext, required
from poolgate.auth.existence import unknown_user_error
from poolgate.auth.first_factor import password_step
from poolgate.auth.state import AuthFlow, ChallengeName, Outcome
from poolgate.pools.secret_hash import check_secret_hash
from poolgate.srp import ProofMismatch, check_password, pool_name_from_pool_id
from poolgate.users.lookup import find_user


class _PasswordFlow:
    """The shared body of the plain-password flows."""

    flows: ClassVar[tuple[AuthFlow, ...]] = ()

    def start(self, ctx: StepContext, flow: AuthFlow, parameters: Mapping[str, str]) -> Outcome:
        username = required(parameters, "USERNAME")
        password = required(parameters, "PASSWORD")
        check_secret_hash(ctx.client, username, parameters.get("SECRET_HASH"))
        user = find_user(ctx.uow, ctx.pool, username)
        if user is None:
            # Trigger point: UserMigration (UserMigration_Authentication, with the password).
            ctx.simulator.burn_password_check(ctx.pool, username, password)
            raise unknown_user_error(ctx.client)
        # Trigger point: PreAuthentication (validationData = ClientMetadata).
        pool_name = pool_name_from_pool_id(ctx.pool.id)
        verifier = user.password

        def verify() -> None:
            if verifier is None:
                raise ProofMismatch("the user has no password")
            check_password(pool_name, user.username, password, verifier.salt, verifier.verifier)

        session = ctx.session_for(flow, user, parameters.get("DEVICE_KEY"))
        return password_step(ctx, user, session, ChallengeName.PASSWORD, verify)


class UserPasswordAuth(_PasswordFlow):
    """USER_PASSWORD_AUTH, for InitiateAuth."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.USER_PASSWORD_AUTH,)


class AdminUserPasswordAuth(_PasswordFlow):
    """ADMIN_USER_PASSWORD_AUTH and ADMIN_NO_SRP_AUTH, for AdminInitiateAuth."""

    flows: ClassVar[tuple[AuthFlow, ...]] = (AuthFlow.ADMIN_USER_PASSWORD_AUTH, AuthFlow.ADMIN_NO_SRP_AUTH)
