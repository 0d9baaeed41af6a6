"""Both ends of the child process that works out every period's revenue (`service/resale_child.py`).

A real child (`python -m payg_tui.service.resale_child`), a real cache file and
a real resale.toml in the test's private config folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_a_child_that_writes_something_else_is_one_line_not_a_crash() -> None:
    for line in ("Traceback (most recent call last):\n", '{"key": "2026-11"}\n', '{"totals": 3}\n',
                 '{"key": "2026-11", "totals": {"cost": "x", "revenue": "1", "margin": "1", '
                 '"incomplete": false}}\n'):
        with pytest.raises(UsageError) as caught:
            resale_child._read(line, lambda key, totals: None)
        assert caught.value.message.startswith("the revenue could not be worked out")
        assert "\n" not in caught.value.message


def test_without_os_nice_the_child_still_answers(demo_books: Books, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Windows has no `os.nice`: the child runs at its normal priority."""
    monkeypatch.delattr(os, "nice")
    key = demo_books.periods()[0].period.key
    assert resale_child.main([str(demo_books.cache_path), "--demo", key]) == 0
    found: dict[str, ResaleTotals] = {}
    resale_child._read(capsys.readouterr().out, found.__setitem__)
    assert list(found) == [key]


def test_a_child_started_after_the_dashboard_began_to_quit_is_ended_at_once() -> None:
    late = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], text=True)
    try:
        children.end_all()  # the dashboard quits ...
        children.started(late)  # ... and a worker starts its child just after
        assert late.wait(timeout=10) != 0
    finally:
        children.ended(late)
        children.reopen()
    again = subprocess.Popen([sys.executable, "-c", "pass"], text=True)
    children.started(again)  # a new dashboard: children run again
    assert again.wait(timeout=30) == 0
    children.ended(again)
