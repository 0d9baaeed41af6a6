"""The dashboard with and without a sell price list (resale.md), driven with Pilot."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from textual.pilot import Pilot

from payg_tui.engine.resale import Statement
from payg_tui.service.books import Books
from payg_tui.service.statements import Resale, price_list_for
from payg_tui.ui.app import PaygApp
from payg_tui.ui.screens.account import CustomerScreen
from payg_tui.ui.screens.period import PeriodScreen
from payg_tui.ui.screens.statement import StatementScreen
from payg_tui.ui.widgets.table import VirtualTable
from tests.ui.conftest import screen_text
from tests.ui.snapshot_app import FIXED_NOW


async def until(pilot: Pilot[object], done: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let timers, workers and their messages run until `done()`."""
    limit = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < limit, "timed out"
        await pilot.pause(0.02)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_customers(pilot: Pilot[object], app: PaygApp, key: str) -> PeriodScreen:
    app.open_period(key)
    await until(pilot, lambda: isinstance(app.screen, PeriodScreen) and app.screen.report is not None)
    screen = app.screen
    assert isinstance(screen, PeriodScreen)
    screen.show_tab("customers")
    await until(pilot, lambda: bool(screen.query("#customers-table")))
    return screen


def customers_table(screen: PeriodScreen) -> VirtualTable[object]:
    return screen.query_one("#customers-table", VirtualTable)


# -- with the demo's price list ----------------------------------------------------------


async def test_period_list_shows_revenue_and_margin_of_each_period(demo_app: PaygApp,
                                                                   demo_books: Books) -> None:
    expected = Resale(demo_books, price_list_for(demo=True))  # type: ignore[arg-type]
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: len(demo_app.resale_totals) == len(demo_app.periods) > 0)
        lines = screen_text(pilot).splitlines()
        at = next(i for i, line in enumerate(lines) if "status" in line and "estimate" in line)
        assert "revenue" in lines[at] and "margin" in lines[at]
        for summary in demo_app.periods:
            totals = expected.totals(summary.period.key)
            row = next(line for line in lines[at + 1:] if line.lstrip("▌ ").startswith(summary.period.key))
            assert f"{totals.revenue:.2f}" in row and f"{totals.margin:.2f}" in row


async def test_customers_tab_shows_margins_worst_first_and_marks_negative_ones(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: demo_app.resale is not None)
        screen = await open_customers(pilot, demo_app, "2026-10")
        await until(pilot, lambda: screen.statements is not None and bool(customers_table(screen).view))
        table = customers_table(screen)
        assert table.visible_labels[-4:] == ["cost", "revenue", "margin", "margin %"]
        rows: list[Statement] = list(table.view)  # type: ignore[arg-type]
        margins = [s.margin for s in rows]
        assert margins == sorted(margins) and margins[0] < 0  # C-104's discount leaves less than cost
        assert rows[0].customer == "C-104"
        worst = next(line for line in screen_text(pilot).splitlines() if "C-104" in line)
        assert f"{rows[0].margin:.2f} ▼" in worst and "Winkel & Opvolger" in worst
        assert all("▼" not in line for line in screen_text(pilot).splitlines() if "C-001 " in line)
        # Sorted by margin on request: again to reverse.
        table.sort_by("margin")
        await pilot.pause()
        assert [s.margin for s in table.view] == sorted(margins, reverse=True)  # type: ignore[attr-defined]
        below = sum(1 for m in margins if m < 0)
        note = screen_text(pilot)
        assert f"{below} customer{'s' if below > 1 else ''} below cost ▼" in note
        assert f"revenue {screen.statements.totals.revenue:.2f}" in note  # type: ignore[union-attr]


async def test_hostile_customer_text_is_shown_literally(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: demo_app.resale is not None)
        screen = await open_customers(pilot, demo_app, "2026-10")
        await until(pilot, lambda: bool(customers_table(screen).view))
        assert "<script>alert(1)</script> [bold]Hostile[/bold]" in screen_text(pilot)
        assert "[red]C-66" in screen_text(pilot)  # the reference, cut to its column, not a colour


async def test_enter_opens_the_statement_and_e_exports_it(demo_app: PaygApp, tmp_path: Path) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: demo_app.resale is not None)
        screen = await open_customers(pilot, demo_app, "2026-10")
        await until(pilot, lambda: bool(customers_table(screen).view))
        customers_table(screen).focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(demo_app.screen, StatementScreen))
        statement = demo_app.screen.statement  # type: ignore[attr-defined]
        assert statement.customer == "C-104"
        text = screen_text(pilot)
        assert "C-104" in text and "discount 35%" in text and f"margin {statement.margin:.2f} ▼" in text
        lines = demo_app.screen.query_one("#statement-lines", VirtualTable)
        assert len(lines.view) == len(statement.sales)
        # HTML for the customer, the default.
        await pilot.press("e")
        await pilot.pause()
        field = demo_app.screen.query_one("#export-path")
        assert field.value == str(tmp_path / "statement-2026-10-C-104.html")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: demo_app.last_export is not None)
        page = (tmp_path / "statement-2026-10-C-104.html").read_text(encoding="utf-8")
        assert "Winkel &amp; Opvolger" in page and f"{statement.revenue:.2f} EUR" in page
        assert f"{statement.cost:.2f}" not in page.split("</head>")[1]
        # CSV with cost and margin.
        await pilot.press("e")
        await pilot.pause()
        demo_app.screen.query_one("#fmt-csv").value = True  # type: ignore[attr-defined]
        await pilot.pause()
        assert demo_app.screen.query_one("#export-path").value.endswith("C-104.csv")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: (tmp_path / "statement-2026-10-C-104.csv").exists())
        rows = list(csv.DictReader((tmp_path / "statement-2026-10-C-104.csv").open(encoding="utf-8")))
        assert sum(Decimal(r["margin"]) for r in rows) == statement.margin
        # JSON.
        await pilot.press("e")
        await pilot.pause()
        demo_app.screen.query_one("#fmt-json").value = True  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: (tmp_path / "statement-2026-10-C-104.json").exists())
        doc = json.loads((tmp_path / "statement-2026-10-C-104.json").read_text(encoding="utf-8"))
        assert doc["schema"] == "payg-statements/1" and [c["customer"] for c in doc["customers"]] == ["C-104"]


# -- without a price list, and with a refused one ---------------------------------------------


async def test_without_resale_toml_nothing_changes(example_cache: Path) -> None:
    books = Books.open_cache(example_cache)
    app = PaygApp(books, now=lambda: FIXED_NOW, auto_sync=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.loaded)
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        assert app.resale is None and not app._notifications
        assert "revenue" not in screen_text(pilot) and "margin" not in screen_text(pilot)
        screen = await open_customers(pilot, app, "2026-11")
        table = customers_table(screen)
        assert table.visible_labels[-3:] == ["billed", "pending", "estimate"]
        assert not screen.query_one("#customers-note").display
        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CustomerScreen))
        assert app.screen.customer is None  # type: ignore[attr-defined]
    books.close()


async def test_a_refused_resale_toml_is_one_notification_and_the_app_works_without(
        example_cache: Path, tmp_path: Path) -> None:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "resale.toml").write_text('currency = "EUR"\nrule = "weekly"\nmarkup = "x"\n',
                                                     encoding="utf-8")
    books = Books.open_cache(example_cache)
    app = PaygApp(books, now=lambda: FIXED_NOW, auto_sync=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: bool(app._notifications))
        [note] = list(app._notifications)
        assert note.severity == "error" and "resale.toml refused" in note.title
        assert "resale.toml: " in note.message and "(and 1 more" in note.message
        assert len(note.message.splitlines()) == 1
        assert app.resale is None and "revenue" not in screen_text(pilot)
        screen = await open_customers(pilot, app, "2026-11")
        assert customers_table(screen).visible_labels[-1] == "estimate"
    books.close()


async def test_a_price_list_in_another_currency_is_refused_the_same_way(example_cache: Path,
                                                                       tmp_path: Path) -> None:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "resale.toml").write_text('currency = "USD"\n', encoding="utf-8")
    books = Books.open_cache(example_cache)
    app = PaygApp(books, now=lambda: FIXED_NOW, auto_sync=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: bool(app._notifications))
        [note] = list(app._notifications)
        assert "currency" in note.message and "EUR" in note.message and app.resale is None
    books.close()


async def test_with_a_user_resale_toml_the_cache_shows_margins(example_cache: Path, tmp_path: Path) -> None:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "resale.toml").write_text('currency = "EUR"\nrule = "hourly"\nmarkup = "50%"\n',
                                                     encoding="utf-8")
    books = Books.open_cache(example_cache)
    app = PaygApp(books, now=lambda: FIXED_NOW, auto_sync=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: len(app.resale_totals) == len(app.periods) > 0)
        totals = app.resale_totals["2026-10"]
        assert totals.revenue == totals.cost * Decimal("1.5")  # one customer-less line, hourly, +50 %
        screen = await open_customers(pilot, app, "2026-11")
        await until(pilot, lambda: bool(customers_table(screen).view))
        [only] = customers_table(screen).view
        assert only.customer is None and "(none)" in screen_text(pilot)  # type: ignore[attr-defined]
    books.close()
