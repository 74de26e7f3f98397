"""Per-process request budgets for the public (unauthenticated) operations, and the budget of
failed sign-ins per client IP.

A flood of SRP first steps, password attempts or sign-ups costs CPU (SRP and password
hashing) and database work, and AWS answers it with ``TooManyRequestsException`` ``Rate
exceeded`` (the message amplify-js issue 3554 shows for a throttled InitiateAuth). Everything
here is a token bucket in memory, in each process: the limits are approximate (N processes
allow up to N times the rate) and nothing is written to the database for a request that has
not authenticated.

- **Requests** (``POOLGATE_RATE_LIMIT_PER_IP``, ``POOLGATE_RATE_LIMIT_PER_POOL``): one bucket
  per client IP and one per user pool for ``RATE_LIMITED_OPERATIONS``, requests per second
  with a burst of one second's worth; 0 turns a limit off. The defaults are far above what one
  process can serve, so only floods from one address or at one pool trip them.
- **Failed sign-ins** (``POOLGATE_FAILED_SIGNIN_RATE_PER_IP``, default 10 per second, and
  ``POOLGATE_FAILED_SIGNIN_BURST_PER_IP``, default 20; :class:`FailedSignIns`): a guess that
  failed (:func:`is_failed_guess`: a wrong password or SRP proof, an unknown user, an attempt
  refused by the lockout, a wrong code) in ``GUESSING_OPERATIONS`` takes a token from the
  client IP's bucket; once it is empty, every sign-in step and code confirmation from that
  address is answered ``TooManyRequestsException`` before any work, until it refills.
  Successful steps take nothing, so bulk sign-ins with the right passwords are never slowed.
  The address is the one ``client_ip.ClientAddress`` resolves (trusted proxies); for the
  IAM-signed Admin operations it is the end user's ``ContextData.IpAddress``, and without one
  (or with one that is no IP address) they are not limited here (the peer is the application's backend, shared by all its users;
  limiting it would let one attacker lock every user out). Under ``--testing`` the limit is
  off unless the variable is set (``Settings.effective_failed_signin_rate``).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from poolgate import errors
from poolgate.auth import messages

# The operations a caller reaches without credentials, where a flood is cheap to send and
# costly to answer. Admin operations are signed and are not limited here.
RATE_LIMITED_OPERATIONS = frozenset(
    {
        "InitiateAuth",
        "RespondToAuthChallenge",
        "SignUp",
        "ConfirmSignUp",
        "ResendConfirmationCode",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "GetTokensFromRefreshToken",
    }
)

# The operations where a failure means a guessed secret was wrong: the sign-in steps (a
# password, an SRP proof, an MFA or custom-challenge answer) and the code confirmations.
GUESSING_OPERATIONS = frozenset(
    {
        "InitiateAuth",
        "AdminInitiateAuth",
        "RespondToAuthChallenge",
        "AdminRespondToAuthChallenge",
        "ConfirmSignUp",
        "ConfirmForgotPassword",
    }
)

# NotAuthorizedException messages that report a failed guess: a wrong password or proof (also
# the answer for an unknown user when existence errors are prevented), and an attempt the
# lockout refused (a guess sent at a locked user).
_FAILED_GUESS_MESSAGES = frozenset({messages.INCORRECT_CREDENTIALS, messages.ATTEMPTS_EXCEEDED})

# Buckets kept before idle (full) ones are dropped, so a spray of addresses cannot grow memory.
_MAX_BUCKETS = 10_000
RATE_EXCEEDED = "Rate exceeded"


class RateLimiter:
    """Token buckets by key: ``rate`` tokens per second, at most ``burst`` banked (by default
    one second's worth, and never less than one token).

    Thread-safe. A ``rate`` of 0 allows everything.
    """

    def __init__(
        self, rate: float, *, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self._capacity = max(rate if burst is None else burst, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token from ``key``'s bucket; False when it is empty."""
        return self._take(key, force=False)

    def check(self, key: str) -> None:
        """Like :meth:`allow`; raises TooManyRequestsException when the bucket is empty."""
        if not self.allow(key):
            raise errors.TooManyRequestsException(RATE_EXCEEDED)

    def available(self, key: str) -> bool:
        """True when ``key``'s bucket holds a whole token; takes nothing."""
        if self.rate <= 0:
            return True
        now = self._clock()
        with self._lock:
            found = self._buckets.get(key)
            return found is None or self._refilled(found, now) >= 1.0

    def spend(self, key: str) -> None:
        """Take one token from ``key``'s bucket even when that leaves it below zero: requests
        that passed :meth:`available` together and then all count are paid back before the
        bucket serves again."""
        self._take(key, force=True)

    def _take(self, key: str, *, force: bool) -> bool:
        if self.rate <= 0:
            return True
        now = self._clock()
        with self._lock:
            found = self._buckets.get(key)
            tokens = self._capacity if found is None else self._refilled(found, now)
            allowed = tokens >= 1.0
            if allowed or force:
                tokens -= 1.0
            if found is None and len(self._buckets) >= _MAX_BUCKETS:
                self._prune(now)
            self._buckets[key] = (tokens, now)
        return allowed

    def _refilled(self, bucket: tuple[float, float], now: float) -> float:
        tokens, last = bucket
        return min(self._capacity, tokens + max(0.0, now - last) * self.rate)

    def _prune(self, now: float) -> None:
        # A bucket that has refilled is the same as no bucket.
        full = [k for k, bucket in self._buckets.items() if self._refilled(bucket, now) >= self._capacity]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= _MAX_BUCKETS:
            # Every bucket is busy: forget the oldest half rather than grow without bound.
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]


def is_failed_guess(error: errors.CognitoError) -> bool:
    """True when a guessing operation's ``error`` says the guess was wrong: an unknown user
    (``UserNotFoundException``), a wrong password, proof or challenge answer, or an attempt
    refused by the lockout (NotAuthorizedException ``Incorrect username or password.`` /
    ``Password attempts exceeded``), or a wrong code (``CodeMismatchException``). Errors about
    the request itself (a bad parameter, an unknown client, an expired session) are not."""
    if isinstance(error, (errors.UserNotFoundException, errors.CodeMismatchException)):
        return True
    return isinstance(error, errors.NotAuthorizedException) and error.message in _FAILED_GUESS_MESSAGES


def guessing_address(operation: str, params: Mapping[str, Any], client_ip: str | None) -> str | None:
    """Whose failed-sign-in budget a call of ``operation`` draws on, or None when it draws on
    none: ``client_ip`` for the public guessing operations, the end user's
    ``ContextData.IpAddress`` for the Admin ones (module docstring)."""
    if operation not in GUESSING_OPERATIONS:
        return None
    if not operation.startswith("Admin"):
        return client_ip
    context = params.get("ContextData")
    address = context.get("IpAddress") if isinstance(context, Mapping) else None
    if not isinstance(address, str):
        return None
    try:
        # Normalised, and only an address: the bucket keys stay short whatever the caller sends.
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


class FailedSignIns:
    """The failed-sign-in budget per client address: ``burst`` failures at once, refilled at
    ``rate`` per second (0 turns it off). Thread-safe."""

    def __init__(self, rate: float, burst: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets = RateLimiter(rate, burst=burst, clock=clock)

    @property
    def enabled(self) -> bool:
        return self._buckets.rate > 0

    def check(self, address: str | None) -> None:
        """Raise TooManyRequestsException when ``address`` has used up its failures."""
        if address is not None and not self._buckets.available(address):
            raise errors.TooManyRequestsException(RATE_EXCEEDED)

    def failed(self, address: str | None, error: errors.CognitoError) -> None:
        """Count ``error`` against ``address`` when it is a failed guess."""
        if address is not None and is_failed_guess(error):
            self._buckets.spend(address)


class ClientPools:
    """App client id -> user pool id, remembered (a client never moves to another pool)."""

    def __init__(self, lookup: Callable[[str], str | None]) -> None:
        self._lookup = lookup
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()

    def pool_of(self, client_id: str) -> str | None:
        with self._lock:
            pool_id = self._known.get(client_id)
        if pool_id is not None:
            return pool_id
        pool_id = self._lookup(client_id)
        if pool_id is not None:
            with self._lock:
                if len(self._known) >= _MAX_BUCKETS:
                    self._known.clear()
                self._known[client_id] = pool_id
        return pool_id
