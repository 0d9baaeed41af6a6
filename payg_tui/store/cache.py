"""The SQLite cache: where snapshots and plans live between runs.

Every write happens in one transaction (`BEGIN IMMEDIATE` ... `COMMIT`), so a
refused payload or a killed process leaves the cache exactly as it was. A
file that is not ours, is damaged or comes from a newer payg-tui raises
`CacheError` (exit 5) and is never overwritten.
"""

from __future__ import annotations

import bisect
import os
import sqlite3
import stat
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from payg_tui.engine.model import PeriodSummary, PriceVersion, Product, Provider, Slot
from payg_tui.engine.text import storable
from payg_tui.errors import CacheError, DataContractError
from payg_tui.store import checked, summaries
from payg_tui.store.append import append
from payg_tui.store.merge import StoredRun, rebuild
from payg_tui.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from payg_tui.engine.detail import ItemHistory, Ledger, Snapshot

_SQLITE_MAGIC = b"SQLite format 3\x00"
# How long to wait for another payg-tui (a sync, an import) to finish writing
# before saying the cache is busy.
BUSY_TIMEOUT = 5.0
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_NO_ACCESS = (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_AUTH)
_FULL = (sqlite3.SQLITE_FULL,)
# Keys of the meta table (summaries.META_KEY is the fourth). Times are UTC, ISO 8601.
_DATA_VERSION = "data_version"  # bumped by every write of data
_UPDATED_AT = "updated_at"  # when data last came in: the age `periods`, `report` and the dashboard show
_LAST_SYNC = "last_sync"  # when a sync last completed


@dataclass(frozen=True, slots=True)
class IngestResult:
    hours_added: int  # hours that had no snapshot before
    hours_replaced: int  # hours whose snapshot was replaced
    first: Slot | None
    last: Slot | None


class Store:
    """One cache file. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        # One user of the connection at a time: the dashboard's workers read from
        # threads, and closing the connection under a running query crashes the
        # interpreter (sqlite3 in CPython 3.11), so `close` waits for it.
        self._in_use = threading.RLock()
        self._closed = False
        self.read_only = False  # opened with `mode=ro`: this user may not write the file

    # -- opening ------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True, write: bool = True) -> Store:
        """Open (and with `create`, make) the cache at `path`.

        `write=False` is for the readers (`periods`, `report`, the dashboard):
        a cache this user cannot write is then opened read-only instead of
        refused. With `write=True` (sync, import) it is refused at once.
        """
        path = Path(path)
        _refuse_foreign_file(path)
        if not path.exists() and not create:
            raise CacheError(f"no cache at {path}: run `payg-tui sync` or `payg-tui import FILE` first")
        read_only = path.exists() and not _writable(path)
        if read_only and write:
            raise CacheError(f"cannot write the cache {path}: it is read-only for this user; check the "
                             "permissions of the file and its folder, or set PAYG_TUI_CACHE_DIR")
        if read_only:
            try:
                return cls._open_read_only(path)
            except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
                raise _cache_error(path, error, "open") from None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT)
        except OSError as error:
            raise CacheError(f"cannot open the cache {path}: {error.strerror or error}") from None
        except sqlite3.Error as error:
            raise _cache_error(path, error, "open") from None
        return cls._prepared(path, db, read_only=False)

    @classmethod
    def _open_read_only(cls, path: Path) -> Store:
        """A cache this user may only read: `mode=ro`, or `immutable=1` when SQLite
        cannot open the WAL's shared-memory file (a read-only folder, after a
        clean close left no -shm beside the file). Immutable takes no locks:
        right for a file nobody can write from here; what its owner writes
        meanwhile shows at the next start."""
        db = _connect_uri(path, "mode=ro")
        try:
            db.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.OperationalError as error:
            if (getattr(error, "sqlite_errorcode", 0) & 0xFF) not in (sqlite3.SQLITE_READONLY,
                                                                       sqlite3.SQLITE_CANTOPEN):
                raise
            db.close()
            db = _connect_uri(path, "mode=ro&immutable=1")
        except BaseException:
            db.close()
            raise
        return cls._prepared(path, db, read_only=True)

    @classmethod
    def _prepared(cls, path: Path, db: sqlite3.Connection, *, read_only: bool) -> Store:
        store = cls(path, db)
        store.read_only = read_only
        try:
            store._prepare()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
            db.close()
            raise _cache_error(path, error, "open") from None
        except CacheError:
            db.close()
            raise
        return store

    def _prepare(self) -> None:
        self._check_ours()
        if self.read_only:
            if self._db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                raise CacheError(f"the cache {self.path} is read-only for this user and holds no data "
                                 "it can read yet (an empty or older cache); open it once with write access")
            return
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        if self._db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            self._migrate()

    def _check_ours(self) -> None:
        """Refuse a file that is not a payg-tui cache, is newer than us, or is damaged."""
        db = self._db
        # One statement, so one snapshot: another payg-tui may be creating the
        # schema meanwhile, and its tables must not be seen without its mark.
        app_id, version, tables = db.execute(
            "SELECT (SELECT application_id FROM pragma_application_id), "
            "(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)").fetchone()
        if app_id != APPLICATION_ID and (app_id != 0 or tables):
            raise CacheError(f"{self.path} is not a payg-tui cache (an SQLite file of another program); "
                             "it was left untouched: set PAYG_TUI_CACHE_DIR to use another folder")
        if version > SCHEMA_VERSION:
            raise CacheError(f"the cache {self.path} was written by a newer payg-tui "
                             f"(schema {version}, this one knows {SCHEMA_VERSION}): upgrade payg-tui")
        # Once per change of the file, not on every open (store/checked.py, docs/engine.md).
        if not checked.is_vouched(self.path) and db.execute(
                "PRAGMA quick_check").fetchone()[0] != "ok":
            checked.distrust(self.path)
            raise CacheError(f"the cache {self.path} is damaged; move it away and sync again")

    def _migrate(self) -> None:
        """Create or upgrade the schema under the write lock.

        Several payg-tui started at once on a new cache (four imports from a
        script) all see an empty file; the version is read again once the
        lock is held, so the first creates the tables and the others find
        them made, instead of failing on "table meta already exists".
        """
        with self._transaction() as db:
            self._check_ours()
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, SCHEMA_VERSION):
                for statement in _statements(MIGRATIONS[number]):
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def close(self) -> None:
        with self._in_use:
            if self._closed:
                return
            self._closed = True
            self._db.close()
        checked.vouch(self.path)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._in_use:
            self._check_open()
            yield from self._transaction_held()

    def _transaction_held(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as error:
            raise _cache_error(self.path, error, "write") from None
        try:
            yield self._db
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise _cache_error(self.path, error, "write") from None

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it does after some errors)."""
        if self._db.in_transaction:
            # The original error is the one to report; SQLite undoes the rest on close.
            with suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    # -- writing ------------------------------------------------------------

    def add_snapshots(self, snapshots: Iterable[Snapshot], *, provider: Provider | None = None,
                      products: dict[str, Product] | None = None, updated: datetime | None = None,
                      synced: datetime | None = None, replace: bool = False) -> IngestResult:
        """Store snapshots, with the provider and products, in one transaction.

        `updated` and `synced` mark the cache's age and last sync (as
        `mark_updated` and `mark_synced` do) in that same transaction.
        A snapshot for an hour already stored replaces it; storing the same
        data twice changes nothing. A `provider` other than the stored one
        raises `ProviderChanged` (nothing is written) unless `replace`, which
        first empties the cache, in the same transaction.
        """
        batch = _one_per_hour(snapshots)
        try:
            with self._transaction() as db:
                if replace:
                    _empty(db)
                if provider is not None:
                    _check_same_provider(db, provider)
                    _save_provider(db, provider)
                if products is not None:
                    _save_products(db, products)
                # Anything derived from the data (the period list's summaries) is
                # valid for one data version only.
                db.execute("INSERT INTO meta (key, value) VALUES ('data_version', '1') "
                           "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
                result = _ingest(db, batch)
                # With the data, not after it: a failure in between would leave
                # data the cache's age and last sync say nothing about.
                for key, moment in ((_UPDATED_AT, updated), (_LAST_SYNC, synced)):
                    if moment is not None:
                        _set_meta(db, key, moment.isoformat(timespec="seconds"))
                return result
        except sqlite3.DatabaseError as error:
            raise _cache_error(self.path, error, "write") from None
        except UnicodeEncodeError:  # an id holding a lone surrogate: valid JSON, not text
            raise DataContractError(f"{_not_text(batch)}; nothing was stored") from None

    def backup(self, target: Path) -> None:
        """A consistent copy of the whole cache (WAL included) at `target`."""
        try:
            copy = sqlite3.connect(target)
            try:
                with self._in_use:
                    self._check_open()
                    self._db.backup(copy)
            finally:
                copy.close()
        except sqlite3.Error as error:
            raise _cache_error(target, error, "write") from None

    def outside_writes(self) -> int:
        """SQLite's `PRAGMA data_version`: it changes whenever another connection (another
        process: a sync, an import) commits to the file, never for this one's writes."""
        row = self._one("PRAGMA data_version")
        return int(row[0]) if row is not None else 0

    def data_version(self) -> int:
        """A number that changes with every write of data (not of meta)."""
        value = self._get_meta(_DATA_VERSION)
        return int(value) if value and value.isdigit() else 0

    # -- bookkeeping: the meta table's keys are named in this file and summaries.py only --

    def mark_updated(self, moment: datetime) -> None:
        """New data came in (sync, import, collect, demo): the cache's age counts from `moment`."""
        self._set_meta(_UPDATED_AT, moment.isoformat(timespec="seconds"))

    def updated_at(self) -> datetime | None:
        value = self._get_meta(_UPDATED_AT)
        return datetime.fromisoformat(value) if value else None

    def mark_synced(self, moment: datetime) -> None:
        """A sync reached the present at `moment`, with new hours or not."""
        self._set_meta(_LAST_SYNC, moment.isoformat(timespec="seconds"))

    def last_sync(self) -> datetime | None:
        value = self._get_meta(_LAST_SYNC)
        return datetime.fromisoformat(value) if value else None

    def saved_summaries(self, version: int) -> list[PeriodSummary] | None:
        """The period list as saved for data version `version`, or None."""
        return summaries.load(self._get_meta(summaries.META_KEY), version)

    def save_summaries(self, computed: list[PeriodSummary], version: int) -> None:
        self._set_meta(summaries.META_KEY, summaries.dump(computed, version))

    def _set_meta(self, key: str, value: str) -> None:
        try:
            with self._transaction() as db:
                _set_meta(db, key, value)
        except sqlite3.DatabaseError as error:
            raise _cache_error(self.path, error, "write") from None

    # -- reading ------------------------------------------------------------

    def _get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def provider(self) -> Provider | None:
        row = self._one("SELECT name, currency, currency_exponent, timezone FROM provider")
        return None if row is None else Provider(*row)

    def products(self) -> dict[str, Product]:
        prices: dict[str, list[PriceVersion]] = {}
        for code, start, monthly in self._query(
                "SELECT code, effective_from, monthly FROM prices ORDER BY code, effective_from"):
            try:
                amount = Decimal(monthly)
            except (InvalidOperation, TypeError):
                raise CacheError(f"the cache {self.path} is damaged (price {monthly!r:.40} of {code!r:.40}); "
                                 "move it away and sync again") from None
            prices.setdefault(code, []).append(PriceVersion(start, amount))
        return {
            code: Product(code=code, kind=kind, name=name, prices=tuple(prices.get(code, ())))
            for code, kind, name in self._query("SELECT code, kind, name FROM products")
        }

    def observed(self) -> list[tuple[Slot, Slot]]:
        return [tuple(row) for row in self._query("SELECT first, last FROM hours ORDER BY first")]

    def latest_slot(self) -> Slot | None:
        row = self._one("SELECT max(last) FROM hours")
        return None if row is None or row[0] is None else int(row[0])

    def load_ledger(self, window: tuple[Slot, Slot] | None = None) -> Ledger:
        """Everything the engine needs; with `window`, only runs that can matter there."""
        from payg_tui.engine.detail import AccountLabel, ItemHistory, Ledger, Run  # see engine/model.py

        provider = self.provider()
        if provider is None:
            raise CacheError(f"the cache {self.path} holds no data yet: "
                             "run `payg-tui sync` or `payg-tui import FILE`")
        observed = self.observed()
        sql = ("SELECT i.kind, i.key, i.account_id, r.first, r.last, r.product "
               "FROM runs r JOIN items i ON i.id = r.item")
        params: tuple[Any, ...] = ()
        if window is not None:
            lo, hi = _snapshot_bounds(observed, *window)
            sql += " WHERE r.last >= ? AND r.first <= ?"
            params = (lo, hi)
        sql += " ORDER BY r.item, r.first"
        items: list[ItemHistory] = []
        current: tuple[str, str] | None = None
        for kind, key, account_id, first, last, product in self._query(sql, params):
            if (kind, key) != current:
                current = (kind, key)
                items.append(ItemHistory(kind=kind, id=key, account_id=account_id, runs=[]))
            items[-1].runs.append(Run(first, last, product))
        labels = {acc: AccountLabel(name, customer)
                  for acc, name, customer in self._query("SELECT account_id, name, customer FROM labels")}
        return Ledger(provider=provider, products=self.products(), observed=observed,
                      items=items, labels=labels)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """All rows at once: a damaged page can fail at any row, not only the first."""
        with self._in_use:
            self._check_open()
            try:
                return self._db.execute(sql, params).fetchall()
            except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
                raise _cache_error(self.path, error, "read") from None

    def _check_open(self) -> None:
        if self._closed:  # a worker still reading after its screen and the app closed
            raise CacheError(f"{self.path}: the cache was closed")

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self._query(sql, params)
        return rows[0] if rows else None


def _cache_error(path: Path, error: sqlite3.Error | UnicodeDecodeError, doing: str) -> CacheError:
    """One line for an SQLite failure, saying what the user can do about it."""
    if isinstance(error, UnicodeDecodeError):  # text in the file (its schema, a name) that is not UTF-8
        return CacheError(f"the cache {path} is damaged (text that is not UTF-8 at byte {error.start}); "
                          "move it away and sync again")
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
    if code in _BUSY or "locked" in str(error):
        return CacheError(f"the cache {path} is busy: another payg-tui (a sync or an import) is using it; "
                          "try again when it has finished")
    if code in _NO_ACCESS:
        return CacheError(f"cannot {doing} the cache {path} ({error}): check the permissions of the file "
                          "and its folder, or set PAYG_TUI_CACHE_DIR")
    if code in _FULL:
        return CacheError(f"cannot {doing} the cache {path}: the disk is full")
    if doing == "open" or code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        checked.distrust(path)
        return CacheError(f"the cache {path} is damaged ({error}); move it away and sync again")
    return CacheError(f"cannot {doing} the cache {path}: {error}")


def _not_text(batch: list[Snapshot]) -> str:
    """Which id of the batch SQLite could not store (the slow path of a rare refusal)."""
    from payg_tui.engine.model import slot_iso

    def bad(value: str) -> bool:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False

    for snap in batch:
        where = f"snapshot {slot_iso(snap.slot)}"
        for acc, pack in snap.packs.items():
            if bad(acc):
                return f"{where}: account id {acc[:40]!r} is not valid text (a lone surrogate)"
            if bad(pack):
                return (f"{where}: pack {pack[:40]!r} of account {acc[:40]!r} is not valid text "
                        "(a lone surrogate)")
        for add, (acc, product) in snap.addons.items():
            if bad(add) or bad(product):
                return (f"{where}: add-on {add[:40]!r} of account {acc[:40]!r} is not valid text "
                        "(a lone surrogate)")
    return "an identifier is not valid text (a lone surrogate)"


def _writable(path: Path) -> bool:
    """Whether this user may write the cache: the file, and its folder (for the WAL files)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _connect_uri(path: Path, query: str) -> sqlite3.Connection:
    uri = f"file:{urllib.parse.quote(str(path.absolute()))}?{query}"
    return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT)


def _refuse_foreign_file(path: Path) -> None:
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return  # a new cache (a dangling link makes its target), or a folder to be made: open says
    except OSError as error:  # a symlink loop, a folder we may not enter
        raise CacheError(f"cannot read the cache {path}: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise CacheError(f"cannot read the cache {path}: Is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise CacheError(f"cannot read the cache {path}: not a regular file (a pipe, a device or a "
                         "socket); it was left untouched: set PAYG_TUI_CACHE_DIR to use another folder")
    if info.st_size == 0:
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
    except OSError as error:
        raise CacheError(f"cannot read the cache {path}: {error.strerror or error}") from None
    if head != _SQLITE_MAGIC:
        raise CacheError(f"{path} is not a payg-tui cache (not an SQLite file); it was left untouched: "
                         "move it away or set PAYG_TUI_CACHE_DIR to use another folder")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _one_per_hour(snapshots: Iterable[Snapshot]) -> list[Snapshot]:
    """Sorted by hour; of two snapshots for one hour, the later in the batch wins."""
    by_slot = {snap.slot: snap for snap in snapshots}
    return [by_slot[slot] for slot in sorted(by_slot)]


def _snapshot_bounds(observed: list[tuple[Slot, Slot]], lo: Slot, hi: Slot) -> tuple[Slot, Slot]:
    """Widen `[lo, hi]` to the snapshots at or just outside it, so bridged gaps are seen."""
    firsts = [a for a, _ in observed]
    i = bisect.bisect_right(firsts, lo) - 1
    if i >= 0:
        _a, b = observed[i]
        lo = min(lo, b)  # inside a run: lo itself; in the gap after it: that run's last hour
    j = bisect.bisect_left(firsts, hi)
    if j > 0 and observed[j - 1][1] >= hi:
        return lo, hi
    if j < len(observed):
        hi = max(hi, observed[j][0])
    return lo, hi


def _set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


class ProviderChanged(DataContractError):
    """Data of another provider than the one the cache holds (`import --replace` to switch)."""

    def __init__(self, stored: Provider, new: Provider) -> None:
        self.stored = stored
        self.new = new
        super().__init__(f"this data is of {describe_provider(new)}, the cache holds "
                         f"{describe_provider(stored)}; nothing was stored")


def describe_provider(provider: Provider) -> str:
    """`'Example Hosting' (EUR, Europe/Brussels)`, the name cut short: it is the provider's text."""
    name = provider.name if len(provider.name) <= 60 else provider.name[:60] + "…"
    return f"{name!r} ({provider.currency}, {provider.timezone})"


def _check_same_provider(db: sqlite3.Connection, provider: Provider) -> None:
    """Refuse data of another provider: stored with the old one's, it would relabel
    every cached hour with the new name, currency and time zone."""
    row = db.execute("SELECT name, currency, currency_exponent, timezone FROM provider").fetchone()
    if row is not None and Provider(*row) != provider:
        raise ProviderChanged(Provider(*row), provider)


# Every table of data; `meta` keeps only its data_version, so that anything
# derived from the old data (the period summaries) is seen to be stale.
_DATA_TABLES = ("runs", "items", "labels", "hours", "prices", "products", "provider")


def _empty(db: sqlite3.Connection) -> None:
    for table in _DATA_TABLES:
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM meta WHERE key != 'data_version'")


def _save_provider(db: sqlite3.Connection, provider: Provider) -> None:
    db.execute(
        "INSERT INTO provider (id, name, currency, currency_exponent, timezone) VALUES (1, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency = excluded.currency, "
        "currency_exponent = excluded.currency_exponent, timezone = excluded.timezone",
        (provider.name, provider.currency, provider.currency_exponent, provider.timezone),
    )


def _save_products(db: sqlite3.Connection, products: dict[str, Product]) -> None:
    """Replace the catalogue's entries for these products; keep products no longer listed."""
    db.executemany(
        "INSERT INTO products (code, kind, name) VALUES (?, ?, ?) "
        "ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name = excluded.name",
        [(p.code, p.kind, p.name) for p in products.values()],
    )
    db.executemany("DELETE FROM prices WHERE code = ?", [(code,) for code in products])
    db.executemany(
        "INSERT INTO prices (code, effective_from, monthly) VALUES (?, ?, ?)",
        [(p.code, v.effective_from, str(v.monthly)) for p in products.values() for v in p.prices],
    )


def _ingest(db: sqlite3.Connection, batch: list[Snapshot]) -> IngestResult:
    if not batch:
        return IngestResult(0, 0, None, None)
    stored = [tuple(row) for row in db.execute("SELECT first, last FROM hours ORDER BY first")]
    new_slots = [snap.slot for snap in batch]
    lo, hi = new_slots[0], new_slots[-1]
    new_set = set(new_slots)
    inside = [s for a, b in stored if b >= lo and a <= hi
              for s in range(max(a, lo), min(b, hi) + 1)]
    replaced = sum(1 for s in inside if s in new_set)
    window = [s for s in inside if s not in new_set]
    # The stored neighbours on each side join the window, so runs reaching into
    # it from outside can be cut or continued.
    before = [min(b, lo - 1) for a, b in stored if a < lo]
    after = [max(a, hi + 1) for a, b in stored if b > hi]
    if before:
        window.insert(0, before[-1])
    if after:
        window.append(after[0])
    if stored and lo > stored[-1][1]:  # the usual case: newer than everything stored
        newest = append(db, batch, stored[-1][1])
        items = _Items(db)
        _update_accounts(db, batch, newest, items)
        _save_labels(db, batch, newest)
        _save_hours(db, stored, new_slots)
        return IngestResult(hours_added=len(new_set), hours_replaced=0, first=lo, last=hi)
    first, last = min([*window[:1], lo]), max([*window[-1:], hi])
    rows = db.execute(
        "SELECT r.rowid, i.kind, i.key, r.product, r.first, r.last FROM runs r "
        "JOIN items i ON i.id = r.item WHERE r.last >= ? AND r.first <= ?", (first, last)).fetchall()
    loaded = [StoredRun(kind, key, product, a, b) for _, kind, key, product, a, b in rows]
    runs = rebuild(window, loaded, batch)
    seen = _latest_seen(batch, runs)
    items = _items(db, batch, runs, seen)
    _write_runs(db, rows, runs, items)
    appended = not stored or lo > stored[-1][1]
    newest = seen if appended else _newest_here(db, seen, items)
    _update_accounts(db, batch, newest, items)
    _save_labels(db, batch, newest)
    _save_hours(db, stored, new_slots)
    return IngestResult(hours_added=len(new_set) - replaced, hours_replaced=replaced, first=lo, last=hi)


def _latest_seen(batch: list[Snapshot], runs: list[StoredRun]) -> dict[tuple[str, str], Slot]:
    """For each item of the batch, the newest of its snapshots that holds it.

    Read off the rebuilt runs (an item is in every snapshot of a run), which
    costs one step per run instead of one per item and hour.
    """
    slots = [snap.slot for snap in batch]
    seen: dict[tuple[str, str], Slot] = {}
    for run in runs:
        i = bisect.bisect_right(slots, run.last) - 1
        if i >= 0 and slots[i] >= run.first:
            ident = (run.kind, run.key)
            if slots[i] > seen.get(ident, -1):
                seen[ident] = slots[i]
    return seen


class _Items:
    """The items table as the batch needs it: ids, and each add-on's stored account."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.accounts: dict[int, str] = {}
        for kind, key, item_id, account in db.execute("SELECT kind, key, id, account_id FROM items"):
            self.ids[(kind, key)] = item_id
            self.accounts[item_id] = account


def _items(db: sqlite3.Connection, batch: list[Snapshot], runs: list[StoredRun],
           seen: dict[tuple[str, str], Slot]) -> _Items:
    """Known items, with the batch's new ones added."""
    items = _Items(db)
    by_slot = {snap.slot: snap for snap in batch}
    fresh = [(kind, key, key if kind == "account" else by_slot[slot].addons[key][0], slot)
             for (kind, key), slot in seen.items() if (kind, key) not in items.ids]
    if fresh:
        db.executemany("INSERT INTO items (kind, key, account_id, seen) VALUES (?, ?, ?, ?)", fresh)
        items = _Items(db)
    return items


def _write_runs(db: sqlite3.Connection, rows: list[Any], runs: list[StoredRun], items: _Items) -> None:
    """Turn the loaded runs into the rebuilt ones by writing only the difference.

    An hourly sync extends some 12,000 runs by an hour and changes a handful:
    rewriting every row would cost most of its second.
    """
    old = {(kind, key, product, a): (rowid, b) for rowid, kind, key, product, a, b in rows}
    kept: set[tuple[str, str, str, Slot]] = set()
    inserts, updates = [], []
    for run in runs:
        ident = (run.kind, run.key, run.product, run.first)
        hit = old.get(ident)
        if hit is None:
            inserts.append((items.ids[(run.kind, run.key)], run.product, run.first, run.last))
            continue
        kept.add(ident)
        if hit[1] != run.last:
            updates.append((run.last, hit[0]))
    db.executemany("DELETE FROM runs WHERE rowid = ?", [(rowid,) for ident, (rowid, _) in old.items()
                                                        if ident not in kept])
    db.executemany("UPDATE runs SET last = ? WHERE rowid = ?", updates)
    db.executemany("INSERT INTO runs (item, product, first, last) VALUES (?, ?, ?, ?)", inserts)


def _newest_here(db: sqlite3.Connection, seen: dict[tuple[str, str], Slot],
                 items: _Items) -> dict[tuple[str, str], Slot]:
    """The items whose newest snapshot anywhere in the cache is in this batch.

    Only these take their name and account from the batch, so that importing
    old data after new never brings back an old name, whatever the order.
    """
    latest = dict(db.execute("SELECT item, max(last) FROM runs GROUP BY item").fetchall())
    return {ident: slot for ident, slot in seen.items() if slot >= latest.get(items.ids[ident], slot)}


def _update_accounts(db: sqlite3.Connection, batch: list[Snapshot], newest: dict[tuple[str, str], Slot],
                     items: _Items) -> None:
    """An add-on's account is the one it was last seen on."""
    by_slot = {snap.slot: snap for snap in batch}
    moved = []
    for (kind, key), slot in newest.items():
        if kind == "addon":
            item_id = items.ids[(kind, key)]
            account = by_slot[slot].addons[key][0]
            if items.accounts[item_id] != account:
                moved.append((account, slot, item_id))
    db.executemany("UPDATE items SET account_id = ?, seen = ? WHERE id = ?", moved)


def _save_labels(db: sqlite3.Connection, batch: list[Snapshot], newest: dict[tuple[str, str], Slot]) -> None:
    """Each account's name and customer from its newest snapshot; unchanged ones are not rewritten."""
    by_slot = {snap.slot: snap for snap in batch}
    stored = {acc: (name, customer) for acc, name, customer
              in db.execute("SELECT account_id, name, customer FROM labels")}
    changed = []
    for (kind, key), slot in newest.items():
        if kind != "account":
            continue
        name, customer = by_slot[slot].labels[key]
        label = (storable(name), None if customer is None else storable(customer))
        if stored.get(key) != label:
            changed.append((key, *label, slot))
    db.executemany(
        "INSERT INTO labels (account_id, name, customer, seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, customer = excluded.customer, "
        "seen = excluded.seen", changed)


def _save_hours(db: sqlite3.Connection, stored: list[tuple[Slot, Slot]], new_slots: list[Slot]) -> None:
    """Rewrite the observed hours as runs of consecutive slots."""
    points = sorted({s for a, b in stored for s in range(a, b + 1)} | set(new_slots))
    runs: list[list[Slot]] = []
    for slot in points:
        if runs and runs[-1][1] == slot - 1:
            runs[-1][1] = slot
        else:
            runs.append([slot, slot])
    db.execute("DELETE FROM hours")
    db.executemany("INSERT INTO hours (first, last) VALUES (?, ?)", runs)
