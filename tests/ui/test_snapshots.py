"""SVG snapshots of the main screens at 80x24 and 120x36, demo data, clock frozen.

Update with `pytest tests/ui/test_snapshots.py --snapshot-update` after a deliberate change,
and look at the report pytest-textual-snapshot writes before committing the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from payg_tui.service.books import Books
from tests.ui.conftest import settle
from tests.ui.snapshot_app import make_app

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
