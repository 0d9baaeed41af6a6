"""The one retry policy both HTTP clients share (api.md: backoff, Retry-After, bounded)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from payg_tui.providers.retry import Attempts, RetryPolicy, retry_after, retryable


def test_busy_and_failing_servers_are_retried_other_answers_are_not() -> None:
    assert [s for s in (200, 301, 400, 401, 403, 404, 429, 500, 502, 503) if retryable(s)] == [
        429, 500, 502, 503]


def test_attempts_give_up_after_the_last_try() -> None:
    attempts = Attempts(RetryPolicy(tries=3, base_delay=1.0, jitter=0.0), lambda: 0.0,
                        random.Random(1))
    assert [attempts.failed(), attempts.failed(), attempts.failed()] == [1.0, 2.0, None]
    assert attempts.tries() == "3 tries"


def test_attempts_give_up_when_the_next_wait_passes_the_total() -> None:
    now = [0.0]
    attempts = Attempts(RetryPolicy(tries=10, base_delay=4.0, jitter=0.0, total=10.0),
                        lambda: now[0], random.Random(1))
    assert attempts.failed() == 4.0
    now[0] = 4.0
    assert attempts.failed() is None  # 4 s spent + 8 s more > 10 s
    assert attempts.elapsed == 4.0


def test_retry_after_in_seconds_or_as_a_date_is_a_floor_on_the_wait() -> None:
    policy = RetryPolicy(base_delay=0.1, jitter=0.0)
    assert policy.delay(1, retry_after("7"), random.Random(1)) == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after(later) or 0) <= 30
    assert retry_after("soon") is None and retry_after(None) is None
    assert retry_after("-5") == 0.0
