"""The one retry policy of every HTTP client (api.md: failures are retried with backoff).

What is retried: connection errors, timeouts and broken bodies
(`RETRYABLE_ERRORS`), `429` and `5xx` (`retryable`). Anything else is the
caller's to report at once (`401`/`403` with a hint to check the secret).

How long: the n-th retry waits `base_delay * 2**(n-1)`, capped at
`max_delay`, of which the upper `jitter` fraction is random (so clients that
failed together do not come back together), and at least `Retry-After` when
the server sends one. One request gets at most `tries` attempts and `total`
seconds, waits included. `Attempts` keeps that count for one request.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError, httpx.DecodingError)
"""Timeouts, refused and reset connections, and gzip bodies cut short."""


def retryable(status: int) -> bool:
    """A busy (`429`) or failing (`5xx`) server may answer the same request later."""
    return status == 429 or status >= 500


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard one request is tried before it is reported."""

    tries: int = 6
    base_delay: float = 0.5
    max_delay: float = 15.0
    total: float = 90.0
    jitter: float = 0.5

    def delay(self, retry: int, retry_after: float | None, rng: random.Random) -> float:
        """The wait before the `retry`-th retry (1 for the first)."""
        capped: float = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        wait = capped * (1 - self.jitter) + capped * self.jitter * rng.random()
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait


DEFAULT_RETRY = RetryPolicy()


class Attempts:
    """The failed tries of one request under a policy, and the wait after each."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float],
                 rng: random.Random) -> None:
        self.policy = policy
        self._clock = clock
        self._rng = rng
        self._started = clock()
        self.attempt = 0
        self.elapsed = 0.0

    def failed(self, retry_after: float | None = None) -> float | None:
        """Count a failed try: seconds to wait before the next, or None to give up."""
        self.attempt += 1
        policy = self.policy
        delay = policy.delay(self.attempt, retry_after, self._rng)
        self.elapsed = self._clock() - self._started
        if self.attempt >= policy.tries or self.elapsed + delay > policy.total:
            return None
        return delay

    def tries(self) -> str:
        """`1 try`, `4 tries`: for the message that gives up."""
        return f"{self.attempt} {'try' if self.attempt == 1 else 'tries'}"


def retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (a number or an HTTP date)."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = moment.timestamp() - time.time()
    return max(0.0, seconds) if seconds == seconds else None
