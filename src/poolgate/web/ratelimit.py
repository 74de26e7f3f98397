"""Per-process request budgets for the public (unauthenticated) sign-in operations.

A flood of SRP first steps, password attempts or sign-ups costs CPU (SRP and password
hashing) and database work, and AWS answers it with ``TooManyRequestsException``. Poolgate
keeps one token bucket per client IP and one per user pool, in memory, in each process:
the limits are approximate (N processes allow up to N times the rate) and nothing is written
to the database for a request that has not authenticated. ``POOLGATE_RATE_LIMIT_PER_IP``
and ``POOLGATE_RATE_LIMIT_PER_POOL`` set the rates (requests per second, with a burst of one
second's worth); 0 turns a limit off. The defaults are far above what one process can serve,
so only floods from one address or at one pool trip them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from poolgate import errors

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

# Buckets kept before idle (full) ones are dropped, so a spray of addresses cannot grow memory.
_MAX_BUCKETS = 10_000
RATE_EXCEEDED = "Rate exceeded"


class RateLimiter:
    """Token buckets by key: ``rate`` tokens per second, at most ``rate`` (one second) banked.

    Thread-safe. A ``rate`` of 0 allows everything.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._capacity = max(rate, 1.0)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token from ``key``'s bucket; False when it is empty."""
        if self.rate <= 0:
            return True
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            if key not in self._buckets and len(self._buckets) >= _MAX_BUCKETS:
                self._prune(now)
            self._buckets[key] = (tokens, now)
        return allowed

    def check(self, key: str) -> None:
        """Like :meth:`allow`; raises TooManyRequestsException when the bucket is empty."""
        if not self.allow(key):
            raise errors.TooManyRequestsException(RATE_EXCEEDED)

    def _prune(self, now: float) -> None:
        refill = self._capacity / self.rate
        idle = [k for k, (_, last) in self._buckets.items() if now - last >= refill]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) >= _MAX_BUCKETS:
            # Every bucket is busy: forget the oldest half rather than grow without bound.
            oldest = sorted(self._buckets, key=lambda k: self._buckets[k][1])
            for key in oldest[: len(oldest) // 2]:
                del self._buckets[key]


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
