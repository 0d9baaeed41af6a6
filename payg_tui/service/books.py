"""The reseller's books: the one service the CLI and the dashboard ask.

It opens the cache (or builds the demo in a temporary one), hands ledgers
to the engine and returns plain results. Screens call it from workers; a lock
keeps the SQLite connection to one thread at a time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from payg_tui import locations
from payg_tui.engine.model import BillingError, PeriodSummary, Product, Provider, Slot
from payg_tui.errors import CacheError, DataContractError, UsageError
from payg_tui.gcpause import paused_gc
from payg_tui.service import export_file, formats
from payg_tui.service.intake import Clock, future_warning, utc_now
from payg_tui.store.cache import Store

if TYPE_CHECKING:
    from payg_tui.engine.detail import PeriodReport

Source = Literal["cache", "live", "demo"]
ExportFormat = Literal["json", "csv"]
T = TypeVar("T")
REPORTS_KEPT = 4  # a large period's report is ~10 MB in memory


class Books:
    def __init__(self, store: Store, source: Source, scratch: Path | None = None) -> None:
        self.store = store
        self.source: Source = source
        self._scratch = scratch
        self._lock = threading.RLock()
        self._reports: dict[tuple[int, str], PeriodReport] = {}  # oldest first
        self._building: dict[str, threading.Lock] = {}  # one build per period at a time
        self.clock: Clock = utc_now  # judges whether stored hours are in the future
        self._outside: int | None = None  # the cache's outside-write count last seen

    # -- opening ------------------------------------------------------------

    @classmethod
    def open_cache(cls, path: Path | None = None, *, create: bool = False) -> Books:
        """The user's cache; read-only when this user may not write it (reading still works)."""
        return cls(Store.open(path or locations.cache_path(), create=create, write=False), "cache")

    @property
    def read_only(self) -> bool:
        return self.store.read_only

    @classmethod
    def open_demo(cls, now: datetime | None = None) -> Books:
        """The built-in demo reseller, in a temporary cache removed on `close()`."""
        from payg_tui.engine.model import slot_of
        from payg_tui.sandbox.demo import demo_dump

        moment = now or datetime.now(UTC)
        scratch = Path(tempfile.mkdtemp(prefix="payg-tui-demo-"))
        store = Store.open(scratch / "demo.sqlite3")
        dump = demo_dump(slot_of(moment))
        store.add_snapshots(dump.snapshots, provider=dump.provider, products=dump.products)
        store.mark_updated(moment)
        return cls(store, "demo", scratch)

    def close(self) -> None:
        self.store.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> Books:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- questions ----------------------------------------------------------

    @property
    def cache_path(self) -> Path:
        """The cache file (a child sync writes to the same one)."""
        return self.store.path

    @property
    def provider(self) -> Provider | None:
        with self._lock:
            return self.store.provider()

    def as_of(self) -> Slot | None:
        with self._lock:
            return self.store.latest_slot()

    def observed(self) -> list[tuple[Slot, Slot]]:
        """The runs of hours that have a snapshot (inclusive pairs), oldest first."""
        with self._lock:
            return self.store.observed()

    def data_version(self) -> int:
        """Changes whenever data comes in: what derived results are remembered against."""
        with self._lock:
            return self.store.data_version()

    def products(self) -> dict[str, Product]:
        """The product catalogue with its price versions (read-only; the account screen's rates)."""
        with self._lock:
            return self.store.products()

    def updated_at(self) -> datetime | None:
        with self._lock:
            return self.store.updated_at()

    def age_text(self, now: datetime | None = None) -> str | None:
        """How old the cached data is, e.g. `last updated 3 h ago`."""
        updated = self.updated_at()
        if updated is None:
            return None
        seconds = ((now or datetime.now(UTC)) - updated).total_seconds()
        return f"last updated {formats.age_text(max(0.0, seconds))} ago"

    def changed_elsewhere(self) -> bool:
        """Whether another process (a sync, an import) wrote the cache since the last call.

        Cheap enough to ask every second: one pragma, no read of the data.
        """
        with self._lock:
            seen = self.store.outside_writes()
        changed = self._outside is not None and seen != self._outside
        self._outside = seen
        return changed

    def future_warning(self, now: datetime | None = None) -> str | None:
        """A warning when the cache holds hours dated after now (a clock set ahead)."""
        with self._lock:
            observed = self.store.observed()
        return future_warning(observed, now or self.clock())

    def saved_periods(self) -> list[PeriodSummary] | None:
        """The period list if it is saved for the current data (a few rows), else None."""
        with self._lock:
            return self.store.saved_summaries(self.store.data_version())

    def periods(self) -> list[PeriodSummary]:
        """Every period of the cache, newest first.

        The summaries are kept in the cache for the data version they were
        computed from, so that opening the dashboard on a warm cache does not
        rerun the engine over every month.
        """
        with self._lock:
            version = self.store.data_version()
            saved = self.store.saved_summaries(version)
            if saved is not None:
                return saved
            ledger = self.store.load_ledger()
        from payg_tui.engine.billing import list_periods  # not at import: a warm cache never needs it

        with paused_gc():  # as for a report (see `_report`)
            computed = _billing(lambda: list_periods(ledger))
        if self.store.read_only:
            return computed
        with self._lock, contextlib.suppress(CacheError):  # a cache we cannot write still answers
            if self.store.data_version() == version:
                self.store.save_summaries(computed, version)
        return computed

    def report(self, key: str) -> PeriodReport:
        """The period's report; the last few are remembered until the data changes.

        Safe to call from several threads. The dashboard builds the report of
        the period under the cursor ahead; if Enter asks for it while that
        build runs, it waits for the same build instead of starting a second
        engine run that would halve both.
        """
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            return self._report(key)

    def _report(self, key: str) -> PeriodReport:
        from payg_tui.engine.billing import build_report, report_window

        with self._lock:
            version = self.store.data_version()
            remembered = self._reports.get((version, key))
            if remembered is not None:
                return remembered
            provider = self.store.provider()
        if provider is None:
            raise CacheError("the cache holds no data yet: run `payg-tui sync` or `payg-tui import FILE`")
        window = _billing(lambda: report_window(provider.timezone, key))
        # The ledger and the report are some 300,000 objects for a large month,
        # none in a reference cycle: with the collector on, their allocation sets
        # off full collections that rescan them all (a third of the report's time).
        with paused_gc():
            with self._lock:
                ledger = self.store.load_ledger(window=window)
            report = _billing(lambda: build_report(ledger, key))
        warning = future_warning(ledger.observed, self.clock())
        if warning is not None:
            report = dataclasses.replace(report, warnings=[*report.warnings, warning])
        with self._lock:
            self._reports[(version, key)] = report
            while len(self._reports) > REPORTS_KEPT:
                self._reports.pop(next(iter(self._reports)))
        return report

    def export(self, key: str, fmt: ExportFormat, path: Path, *, overwrite: bool = False) -> Path:
        """Write the period's report as the CLI would; returns the absolute path.

        An existing file is replaced only with `overwrite`; see `export_file`.
        """
        export_file.target(path, overwrite=overwrite)  # refuse before building the report
        report = self.report(key)
        text = formats.report_json(report) if fmt == "json" else formats.report_csv(report)
        return export_file.write(path, text, overwrite=overwrite)


def _billing(compute: Callable[[], T]) -> T:
    """Run engine work, turning its refusals into user errors."""
    try:
        return compute()
    except BillingError as error:
        message = str(error)
        if "time zone" in message:
            raise DataContractError(message) from None
        raise UsageError(message) from None

