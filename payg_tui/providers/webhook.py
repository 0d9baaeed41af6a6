"""The alerts webhook: one JSON POST, with the sync client's rules (alerts.md).

https only (http:// on loopback); connect and read timeouts, an overall
deadline per try and a cap on the answer read (`bounded`); connection
errors, timeouts, 429 and 5xx retried with backoff and jitter, honouring
`Retry-After` (`retry`, the policy both API clients use), with fewer tries
than a sync: a chat message is not worth 90 seconds. No redirect is
followed: it could carry the alerts elsewhere.

The URL is a secret (incoming-webhook URLs carry their key in the path or
the query): messages show its scheme and host only, and anything the server
or httpx says is scrubbed of its path and query.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from payg_tui.config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    check_webhook,
    mask_url,
)
from payg_tui.engine.text import printable
from payg_tui.errors import NetworkError
from payg_tui.providers import bounded
from payg_tui.providers.retry import RETRYABLE_ERRORS, Attempts, RetryPolicy, retry_after, retryable

WEBHOOK_RETRY = RetryPolicy(tries=4, base_delay=0.5, max_delay=10.0, total=60.0)
MAX_ANSWER = 64 * 1024  # a chat service answers "ok"; anything long is not worth reading
_USER_AGENT = "payg-tui/0.1"


class _Scrubber:
    """Removes the webhook's URL, and its secret path and query, from text."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        secret = parts.path + (f"?{parts.query}" if parts.query else "")
        self._words = sorted({w for w in (url, secret, parts.path, parts.query) if len(w) > 1},
                             key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for word in self._words:
            text = text.replace(word, "/…")
        return printable(text, 200).strip()


def post_alerts(url: str, body: dict[str, Any], *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
                read_timeout: float = DEFAULT_READ_TIMEOUT, request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
                retry: RetryPolicy = WEBHOOK_RETRY, transport: httpx.BaseTransport | None = None,
                sleep: Callable[[float], None] = time.sleep,
                clock: Callable[[], float] = time.monotonic) -> None:
    """POST `body` as JSON to the webhook; `NetworkError` (exit 3) when it cannot be delivered."""
    url = check_webhook(url)
    shown = mask_url(url)
    scrub = _Scrubber(url)
    data = json.dumps(body).encode("utf-8")
    bounds = bounded.Bounds(seconds=request_timeout, max_bytes=MAX_ANSWER)
    attempts = Attempts(retry, clock, random.Random())
    timeout = httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout)
    with httpx.Client(timeout=timeout, follow_redirects=False, verify=True, transport=transport,
                      headers={"User-Agent": _USER_AGENT}) as http:
        bounded.bound_sockets(http)
        while True:
            wait_at_least: float | None = None
            try:
                answer = bounded.request(http, "POST", url, bounds, content=data,
                                         headers={"Content-Type": "application/json"})
            except (bounded.TooLarge, bounded.Unreadable):
                return  # only a 200 is read whole: delivered, with a long or odd answer
            except bounded.TooSlow as error:
                problem = str(error)
            except httpx.TimeoutException:
                problem = "timed out"
            except RETRYABLE_ERRORS as error:
                problem = scrub(str(error)) or type(error).__name__
            else:
                if 200 <= answer.status_code < 300:
                    return
                problem = _status(answer, scrub)
                if not retryable(answer.status_code):
                    raise NetworkError(f"the webhook {shown} refused the alerts: {problem}")
                wait_at_least = retry_after(answer.headers.get("Retry-After"))
            delay = attempts.failed(wait_at_least)
            if delay is None:
                raise NetworkError(f"the webhook {shown} could not be reached: {problem} (gave up "
                                   f"after {attempts.tries()} in {attempts.elapsed:.1f} s)")
            sleep(delay)


def _status(answer: bounded.Answer, scrub: _Scrubber) -> str:
    detail = scrub(answer.content.decode("utf-8", "replace"))
    return f"{answer.status_code} {answer.reason_phrase}" + (f": {detail}" if detail else "")
