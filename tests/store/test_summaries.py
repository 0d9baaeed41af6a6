"""The period list's summaries are kept in the cache, and only while the data is unchanged."""

from __future__ import annotations

import sqlite3

from payg_tui.engine.billing import list_periods
from payg_tui.service.books import Books
from payg_tui.store import summaries
from tests.builders import World, h


def test_saved_summaries_are_exactly_the_computed_ones(tmp_path):
    path = tmp_path / "c.sqlite3"
    w = World().account("Z", "p72", h("2026-10-20")).account("E", "p72", h("2026-11-19T18"))
    w.store(path, h("2026-10-20"), h("2026-11-20T23")).close()
    with Books.open_cache(path) as books:
        first = books.periods()  # computed, then saved
        assert books.store.saved_summaries(books.store.data_version()) == first
        assert books.periods() == first == list_periods(books.store.load_ledger())


def test_new_data_makes_saved_summaries_stale(tmp_path):
    path = tmp_path / "c.sqlite3"
    w = World().account("Z", "p72", h("2026-11-01"))
    w.store(path, h("2026-11-01"), h("2026-11-10T23")).close()
    with Books.open_cache(path) as books:
        before = books.periods()
        report_before = books.report("2026-11")
        books.store.add_snapshots(w.snapshots(h("2026-11-11"), h("2026-11-11T23")))
        after = books.periods()
        assert after[0].totals.billed > before[0].totals.billed
        assert after[0].hours_observed == before[0].hours_observed + 24
        assert books.report("2026-11").as_of == report_before.as_of + 24


def test_unreadable_saved_summaries_are_recomputed(tmp_path):
    path = tmp_path / "c.sqlite3"
    w = World().account("Z", "p72", h("2026-11-01"))
    w.store(path, h("2026-11-01"), h("2026-11-10T23")).close()
    with Books.open_cache(path) as books:
        good = books.periods()
        db = sqlite3.connect(path)  # damaged, for the same data version
        with db:
            db.execute("UPDATE meta SET value = ? WHERE key = ?",
                       ('{"format": 1, "version": 1, "periods": [["x"]]}', summaries.META_KEY))
        db.close()
        assert books.store.saved_summaries(books.store.data_version()) is None
        assert books.periods() == good
