"""The sandbox: the hosting API contract (api.md) served on loopback.

A real HTTP server (stdlib `ThreadingHTTPServer`) over the generator's
reseller: history from `start` up to the current UTC hour, growing as the
clock moves, each hour's snapshot fixed forever. For demos, the benchmark and
the client's tests, which can also ask it to misbehave:

- `faults`: answer some requests with `429` / `503` (with `Retry-After`) or
  slowly, at given rates, the same requests every run for a given seed;
- `corrupt`: break the contract in one named way (see `CORRUPTIONS`), on the
  snapshot at `corrupt_at` (or on every page when it is None).

Snapshot pages are streamed (chunked, gzip on request) from the generator's
pre-encoded bytes, so a page costs a join, not a JSON encoding.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import random
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from payg_tui.engine.clock import month_start, slot_at
from payg_tui.engine.model import Slot
from payg_tui.providers import payload
from payg_tui.sandbox.generator import Reseller

DEFAULT_LIMIT = 24
MAX_LIMIT = 168
_CHUNK = 256 * 1024

CORRUPTIONS = (
    "missing_field",     # the first account of the snapshot has no "pack"
    "wrong_type",        # the first account's "customer" is a number
    "unaligned_time",    # "taken_at" is HH:30:00Z
    "duplicate_id",      # the first account is listed twice
    "bad_decimal",       # /v1/products: a price "4,95"
    "money_as_number",   # /v1/products: a price as a JSON number
    "out_of_order",      # a page's snapshots come in descending order
    "page_rewind",       # next_cursor goes back: the next page repeats two hours
    "not_json",          # the page body is cut short
)


def current_slot() -> Slot:
    return slot_at(time.time())


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """How often to misbehave. Rates are shares of requests, 0 to 1, summing to <= 1."""

    rate_429: float = 0.0
    rate_503: float = 0.0
    rate_slow: float = 0.0
    retry_after: int = 1
    slow_seconds: float = 2.0

    def pick(self, seed: int, request_number: int) -> str | None:
        """The fault of the n-th request, drawn from the seed alone (no clock, no thread)."""
        roll = random.Random(f"{seed}:fault:{request_number}").random()
        for kind, rate in (("429", self.rate_429), ("503", self.rate_503),
                           ("slow", self.rate_slow)):
            if roll < rate:
                return kind
            roll -= rate
        return None


def parse_faults(spec: str) -> FaultPlan:
    """`429:0.1,503:0.05,slow:0.05`; `429:0.1@0` sets Retry-After, `slow:0.05@0.5` the delay."""
    rates = {"429": 0.0, "503": 0.0, "slow": 0.0}
    retry_after, slow_seconds = 1, 2.0
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kind, _, rest = part.partition(":")
        rate_text, _, extra = rest.partition("@")
        if kind not in rates or not rest:
            raise ValueError(f"unknown fault {part!r}: use 429:RATE, 503:RATE or slow:RATE")
        try:
            rate = float(rate_text)
            value = float(extra) if extra else None
        except ValueError:
            raise ValueError(f"not a number in fault {part!r}") from None
        if not 0.0 <= rate <= 1.0 or (value is not None and value < 0):
            raise ValueError(f"fault rate must be between 0 and 1 in {part!r}")
        rates[kind] = rate
        if value is not None and kind == "slow":
            slow_seconds = value
        elif value is not None:
            retry_after = int(value)
    if sum(rates.values()) > 1.0:
        raise ValueError("fault rates add up to more than 1")
    return FaultPlan(rates["429"], rates["503"], rates["slow"], retry_after, slow_seconds)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


class SandboxServer:
    """A running sandbox. Use as a context manager, or call `shutdown()`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        accounts: int = 60,
        seed: int = 1,
        token: str = "sandbox-token",
        faults: FaultPlan | str | None = None,
        now: Callable[[], Slot] | None = None,
        start: Slot | None = None,
        timezone: str = "Europe/Brussels",
        corrupt: str | None = None,
        corrupt_at: Slot | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.now = now or current_slot
        if start is None:
            start = month_start(self.now(), timezone, months_back=1)
        self.reseller = Reseller(seed, accounts, timezone, start=start)
        self.reseller.prepare(self.now() + 1)
        self.token = token
        self.seed = seed
        self.faults = parse_faults(faults) if isinstance(faults, str) else faults
        self.corrupt = corrupt
        self.corrupt_at = corrupt_at
        self.log = log
        self.requests: deque[tuple[str, int]] = deque(maxlen=100_000)
        self._count = 0
        self._count_lock = threading.Lock()
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
        self._httpd = server_class((host, port), _Handler)
        self._httpd.sandbox = self
        self._thread: threading.Thread | None = None

    @property
    def start(self) -> Slot:
        return self.reseller.start

    @property
    def url(self) -> str:
        host, port = (str(part) for part in self._httpd.server_address[:2])
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def serve_in_background(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name="payg-sandbox", daemon=True)
        self._thread.start()
        return self

    @property
    def serving(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, seconds: float) -> None:
        """Block up to `seconds` while serving (the CLI's foreground loop)."""
        if self._thread is not None:
            self._thread.join(seconds)

    def shutdown(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.shutdown()

    # -- answering -----------------------------------------------------------

    def answer(self, request: _Handler) -> None:
        status = 500
        try:
            parts = urlsplit(request.path)
            self._check_token(request.headers.get("Authorization", ""))
            route = _ROUTES.get(parts.path.rstrip("/"))
            if route is None:
                raise ApiError(404, "not_found", f"no such endpoint: {parts.path[:80]}")
            self._misbehave()
            status = 200
            route(self, request, _query(parts.query))
        except ApiError as error:
            status = error.status
            body = json.dumps({"error": {"code": error.code, "message": error.message}})
            request.send_body(status, [body.encode()], error.headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away mid-answer
        finally:
            self.requests.append((request.path, status))
            if self.log:
                self.log(f"{request.command} {request.path} {status}")

    def _check_token(self, header: str) -> None:
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                 self.token.encode()):
            raise ApiError(401, "unauthorized", "missing or wrong bearer token",
                           {"WWW-Authenticate": 'Bearer realm="payg-sandbox"'})

    def _misbehave(self) -> None:
        if self.faults is None:
            return
        with self._count_lock:
            self._count += 1
            number = self._count
        fault = self.faults.pick(self.seed, number)
        retry = {"Retry-After": str(self.faults.retry_after)}
        if fault == "429":
            raise ApiError(429, "rate_limited", "too many requests (sandbox fault)", retry)
        if fault == "503":
            raise ApiError(503, "unavailable", "temporarily unavailable (sandbox fault)", retry)
        if fault == "slow":
            time.sleep(self.faults.slow_seconds)

    def _provider(self, request: _Handler, query: dict[str, str]) -> None:
        request.send_body(200, [_dumps(self.reseller.provider())])

    def _products(self, request: _Handler, query: dict[str, str]) -> None:
        # The catalogue announces price changes up to a month ahead.
        products = self.reseller.products(until=self.now() + 31 * 24)
        if self.corrupt in ("bad_decimal", "money_as_number"):
            price = products[0]["prices"][-1]
            price["monthly"] = (price["monthly"].replace(".", ",")
                                if self.corrupt == "bad_decimal" else float(price["monthly"]))
        request.send_body(200, [_dumps({"products": products})])

    def _snapshots(self, request: _Handler, query: dict[str, str]) -> None:
        begin, to, limit = self._page_bounds(query)
        end = min(to, self.now() + 1)
        page: list[tuple[Slot, bytes]] = []
        for item in self._present(begin, end):
            page.append(item)
            if len(page) == limit:
                break
        cursor = None
        if len(page) == limit and self._any_present(page[-1][0] + 1, end):
            cursor = _encode_cursor(page[-1][0] + 1, to)
        page_hit = self.corrupt_at is None or any(s == self.corrupt_at for s, _ in page)
        if self.corrupt and page_hit:
            page, cursor = self._corrupt_page(page, cursor, to)
        request.send_body(200, _page_pieces(page, cursor), stream=True)

    def _page_bounds(self, query: dict[str, str]) -> tuple[Slot, Slot, int]:
        limit_text = query.get("limit", str(DEFAULT_LIMIT))
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            raise ApiError(400, "invalid_limit",
                           f"limit must be a whole number from 1 to {MAX_LIMIT}")
        if query.get("cursor"):
            begin, to = _decode_cursor(query["cursor"])
        else:
            begin = _hour_param(query, "from", self.start)
            to = _hour_param(query, "to", self.now() + 1)
            if begin > to:
                raise ApiError(400, "invalid_range", "from must not be after to")
        return max(begin, self.start), to, int(limit_text)

    def _present(self, begin: Slot, end: Slot) -> Iterator[tuple[Slot, bytes]]:
        """The snapshots from `begin`, walked a week at a time so a page never walks far."""
        while begin < end:
            stop = min(end, begin + MAX_LIMIT + 24)
            yield from self.reseller.iter_snapshot_json(begin, stop)
            begin = stop

    def _any_present(self, begin: Slot, end: Slot) -> bool:
        return any(not self.reseller.is_missing(h) for h in range(begin, end))

    def _corrupt_page(self, page: list[tuple[Slot, bytes]], cursor: str | None,
                      to: Slot) -> tuple[list[tuple[Slot, bytes]], str | None]:
        kind = self.corrupt
        if kind == "out_of_order":
            return page[::-1], cursor
        if kind == "page_rewind":
            if cursor is not None:
                cursor = _encode_cursor(page[-1][0] - 1, to)
            return page, cursor
        if kind == "not_json":
            return [(s, raw[: len(raw) // 2]) for s, raw in page], cursor
        target = next((i for i, (s, _) in enumerate(page)
                       if self.corrupt_at is None or s == self.corrupt_at), None)
        if target is None or kind not in CORRUPTIONS:
            return page, cursor
        slot, raw = page[target]
        doc = json.loads(raw)
        _break_snapshot(doc, kind)
        return [*page[:target], (slot, _dumps(doc)), *page[target + 1:]], cursor


def _break_snapshot(doc: dict[str, Any], kind: str) -> None:
    accounts = doc["accounts"]
    if kind == "unaligned_time":
        doc["taken_at"] = doc["taken_at"].replace(":00:00Z", ":30:00Z")
    elif not accounts:
        del doc["accounts"]  # nothing to break inside: break the snapshot itself
    elif kind == "missing_field":
        del accounts[0]["pack"]
    elif kind == "wrong_type":
        accounts[0]["customer"] = 17
    elif kind == "duplicate_id":
        accounts.append(dict(accounts[0]))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    sandbox: SandboxServer


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a sync makes many requests
    server_version = "payg-sandbox/1"
    timeout = 60  # idle keep-alive connections are closed after this
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; without this, Nagle and
        # delayed ACKs add ~40 ms to every small answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.server.sandbox.answer(self)

    def _refuse_method(self) -> None:
        # Whatever body came with it is not read: close, or it would be taken
        # for the next request on this keep-alive connection.
        self.close_connection = True
        body = _dumps({"error": {"code": "method_not_allowed", "message": "only GET"}})
        self.send_body(405, [body], {"Allow": "GET", "Connection": "close"})

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse_method

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the sandbox's own `log` says what matters

    def send_body(self, status: int, pieces: Iterable[bytes],
                  headers: dict[str, str] | None = None, *, stream: bool = False) -> None:
        gzip = _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Vary", "Accept-Encoding")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if gzip:
            self.send_header("Content-Encoding", "gzip")
            pieces = _gzipped(pieces)
        if stream:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in _batched(pieces):
                self.wfile.write(b"".join((b"%x\r\n" % len(chunk), chunk, b"\r\n")))
            self.wfile.write(b"0\r\n\r\n")
        else:
            body = b"".join(pieces)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


_ROUTES: dict[str, Callable[[SandboxServer, _Handler, dict[str, str]], None]] = {
    "/v1/provider": SandboxServer._provider,
    "/v1/products": SandboxServer._products,
    "/v1/snapshots": SandboxServer._snapshots,
}


def start_sandbox(host: str = "127.0.0.1", port: int = 0, accounts: int = 60, seed: int = 1,
                  token: str = "sandbox-token", faults: FaultPlan | str | None = None,
                  now: Callable[[], Slot] | None = None, **options: Any) -> SandboxServer:
    """A sandbox serving in a background thread; `options` go to `SandboxServer`."""
    server = SandboxServer(host, port, accounts=accounts, seed=seed, token=token,
                           faults=faults, now=now, **options)
    return server.serve_in_background()


def _query(text: str) -> dict[str, str]:
    values = parse_qs(text, keep_blank_values=True)
    for name, given in values.items():
        if len(given) > 1:
            raise ApiError(400, "invalid_parameter", f"{name} given more than once")
    return {name: given[0] for name, given in values.items()}


def _hour_param(query: dict[str, str], name: str, default: Slot) -> Slot:
    if name not in query:
        return default
    try:
        return payload.parse_hour(query[name], "query", name)
    except payload.ContractError:
        raise ApiError(400, "invalid_parameter",
                       f"{name} must be an hour like 2026-11-01T13:00:00Z") from None


def _encode_cursor(begin: Slot, to: Slot) -> str:
    return base64.urlsafe_b64encode(f"c1:{begin}:{to}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[Slot, Slot]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, begin, to = text.split(":")
        if tag != "c1":
            raise ValueError(tag)
        return int(begin), int(to)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor", "cursor is not one this server gave") from None


def _page_pieces(page: list[tuple[Slot, bytes]], cursor: str | None) -> Iterator[bytes]:
    yield b'{"snapshots":['
    for i, (_, raw) in enumerate(page):
        if i:
            yield b","
        yield raw
    yield b'],"next_cursor":' + json.dumps(cursor).encode() + b"}"


def _accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _gzipped(pieces: Iterable[bytes]) -> Iterator[bytes]:
    # Level 1: JSON this repetitive still shrinks ~15x, and the CPU stays free.
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    for piece in pieces:
        out = compressor.compress(piece)
        if out:
            yield out
    yield compressor.flush()


def _batched(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Chunks of at least `_CHUNK` bytes (fewer, larger writes)."""
    held: list[bytes] = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size >= _CHUNK:
            yield b"".join(held)
            held, size = [], 0
    if size:
        yield b"".join(held)


def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()
