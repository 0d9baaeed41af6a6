"""The dashboard's flows, driven by keys (and a few clicks) as a reseller would."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from payg_tui.engine.model import Line, PeriodSummary
from payg_tui.ui.app import PaygApp
from payg_tui.ui.dialogs.help import HelpScreen
from payg_tui.ui.screens.account import AccountScreen
from payg_tui.ui.screens.period import PeriodScreen
from payg_tui.ui.screens.periods import PeriodsScreen
from payg_tui.ui.screens.statement import StatementScreen
from payg_tui.ui.widgets.tab_bar import TabBar
from payg_tui.ui.widgets.table import VirtualTable
from tests.ui.conftest import screen_text, screen_words, settle


async def test_period_list_shows_every_period_newest_first_with_the_open_estimate(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = demo_app.screen.query_one("#periods", VirtualTable)
        keys = [s.period.key for s in table.view]
        assert keys == ["2026-11", "2026-10", "2026-09"]
        text = screen_text(pilot)
        open_month: PeriodSummary = table.view[0]
        assert open_month.status == "open"
        assert f"estimate for the month {open_month.totals.estimate} EUR" in text
        assert "Demo Hosting · EUR · demo data · as of 2026-11-20 14:00 CET" in text
        # The demo has a price list: at 80 columns its margin takes the room of the hours
        # observed (the Quality tab and wider terminals show them).
        assert f"{demo_app.resale_totals['2026-11'].margin:.2f}" in text


async def test_enter_opens_the_period_with_its_summary_and_tabs(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # 2026-10
        await settle(pilot)
        screen = demo_app.screen
        assert isinstance(screen, PeriodScreen) and screen.key == "2026-10"
        assert screen.report is not None
        text = screen_words(pilot)
        assert screen.report.status == "closed"
        assert f"closed · billed {screen.report.totals.billed} · pending" in text
        assert "billed so far" not in text  # only an open month is billed "so far"
        assert "vs 2026-09:" in text
        accounts = screen.query_one("#accounts-table", VirtualTable)
        assert accounts.has_focus
        assert {ln.kind for ln in accounts.rows} == {"account"}
        assert len(accounts.rows) == sum(1 for ln in screen.report.lines if ln.kind == "account")


async def test_brackets_switch_tabs_and_each_tab_shows_its_part_of_the_report(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = demo_app.screen
        assert isinstance(screen, PeriodScreen) and screen.report is not None
        report = screen.report
        seen = []
        for _ in range(7):
            await pilot.press("right_square_bracket")
            await pilot.pause()
            seen.append(screen.query_one(TabBar).active)
        assert seen == ["addons", "packs", "days", "not-billed", "customers", "quality", "accounts"]
        assert screen.query_one("#packs-table", VirtualTable).rows == report.products
        assert screen.query_one("#days-table", VirtualTable).rows == report.days
        assert screen.statements is not None  # the demo has a price list: statements, with margins
        assert screen.query_one("#customers-table", VirtualTable).rows == screen.statements.statements
        not_billed = screen.query_one("#not-billed-table", VirtualTable).rows
        assert not_billed and all(ln.state != "billed" for ln in not_billed)


async def test_not_billed_tab_gives_the_grace_deadline_in_the_providers_zone(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        demo_app.screen.show_tab("not-billed")  # type: ignore[attr-defined]
        await pilot.pause()
        text = screen_text(pilot)
        # acc-7006 first appears 20 h before now (2026-11-20 13:00 UTC), at 19 Nov 17:00 UTC;
        # + 47 h (billing.md 1.1) = 21 Nov 16:00 UTC = 17:00 CET.
        assert "delete before 21 Nov 17:00 to pay nothing" in text


async def test_billed_days_say_that_days_are_rounded_separately(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        demo_app.screen.show_tab("days")  # type: ignore[attr-defined]
        await pilot.pause()
        assert "rounded on its own" in screen_words(pilot)


async def test_enter_on_a_line_drills_down_to_the_account_and_its_rules(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("slash", *"nieuwe", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = demo_app.screen
        assert isinstance(screen, AccountScreen) and screen.account_id == "acc-7006"
        kinds = sorted(ln.kind for ln in screen.lines)
        assert kinds == ["account", "addon"]  # its pack and its SSL add-on
        text = screen_text(pilot)
        assert "created 19 Nov 18:00; pending: 21 h so far, delete before 21 Nov 17:00 to pay nothing" in text
        await pilot.press("escape")
        assert isinstance(demo_app.screen, PeriodScreen)


async def test_account_rules_in_words_for_billed_pre_existing_and_free_lines(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        demo_app.open_period("2026-10")
        await settle(pilot)
        report = demo_app.screen.report  # type: ignore[attr-defined]
        demo_app.push_screen(AccountScreen(report, "acc-7002", {}))
        await pilot.pause()
        assert "free: deleted after 47 h, under 48 h" in screen_text(pilot)
        await pilot.press("escape")
        demo_app.push_screen(AccountScreen(report, "acc-7003", {}))
        await pilot.pause()
        assert "billed from its first hour: it existed 48 h, 48 h or more" in screen_text(pilot)
        await pilot.press("escape")
        demo_app.push_screen(AccountScreen(report, "acc-7010", {}))
        await pilot.pause()
        # Its lifetime starts at the first snapshot (in 2026-09): in 2026-10 its line
        # starts at the period start, and says so.
        text = screen_text(pilot)
        assert "there since the first snapshot, before this period; billed" in text
        assert "pre-existing" not in text


async def test_customers_tab_opens_the_lines_of_one_customer(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        demo_app.screen.show_tab("customers")  # type: ignore[attr-defined]
        await settle(pilot)  # the tab is built, then focused, after a refresh
        await pilot.press("slash", *"C-103", "enter", "enter")
        await pilot.pause()
        screen = demo_app.screen
        assert isinstance(screen, StatementScreen) and screen.statement.customer == "C-103"
        assert {sale.line.account_id for sale in screen.statement.sales} == {"acc-7006"}


async def test_digits_and_header_clicks_sort_and_again_reverses(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        table = demo_app.screen.query_one("#accounts-table", VirtualTable)
        labels = table.visible_labels
        hours = labels.index("hours") + 1
        await pilot.press(str(hours))
        values = [ln.hours for ln in table.view]
        assert values == sorted(values)
        await pilot.press(str(hours))
        assert [ln.hours for ln in table.view] == sorted(values, reverse=True)
        # A click on the "amount" header sorts by amount.
        x = 0
        left = 2
        for index, width in table._layout:
            if table.columns[index].label == "amount":
                x = left + 1
                break
            left += width + 1
        await pilot.click(table, offset=(x, 0))
        amounts = [ln.amount for ln in table.view]
        assert amounts == sorted(amounts)
        assert table.sort_state == ("amount", False)


async def test_filter_as_you_type_and_escape_clears_it(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        table = demo_app.screen.query_one("#accounts-table", VirtualTable)
        everything = len(table.view)
        await pilot.press("slash", *"bakk")
        assert 0 < len(table.view) < everything
        assert all("bakk" in ln.name.casefold() for ln in table.view)
        await pilot.press("escape")
        assert len(table.view) == everything and table.has_focus
        await pilot.press("slash", *"no-such-name-here")
        assert table.view == []
        assert "nothing" in screen_text(pilot) or "no account lines" in screen_text(pilot)


async def test_export_writes_the_report_where_the_dialog_says(demo_app: PaygApp, tmp_path: Path) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        field = demo_app.screen.query_one("#export-path")
        assert field.value == str(tmp_path / "payg-2026-11.csv")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        written = tmp_path / "payg-2026-11.csv"
        rows = list(csv.reader(written.open(encoding="utf-8")))
        assert rows[0][:3] == ["kind", "id", "account_id"] and len(rows) > 10
        assert demo_app.last_export == written
        # JSON, to a path typed by hand.
        await pilot.press("e")
        await pilot.pause()
        demo_app.screen.query_one("#fmt-json").value = True  # type: ignore[attr-defined]
        await pilot.pause()
        field = demo_app.screen.query_one("#export-path")
        (tmp_path / "out").mkdir()
        field.value = str(tmp_path / "out" / "nov.json")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        doc = json.loads((tmp_path / "out" / "nov.json").read_text(encoding="utf-8"))
        assert doc["schema"] == "payg-report/1" and doc["period"] == "2026-11"


async def test_escape_in_the_export_dialog_writes_nothing(demo_app: PaygApp, tmp_path: Path) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("e", "escape")
        await settle(pilot)
        assert not list(tmp_path.glob("payg-*"))
        assert isinstance(demo_app.screen, PeriodsScreen)


async def test_help_lists_the_bindings_of_the_screen(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(demo_app.screen, HelpScreen)
        text = screen_text(pilot)
        for words in ("Filter", "Export", "Sync", "Settings", "Quit", "command palette"):
            assert words in text
        await pilot.press("escape")
        assert isinstance(demo_app.screen, PeriodsScreen)


async def test_palette_jumps_to_a_period(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"open period 2026-09")
        await pilot.pause(0.3)  # the palette searches on a timer of its own
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(demo_app.screen, PeriodScreen) and demo_app.screen.key == "2026-09"


async def test_q_quits(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not demo_app.is_running


async def test_markup_escapes_and_long_names_show_literally(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        demo_app.open_period("2026-10")
        await settle(pilot)
        table = demo_app.screen.query_one("#accounts-table", VirtualTable)
        for needle, shown in (("flash", "[bold]flash-sale[/].be"), ("winkel", "[link=https://evil"),
                              ("ansi", "?[31mansi-shop?[0m.be")):
            table.set_filter(needle)
            await pilot.pause()
            text = screen_text(pilot)
            assert shown in text, needle
            assert "\x1b" not in text
        table.set_filter("very-long")
        await pilot.pause()
        lines = screen_text(pilot).splitlines()
        assert len(lines) == 36 and all(len(line) <= 120 for line in lines)
        row: Line = table.view[0]
        assert row.name.startswith("very-long-name-") and "…" in screen_text(pilot)


async def test_quitting_before_the_sync_bar_is_prepared_is_clean(demo_app: PaygApp) -> None:
    """The sync bar is mounted a moment after start: quitting first must not crash."""
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
    demo_app._prepare_sync_bar()  # the timer firing after the screens are gone
    assert not demo_app.screen_stack
