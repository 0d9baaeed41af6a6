"""The SQLite cache: atomic, ours only, and never silently overwritten."""

from __future__ import annotations

import sqlite3

import pytest

from payg_tui.errors import CacheError
from payg_tui.store.cache import Store
from payg_tui.store.schema import SCHEMA_VERSION
from tests.builders import World, h


def _world() -> World:
    w = World().account("Z", "p72", h("2026-11-01")).account("A", "p72", h("2026-11-03"), h("2026-11-06"))
    return w.addon("S", "Z", "p72", h("2026-11-02"))


def test_cache_is_sqlite_in_wal_mode_with_schema_version(tmp_path):
    path = tmp_path / "c.sqlite3"
    _world().store(path, h("2026-11-01"), h("2026-11-05")).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_presence_is_stored_as_runs_not_item_hours(tmp_path):
    path = tmp_path / "c.sqlite3"
    _world().store(path, h("2026-11-01"), h("2026-11-20T23")).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 3  # Z, A, S: one run each
        assert db.execute("SELECT count(*) FROM hours").fetchone()[0] == 1


def test_a_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"my precious notes\n" * 10)
    with pytest.raises(CacheError, match="not a payg-tui cache"):
        Store.open(path)
    assert path.read_bytes() == b"my precious notes\n" * 10


def test_an_sqlite_file_of_another_program_is_refused(tmp_path):
    path = tmp_path / "c.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE songs (title TEXT)")
    before = path.read_bytes()
    with pytest.raises(CacheError, match="another program"):
        Store.open(path)
    assert path.read_bytes() == before


def test_a_damaged_cache_is_reported_not_overwritten(tmp_path):
    path = tmp_path / "c.sqlite3"
    _world().store(path, h("2026-11-01"), h("2026-11-20T23")).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    for i in range(4096, min(len(data), 4096 * 3)):
        data[i] = 0xA5  # scribble over the pages after the header
    path.write_bytes(bytes(data))
    with pytest.raises(CacheError, match="damaged"), Store.open(path) as store:
        store.load_ledger()
    assert path.read_bytes() == bytes(data)


def test_a_cache_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "c.sqlite3"
    Store.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(CacheError, match="newer payg-tui"):
        Store.open(path)


def test_a_failed_write_leaves_the_cache_as_it_was(tmp_path):
    path = tmp_path / "c.sqlite3"
    w = _world()
    store = w.store(path, h("2026-11-01"), h("2026-11-05"))
    before = store.load_ledger()

    def exploding():
        yield from w.snapshots(h("2026-11-06"), h("2026-11-07"))
        raise RuntimeError("connection dropped mid-page")

    with pytest.raises(RuntimeError):
        store.add_snapshots(exploding(), provider=w.provider(), products=w.products())
    assert store.load_ledger() == before
    store.close()


def test_a_snapshot_for_a_stored_hour_replaces_it(tmp_path):
    path = tmp_path / "c.sqlite3"
    w = _world()
    store = w.store(path, h("2026-11-01"), h("2026-11-05"))
    w2 = World().account("Z", "p144", h("2026-11-01"))
    result = store.add_snapshots(w2.snapshots(h("2026-11-03T10"), h("2026-11-03T10")))
    assert (result.hours_added, result.hours_replaced) == (0, 1)
    z = next(i for i in store.load_ledger().items if i.id == "Z")
    assert [(r.product, r.first, r.last) for r in z.runs] == [
        ("p72", h("2026-11-01"), h("2026-11-03T09")), ("p144", h("2026-11-03T10"), h("2026-11-03T10")),
        ("p72", h("2026-11-03T11"), h("2026-11-05"))]
    store.close()


def test_labels_are_the_latest_seen_whatever_the_import_order(tmp_path):
    w = World().account("Z", "p72", h("2026-11-01"), customer="OLD")
    late = World().account("Z", "p72", h("2026-11-01"), customer="NEW")
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.add_snapshots(late.snapshots(h("2026-11-05"), h("2026-11-05")), provider=w.provider(),
                            products=w.products())
        store.add_snapshots(w.snapshots(h("2026-11-01"), h("2026-11-04")))
        assert store.load_ledger().labels["Z"].customer == "NEW"


def test_closing_while_a_worker_reads_waits_for_it_and_later_reads_say_closed(tmp_path):
    """The dashboard's workers read from threads; the app closes the cache on quit."""
    import threading

    path = tmp_path / "c.sqlite3"
    _world().store(path, h("2026-11-01"), h("2026-11-20T23")).close()
    store = Store.open(path)
    outcome: list[BaseException] = []
    reading = threading.Event()

    def worker() -> None:
        try:
            while True:
                store.load_ledger()
                reading.set()
        except BaseException as error:  # what ends the loop is the point of the test
            outcome.append(error)

    thread = threading.Thread(target=worker)
    thread.start()
    assert reading.wait(10)
    store.close()
    thread.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], CacheError), outcome
    assert "closed" in str(outcome[0])
