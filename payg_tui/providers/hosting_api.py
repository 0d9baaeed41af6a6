"""The hosting API client (api.md): httpx, bearer auth, retries, strict payloads.

- Every answer goes through `payload.py`; a payload that breaks the contract
  becomes a `DataContractError` (exit 4) naming the snapshot and the field.
- Connection errors, timeouts, `429` and `5xx` are retried as `retry.py`
  says (backoff with jitter, `Retry-After` honoured, bounded in tries and
  total time per request); then a `NetworkError` (exit 3). `401`/`403` fail at once
  with a hint to check the token.
- Snapshots arrive page by page (`snapshot_pages`), so a month is never held
  in memory; pages are sized from the bytes per snapshot seen so far.
- The token lives only inside the `Authorization` header that `_Bearer` adds
  to each request; it is in no repr, message or log line, and every message
  built from the server's words is scrubbed of it.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from payg_tui.config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_PAGE_MB,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    check_token,
    check_url,
)
from payg_tui.engine.model import Product, Provider, Slot, Snapshot, slot_iso
from payg_tui.engine.text import printable
from payg_tui.errors import DataContractError, NetworkError
from payg_tui.gcpause import paused_gc
from payg_tui.providers import bounded, payload
from payg_tui.providers.payload import ContractError
from payg_tui.providers.retry import (
    DEFAULT_RETRY,
    RETRYABLE_ERRORS,
    Attempts,
    RetryPolicy,
    retry_after,
    retryable,
)

MAX_PAGE = 168  # the API's largest `limit`
FIRST_PAGE = 4  # small enough for the largest reseller, until sizes are known
PAGE_BYTES = 12_000_000  # aim for pages of about this much JSON
MAX_EMPTY_PAGES = 3  # empty pages in a row that still point on: more is a listing going nowhere
MAX_CURSOR = 4096  # characters: a cursor travels back in the URL, and each is kept for the sync
_USER_AGENT = "payg-tui/0.1"


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """Told to `on_retry` before each wait: what failed and how long until the next try."""

    path: str
    attempt: int
    problem: str
    delay: float


@dataclass(frozen=True, slots=True)
class SnapshotPage:
    snapshots: list[Snapshot]
    next_cursor: str | None
    json_bytes: int


class _Bearer(httpx.Auth):
    """Adds the token to each request; keeps it out of client headers and reprs."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def scrub(self, text: str) -> str:
        return text.replace(self._token, "********") if self._token else text

    def __repr__(self) -> str:
        return "<bearer token hidden>"


class ApiClient:
    """A session with the hosting API at `url`. Use as a context manager."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        max_page_bytes: int = DEFAULT_MAX_PAGE_MB << 20,
        retry: RetryPolicy | None = None,
        page_limit: int | None = None,
        page_bytes: int = PAGE_BYTES,
        on_retry: Callable[[RetryNotice], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.url = check_url(url, "API URL")
        self._auth = _Bearer(check_token(token, "API token"))
        self.retry = retry or DEFAULT_RETRY
        self.page_limit = page_limit
        self.page_bytes = page_bytes
        self.on_retry = on_retry
        self.bounds = bounded.Bounds(request_timeout, max_page_bytes)
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._http = httpx.Client(
            base_url=self.url + "/",
            auth=self._auth,
            headers={"Accept": "application/json", "Accept-Encoding": "gzip",
                     "User-Agent": _USER_AGENT},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
            verify=True,
            follow_redirects=False,
            transport=transport,
        )
        bounded.bound_sockets(self._http)

    def __repr__(self) -> str:
        return f"ApiClient({self.url!r})"

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the three resources -------------------------------------------------

    def provider(self) -> Provider:
        doc = self._get_json("v1/provider", {}, "provider")
        with _contract():
            return payload.parse_provider(doc, "provider")

    def products(self) -> dict[str, Product]:
        doc = self._get_json("v1/products", {}, "products")
        with _contract():
            return payload.parse_products(doc, "products")

    def snapshot_pages(self, since: Slot, until: Slot | None = None) -> Iterator[SnapshotPage]:
        """Snapshots of `[since, until)` (open-ended without `until`), a page at a time.

        Each page is fully checked before it is yielded: its snapshots are
        inside the range asked for, strictly ascending, and later than the
        last snapshot of the page before.
        """
        cursor: str | None = None
        previous: Slot | None = None
        limit = self.page_limit or FIRST_PAGE
        listing = _Listing()
        while True:
            params: dict[str, Any] = {"from": slot_iso(since), "limit": limit}
            if until is not None:
                params["to"] = slot_iso(until)
            if cursor is not None:
                params["cursor"] = cursor
            where = f"page after {slot_iso(previous)}" if previous is not None else (
                f"page from {slot_iso(since)}")
            with _contract():
                page = read_page(self._get("v1/snapshots", params), where, since, until,
                                 previous)
            listing.check(page, where)
            yield page
            if page.snapshots:
                previous = page.snapshots[-1].slot
                if self.page_limit is None:
                    per_snapshot = max(1, page.json_bytes // len(page.snapshots))
                    limit = max(1, min(MAX_PAGE, self.page_bytes // per_snapshot))
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    # -- transport -----------------------------------------------------------

    def _get_json(self, path: str, params: dict[str, Any], where: str) -> Any:
        return _decode(self._get(path, params), where)

    def _get(self, path: str, params: dict[str, Any]) -> bytes:
        """The body of a 200 answer, after retries; NetworkError otherwise."""
        attempts = Attempts(self.retry, self._clock, self._rng)
        while True:
            wait_at_least: float | None = None
            try:
                response = bounded.request(self._http, "GET", path, self.bounds, params=params)
            except bounded.TooSlow as error:
                # Not retried: the try took the whole deadline, a retry would too.
                raise NetworkError(
                    f"the API at {self.url} sent no complete answer to /{path} within "
                    f"{error.seconds:g} s (api.request_timeout): it is stalled or far too slow"
                ) from None
            except bounded.TooLarge as error:
                raise DataContractError(
                    f"the API at {self.url} sent more than {bounded.megabytes(error.max_bytes)} "
                    f"for /{path} (api.max_page_mb); refused"
                ) from None
            except bounded.Unreadable as error:
                raise DataContractError(f"the API at {self.url}: /{path}: {error}") from None
            except httpx.TimeoutException as error:
                problem = f"timed out ({_timeout_kind(error)})"
            except RETRYABLE_ERRORS as error:
                problem = f"connection failed: {self._auth.scrub(str(error)) or type(error).__name__}"
            else:
                status = response.status_code
                if status == 200:
                    return response.content
                detail = self._error_detail(response)
                if status in (401, 403):
                    raise NetworkError(
                        f"the API at {self.url} refused the token ({status} "
                        f"{response.reason_phrase}{detail}): check the token "
                        "(`payg-tui config set api.token -`, PAYG_API_TOKEN or --token)"
                    )
                if not retryable(status):
                    raise NetworkError(f"the API at {self.url} answered {status} "
                                       f"{response.reason_phrase} to /{path}{detail}")
                problem = f"{status} {response.reason_phrase}{detail}"
                wait_at_least = retry_after(response.headers.get("Retry-After"))
            delay = attempts.failed(wait_at_least)
            if delay is None:
                raise NetworkError(
                    f"the API at {self.url} failed on /{path}: {problem} "
                    f"(gave up after {attempts.tries()} in {attempts.elapsed:.1f} s)"
                )
            if self.on_retry is not None:
                self.on_retry(RetryNotice(path=path, attempt=attempts.attempt, problem=problem,
                                          delay=delay))
            self._sleep(delay)

    def _error_detail(self, response: bounded.Answer) -> str:
        """`: code: message` from the API's error shape, short, printable, scrubbed."""
        try:
            error = response.json()["error"]
            text = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
        except Exception:
            return ""
        text = printable(str(text), 200)
        return f": {self._auth.scrub(text)}" if text else ""


class _Listing:
    """The cursors of one listing, to refuse one that would never end.

    A cursor seen before means the pages go round in a circle (a -> b -> a);
    many empty pages in a row that still point on mean it goes nowhere.
    Either is a broken contract, reported with the cursor it stopped at.
    """

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.empty = 0

    def check(self, page: SnapshotPage, where: str) -> None:
        cursor = page.next_cursor
        if cursor is None:
            return
        shown = repr(cursor) if len(cursor) <= 60 else repr(cursor[:60]) + "…"
        if len(cursor) > MAX_CURSOR:
            raise DataContractError(f"{where}: field 'next_cursor': {shown} is longer than "
                                    f"{MAX_CURSOR} characters")
        if cursor in self.seen:
            raise DataContractError(f"{where}: field 'next_cursor': {shown} was already given "
                                    "in this sync (the listing goes round in a circle)")
        self.seen.add(cursor)
        self.empty = 0 if page.snapshots else self.empty + 1
        if self.empty > MAX_EMPTY_PAGES:
            raise DataContractError(f"{where}: field 'next_cursor': {self.empty} empty pages in "
                                    f"a row still point on (to {shown}); the listing goes nowhere")


def _decode(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise DataContractError(f"{where}: the answer is not valid JSON ({error})"[:300]) from None


_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


@contextmanager
def _contract() -> Iterator[None]:
    """Turns payload.py's ContractError into the CLI's DataContractError (exit 4)."""
    try:
        yield
    except ContractError as error:
        raise DataContractError(str(error)) from error


def read_page(body: bytes, where: str, since: Slot, until: Slot | None,
              previous: Slot | None) -> SnapshotPage:
    """One `/v1/snapshots` answer, checked; `ContractError` on the first fault.

    The document is walked with the json module's own scanner one snapshot
    at a time, and each snapshot is reduced to a `Snapshot` before the next
    is decoded: a page never exists as one big tree of dicts. The snapshots
    must lie in `[since, until)` and ascend strictly, from after `previous`
    (the last hour of the page before) on.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ContractError(where, "(document)", f"not UTF-8 text (byte {error.start})") from None
    del body  # the caller passed it on; only the text is needed from here
    try:
        with paused_gc():
            return _PageReader(text, where, since, until, previous).read()
    except json.JSONDecodeError as error:
        raise ContractError(where, "(document)",
                            f"not valid JSON: {error.msg} at character {error.pos}") from None
    except RecursionError:
        raise ContractError(where, "(document)", "JSON nested too deeply") from None


class _PageReader:
    """`{"snapshots": [...], "next_cursor": ...}`, keys in any order."""

    def __init__(self, text: str, where: str, since: Slot, until: Slot | None,
                 previous: Slot | None) -> None:
        self.text = text
        self.where = where
        self.since = since
        self.until = until
        self.previous = previous
        self.snapshots: list[Snapshot] = []

    def _skip(self, pos: int) -> int:
        return _WHITESPACE.match(self.text, pos).end()  # type: ignore[union-attr]

    def _expect(self, pos: int, char: str, message: str) -> int:
        if not self.text.startswith(char, pos):
            raise json.JSONDecodeError(message, self.text, pos)
        return self._skip(pos + 1)

    def read(self) -> SnapshotPage:
        text, where = self.text, self.where
        pos = self._skip(0)
        if not text.startswith("{", pos):
            value, _ = _DECODER.raw_decode(text, pos)
            raise ContractError(where, "(document)", f"expected an object, got {_kind(value)}")
        pos = self._skip(pos + 1)
        seen: set[str] = set()
        cursor: Any = None
        while not text.startswith("}", pos):
            if seen:
                pos = self._expect(pos, ",", "Expecting ',' delimiter")
            if not text.startswith('"', pos):
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes",
                                           text, pos)
            key, pos = _DECODER.raw_decode(text, pos)
            if key in seen:
                raise ContractError(where, key, "given twice")
            seen.add(key)
            pos = self._expect(self._skip(pos), ":", "Expecting ':' delimiter")
            if key == "snapshots" and text.startswith("[", pos):
                pos = self._read_snapshots(self._skip(pos + 1))
            else:
                value, pos = _DECODER.raw_decode(text, pos)
                if key == "snapshots":
                    raise ContractError(where, "snapshots",
                                        f"expected an array, got {_kind(value)}")
                if key == "next_cursor":
                    cursor = value
            pos = self._skip(pos)
        if self._skip(pos + 1) != len(text):
            raise json.JSONDecodeError("Extra data", text, self._skip(pos + 1))
        for key in ("snapshots", "next_cursor"):
            if key not in seen:
                raise ContractError(where, key, "missing")
        if cursor is not None and (not isinstance(cursor, str) or not cursor):
            raise ContractError(where, "next_cursor", "expected a non-empty string or null")
        return SnapshotPage(self.snapshots, cursor, len(text))

    def _read_snapshots(self, pos: int) -> int:
        text = self.text
        if text.startswith("]", pos):
            return pos + 1
        while True:
            raw, pos = _DECODER.raw_decode(text, pos)
            snap = payload.parse_snapshot(
                raw, f"snapshot #{len(self.snapshots) + 1} of the {self.where}")
            del raw
            if snap.slot < self.since or (self.until is not None and snap.slot >= self.until):
                raise ContractError(f"snapshot {slot_iso(snap.slot)}", "taken_at",
                                    "outside the range asked for")
            if self.previous is not None and snap.slot <= self.previous:
                raise ContractError(f"snapshot {slot_iso(snap.slot)}", "taken_at",
                                    f"out of order: comes after {slot_iso(self.previous)}")
            self.previous = snap.slot
            self.snapshots.append(snap)
            pos = self._skip(pos)
            if text.startswith("]", pos):
                return pos + 1
            pos = self._expect(pos, ",", "Expecting ',' delimiter")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number")


def _timeout_kind(error: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "connecting",
        httpx.ReadTimeout: "waiting for the answer",
        httpx.WriteTimeout: "sending the request",
        httpx.PoolTimeout: "waiting for a connection",
    }.get(type(error), "timeout")
