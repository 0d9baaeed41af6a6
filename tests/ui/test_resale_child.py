"""Both ends of the child process that works out every period's revenue (`service/resale_child.py`).

A real child (`python -m payg_tui.service.resale_child`), a real cache file and
a real resale.toml in the test's private config folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from payg_tui.engine.resale import ResaleTotals
from payg_tui.errors import UsageError
from payg_tui.service import children, resale_child
from payg_tui.service.books import Books
from payg_tui.service.statements import open_resale


def _run(cache: Path, keys: list[str], *, demo: bool) -> dict[str, ResaleTotals]:
    found: dict[str, ResaleTotals] = {}
    resale_child.run(cache, keys, demo=demo, found=found.__setitem__, should_stop=lambda: False)
    return found


def test_the_child_gives_the_totals_worked_out_here_for_every_period(demo_books: Books) -> None:
    keys = [summary.period.key for summary in demo_books.periods()]
    found = _run(demo_books.cache_path, keys, demo=True)
    resale = open_resale(demo_books, demo=True)
    assert resale is not None and list(found) == keys
    assert found == {key: resale.statements(key).totals for key in keys}
    assert not children._running


def test_a_price_list_the_child_refuses_is_one_line(example_cache: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "resale.toml").write_text('currency = "USD"\nmarkup = "10%"\n', encoding="utf-8")
    with Books.open_cache(example_cache) as books:
        keys = [summary.period.key for summary in books.periods()]
    with pytest.raises(UsageError) as caught:
        _run(example_cache, keys, demo=False)
    assert "currency" in caught.value.message and "\n" not in caught.value.message


def test_a_reader_that_stops_early_ends_the_child(demo_books: Books) -> None:
    keys = [summary.period.key for summary in demo_books.periods()]
    found: dict[str, ResaleTotals] = {}
    resale_child.run(demo_books.cache_path, keys, demo=True, found=found.__setitem__,
                     should_stop=lambda: bool(found))
    assert len(found) == 1 and not children._running
