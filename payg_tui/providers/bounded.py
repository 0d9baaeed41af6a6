"""Every request to a provider ends in bounded time and bounded memory.

httpx's timeouts apply to each socket operation: a server that sends one
byte every few seconds never trips them and holds a request for ever. And
`response.content` reads a body whole, so an answer that never ends, or a
small gzip body that inflates to gigabytes, grows memory until it runs out.

`request` gives one HTTP request an overall deadline, from connecting to
the last byte of the body, and caps the body's size after decompression:
it streams the body and stops at the cap. `bound_sockets` makes the
deadline reach the socket, so that even a server trickling its status line
and headers is cut off on time: every name lookup, connect, read and write
of a thread waits at most until the deadline of the request that thread is
making.

Both clients (hosting_api.py, combell/client.py) send their requests
through here; each turns `TooSlow` and `TooLarge` into its own one-line error.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

ERROR_BODY_BYTES = 65_536  # of an error answer, only the start is read: enough for its message


class TooSlow(Exception):
    """The whole answer did not arrive within the deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


class Unreadable(Exception):
    """The body is in an encoding that was not asked for, or several stacked."""

    def __init__(self, encoding: str) -> None:
        super().__init__(f"the answer is in an encoding that was not asked for "
                         f"(Content-Encoding {encoding[:40]!r})")


class TooLarge(Exception):
    """The body (after decompression) is larger than the cap."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the answer is larger than {megabytes(max_bytes)}")
        self.max_bytes = max_bytes


def megabytes(size: int) -> str:
    return f"{size / (1 << 20):g} MB"


@dataclass(frozen=True, slots=True)
class Bounds:
    seconds: float  # one try of one request: connect, send, headers and the whole body
    max_bytes: int  # the body of a 200 answer, decompressed


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished answer: status, headers and the whole (bounded) body."""

    status_code: int
    reason_phrase: str
    headers: httpx.Headers
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


def request(http: httpx.Client, method: str, url: str, bounds: Bounds, *,
            params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
            content: bytes | None = None) -> Answer:
    """Send one request and read its answer within `bounds`.

    Raises `TooSlow`, `TooLarge`, `Unreadable`, or httpx's own errors
    (connection refused or reset, a body cut short, a broken gzip stream). Of an answer
    other than 200 only the first `ERROR_BODY_BYTES` are kept.
    """
    deadline = time.monotonic() + bounds.seconds
    with _until(deadline):
        try:
            with http.stream(method, url, params=params, headers=headers,
                             content=content) as response:
                body = _read(response, bounds.max_bytes, deadline, bounds.seconds)
                return Answer(response.status_code, response.reason_phrase, response.headers, body)
        except httpx.TimeoutException:
            if time.monotonic() >= deadline:
                raise TooSlow(bounds.seconds) from None
            raise


def _read(response: httpx.Response, max_bytes: int, deadline: float, seconds: float) -> bytes:
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if response.status_code != 200:
        try:  # only the start, for the error's message
            return _head(_decoded(response, encoding), ERROR_BODY_BYTES)
        except (Unreadable, httpx.DecodingError):
            return b""  # an error all the same, without its message
    declared = response.headers.get("Content-Length", "")
    if encoding in ("", "identity") and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(max_bytes)  # refused before a byte of it is read
    chunks: list[bytes] = []
    size = 0
    for chunk in _decoded(response, encoding):
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(max_bytes)
        if time.monotonic() > deadline:
            raise TooSlow(seconds)
        chunks.append(chunk)
    return b"".join(chunks)


INFLATE_STEP = 1 << 20


def _decoded(response: httpx.Response, encoding: str) -> Iterator[bytes]:
    """The body, decompressed at most `INFLATE_STEP` bytes at a time.

    Inflated here, not by httpx: one 64 KB read of a gzip bomb inflates to
    64 MB, which httpx's decoder hands over in one piece (and with two
    encodings stacked, `gzip, gzip`, 64 GB). gzip and deflate are what httpx
    asks for; anything else was not asked for and is `Unreadable`.
    """
    if encoding in ("", "identity"):
        yield from response.iter_bytes()  # no decoder: the pieces as they were read
    elif encoding in ("gzip", "x-gzip"):
        yield from _inflate(response.iter_raw(), zlib.MAX_WBITS | 16)
    elif encoding == "deflate":
        yield from _inflate(response.iter_raw(), None)
    else:
        raise Unreadable(encoding)


def _inflate(raw: Iterable[bytes], wbits: int | None) -> Iterator[bytes]:
    """gzip (`wbits` given) or deflate, zlib-wrapped or raw as its first bytes say."""
    inflater = None if wbits is None else zlib.decompressobj(wbits)
    try:
        for data in raw:
            if inflater is None and data:
                inflater = zlib.decompressobj(zlib.MAX_WBITS if _zlib_header(data)
                                              else -zlib.MAX_WBITS)
            while data and inflater is not None and not inflater.eof:
                yield inflater.decompress(data, INFLATE_STEP)
                data = inflater.unconsumed_tail
    except zlib.error as error:
        raise httpx.DecodingError(f"broken compressed body: {error}") from None
    if inflater is not None and not inflater.eof:
        raise httpx.DecodingError("compressed body cut short")


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _head(chunks: Iterable[bytes], limit: int) -> bytes:
    kept = bytearray()
    for chunk in chunks:
        kept += chunk[: limit - len(kept)]
        if len(kept) >= limit:
            break
    return bytes(kept)


# -- the deadline at the socket ----------------------------------------------------------

_local = threading.local()


@contextmanager
def _until(deadline: float) -> Iterator[None]:
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout`, shortened to what is left of this thread's request deadline."""
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        # The host's addresses are looked up here, within the deadline, and tried in
        # turn: given a name, the socket module's lookup would wait as long as the
        # system resolver does. TLS still checks the name (httpcore passes it on).
        # An address that refuses or does not answer in the connect timeout (an IPv6
        # route that drops packets) is passed over for the next, as the socket module
        # does; once the deadline has passed, `_clamp` ends the search.
        failed: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in _addresses(host, port):
            left = _clamp(timeout, httpcore.ConnectTimeout)
            try:
                return _DeadlineStream(self._backend.connect_tcp(
                    address, port, left, local_address, socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failed = error
        raise failed or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._backend.connect_unix_socket(
            path, _clamp(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _addresses(host: str, port: int) -> list[str]:
    """`host`'s addresses, looked up on a helper thread for at most what is left of the deadline.

    A lookup that outlasts the deadline is left to finish on its own (it
    cannot be cut short) and the request fails on time.
    """
    with contextlib.suppress(ValueError):
        return [str(ipaddress.ip_address(host))]
    found: list[list[str] | OSError] = []

    def look_up() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.append(list(dict.fromkeys(str(info[4][0]) for info in infos)))
        except OSError as error:  # socket.gaierror: no such name, no network
            found.append(error)

    helper = threading.Thread(target=look_up, name=f"resolve {host}", daemon=True)
    helper.start()
    helper.join(_clamp(None, httpcore.ConnectTimeout))
    if not found:
        raise httpcore.ConnectTimeout(f"looking up {host} took longer than the request's deadline")
    if isinstance(found[0], OSError):
        raise httpcore.ConnectError(f"cannot look up {host}: {found[0]}")
    return found[0]


def bound_sockets(http: httpx.Client) -> httpx.Client:
    """Make every socket of `http` (proxies from the environment too) obey `request`'s deadline.

    httpx has no public hook for its network backend, so this reaches into
    the transport's connection pool; `tests/test_hostile_servers.py` fails
    if a new httpx moves it. A scripted transport (httpx.MockTransport) has
    no sockets and is left as it is: `request` still checks the deadline
    between chunks of the body.
    """
    transports = [http._transport, *http._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return http
