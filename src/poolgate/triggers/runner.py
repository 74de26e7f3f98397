"""The trigger runner: the :class:`~poolgate.triggers.api.Triggers` the core calls.

For each trigger point the runner looks up the pool's LambdaConfig, builds the event
(``events``), invokes the function through a :class:`LambdaInvoker`, reads the returned
event's ``response`` (``responses``) and maps every failure to Cognito's trigger errors
[spec triggers.md §2]:

- the function threw → ``UserLambdaValidationException`` ``<Trigger> failed with error <msg>.``
  (never retried: a function that rejects once would reject again);
- timeout, throttling, 5xx or connection error → retried, up to ``attempts`` calls in all;
  then ``UnexpectedLambdaException`` ``<Trigger> invocation failed due to error <detail>.``
  (``Socket timeout while invoking Lambda function`` for a timeout);
- the Lambda service refused the call (function missing, access denied) →
  ``UnexpectedLambdaException`` at once, the detail being Lambda's error code;
- output that is not a JSON object, or a ``response`` of the wrong shape →
  ``InvalidLambdaResponseException`` ``Invalid lambda function output : Invalid JSON``.

Triggers that are not configured return the neutral values of
:class:`~poolgate.triggers.api.NoTriggers`. The custom SMS and e-mail sender triggers
(``CustomSMSSender``, ``CustomEmailSender``) are out of scope: Poolgate never invokes them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from poolgate import metrics
from poolgate.errors import (
    CognitoError,
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from poolgate.pools.model import UserPool
from poolgate.triggers import events, responses
from poolgate.triggers.api import (
    Caller,
    ChallengeResult,
    CreateResult,
    DefineResult,
    MessageOverride,
    MigrationResult,
    NoTriggers,
    PreSignUpResult,
    TokenOverrides,
)
from poolgate.triggers.invokers import (
    FunctionError,
    LambdaInvoker,
    ResponseError,
    TransientError,
    UnavailableError,
    function_name,
)
from poolgate.users.model import Group, User

log = logging.getLogger("poolgate.triggers")


@dataclass(frozen=True, slots=True)
class LambdaTarget:
    """The function a pool configures for one trigger, and (pre token generation) its event version."""

    arn: str
    version: str = "V1_0"


def lambda_target(pool: UserPool, trigger: str) -> LambdaTarget | None:
    """The function LambdaConfig names for ``trigger`` (a LambdaConfig key), or None.

    PreTokenGeneration comes from ``PreTokenGenerationConfig`` when set, else from the legacy
    ``PreTokenGeneration`` key (a V1_0 event) [spec §1].
    """
    config = pool.config.get("LambdaConfig") or {}
    if trigger == events.PRE_TOKEN_GENERATION:
        versioned = config.get("PreTokenGenerationConfig")
        if isinstance(versioned, Mapping) and versioned.get("LambdaArn"):
            return LambdaTarget(str(versioned["LambdaArn"]), str(versioned.get("LambdaVersion") or "V1_0"))
    arn = config.get(trigger)
    if trigger not in events.SOURCES or not isinstance(arn, str) or not arn:
        return None
    return LambdaTarget(arn)


class TriggerRunner:
    """Runs a pool's trigger functions through ``invoker``.

    ``timeout`` is each attempt's deadline in seconds and ``attempts`` the number of calls
    made before a timeout-like failure is reported (Cognito: 5 seconds, three attempts).
    ``region`` goes into events of pools whose id carries no region prefix.
    """

    def __init__(
        self, invoker: LambdaInvoker, *, region: str = "us-east-1", timeout: float = 5.0, attempts: int = 3
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.invoker = invoker
        self.region = region
        self.timeout = timeout
        self.attempts = attempts
        self._neutral = NoTriggers()

    def close(self) -> None:
        """Close the invoker (its clients and threads)."""
        self.invoker.close()

    def configured(self, pool: UserPool, trigger: str) -> bool:
        return lambda_target(pool, trigger) is not None

    def run(self, pool: UserPool, trigger: str, arn: str, event: Mapping[str, Any]) -> Any:
        """Invoke ``arn`` with ``event`` and return the function's parsed output (any JSON
        value); raises the trigger errors described in the module docstring."""
        started = time.perf_counter()
        label = metrics.closed(trigger, events.SOURCES.keys())
        try:
            return self._run(pool, trigger, arn, event)
        except CognitoError as exc:
            metrics.TRIGGER_FAILURES.labels(label, metrics.error_code(exc)).inc()
            raise
        finally:
            metrics.TRIGGER_SECONDS.labels(label).observe(time.perf_counter() - started)

    def _run(self, pool: UserPool, trigger: str, arn: str, event: Mapping[str, Any]) -> Any:
        function = function_name(arn)
        payload = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        failure: TransientError | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                raw = self.invoker.invoke(function, payload, self.timeout)
            except FunctionError as exc:
                log.info("%s (%s) of pool %s threw: %s", trigger, function, pool.id, exc.detail)
                raise UserLambdaValidationException(f"{trigger} failed with error {exc.detail}.") from None
            except TransientError as exc:
                log.warning(
                    "%s (%s) of pool %s, attempt %d of %d: %s",
                    trigger,
                    function,
                    pool.id,
                    attempt,
                    self.attempts,
                    exc.detail,
                )
                failure = exc
                continue
            except UnavailableError as exc:
                log.warning(
                    "%s (%s) of pool %s could not be invoked: %s", trigger, function, pool.id, exc.detail
                )
                raise UnexpectedLambdaException(
                    f"{trigger} invocation failed due to error {exc.detail}."
                ) from None
            except ResponseError as exc:
                log.warning(
                    "%s (%s) of pool %s returned unusable output: %s", trigger, function, pool.id, exc.detail
                )
                raise InvalidLambdaResponseException(responses.INVALID_JSON) from None
            return responses.load_output(raw)
        assert failure is not None
        raise UnexpectedLambdaException(f"{trigger} invocation failed due to error {failure.detail}.")

    def _response(
        self, pool: UserPool, trigger: str, arn: str, event: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        return responses.read_response(self.run(pool, trigger, arn, event))

    # The trigger points, in the order of triggers.api.Triggers.

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
    ) -> PreSignUpResult:
        target = lambda_target(pool, events.PRE_SIGN_UP)
        if target is None:
            return self._neutral.pre_sign_up(pool)
        event = events.pre_sign_up(
            pool,
            region=self.region,
            source=source,
            username=username,
            attributes=attributes,
            validation_data=validation_data,
            client_metadata=client_metadata,
            caller=caller,
        )
        result = responses.parse_pre_sign_up(self._response(pool, events.PRE_SIGN_UP, target.arn, event))
        # AdminCreateUser ignores all three flags [spec §6.1].
        return PreSignUpResult() if source == "AdminCreateUser" else result

    def post_confirmation(
        self,
        pool: UserPool,
        *,
        source: str,
        user: User,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> None:
        target = lambda_target(pool, events.POST_CONFIRMATION)
        if target is None:
            return
        event = events.post_confirmation(
            pool, region=self.region, source=source, user=user, client_metadata=client_metadata, caller=caller
        )
        self._response(pool, events.POST_CONFIRMATION, target.arn, event)

    def pre_authentication(
        self,
        pool: UserPool,
        *,
        username: str,
        user: User | None,
        validation_data: Mapping[str, str] | None,
        user_not_found: bool,
        caller: Caller,
    ) -> None:
        target = lambda_target(pool, events.PRE_AUTHENTICATION)
        if target is None:
            return
        event = events.pre_authentication(
            pool,
            region=self.region,
            username=username,
            user=user,
            validation_data=validation_data,
            user_not_found=user_not_found,
            caller=caller,
        )
        self._response(pool, events.PRE_AUTHENTICATION, target.arn, event)

    def post_authentication(
        self,
        pool: UserPool,
        *,
        user: User,
        new_device_used: bool | None,
        client_metadata: Mapping[str, str] | None,
        caller: Caller,
    ) -> None:
        target = lambda_target(pool, events.POST_AUTHENTICATION)
        if target is None:
            return
        event = events.post_authentication(
            pool,
            region=self.region,
            user=user,
            new_device_used=new_device_used,
            client_metadata=client_metadata,
            caller=caller,
        )
        self._response(pool, events.POST_AUTHENTICATION, target.arn, event)

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
    ) -> DefineResult:
        target = lambda_target(pool, events.DEFINE_AUTH_CHALLENGE)
        if target is None:
            return self._neutral.define_auth_challenge(pool)
        event = events.define_auth_challenge(
            pool,
            region=self.region,
            username=username,
            user=user,
            session=session,
            client_metadata=client_metadata,
            user_not_found=user_not_found,
            caller=caller,
        )
        return responses.parse_define(self._response(pool, events.DEFINE_AUTH_CHALLENGE, target.arn, event))

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
    ) -> CreateResult:
        target = lambda_target(pool, events.CREATE_AUTH_CHALLENGE)
        if target is None:
            return self._neutral.create_auth_challenge(pool)
        event = events.create_auth_challenge(
            pool,
            region=self.region,
            username=username,
            user=user,
            challenge_name=challenge_name,
            session=session,
            client_metadata=client_metadata,
            user_not_found=user_not_found,
            caller=caller,
        )
        return responses.parse_create(self._response(pool, events.CREATE_AUTH_CHALLENGE, target.arn, event))

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
    ) -> bool:
        target = lambda_target(pool, events.VERIFY_AUTH_CHALLENGE)
        if target is None:
            return self._neutral.verify_auth_challenge(pool)
        event = events.verify_auth_challenge(
            pool,
            region=self.region,
            username=username,
            user=user,
            private_parameters=private_parameters,
            answer=answer,
            client_metadata=client_metadata,
            user_not_found=user_not_found,
            caller=caller,
        )
        return responses.parse_verify(self._response(pool, events.VERIFY_AUTH_CHALLENGE, target.arn, event))

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
    ) -> TokenOverrides | None:
        target = lambda_target(pool, events.PRE_TOKEN_GENERATION)
        if target is None:
            return None
        event = events.pre_token_generation(
            pool,
            region=self.region,
            lambda_version=target.version,
            source=source,
            user=user,
            groups=groups,
            scopes=scopes,
            client_metadata=client_metadata,
            caller=caller,
        )
        response = self._response(pool, events.PRE_TOKEN_GENERATION, target.arn, event)
        if target.version == "V1_0":
            return responses.parse_pre_token_v1(response)
        return responses.parse_pre_token_v2(response)

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
        target = lambda_target(pool, events.USER_MIGRATION)
        if target is None:
            return None
        event = events.user_migration(
            pool,
            region=self.region,
            source=source,
            username=username,
            password=password,
            validation_data=validation_data,
            client_metadata=client_metadata,
            caller=caller,
        )
        output = self.run(pool, events.USER_MIGRATION, target.arn, event)
        return responses.parse_migration(output, caller.client_id)

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
    ) -> MessageOverride | None:
        target = lambda_target(pool, events.CUSTOM_MESSAGE)
        if target is None:
            return None
        event = events.custom_message(
            pool,
            region=self.region,
            source=source,
            user=user,
            code_parameter=code_parameter,
            username_parameter=username_parameter,
            client_metadata=client_metadata,
            caller=caller,
        )
        return responses.parse_custom_message(self._response(pool, events.CUSTOM_MESSAGE, target.arn, event))
