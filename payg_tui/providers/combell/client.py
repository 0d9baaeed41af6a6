"""Signed, paced, retried GET requests to the Combell API.

Failures become the app's `UserError`s (errors.py): an unreachable API, a 5xx
that outlives its retries or a refused signature is a `NetworkError` (exit 3);
an answer that is not the JSON the spec promises is a `DataContractError`
(exit 4). Messages name the request path, never the key or the secret.
"""

from __future__ import annotations

import functools
import json
import math
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from payg_tui.errors import DataContractError, NetworkError
from payg_tui.providers import bounded
from payg_tui.providers.combell.auth import Credentials, authorization, new_nonce
from payg_tui.providers.combell.pacing import Clock, Pacer, Sleep
from payg_tui.providers.retry import RETRYABLE_ERRORS, Attempts, RetryPolicy, retryable

DEFAULT_URL = "https://api.combell.com"
API_PREFIX = "/v2"
# Network errors and 5xx: 5 tries, waits of about 2.5, 5, 10 and 20 s. No time
# bound per request: the pacer's waits for the rate limit are not failures,
# and the collector's hour bounds the whole run.
COMBELL_RETRY = RetryPolicy(tries=5, base_delay=2.5, max_delay=30.0, total=math.inf, jitter=0.2)
# A 429 is waited out by the pacer (it reads Retry-After and the rate-limit
# headers) and does not count as a try; only this many in a row end the request.
MAX_THROTTLED = 30
BOUNDS = bounded.Bounds(seconds=60.0, max_bytes=64 << 20)  # one try: the whole answer, its size


class NotFound(Exception):
    """404 for one resource (an account deleted while we were collecting)."""


class CombellClient:
    def __init__(
        self,
        credentials: Credentials,
        base_url: str = DEFAULT_URL,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        nonce: Callable[[], str] = new_nonce,
        connections: int = 4,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        bounds: bounded.Bounds = BOUNDS,
        rng: random.Random | None = None,
    ) -> None:
        self._credentials = credentials
        self.bounds = bounds
        self.retry = retry or COMBELL_RETRY
        self._rng = rng or random.Random()
        self._base = base_url.rstrip("/")
        self._clock = clock
        self._sleep = sleep
        self._nonce = nonce
        self.pacer = Pacer(clock, sleep)
        self._count_lock = threading.Lock()
        self.requests = 0  # every request sent, retries included
        self.throttled = 0  # 429 answers
        self.retried = 0  # network errors and 5xx retried
        # One connection more than workers: the paging thread shares the client,
        # and no thread should ever queue for a connection (httpcore 1.0 showed a
        # rare EBADF race when more threads than connections share one pool).
        self._http = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=connections + 1,
                                max_keepalive_connections=connections + 1),
            headers={"Accept": "application/json", "User-Agent": "payg-tui"},
            transport=transport,
            verify=_tls_context(),
            follow_redirects=False,
        )
        bounded.bound_sockets(self._http)

    def __repr__(self) -> str:
        return f"CombellClient({self._base!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CombellClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path_and_query: str) -> tuple[Any, Mapping[str, str]]:
        """GET `path_and_query` (starting with /v2): the decoded JSON and headers."""
        if not path_and_query.startswith(API_PREFIX + "/"):
            raise ValueError(f"Combell paths start with {API_PREFIX}/: {path_and_query!r}")
        attempts = Attempts(self.retry, self._clock, self._rng)
        throttled = 0
        while True:
            self.pacer.acquire()
            try:
                response = self._send(path_and_query)
            except (bounded.TooSlow, bounded.TooLarge, bounded.Unreadable) as error:
                self.pacer.release(None)
                raise self._unbounded(path_and_query, error) from None
            except RETRYABLE_ERRORS as error:
                self.pacer.release(None)
                if not self._backoff(attempts):
                    raise NetworkError(
                        f"Combell API unreachable at {self._base} ({type(error).__name__}) "
                        f"for GET {path_and_query} after {attempts.attempt} attempts"
                    ) from None
                continue
            status = response.status_code
            self.pacer.release(response.headers, status=status)
            if status == 429:
                with self._count_lock:
                    self.throttled += 1
                throttled += 1
                if throttled > MAX_THROTTLED:
                    raise NetworkError(
                        f"Combell kept answering 429 (rate limit) for GET {path_and_query}"
                    )
                continue  # not a failure: the pacer now waits for Retry-After
            if retryable(status):
                if not self._backoff(attempts):
                    raise NetworkError(
                        f"Combell API error {status} for GET {path_and_query} "
                        f"after {attempts.attempt} attempts{_problem(response)}"
                    )
                continue
            if status in (401, 403):
                raise NetworkError(
                    f"Combell refused the request ({status}) for GET {path_and_query}: check "
                    "the API key and secret and that this machine's IP address is whitelisted "
                    "in the Combell control panel"
                )
            if status == 404:
                raise NotFound(path_and_query)
            if status != 200:
                raise NetworkError(
                    f"Combell API answered {status} for GET {path_and_query}{_problem(response)}"
                )
            try:
                return response.json(), response.headers
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise DataContractError(
                    f"Combell API: GET {path_and_query}: the answer is not JSON"
                ) from None

    def _send(self, path_and_query: str) -> bounded.Answer:
        timestamp = int(self._clock())
        header = authorization(self._credentials, "GET", path_and_query, timestamp,
                               self._nonce())
        with self._count_lock:
            self.requests += 1
        return bounded.request(self._http, "GET", self._base + path_and_query, self.bounds,
                               headers={"Authorization": header})

    def _unbounded(self, path_and_query: str, error: Exception) -> Exception:
        """Not retried: a stalled answer would stall again, a huge one be huge again."""
        if isinstance(error, bounded.TooSlow):
            return NetworkError(f"Combell API sent no complete answer to GET {path_and_query} "
                                f"within {error.seconds:g} s: it is stalled or far too slow")
        return DataContractError(f"Combell API: GET {path_and_query}: {error}; refused")

    def _backoff(self, attempts: Attempts) -> bool:
        """Wait before the next try; False when the policy says give up."""
        delay = attempts.failed()
        if delay is None:
            return False
        with self._count_lock:
            self.retried += 1
        self._sleep(delay)
        return True


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA bundle takes ~0.1 s: do it once per process."""
    return httpx.create_ssl_context()


def _problem(response: bounded.Answer) -> str:
    """Combell's own error text, if the body has one (shortened, one line)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    if isinstance(body, dict):
        parts = [str(body.get(k)) for k in ("error_code", "error_text", "message", "error")
                 if body.get(k)]
        if parts:
            text = " ".join(" ".join(parts).split())[:160]
            return f": {text}"
    return ""
