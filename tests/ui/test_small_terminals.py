"""Small terminals (issue 8): nothing cut in half, nothing left over, the digits
keep their columns, and offline says how old the cache is before anything else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from payg_tui.config import Config
from payg_tui.service.books import Books
from payg_tui.ui.app import PaygApp
from payg_tui.ui.widgets.status import DashboardHeader
from payg_tui.ui.widgets.table import VirtualTable
from tests.ui.conftest import screen_text, settle
from tests.ui.snapshot_app import make_app

NEXT_TAB = "right_square_bracket"
SCREENS = {
    "period list": [],
    "period": ["enter"],
    "packs": ["enter", *[NEXT_TAB] * 2],
    "not billed": ["enter", *[NEXT_TAB] * 4],
    "customers": ["enter", *[NEXT_TAB] * 5],
    "account": ["enter", "enter"],
    "filter": ["enter", "slash", *"pro"],
    "settings": ["c"],
}


@pytest.mark.parametrize("route", list(SCREENS))
async def test_at_60x20_no_column_is_cut_and_no_key_is_left_over(demo_books: Books, route: str) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        for key in SCREENS[route]:
            await pilot.press(key)
            await settle(pilot)
        lines = screen_text(pilot).splitlines()
        # The footer ends with the palette key, not with a letter of a key under it.
        assert lines[-1].rstrip().endswith("^p palette"), lines[-1]
        # The header is one line, cut with an ellipsis rather than wrapped.
        assert all(header.size.height == 1 for header in app.screen.query(DashboardHeader))
        for table in app.screen.query(VirtualTable):
            if not table.display or not table.size.width:
                continue
            shown = table.visible_labels
            header = next(line for line in lines if shown and line.strip().startswith(shown[0]))
            # Every column shown is shown whole: its label, then nothing half drawn.
            drawn = header.replace("▲", "").replace("▼", "").split()  # the sorted column's arrow
            assert drawn == [word for label in shown for word in label.split()], header


async def test_the_open_months_estimate_is_never_half_shown(demo_books: Books) -> None:
    for width in range(50, 81, 3):
        app = make_app(demo_books)
        async with app.run_test(size=(width, 20)) as pilot:
            await settle(pilot)
            open_month = app.periods[0]
            estimate = f"{open_month.totals.estimate:.2f}"
            row = next(line for line in screen_text(pilot).splitlines() if line.startswith("▌ 2026-11"))
            numbers = re.findall(r"[\d.]+", row.removeprefix("▌ 2026-11"))
            partial = [n for n in numbers if n != estimate and estimate.startswith(n) and len(n) > 2]
            assert not partial, f"{width} columns: {row!r}"


async def test_a_digit_sorts_by_the_same_column_at_any_width(demo_books: Books) -> None:
    for size in [(120, 30), (60, 20)]:
        app = make_app(demo_books)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            table = app.screen.query_one("#periods", VirtualTable)
            await pilot.press("3")
            await settle(pilot)
            assert table.columns[table._sort_column or 0].label == "accts"
            assert [s.accounts for s in table.view] == sorted(s.accounts for s in app.periods)
            hidden = "accts" not in table.visible_labels
            assert hidden == (size[0] == 60)
            if hidden:
                assert [n.message for n in app._notifications][-1] == "sorted by accts (hidden at this width)"


async def test_offline_the_header_says_how_old_the_cache_is_before_anything_else(example_cache: Path) -> None:
    books = Books.open_cache(example_cache)
    # Nothing listens on port 9 of this machine: the start-up sync fails, the app goes offline.
    app = PaygApp(books, config=Config(api_url="http://127.0.0.1:9", api_token="token-1"))
    async with app.run_test(size=(40, 20)) as pilot:
        for _ in range(100):
            await settle(pilot)
            if app.online == "offline":
                break
        assert app.online == "offline"
        header = screen_text(pilot).splitlines()[0]
        assert re.match(r"^ payg  offline · cache \d+ (s|min|h|days) old", header), header
    books.close()


async def test_rows_drawn_once_are_redrawn_after_a_theme_or_width_change(demo_books: Books) -> None:
    """The table keeps drawn rows across restyles that change nothing (the first frame
    used to draw every row twice); a new theme or width still redraws them."""
    app = make_app(demo_books)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#periods", VirtualTable)
        before = table.render_line(1)
        assert table.render_line(1) is not None and table._cache  # drawn rows are kept
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        after_theme = table.render_line(1)
        assert {seg.style.bgcolor for seg in after_theme} != {seg.style.bgcolor for seg in before}
        await pilot.resize_terminal(70, 24)
        await pilot.pause()
        assert table.render_line(1).cell_length == table.scrollable_content_region.width < 100
