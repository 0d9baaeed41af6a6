"""A loopback Combell API v2, written from the published OpenAPI document.

Serves `GET /v2/servicepacks`, `GET /v2/accounts` (skip/take paging with the
X-Paging-* headers, optionally capped and ragged so pages come back shorter
than asked) and `GET /v2/accounts/{id}`. Every request must carry a valid
`Authorization: hmac key:signature:nonce:timestamp` (checked with its own
implementation of the spec's algorithm, not the app's); a bad one gets 401.
A fixed-window rate limit answers 429 with Retry-After and sends the
X-RateLimit-* headers on every answer; `fail` makes chosen requests answer
500. Time comes from an injected clock, so windows can be simulated.

Binds 127.0.0.1 on port 0 (a free port) only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_SAFE = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~"


def spec_encode(text: str) -> str:
    """The spec's "urlencoding of the lowercased path and querystring", byte by byte."""
    out = []
    for byte in text.lower().encode("utf-8"):
        out.append(chr(byte) if byte in _SAFE else "%" + format(byte, "02X"))
    return "".join(out)


def spec_signature(key: str, secret: str, method: str, target: str, timestamp: str,
                   nonce: str, body: bytes) -> str:
    content = base64.b64encode(hashlib.md5(body).digest()).decode() if body else ""
    message = key + method.lower() + spec_encode(target) + timestamp + nonce + content
    mac = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


@dataclass
class StubAccount:
    identifier: str
    servicepack_id: int
    addons: list[tuple[int, str]] = field(default_factory=list)


class FakeClock:
    """Wall-clock seconds that move only when someone sleeps."""

    def __init__(self, start: float) -> None:
        self.now = float(start)
        self.slept = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += max(seconds, 0.0)
            self.slept += max(seconds, 0.0)


class ScaledClock:
    """Real time running `factor` times faster: for benchmarks of hour-long runs."""

    def __init__(self, start: float, factor: float) -> None:
        self.start = float(start)
        self.factor = factor
        self.origin = time.perf_counter()

    def __call__(self) -> float:
        return self.start + (time.perf_counter() - self.origin) * self.factor

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0) / self.factor)


class CombellStub:
    def __init__(
        self,
        key: str = "stub-key",
        secret: str = "stub-secret",
        *,
        clock: Callable[[], float] = time.time,
        limit: int | None = None,
        window: int = 60,
        page_cap: int | None = None,
        ragged: bool = False,
        delay: float = 0.0,
    ) -> None:
        self.key = key
        self.secret = secret
        self.clock = clock
        self.limit = limit
        self.window = window
        self.page_cap = page_cap
        self.ragged = ragged
        self.delay = delay
        self.servicepacks: dict[int, str] = {}
        self.accounts: dict[int, StubAccount] = {}
        # path (with query) or regex -> how many more times to answer 500
        self.fail: dict[str, int] = {}
        self.fail_always: set[str] = set()
        self.on_request: Callable[[str], None] | None = None
        self.log: list[tuple[int, str]] = []  # (status, target) of every request
        self.max_concurrent = 0
        self._active = 0
        self._nonces: set[str] = set()
        self._window_start: float | None = None
        self._used = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""  # set by start()
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------

    def start(self) -> str:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes

            def do_GET(self) -> None:
                stub._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- counting ---------------------------------------------------------------

    def count(self, status: int | None = None, prefix: str = "") -> int:
        return sum(1 for s, t in self.log if (status is None or s == status)
                   and t.startswith(prefix))

    # -- handling ---------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        target = request.path
        with self._lock:
            self._active += 1
            self.max_concurrent = max(self.max_concurrent, self._active)
        try:
            if self.delay:
                time.sleep(self.delay)
            if self.on_request is not None:
                self.on_request(target)
            status, body, headers = self._answer(request, target)
        finally:
            with self._lock:
                self._active -= 1
                self.log.append((0, target))
        with self._lock:
            self.log[-1] = (status, target)
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _answer(self, request: BaseHTTPRequestHandler,
                target: str) -> tuple[int, Any, dict[str, str]]:
        if not self._authorized(request.headers.get("Authorization", ""), target):
            return 401, {"error_code": "unauthorized", "error_text": "bad hmac"}, {}
        throttled, limit_headers = self._rate_limit()
        if throttled:
            return 429, {"error_code": "too_many_requests"}, limit_headers
        with self._lock:
            left = self.fail.get(target, 0)
            if left:
                self.fail[target] = left - 1
        if left or target in self.fail_always:
            return 500, {"error_code": "internal", "error_text": "boom"}, limit_headers
        parts = urlsplit(target)
        if parts.path == "/v2/servicepacks":
            packs = [{"id": i, "name": n} for i, n in sorted(self.servicepacks.items())]
            return 200, packs, limit_headers
        if parts.path == "/v2/accounts":
            return self._accounts_page(parse_qs(parts.query), limit_headers)
        match = re.fullmatch(r"/v2/accounts/(\d+)", parts.path)
        if match:
            account = self.accounts.get(int(match.group(1)))
            if account is None:
                return 404, {"error_code": "not_found"}, limit_headers
            packs = self.servicepacks
            return 200, {
                "id": int(match.group(1)),
                "identifier": account.identifier,
                "servicepack": {"id": account.servicepack_id,
                                "name": packs.get(account.servicepack_id, "?")},
                "addons": [{"id": i, "name": n} for i, n in account.addons],
            }, limit_headers
        return 404, {"error_code": "not_found"}, limit_headers

    def _accounts_page(self, query: dict[str, list[str]],
                       headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        skip = int(query.get("skip", ["0"])[0])
        take = int(query.get("take", ["25"])[0])
        ids = sorted(self.accounts)
        count = take if self.page_cap is None else min(take, self.page_cap)
        if self.ragged and count > 1:
            count -= (skip // max(count, 1)) % 3  # 0, 1 or 2 fewer than asked
        page = ids[skip:skip + max(count, 1)]
        items = [{"id": i, "identifier": self.accounts[i].identifier,
                  "servicepack_id": self.accounts[i].servicepack_id} for i in page]
        headers = {**headers, "X-Paging-Skipped": str(skip), "X-Paging-Take": str(len(items)),
                   "X-Paging-TotalResults": str(len(ids))}
        return 200, items, headers

    def _authorized(self, header: str, target: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme != "hmac":
            return False
        fields = value.split(":")
        if len(fields) != 4:
            return False
        key, signature, nonce, timestamp = fields
        if key != self.key or not timestamp.isdigit() or not nonce:
            return False
        if abs(int(timestamp) - self.clock()) > 300:
            return False
        expected = spec_signature(self.key, self.secret, "GET", target, timestamp, nonce, b"")
        if not hmac.compare_digest(expected, signature):
            return False
        with self._lock:
            if nonce in self._nonces:
                return False  # a replayed request
            self._nonces.add(nonce)
        return True

    def _rate_limit(self) -> tuple[bool, dict[str, str]]:
        if self.limit is None:
            return False, {}
        with self._lock:
            now = self.clock()
            if self._window_start is None or now >= self._window_start + self.window:
                self._window_start = now
                self._used = 0
            reset = max(math.ceil(self._window_start + self.window - now), 0)
            throttled = self._used >= self.limit
            if not throttled:
                self._used += 1
            headers = {"X-RateLimit-Limit": str(self.limit),
                       "X-RateLimit-Usage": str(self._used),
                       "X-RateLimit-Remaining": str(self.limit - self._used),
                       "X-RateLimit-Reset": str(reset)}
            if throttled:
                headers["Retry-After"] = str(reset)
            return throttled, headers
