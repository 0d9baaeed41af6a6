"""Work nobody waits for steps aside while a period opens (`ui/foreground.py`).

A period opened must not share the interpreter with work the app does on its
own (the alerts, a report built ahead, the period's statements) until its
table is painted; the revenue of every period, the largest such work, runs
in a child process (`service/resale_child.py`).
"""

from __future__ import annotations

import threading
import time

from payg_tui.service import children
from payg_tui.service.books import Books
from payg_tui.ui.app import PaygApp
from payg_tui.ui.foreground import Foreground
from payg_tui.ui.screens.period import PeriodScreen
from payg_tui.ui.screens.periods import PeriodsScreen
from tests.ui.conftest import settle
from tests.ui.keys import burst
from tests.ui.snapshot_app import FIXED_NOW, make_app


def test_wait_returns_at_once_when_idle_and_when_the_loading_owner_finishes() -> None:
    foreground = Foreground()
    started = time.monotonic()
    foreground.wait()
    assert time.monotonic() - started < 0.05 and not foreground.busy
    owner, other = object(), object()
    foreground.started(owner)
    foreground.started(other)
    threading.Timer(0.2, foreground.finished, args=(owner,)).start()
    threading.Timer(0.4, foreground.finished, args=(other,)).start()
    started = time.monotonic()
    foreground.wait()
    assert 0.35 <= time.monotonic() - started < 2.0  # until the last owner has finished
    assert not foreground.busy


def test_a_screen_that_never_finishes_only_delays_the_background() -> None:
    foreground = Foreground()
    foreground.started(object())
    started = time.monotonic()
    foreground.wait(timeout=0.2)
    assert 0.15 <= time.monotonic() - started < 1.0


async def test_the_revenue_of_the_periods_is_worked_out_in_a_child_process() -> None:
    """Not in the dashboard's interpreter: no report is built here for a period nobody opened."""
    books = Books.open_demo(now=FIXED_NOW)  # its own: the shared demo remembers other tests' reports
    demo_app = make_app(books)
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert demo_app.resale is not None and len(demo_app.resale_totals) == len(demo_app.periods) >= 2
        oldest = demo_app.periods[-1].period.key
        assert oldest in demo_app.resale_totals
        assert oldest not in {key for _, key in demo_app.books._reports}
        # The same totals as the statements worked out here, when the period is opened.
        assert demo_app.resale_totals[oldest] == demo_app.resale.statements(oldest).totals
        # Asked again at once (new data): the first child is ended, none is left running.
        demo_app.load_resale_totals()
        demo_app.load_resale_totals()
        await settle(pilot)
        assert not children._running
        assert len(demo_app.resale_totals) == len(demo_app.periods)
    books.close()


async def test_opening_a_period_holds_the_background_until_its_table_is_painted(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        foreground = demo_app.foreground
        seen: list[tuple[str, bool]] = []  # (started / finished, the screen had its report then)
        started, finished = foreground.started, foreground.finished

        def on_started(owner: object) -> None:
            seen.append(("started", getattr(owner, "report", None) is not None))
            started(owner)

        def on_finished(owner: object) -> None:
            seen.append(("finished", getattr(owner, "report", None) is not None))
            finished(owner)

        foreground.started, foreground.finished = on_started, on_finished  # type: ignore[method-assign]
        await pilot.press("enter")
        await settle(pilot)
        screen = demo_app.screen
        assert isinstance(screen, PeriodScreen) and screen.report is not None
        assert seen[0] == ("started", False) and ("finished", True) in seen
        assert not foreground.busy  # painted: the background goes on
        # Escape while the report is still being built: the closed screen does not hold
        # the background. The build is held up by taking the period's build lock.
        await pilot.press("escape")
        await settle(pilot)
        demo_app.books._reports.clear()  # the next open builds its report again
        key = demo_app.periods[0].period.key
        building = demo_app.books._building.setdefault(key, threading.Lock())
        with building:
            burst(pilot, "enter")
            while not isinstance(demo_app.screen, PeriodScreen) or not demo_app.screen._asked:
                await pilot.pause()
            assert demo_app.screen.report is None and foreground.busy
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(demo_app.screen, PeriodsScreen)
            assert not foreground.busy
        await settle(pilot)
        assert not foreground.busy


async def test_a_dialog_over_a_period_not_loaded_yet_does_not_hold_the_background(
        demo_app: PaygApp) -> None:
    """`Enter e` in one write: the export dialog opens before the period has asked for its report."""
    from payg_tui.ui.dialogs.export import ExportDialog

    async with demo_app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # What `Enter e` in one write can do: the dialog is pushed before the period's
        # first paint (in a test the keys are too slow for it, so push them at once).
        demo_app.open_period(demo_app.periods[0].period.key)
        demo_app.action_export(demo_app.periods[0].period.key)
        while not isinstance(demo_app.screen, ExportDialog):
            await pilot.pause()
        period = demo_app.screen_stack[-2]
        assert isinstance(period, PeriodScreen) and not period._asked
        await settle(pilot)
        # The period loads under the dialog (ready when it closes) and releases the
        # background once loaded: the user may stay in the dialog for minutes.
        assert period.report is not None and not demo_app.foreground.busy
        await pilot.press("escape")
        await settle(pilot)
        assert demo_app.screen is period and period.report is not None
        assert not demo_app.foreground.busy
