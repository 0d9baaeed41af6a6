"""Keeping concurrent requests inside Combell's rate limit.

Combell counts requests per interval and says, on every answer, how many are
left (`X-RateLimit-Remaining`) and in how many seconds the count resets
(`X-RateLimit-Reset`); past the limit it answers 429 with `Retry-After`.
A `Pacer` is shared by the worker threads: a request may start only while the
budget it knows of has room for it (counting requests still in flight, whose
answers have not told us their cost yet); otherwise it waits for the reset.
Going as fast as the budget allows is what makes a big reseller's snapshot
fit its hour: 2,000 accounts under 100 requests a minute take ~21 minutes.

Time comes from an injected `clock` (seconds) and `sleep`, so tests and the
benchmark can run a day of rate-limit windows in a moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

Clock = Callable[[], float]
Sleep = Callable[[float], None]


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


class Pacer:
    def __init__(self, clock: Clock, sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._answered = threading.Condition()
        self._sleeping = threading.Lock()
        self._remaining: int | None = None  # unknown until the first answer
        self._reset_at: float | None = None
        self._limit: int | None = None
        self._in_flight = 0
        self._window = 0  # longest X-RateLimit-Reset seen: a floor on the interval length
        self.waited = 0.0  # seconds spent waiting for the budget (for the progress line)

    @property
    def limit(self) -> int | None:
        return self._limit

    def acquire(self) -> None:
        """Block until one more request fits the budget, and reserve it."""
        while True:
            with self._answered:
                now = self._clock()
                if self._reset_at is not None and now >= self._reset_at:
                    # A new interval. Our idea of when it starts is only as good
                    # as a whole-second header, so learn the new budget from one
                    # request's answer rather than assume the full limit.
                    self._remaining = None
                    self._reset_at = None
                remaining = self._remaining
                if remaining is not None and remaining - self._in_flight > 0:
                    self._in_flight += 1
                    return
                if remaining is None or self._reset_at is None:
                    if self._in_flight == 0:
                        self._in_flight += 1
                        return
                    # Wait (in real time) for an answer in flight to tell us more.
                    self._answered.wait(timeout=1.0)
                    continue
            # Out of budget until the reset. One thread sleeps at a time and
            # the rest re-check after it, so a shared (test) clock is advanced
            # once per interval, not once per waiting thread.
            with self._sleeping:
                wait = self._time_to_reset()
                if wait > 0:
                    self._sleep(wait)
                    self.waited += wait

    def _time_to_reset(self) -> float:
        with self._answered:
            # Requests in flight answer long before a reset: let them land
            # first (their headers may move the reset) before sleeping.
            while self._in_flight:
                self._answered.wait(timeout=1.0)
            remaining, reset_at = self._remaining, self._reset_at
            if remaining is None or reset_at is None or remaining - self._in_flight > 0:
                return 0.0
            return max(reset_at - self._clock(), 0.0)

    def release(self, headers: Mapping[str, str] | None, *, status: int | None = None) -> None:
        """Account for a finished request and learn from its answer's headers."""
        with self._answered:
            self._in_flight -= 1
            self._answered.notify_all()
            if headers is None:
                return
            now = self._clock()
            limit = _header_int(headers, "X-RateLimit-Limit")
            if limit is not None:
                self._limit = limit
            retry_after = _header_int(headers, "Retry-After") if status == 429 else None
            if retry_after is not None:
                self._remaining = 0
                self._reset_at = now + max(retry_after, 1)
                return
            remaining = _header_int(headers, "X-RateLimit-Remaining")
            reset = _header_int(headers, "X-RateLimit-Reset")
            if status == 429 and remaining is None:
                remaining = 0
            if remaining is None:
                if self._remaining is None and self._limit is None:
                    # A server without rate-limit headers: no budget to keep.
                    self._remaining = 1 << 30
                return
            if reset is not None:
                self._window = max(self._window, reset)
            reset_at = now + reset if reset is not None else None
            new_window = (
                self._reset_at is None
                or (reset_at is not None and reset_at > self._reset_at + 0.5)
            )
            if new_window or self._remaining is None:
                self._remaining = remaining
            else:
                # Answers to concurrent requests come back in any order: the
                # smallest count left in one interval is the true one.
                self._remaining = min(self._remaining, remaining)
            if reset_at is not None:
                self._reset_at = reset_at if new_window else min(self._reset_at or reset_at,
                                                                  reset_at)

    def estimate(self, requests: int) -> float | None:
        """Seconds the budget needs for `requests` more requests (None: limit unknown)."""
        with self._answered:
            if self._limit is None or self._limit <= 0 or self._window <= 0:
                return None
            remaining = self._remaining if self._remaining is not None else self._limit
            if requests <= remaining:
                return 0.0
            to_reset = (max(self._reset_at - self._clock(), 0.0) if self._reset_at is not None
                        else float(self._window))
            more_windows = -(-(requests - remaining) // self._limit)  # ceiling
            return to_reset + (more_windows - 1) * self._window
