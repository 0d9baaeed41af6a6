"""No key timing crashes the dashboard (issue 8).

Keys arrive as a terminal delivers them, several in one write (`burst`), from
every screen and every dialog, both over a screen still loading (the route to
it is in the same write) and over a loaded one. After each, the app must
still run and quit on `q`. The first tests are the crashes reported in the
issue, one per row; the last plays random key sequences.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payg_tui.service.books import Books
from payg_tui.ui.screens.account import AccountScreen
from payg_tui.ui.screens.period import PeriodScreen
from tests.ui.conftest import settle
from tests.ui.keys import burst, quits_on_q, still_running
from tests.ui.snapshot_app import make_app

NEXT_TAB = "right_square_bracket"

# -- the crashes of the issue, one test per row ----------------------------------


async def _yield(times: int) -> None:
    """Let the event loop run `times` steps, without waiting for the app to be idle."""
    for _ in range(times):
        await asyncio.sleep(0)


# How many event-loop steps the second write comes after the first: the window in which
# a screen is half-built or half-closed is a few steps wide, and moves with the machine.
GAPS = range(0, 60, 3)


async def test_escape_while_the_period_is_loading(demo_books: Books) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        left_open = []
        for gap in GAPS:
            burst(pilot, "enter")
            await _yield(gap)
            burst(pilot, "escape")
            await still_running(pilot)
            if len(app.screen_stack) > 1:
                left_open.append(gap)
                await pilot.press("escape")
        assert not left_open, f"Escape typed after Enter left the period open (gaps {left_open})"
        await quits_on_q(pilot)


async def test_palette_opens_another_period_from_a_period(demo_books: Books) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+p", *"2026-10", "enter")
        await still_running(pilot)
        screen = app.screen
        assert isinstance(screen, PeriodScreen) and screen.key == "2026-10"
        assert len(app.screen_stack) == 2  # the list, then the period: not one period on another
        await quits_on_q(pilot)


async def test_resize_and_escape_at_once_on_the_account_screen(demo_books: Books) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        for gap in GAPS:
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, AccountScreen)
            burst(pilot, f"resize:{100 + gap % 7}x30")
            await _yield(gap)
            burst(pilot, "escape")
            await still_running(pilot)
            assert isinstance(app.screen, PeriodScreen), f"gap {gap}"
        await quits_on_q(pilot)


@pytest.mark.parametrize("second", ["e", "c", "enter"], ids=["export", "settings", "enter"])
async def test_a_key_in_the_same_write_as_enter_on_the_period_list(demo_books: Books, second: str) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(pilot, "enter", second)
        await still_running(pilot)
        # The keys act in the order they were typed: the period opens, then the second key acts on it.
        periods = [s for s in app.screen_stack if isinstance(s, PeriodScreen)]
        assert [s.key for s in periods] == ["2026-11"]
        await quits_on_q(pilot)


# -- every screen and dialog, loading and loaded ---------------------------------

ROUTES: dict[str, list[str]] = {
    "period list": [],
    "period": ["enter"],
    "account": ["enter", "enter"],
    "customer": ["enter", *[NEXT_TAB] * 5, "enter"],
    "filter": ["enter", "slash", *"pro"],
    "help": ["enter", "question_mark"],
    "export": ["enter", "e"],
    "settings": ["c"],
    "palette": ["enter", "ctrl+p", *"20"],
}

STORMS: dict[str, list[str]] = {
    "back and forth, resize": ["enter", "escape", "resize:60x20", "enter", "enter", "escape",
                               "resize:120x36", "escape", "enter", "resize:80x24", "escape", "enter"],
    "dialogs and palette": ["e", "c", "question_mark", "ctrl+p", "escape", "e", "escape", "s", "escape",
                            "escape", "ctrl+p", *"2026-10", "enter", "ctrl+p", *"export", "enter",
                            "escape", "ctrl+p", *"theme", "enter"],
    "tabs, sort, filter": [NEXT_TAB, "2", "left_square_bracket", "1", "slash", "a", "enter", "r",
                           NEXT_TAB, "enter", "escape"],
}


@pytest.mark.parametrize("storm", list(STORMS))
@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("state", ["loading", "loaded"])
async def test_keys_in_one_write_from_every_screen(demo_books: Books, state: str, route: str,
                                                   storm: str) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        if state == "loaded":
            await settle(pilot)
            for key in ROUTES[route]:
                await pilot.press(key)
                await settle(pilot)
            burst(pilot, *STORMS[storm])
        else:  # the route and the storm in one write, from the very start
            burst(pilot, *ROUTES[route], *STORMS[storm])
        await still_running(pilot)
        await quits_on_q(pilot)


# -- random sequences --------------------------------------------------------------

ALPHABET = ["enter", "escape", "e", "c", "s", "r", "question_mark", "ctrl+p", "slash", NEXT_TAB,
            "left_square_bracket", "up", "down", "1", "3", "a", "2", "0", "-", "tab",
            "resize:60x20", "resize:80x24", "resize:120x36"]
WRITES = st.lists(st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=6), min_size=1, max_size=5)
RANDOM_RUNS = int(os.environ.get("PAYG_RANDOM_KEY_RUNS", "20"))


@settings(max_examples=RANDOM_RUNS, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(writes=WRITES)
async def test_random_key_writes_never_crash_and_q_still_quits(demo_books: Books,
                                                               writes: list[list[str]]) -> None:
    app = make_app(demo_books)
    async with app.run_test(size=(80, 24)) as pilot:
        for keys in writes:
            burst(pilot, *keys)
            await pilot.pause()
        await still_running(pilot)
        await quits_on_q(pilot)
