"""A hosting API that misbehaves on purpose, one fault per server (issue 10).

`/v1/provider` and `/v1/products` answer the worked example's provider and
catalogue (so a cache seeded from that dump accepts them); `/v1/snapshots`
answers an empty last page. The fault applies to the path in `on`
(`/v1/snapshots` unless told otherwise) and is one of `FAULTS`:

- trickle: honest headers, then the body one byte every `interval` seconds
- trickle_headers: the status line and headers one byte every `interval`
- silent: accepts the connection, reads the request, never answers
- endless: a chunked body that never ends (64 KB chunks, as fast as read)
- endless_close: no length, no chunks: bytes until the connection closes
- gzip_bomb: a small gzip body that inflates to `size` bytes of JSON space
- deflate_bomb: the same, zlib-wrapped, as `Content-Encoding: deflate`
- double_gzip: a gzip bomb gzipped again, `Content-Encoding: gzip, gzip`
- cycle: empty pages whose `next_cursor` goes a -> b -> a -> ...
- empty_pages: empty pages with a fresh cursor each time (c1, c2, ...); with
  `pages`, the page after that many ends the listing (an honest server's gap)
- close_mid_body: announces 5,000 bytes, sends 100, closes
- stall_mid_body: announces 5,000 bytes, sends 100, then waits
- endless_error: a 503 whose chunked body never ends
- bad_gzip: says gzip, sends bytes that are not
- length_short: announces fewer bytes than the JSON it sends
- length_huge: announces 10**12 bytes, sends a little, then waits
- huge_header: a 1 MB header line before an honest body
- reset: closes the connection without a word

Loopback only, port 0, a thread per connection; `close()` ends every
endless answer. Records each request's path and query in `requests`.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import zlib
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DUMP = Path(__file__).parent / "data" / "worked-example.json"

FAULTS = ("trickle", "trickle_headers", "silent", "endless", "endless_close", "gzip_bomb",
          "deflate_bomb", "double_gzip",
          "cycle", "empty_pages", "close_mid_body", "stall_mid_body", "endless_error",
          "bad_gzip", "length_short", "length_huge", "huge_header", "reset")


@cache
def _catalogue() -> tuple[bytes, bytes]:
    doc = json.loads(DUMP.read_text(encoding="utf-8"))
    return (json.dumps(doc["provider"]).encode(),
            json.dumps({"products": doc["products"]}).encode())


LAST_PAGE = b'{"snapshots": [], "next_cursor": null}'


@cache
def bomb(size: int) -> bytes:
    """A gzip member of `size` bytes: a page opening, then spaces (valid JSON so far)."""
    block = b" " * (1 << 20)
    body = bytearray()
    compressor = gzip.GzipFile(fileobj=_Sink(body), mode="wb", compresslevel=9)
    compressor.write(b'{"snapshots": [')
    left = size - 15
    while left > 0:
        compressor.write(block[: min(left, len(block))])
        left -= len(block)
    compressor.close()
    return bytes(body)


@cache
def deflate_bomb(size: int) -> bytes:
    """The same as `bomb`, zlib-wrapped (what `Content-Encoding: deflate` means)."""
    deflater = zlib.compressobj(9)
    parts = [deflater.compress(b'{"snapshots": [')]
    block, left = b" " * (1 << 20), size - 15
    while left > 0:
        parts.append(deflater.compress(block[: min(left, len(block))]))
        left -= len(block)
    parts.append(deflater.flush())
    return b"".join(parts)


class _Sink:
    def __init__(self, into: bytearray) -> None:
        self.into = into

    def write(self, data: bytes) -> int:
        self.into.extend(data)
        return len(data)

    def flush(self) -> None:
        pass


class HostileServer:
    def __init__(self, fault: str, *, on: str = "/v1/snapshots", interval: float = 0.2,
                 size: int = 256 << 20, pages: int | None = None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        self.fault = fault
        self.on = on
        self.interval = interval
        self.size = size
        self.pages = pages
        self.requests: list[str] = []
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hostile = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _honest_body(path: str) -> bytes:
    provider, products = _catalogue()
    if path.endswith("/provider"):
        return provider
    return products if path.endswith("/products") else LAST_PAGE


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up on a hostile answer is the point, not news


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def hostile(self) -> HostileServer:
        return self.server.hostile  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # the alerts webhook
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    def do_GET(self) -> None:
        hostile = self.hostile
        hostile.requests.append(self.path)
        parts = urlsplit(self.path)
        try:
            self.honest = _honest_body(parts.path)
            if parts.path.endswith(hostile.on):
                getattr(self, "_" + hostile.fault)(parse_qs(parts.query))
            else:
                self._answer(self.honest)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- honest answers --------------------------------------------------------

    def _answer(self, body: bytes, extra: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _wait(self, seconds: float) -> bool:
        """Sleep; True when the server is stopping."""
        return self.hostile.stopping.wait(seconds)

    # -- the faults ------------------------------------------------------------

    def _trickle(self, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.honest)))
        self.end_headers()
        for byte in self.honest:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if self._wait(self.hostile.interval):
                return

    def _trickle_headers(self, query: dict[str, list[str]]) -> None:
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(self.honest)}\r\n" + "X-Slow: " + "." * 4000 + "\r\n\r\n")
        for byte in head.encode():
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if self._wait(self.hostile.interval):
                return
        self.wfile.write(self.honest)

    def _silent(self, query: dict[str, list[str]]) -> None:
        self._wait(3600)
        self.close_connection = True

    def _endless(self, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b" " * 65536
        framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        self.wfile.write(b'f\r\n{"snapshots": [\r\n')
        while not self.hostile.stopping.is_set():
            self.wfile.write(framed)

    def _endless_close(self, query: dict[str, list[str]]) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Connection: close\r\n\r\n")
        self.wfile.write(b'{"snapshots": [')
        chunk = b" " * 65536
        while not self.hostile.stopping.is_set():
            self.wfile.write(chunk)
        self.close_connection = True

    def _gzip_bomb(self, query: dict[str, list[str]]) -> None:
        self._answer(bomb(self.hostile.size), {"Content-Encoding": "gzip"})

    def _deflate_bomb(self, query: dict[str, list[str]]) -> None:
        self._answer(deflate_bomb(self.hostile.size), {"Content-Encoding": "deflate"})

    def _double_gzip(self, query: dict[str, list[str]]) -> None:
        self._answer(gzip.compress(bomb(self.hostile.size)), {"Content-Encoding": "gzip, gzip"})

    def _cycle(self, query: dict[str, list[str]]) -> None:
        cursor = query.get("cursor", [""])[0]
        self._answer(json.dumps({"snapshots": [],
                                 "next_cursor": "b" if cursor == "a" else "a"}).encode())

    def _empty_pages(self, query: dict[str, list[str]]) -> None:
        cursor = query.get("cursor", ["c0"])[0]
        number = int(cursor[1:]) + 1
        last = self.hostile.pages is not None and number > self.hostile.pages
        self._answer(json.dumps({"snapshots": [],
                                 "next_cursor": None if last else f"c{number}"}).encode())

    def _close_mid_body(self, query: dict[str, list[str]]) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 5000\r\n\r\n" + b'{"snapshots": [' + b" " * 85)
        self.close_connection = True

    def _stall_mid_body(self, query: dict[str, list[str]]) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 5000\r\n\r\n" + b'{"snapshots": [' + b" " * 85)
        self._wait(3600)
        self.close_connection = True

    def _endless_error(self, query: dict[str, list[str]]) -> None:
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b'{"error": {"code": "busy", "message": "' + b"x" * 65000
        framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        while not self.hostile.stopping.is_set():
            self.wfile.write(framed)

    def _bad_gzip(self, query: dict[str, list[str]]) -> None:
        self._answer(b"\x1f\x8b\x08\x00 this is not deflate data at all", {"Content-Encoding": "gzip"})

    def _length_short(self, query: dict[str, list[str]]) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 10\r\n\r\n" + self.honest)
        self.close_connection = True

    def _length_huge(self, query: dict[str, list[str]]) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000000000000\r\n\r\n" + b'{"snapshots": [')
        self._wait(3600)
        self.close_connection = True

    def _huge_header(self, query: dict[str, list[str]]) -> None:
        self._answer(self.honest, {"X-Filler": "x" * (1 << 20)})

    def _reset(self, query: dict[str, list[str]]) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.close_connection = True
