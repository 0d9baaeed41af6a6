"""The dashboard's alerts (alerts.md, Also): a count in the header, the most urgent one under it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

from payg_tui.config import Config
from payg_tui.engine.model import slot_time
from payg_tui.service.books import Books
from payg_tui.ui.app import PaygApp
from tests.builders import World, h
from tests.ui.conftest import screen_text, settle

DEMO_NOW = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # the demo's trial: deadline 3 Dec 08:00 CET


async def until(pilot: Pilot[object], done: Callable[[], bool], timeout: float = 15.0) -> None:
    """Let timers and workers run until `done()` (the first check waits for the first paint)."""
    limit = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < limit, "timed out"
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    shown = None
    while (now := screen_text(pilot)) != shown:  # and the screen settles (a header grows a line)
        assert time.monotonic() < limit, "timed out"
        shown = now
        await pilot.pause(0.05)


async def test_the_header_counts_the_alerts_and_shows_the_most_urgent() -> None:
    books = Books.open_demo(now=DEMO_NOW)
    app = PaygApp(books, config=Config(alerts_within=30), now=lambda: DEMO_NOW, auto_sync=False)
    async with app.run_test(size=(120, 24)) as pilot:
        await until(pilot, lambda: app.alerts is not None)
        lines = screen_text(pilot).splitlines()
        assert lines[0].startswith(" payg   2 alerts  Demo Hosting")
        assert lines[1].strip() == ("warning: nieuwe-klant.be: delete before 3 Dec 08:00 CET to pay "
                                    "nothing (13.33 EUR to month end)")
    books.close()


async def test_the_palette_shows_every_alert() -> None:
    books = Books.open_demo(now=DEMO_NOW)
    app = PaygApp(books, config=Config(alerts_within=30), now=lambda: DEMO_NOW, auto_sync=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: app.alerts is not None)
        await pilot.press("ctrl+p")
        await pilot.press(*"show the 2")
        await until(pilot, lambda: "Show the 2 alerts" in screen_text(pilot))
        await pilot.press("enter")
        await until(pilot, lambda: bool(app._notifications))
        [note] = list(app._notifications)
        assert note.title == "2 alerts" and note.severity == "warning"
        assert note.message.splitlines() == [
            "warning: nieuwe-klant.be: delete before 3 Dec 08:00 CET to pay nothing (13.33 EUR to month end)",
            "warning: nieuwe-klant.be: add-on add-7006-1 (ssl): delete before 3 Dec 08:00 CET to pay nothing "
            "(2.31 EUR to month end)"]
    books.close()


async def test_no_alerts_no_count_and_no_second_line(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: demo_app.alerts is not None)
        assert demo_app.alerts is not None and demo_app.alerts.alerts == []
        lines = screen_text(pilot).splitlines()
        assert lines[0].startswith(" payg  Demo Hosting") and "alert" not in screen_text(pilot)
        assert "open" in lines[1]  # the period list's headline follows the one-line header


def _trial_cache(tmp_path: Path, name: str) -> Path:
    w = World(timezone="Europe/Brussels")
    w.account("old", "p72", h("2026-11-25T00"))
    w.account("new", "p72", h("2026-12-01T08"))  # deadline 2026-12-03T07:00Z
    w.names["new"] = name
    path = tmp_path / "trial.sqlite3"
    w.store(path, h("2026-11-25T00"), h("2026-12-02T04")).close()
    return path


async def test_a_deadline_that_passes_while_the_app_is_open_leaves_the_header(tmp_path: Path) -> None:
    clock = [datetime(2026, 12, 3, 6, 0, tzinfo=UTC)]
    books = Books.open_cache(_trial_cache(tmp_path, "nieuwe-klant.be"))
    # stale_after: the cache's last hour is a day old; only the deadline is looked at here.
    app = PaygApp(books, config=Config(alerts_stale_after=100), now=lambda: clock[0], auto_sync=False)
    async with app.run_test(size=(120, 24)) as pilot:
        await until(pilot, lambda: app.alerts is not None)
        assert "1 alert " in screen_text(pilot) and "delete before 3 Dec 08:00 CET" in screen_text(pilot)
        clock[0] = slot_time(h("2026-12-03T07")) + timedelta(minutes=1)
        app._refresh_age()  # what the minute timer calls
        await until(pilot, lambda: app.alerts is not None and not app.alerts.alerts)
        assert "alert" not in screen_text(pilot)
    books.close()


async def test_a_critical_alert_comes_first(tmp_path: Path) -> None:
    books = Books.open_cache(_trial_cache(tmp_path, "nieuwe-klant.be"))
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # five hours after the last snapshot: stale
    app = PaygApp(books, config=Config(alerts_within=30), now=lambda: now, auto_sync=False)
    async with app.run_test(size=(160, 24)) as pilot:
        await until(pilot, lambda: app.alerts is not None)
        assert app.alerts is not None and [a.kind for a in app.alerts.alerts] == ["stale", "deadline"]
        lines = screen_text(pilot).splitlines()
        assert " 2 alerts " in lines[0]
        assert lines[1].strip().startswith("critical: no new snapshot since 2 Dec 05:00 CET (5 h ago)")
    books.close()


async def test_a_hostile_name_in_the_alert_line_stays_literal(tmp_path: Path) -> None:
    books = Books.open_cache(_trial_cache(tmp_path, "[red]evil[/red] [link=x]\x1b[2J"))
    now = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)
    app = PaygApp(books, config=Config(alerts_within=30), now=lambda: now, auto_sync=False)
    async with app.run_test(size=(160, 24)) as pilot:
        await until(pilot, lambda: app.alerts is not None)
        line = screen_text(pilot).splitlines()[1]
        assert line.strip().startswith("warning: [red]evil[/red] [link=x]?[2J: delete before")
        await settle(pilot)
    books.close()
