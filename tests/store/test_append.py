"""Appending newer snapshots gives the very cache that storing them at once gives."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payg_tui.store.cache import Store
from tests.builders import World, h
from tests.engine.test_properties import SPAN, START, _tables, worlds


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(w=worlds(), cuts=st.lists(st.integers(1, SPAN - 1), max_size=6, unique=True))
def test_hour_by_hour_appends_equal_one_import(w, cuts):
    snaps = w.snapshots(START, START + SPAN - 1)
    bounds = [0, *sorted(c for c in cuts if c < len(snaps)), len(snaps)]
    with tempfile.TemporaryDirectory() as tmp:
        whole, parts = Path(tmp) / "whole.sqlite3", Path(tmp) / "parts.sqlite3"
        with Store.open(whole) as store:
            store.add_snapshots(snaps, provider=w.provider(), products=w.products())
        with Store.open(parts) as store:
            for a, b in itertools.pairwise(bounds):
                if a < b:
                    store.add_snapshots(snaps[a:b], provider=w.provider(), products=w.products())
        assert _tables(parts) == _tables(whole)


def test_an_add_on_that_moves_account_takes_the_newest_one(tmp_path):
    w = World(prices={"p72": [("2020-01-01", "72.00")], "ssl": [("2020-01-01", "1.00")]})
    w.account("A", "p72", h("2026-11-01")).account("B", "p72", h("2026-11-01"))
    w.addon("S", "A", "ssl", h("2026-11-01"), h("2026-11-03")).addon("S", "B", "ssl", h("2026-11-03"))
    with Store.open(tmp_path / "c.sqlite3") as store:
        for day in range(1, 5):
            store.add_snapshots(w.snapshots(h(f"2026-11-0{day}"), h(f"2026-11-0{day}T23")),
                                provider=w.provider(), products=w.products())
        addon = next(i for i in store.load_ledger().items if i.id == "S")
        assert addon.account_id == "B"
        runs = [(r.product, r.first, r.last) for r in addon.runs]
        assert runs == [("ssl", h("2026-11-01"), h("2026-11-04T23"))]
