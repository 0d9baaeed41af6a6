"""Bringing the cache up to date from the API, a page at a time.

`run_sync` is the whole job, shared by `payg-tui sync` and the dashboard
(which calls it from a worker thread): provider and products first, then
the snapshots from the hour after the newest cached one. Each page goes into
the store in one transaction, so an interrupted sync (Ctrl-C, kill -9, a
dropped connection) keeps every whole page and the next run resumes after
the last one; a refused page raises before anything of it is written.

The next page is fetched on a helper thread while the current one is being
written: the server's time and ours overlap instead of adding up. At most
two pages are in memory at once.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from payg_tui.engine.clock import local_midnight
from payg_tui.engine.model import (
    GRACE_HOURS,
    BillingError,
    Product,
    Provider,
    Slot,
    Snapshot,
    slot_iso,
    slot_of,
)
from payg_tui.engine.periods import period_of, periods_between
from payg_tui.errors import DataContractError, UsageError
from payg_tui.gcpause import paused_gc
from payg_tui.providers.hosting_api import ApiClient, RetryNotice, SnapshotPage
from payg_tui.service.intake import refuse_future
from payg_tui.store.cache import ProviderChanged, describe_provider
from payg_tui.store.synclock import sync_lock as sync_lock  # one sync at a time per cache

Stage = Literal["provider", "products", "snapshots", "done"]


class SyncStore(Protocol):
    """What the sync needs from the cache (payg_tui.store.cache.Store)."""

    def latest_slot(self) -> Slot | None: ...

    def add_snapshots(self, snapshots: Iterable[Snapshot], *, provider: Provider | None = None,
                      products: dict[str, Product] | None = None, updated: datetime | None = None,
                      synced: datetime | None = None) -> object: ...

    def mark_updated(self, moment: datetime) -> None: ...

    def mark_synced(self, moment: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """What a progress display needs; sent after each stage and each stored page."""

    stage: Stage
    hours_done: int  # hours of the range covered so far (missing hours included)
    hours_total: int  # hours from the start of the range to its end (or now)
    hours_added: int  # snapshots stored so far
    pages: int
    elapsed: float  # seconds
    retry: str | None = None  # set while waiting to retry a failed request

    @property
    def rate(self) -> float:
        """Hours per second so far."""
        return self.hours_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds still to go at the current rate; None until there is a rate."""
        if self.hours_done <= 0 or self.elapsed <= 0:
            return None
        return max(0.0, (self.hours_total - self.hours_done) / self.rate)


@dataclass(frozen=True, slots=True)
class SyncSummary:
    start: Slot  # the first hour asked for
    end: Slot | None  # exclusive; None: up to the newest the API has
    hours_added: int
    first_added: Slot | None
    last_added: Slot | None
    missing: list[tuple[Slot, Slot]] = field(default_factory=list)  # inclusive runs
    periods: tuple[str, ...] = ()  # periods (YYYY-MM) that gained snapshots
    pages: int = 0
    elapsed: float = 0.0
    stopped: bool = False  # should_stop() ended it early; run again to go on

    @property
    def missing_hours(self) -> int:
        return sum(last - first + 1 for first, last in self.missing)


ProgressCallback = Callable[[SyncProgress], None]


EARLIEST = date(2000, 1, 1)  # no pay-as-you-use hosting bill starts earlier
LATEST = date(2099, 12, 31)  # and none this far on; both keep the hour arithmetic in range


def parse_when(text: str, what: str = "WHEN") -> datetime | date:
    """`2026-10-01` (a date) or `2026-10-01T05:00:00Z` (a UTC hour), for --since/--until.

    Checked here, before any network: a malformed value, or one outside
    `EARLIEST`..`LATEST`, is a `UsageError` naming `what`.
    """
    value = text.strip()
    try:
        if "T" not in value:
            day = date.fromisoformat(value)
            _in_range(day, text, what)
            return day
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{what}: not a date or UTC hour: {text!r:.60} "
                         "(expected 2026-10-01 or 2026-10-01T05:00:00Z)") from None
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        raise UsageError(f"{what}: {text!r:.60}: give the hour in UTC, ending in Z")
    if (moment.minute, moment.second, moment.microsecond) != (0, 0, 0):
        raise UsageError(f"{what}: {text!r:.60}: not a whole hour")
    _in_range(moment.date(), text, what)
    return moment


def _in_range(day: date, text: str, what: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise UsageError(f"{what}: {text!r:.60} is out of range "
                         f"(from {EARLIEST.isoformat()} to {LATEST.isoformat()})")


def check_order(since: datetime | date | None, until: datetime | date | None) -> None:
    """`--until` must come after `--since`; a `UsageError` otherwise.

    A date means local midnight in the provider's zone, which is not known
    before the network is asked: a date and an hour are compared over every
    zone there is (UTC-12 to UTC+14), so only a pair that is wrong in all
    of them is refused here; `plan_range` copes with the rest.
    """
    if since is None or until is None:
        return
    first, last = since, until
    if type(since) is not type(until):  # a date and an hour: over every zone
        first, last = _earliest_utc(since), _latest_utc(until)
    if last <= first:
        raise UsageError(f"--until {_shown(until)} is not after --since {_shown(since)}")


def _earliest_utc(when: datetime | date) -> datetime:
    if isinstance(when, datetime):
        return when
    return datetime(when.year, when.month, when.day, tzinfo=UTC) - timedelta(hours=14)


def _latest_utc(when: datetime | date) -> datetime:
    if isinstance(when, datetime):
        return when
    return datetime(when.year, when.month, when.day, tzinfo=UTC) + timedelta(hours=12)


def _shown(when: datetime | date) -> str:
    if isinstance(when, datetime):
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return when.isoformat()


def resolve_when(when: datetime | date | Slot, timezone: str) -> Slot:
    """A slot; a date means its local 00:00 in the provider's billing zone."""
    if isinstance(when, int):
        return when
    if isinstance(when, datetime):
        return slot_of(when)
    return local_midnight(when, timezone, boundary=True)


def default_start(now: Slot, timezone: str) -> Slot:
    """First run: the start of the previous billing period, less the grace window.

    The 48 extra hours let the 48-hour rule see the items created just before
    that period began.
    """
    current = period_of(now, timezone)
    previous = period_of(current.start - 1, timezone)
    return previous.start - GRACE_HOURS


def plan_range(latest: Slot | None, since: Slot | None, until: Slot | None, now: Slot,
               timezone: str) -> tuple[Slot, Slot | None]:
    """`[start, end)` to fetch: after the newest cached hour, or from `since` on a first run."""
    if latest is not None:
        start = latest + 1 if since is None else max(since, latest + 1)
    else:
        start = since if since is not None else default_start(now, timezone)
    if until is not None and until < start:
        until = start  # nothing to fetch; provider and products are still refreshed
    return start, until


def _plan(latest: Slot | None, since: datetime | date | Slot | None,
          until: datetime | date | Slot | None, now: Slot, timezone: str) -> tuple[Slot, Slot | None]:
    """`plan_range` in the provider's zone. A zone whose months do not start on a whole
    UTC hour (Asia/Kolkata) is the API breaking the contract, refused before anything
    is stored, as import refuses it."""
    try:
        start, end = plan_range(latest, None if since is None else resolve_when(since, timezone),
                                None if until is None else resolve_when(until, timezone), now, timezone)
        periods_between(start, max(start, now if end is None else end), timezone)
    except BillingError as error:
        raise DataContractError(f"the API's provider.timezone: {error}") from None
    return start, end


@dataclass(slots=True)
class _Tally:
    """What a running sync has done so far."""

    started: float
    start: Slot
    total: int
    newest: Slot | None  # the newest stored hour, cached before or added now
    stage: Stage = "provider"
    done: int = 0
    added: int = 0
    pages: int = 0
    first_added: Slot | None = None
    missing: list[tuple[Slot, Slot]] = field(default_factory=list)
    periods: set[str] = field(default_factory=set)

    def count(self, snapshots: list[Snapshot], timezone: str) -> None:
        for snap in snapshots:
            if self.newest is not None and snap.slot > self.newest + 1:
                self.missing.append((self.newest + 1, snap.slot - 1))
            self.newest = snap.slot
        first, last = snapshots[0].slot, snapshots[-1].slot
        self.periods.update(p.key for p in periods_between(first, last, timezone))
        if self.first_added is None:
            self.first_added = first
        self.added += len(snapshots)
        self.done = last + 1 - self.start
        self.total = max(self.total, self.done)

    def progress(self, retry: str | None = None) -> SyncProgress:
        return SyncProgress(self.stage, self.done, self.total, self.added, self.pages,
                            time.monotonic() - self.started, retry)


def run_sync(
    store: SyncStore,
    client: ApiClient,
    *,
    since: datetime | date | Slot | None = None,
    until: datetime | date | Slot | None = None,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    now: datetime | None = None,
    prefetch: bool = True,
) -> SyncSummary:
    """Fetch what the cache lacks and store it page by page; see the module doc.

    `progress` is called after each step, and before each retry wait (then
    from the helper thread that fetches ahead: hand it to your UI thread);
    `should_stop` is asked after each stored page. Raises `NetworkError`
    (exit 3), `DataContractError` (exit 4) or the store's `CacheError`
    (exit 5); whole pages stored before that are kept.
    """
    moment = now or datetime.now(UTC)
    now_slot = slot_of(moment)
    tally = _Tally(started=time.monotonic(), start=0, total=0, newest=None)
    outer_on_retry = client.on_retry

    def tell(stage: Stage, retry: str | None = None) -> None:
        tally.stage = stage
        if progress is not None:
            progress(tally.progress(retry))

    def on_retry(notice: RetryNotice) -> None:
        if outer_on_retry is not None:
            outer_on_retry(notice)
        tell(tally.stage, f"{notice.problem}; trying again in {notice.delay:.1f} s")

    client.on_retry = on_retry
    try:
        tell("provider")
        provider = client.provider()
        tell("products")
        products = client.products()
        tz = provider.timezone
        latest = store.latest_slot()
        start, end = _plan(latest, since, until, now_slot, tz)
        tally.start, tally.newest = start, latest
        tally.total = max(0, (end if end is not None else now_slot + 1) - start)
        tell("snapshots")

        stopped = False
        if end is None or start < end:
            source = client.snapshot_pages(start, end)
            pages: Iterator[SnapshotPage] = _Prefetched(source) if prefetch else source
            try:
                for page in pages:
                    if page.snapshots:
                        refuse_future(page.snapshots, moment)
                        first = tally.added == 0  # the catalogue rides with the first page
                        with paused_gc():  # as for decoding: many objects, no cycles
                            _store(store, page.snapshots, provider if first else None,
                                   products if first else None, updated=datetime.now(UTC))
                        tally.count(page.snapshots, tz)
                    tally.pages += 1
                    del page  # not held while the next one is awaited
                    tell("snapshots")
                    if should_stop is not None and should_stop():
                        stopped = True
                        break
            finally:
                close = getattr(pages, "close", None)
                if close is not None:
                    close()
        if tally.added == 0:
            # Nothing new: the catalogue and the sync's time in one write.
            _store(store, [], provider, products, synced=None if stopped else datetime.now(UTC))
        elif not stopped:
            store.mark_synced(datetime.now(UTC))  # reached the present
        if not stopped:
            tally.done = tally.total
        tell("done")
        return SyncSummary(
            start=start,
            end=end,
            hours_added=tally.added,
            first_added=tally.first_added,
            last_added=tally.newest if tally.first_added is not None else None,
            missing=tally.missing,
            periods=tuple(sorted(tally.periods)),
            pages=tally.pages,
            elapsed=time.monotonic() - tally.started,
            stopped=stopped,
        )
    finally:
        client.on_retry = outer_on_retry


def _store(store: SyncStore, snapshots: list[Snapshot], provider: Provider | None,
           products: dict[str, Product] | None, *, updated: datetime | None = None,
           synced: datetime | None = None) -> None:
    """One page (or the catalogue alone) with the cache's age or last sync, in one transaction."""
    try:
        store.add_snapshots(snapshots, provider=provider, products=products, updated=updated, synced=synced)
    except ProviderChanged as error:
        raise DataContractError(
            f"the API is of {describe_provider(error.new)}, but the cache holds "
            f"{describe_provider(error.stored)}: nothing was stored (for another provider, set "
            "PAYG_TUI_CACHE_DIR to another folder, or move this cache away)") from None


_DONE = object()


class _Prefetched:
    """Runs a page iterator one page ahead on a helper thread.

    The helper hands a page over and waits until it is taken before it
    fetches the next, so at most two pages are alive: the one being stored
    and the one being fetched. Exceptions reach the consumer in order, after
    the pages before them. `close()` lets the helper end after its current
    request.
    """

    def __init__(self, source: Iterator[SnapshotPage]) -> None:
        self._source = source
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._taken = threading.Semaphore(0)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._fetch, name="payg-sync-fetch", daemon=True)
        self._thread.start()

    def _hand_over(self, item: Any) -> bool:
        self._queue.put(item)
        while not self._taken.acquire(timeout=0.1):
            if self._closed.is_set():
                return False
        return not self._closed.is_set()

    def _fetch(self) -> None:
        try:
            for page in self._source:
                if not self._hand_over(page):
                    break
            else:
                self._hand_over(_DONE)
        except BaseException as error:  # handed to the consumer, raised there
            self._hand_over(error)
        finally:
            if self._closed.is_set():
                # Close the generator on the thread that runs it.
                close = getattr(self._source, "close", None)
                if close is not None:
                    close()

    def __iter__(self) -> Iterator[SnapshotPage]:
        return self

    def __next__(self) -> SnapshotPage:
        item = self._queue.get()
        self._taken.release()
        if item is _DONE:
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[no-any-return]

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(queue.Empty):  # drop a page waiting to be taken
            self._queue.get_nowait()


@dataclass(frozen=True, slots=True)
class ApiAccess:
    """Where the hosting API is and how patient to be with it (settings or options)."""

    url: str
    token: str
    connect_timeout: float
    read_timeout: float
    request_timeout: float
    max_page_bytes: int
    quick: bool = False  # the dashboard's start-up sync: two tries within 10 s


class SyncInterrupted(Exception):
    """Ctrl-C during a sync: whole pages stored so far are kept; `latest` is the newest hour held."""

    def __init__(self, latest: Slot | None) -> None:
        super().__init__("interrupted")
        self.latest = latest


def sync_cache(cache: Path, api: ApiAccess, *, since: datetime | date | None = None,
               until: datetime | date | None = None,
               progress: ProgressCallback | None = None) -> SyncSummary:
    """`payg-tui sync`: open the cache and the API, hold the sync lock, run the sync, close all."""
    from payg_tui.providers.retry import RetryPolicy
    from payg_tui.store.cache import Store

    retry = RetryPolicy(tries=2, total=10.0) if api.quick else None
    with Store.open(cache) as store, sync_lock(cache), ApiClient(
        api.url, api.token, connect_timeout=api.connect_timeout, read_timeout=api.read_timeout,
        retry=retry, request_timeout=api.request_timeout, max_page_bytes=api.max_page_bytes,
    ) as client:
        try:
            return run_sync(store, client, since=since, until=until, progress=progress)
        except KeyboardInterrupt:
            raise SyncInterrupted(store.latest_slot()) from None


def describe_range(summary: SyncSummary) -> str:
    if summary.first_added is None or summary.last_added is None:
        return "no new hours"
    return f"{slot_iso(summary.first_added)} to {slot_iso(summary.last_added)}"
