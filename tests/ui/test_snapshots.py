"""SVG snapshots of the main screens at 80x24 and 120x36, demo data, clock frozen.

Update with `pytest tests/ui/test_snapshots.py --snapshot-update` after a deliberate change,
and look at the report pytest-textual-snapshot writes before committing the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from payg_tui.service.books import Books
from payg_tui.service.sync import SyncProgress
from payg_tui.ui.app import PaygApp
from tests.ui.conftest import settle
from tests.ui.snapshot_app import FIXED_NOW, THEME, make_app

SIZES = [(80, 24), (120, 36)]


def steps(*keys: str, tab: str | None = None,
          then: tuple[str, ...] = ()) -> Callable[[Pilot[object]], Awaitable[None]]:
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            if key == "enter":  # may start a worker (a report) that the next key needs
                await settle(pilot)
        await settle(pilot)
        if tab is not None:
            pilot.app.screen.show_tab(tab)  # type: ignore[attr-defined]
            await settle(pilot)
        for key in then:
            await pilot.press(key)
            await settle(pilot)

    return run_before


SCREENS = {
    "periods": steps(),
    "period-accounts": steps("enter"),
    "period-not-billed": steps("enter", tab="not-billed"),
    "period-days": steps("enter", tab="days"),
    "period-customers": steps("enter", tab="customers"),  # the demo's price list: margins
    "statement": steps("enter", tab="customers", then=("enter",)),  # the worst margin's statement
    "account": steps("enter", "slash", *"bakkerij", "enter", "enter"),
    "help": steps("question_mark"),
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, demo_books: Books, screen: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(demo_books), terminal_size=size, run_before=SCREENS[screen])


# The figures of issue 8 at the size an SSH session often has: what each tab's
# numbers are called, and the account screen's rule line read whole.
FIGURE_SCREENS = {
    "period-customers": steps("enter", tab="customers"),
    "period-quality": steps("enter", tab="quality"),
    "period-packs": steps("enter", tab="packs"),
    "account-pack-change": steps("enter", "slash", *"schoenen", "enter", "enter", "down"),
}


@pytest.mark.parametrize("screen", list(FIGURE_SCREENS))
def test_figures_80x24(snap_compare, demo_books: Books, screen: str) -> None:  # type: ignore[no-untyped-def]
    # The cost figures, as without resale.toml (the demo's price list would turn the Customers
    # tab into margins: test_screen[period-customers] shows those).
    assert snap_compare(make_app(demo_books, resale=False), terminal_size=(80, 24),
                        run_before=FIGURE_SCREENS[screen])


# Guard rails (issue 8): the dialogs, the palette and the states a first run meets, at 80x24.


Steps = Callable[[Pilot[object]], Awaitable[None]]


def still_cursor(prepare: Steps) -> Steps:
    """The same steps, then the text cursors stop blinking: the picture is the same every time."""

    async def run_before(pilot: Pilot[object]) -> None:
        await prepare(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run_before


async def _load_error(pilot: Pilot[object]) -> None:
    await settle(pilot)
    pilot.app.open_period("2027-01")  # type: ignore[attr-defined]  # a month the cache does not hold
    await settle(pilot)


async def _sync_bar(pilot: Pilot[object]) -> None:
    await settle(pilot)
    app = pilot.app
    app.syncing = True  # type: ignore[attr-defined]
    await settle(pilot)
    app.sync_progress = SyncProgress("snapshots", hours_done=300, hours_total=720,  # type: ignore[attr-defined]
                                     hours_added=120, pages=3, elapsed=7.5)
    await settle(pilot)


GUARD_SCREENS = {
    "export": still_cursor(steps("e")),
    "settings": still_cursor(steps("c")),
    # A query: with none, Textual's own commands and ours arrive in either order.
    "palette": still_cursor(steps("ctrl+p", *"open period")),
    "load-error": _load_error,
    "sync-bar": _sync_bar,
}


@pytest.mark.parametrize("screen", list(GUARD_SCREENS))
def test_guard_rails_80x24(snap_compare, demo_books: Books, screen: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(demo_books), terminal_size=(80, 24), run_before=GUARD_SCREENS[screen])


def test_empty_cache_80x24(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    books = Books.open_cache(tmp_path / "empty.sqlite3", create=True)
    app = PaygApp(books, now=lambda: FIXED_NOW, auto_sync=False)
    app.theme = THEME
    app.animation_level = "none"
    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=steps())
    finally:
        books.close()
