"""Every figure on screen says what it is, and is the engine's figure (issue 8).

The expected values come from the report JSON, built in-process by a second,
independent demo through `service/formats` exactly as
`payg-tui report PERIOD --format json [--section S] --demo` writes it, and
from the provider's own document (the demo's API-shaped products). They are
never read back from the screen's own numbers. What the screen shows is read
from the widgets: the cells a table draws, or the text a Static renders.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from payg_tui.engine.model import slot_iso, slot_of
from payg_tui.sandbox.demo import demo_document
from payg_tui.service import formats
from payg_tui.service.books import Books
from payg_tui.ui.app import PaygApp
from payg_tui.ui.dialogs.help import HelpScreen
from payg_tui.ui.display import rule
from payg_tui.ui.screens.account import AccountScreen, CustomerScreen
from payg_tui.ui.screens.period import PeriodScreen
from payg_tui.ui.widgets.tab_bar import TabBar
from payg_tui.ui.widgets.table import VirtualTable
from tests.builders import World, h
from tests.ui.conftest import screen_text, screen_words, settle
from tests.ui.snapshot_app import FIXED_NOW, make_app

OPEN, CLOSED, FIRST = "2026-11", "2026-10", "2026-09"


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    """`report KEY --format json [--section S]` of the pinned demo, as parsed JSON."""
    books = Books.open_demo(now=FIXED_NOW)

    def report(key: str, section: formats.Section = "lines") -> dict[str, Any]:
        return json.loads(formats.report_json(books.report(key), section))

    yield report
    books.close()


def local(iso: str, tz: str) -> str:
    """`21 Nov 17:00`: an ISO UTC hour of the JSON in the provider's zone."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(tz))
    return f"{moment.day} {moment:%b %H:%M}"


def cells(table: VirtualTable[Any]) -> list[dict[str, str]]:
    """What the table draws: each row's visible cells, by column label, as plain text."""
    shown = set(table.visible_labels)
    columns = [c for c in table.columns if c.label in shown]
    return [{c.label: str(c.cell(row)).strip() for c in columns} for row in table.view]


def static_text(app: PaygApp, selector: str) -> str:
    """A Static's rendered text with line breaks and runs of spaces made single spaces."""
    return " ".join(str(app.screen.query_one(selector, Static).render()).split())


def total(lines: list[dict[str, Any]], key: str, **where: str) -> Decimal:
    return sum((Decimal(ln[key]) for ln in lines
                if ln[key] is not None and all(ln[k] == v for k, v in where.items())), Decimal("0.00"))


async def open_period(pilot: Pilot[object], app: PaygApp, key: str, tab: str | None = None) -> PeriodScreen:
    await settle(pilot)
    app.open_period(key)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, PeriodScreen) and screen.report is not None
    if tab is not None:
        screen.show_tab(tab)
        await settle(pilot)
    return screen


# -- 1. billed, pending and estimate apart -------------------------------------


async def test_1_account_screen_keeps_billed_pending_and_estimate_apart(demo_app: PaygApp,
                                                                       engine: Any) -> None:
    doc = engine(OPEN)
    lines = [ln for ln in doc["lines"] if ln["account_id"] == "acc-7005"]
    billed = total(lines, "amount", state="billed")
    pending = total(lines, "amount", state="pending")
    estimate = total(lines, "estimate", state="billed") + total(lines, "estimate", state="pending")
    assert billed > 0 and pending > 0  # a billed pack and a pending add-on: the case that was mixed
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, demo_app, OPEN)
        demo_app.push_screen(AccountScreen(screen.report, "acc-7005", screen.products))  # type: ignore[arg-type]
        await settle(pilot)
        shown = static_text(demo_app, "#summary")
        assert (f"2026-11: billed so far {billed} EUR · pending {pending} · estimate {estimate} "
                f"· {len(lines)} lines") in shown


async def test_1_customer_c103_shows_its_pending_money_as_pending(costs_only_app: PaygApp,
                                                                  engine: Any) -> None:
    customer = next(c for c in engine(OPEN, "customers")["customers"] if c["customer"] == "C-103")
    assert customer["billed"] == "0.00" and customer["pending"] != "0.00"
    async with costs_only_app.run_test(size=(80, 24)) as pilot:
        await open_period(pilot, costs_only_app, OPEN, tab="customers")
        await pilot.press("slash", *"C-103", "enter", "enter")
        await settle(pilot)
        assert isinstance(costs_only_app.screen, CustomerScreen)
        shown = static_text(costs_only_app, "#summary")
        assert (f"billed so far {customer['billed']} EUR · pending {customer['pending']} · "
                f"estimate {customer['estimate']}") in shown
        assert customer["accounts"] == 1 and customer["lines"] == 2
        assert "· 1 account billed or pending · 2 lines" in shown
        assert static_text(costs_only_app, "#footnote").startswith(
            "pending = not billed yet: free if deleted before its deadline; estimate = everything there now "
            "kept to the month end")
        assert f"billed {customer['pending']}" not in shown


# -- 2. accounts (distinct) and lines -----------------------------------------


async def test_2_period_list_tab_titles_and_notes_count_accounts_and_lines_as_the_json(
        demo_app: PaygApp, engine: Any) -> None:
    doc = engine(OPEN)
    t = doc["totals"]
    account_lines = [ln for ln in doc["lines"] if ln["kind"] == "account"]
    addon_lines = [ln for ln in doc["lines"] if ln["kind"] == "addon"]
    free_accounts = ({ln["id"] for ln in account_lines}
                     - {ln["id"] for ln in account_lines if ln["state"] != "exempt"})
    assert len(account_lines) + len(addon_lines) == t["lines"]
    assert len(account_lines) > t["accounts"]  # a pack change and a free account: lines != accounts
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        row = cells(demo_app.screen.query_one("#periods", VirtualTable))[0]
        assert (row["period"], row["accts"], row["add-ons"]) == (OPEN, str(t["accounts"]), str(t["addons"]))
        screen = await open_period(pilot, demo_app, OPEN)
        tabs = screen.query_one(TabBar)
        assert tabs.label("accounts") == f"Accounts {t['accounts']}"
        assert tabs.label("addons") == f"Add-ons {t['addons']}"
        assert f" Accounts {t['accounts']}  Add-ons {t['addons']} " in screen_text(pilot)
        assert static_text(demo_app, "#accounts-note") == (
            f"{t['accounts']} accounts billed or pending (+{len(free_accounts)} free) · "
            f"{len(account_lines)} lines: one per pack held")
        assert len(cells(screen.query_one("#accounts-table", VirtualTable))) == len(account_lines)
        screen.show_tab("addons")
        await settle(pilot)
        assert f"· {len(addon_lines)} lines: one per add-on held" in static_text(demo_app, "#addons-note")


async def test_2_customers_tab_counts_add_up_to_the_totals(costs_only_app: PaygApp, engine: Any) -> None:
    doc = engine(OPEN, "customers")
    async with costs_only_app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, costs_only_app, OPEN, tab="customers")
        rows = cells(screen.query_one("#customers-table", VirtualTable))
        expected = [(c["customer"] or "(none)", str(c["accounts"]), c["billed"], c["pending"], c["estimate"])
                    for c in doc["customers"]]
        shown = [(r["customer"], r["accounts"], r["billed"], r["pending"], r["estimate"]) for r in rows]
        assert shown == expected
        assert sum(int(r["accounts"]) for r in rows) == doc["totals"]["accounts"]


# -- 3. Packs: billed and pending apart ----------------------------------------


async def test_3_packs_tab_has_billed_and_pending_columns(demo_app: PaygApp, engine: Any) -> None:
    doc = engine(OPEN)
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, demo_app, OPEN, tab="packs")
        rows = cells(screen.query_one("#packs-table", VirtualTable))
        assert {r["product"] for r in rows} == {p["product"] for p in doc["products"]}
        for r in rows:
            assert r["billed"] == str(total(doc["lines"], "amount", product=r["product"], state="billed"))
            assert r["pending"] == str(total(doc["lines"], "amount", product=r["product"], state="pending"))
        assert any(r["pending"] != "0.00" for r in rows)
        assert sum(Decimal(r["billed"]) for r in rows) == Decimal(doc["totals"]["billed"])
        assert sum(Decimal(r["pending"]) for r in rows) == Decimal(doc["totals"]["pending"])


# -- 4. Days: running adds up, line rounding ends at billed, chart from zero ---


@pytest.mark.parametrize("key", [OPEN, CLOSED])
async def test_4_days_running_adds_the_days_shown_and_line_rounding_ends_at_billed(
        demo_app: PaygApp, engine: Any, key: str) -> None:
    doc = engine(key, "days")
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, demo_app, key, tab="days")
        *days, last = cells(screen.query_one("#days-table", VirtualTable))
        assert [(d["date"], d["billed"], d["running"]) for d in days] == [
            (d["date"], d["billed"], d["running"]) for d in doc["days"]]
        running = Decimal(0)
        for day in days:
            running += Decimal(day["billed"])
            assert Decimal(day["running"]) == running
        assert last["date"] == "line rounding"
        assert last["billed"] == doc["totals"]["day_rounding"]
        assert last["running"] == doc["totals"]["billed"]
        assert running + Decimal(last["billed"]) == Decimal(last["running"])
        await pilot.press("end")  # the last row, read whole on the terminal
        await settle(pilot)
        assert f"line rounding {last['billed']} {last['running']}" in screen_words(pilot)
        largest = max(Decimal(d["billed"]) for d in doc["days"])
        assert static_text(demo_app, "#days-chart").startswith(f"per day, 0 to {largest}:")
        assert "bar from 0" in " ".join(screen.query_one("#days-table", VirtualTable).visible_labels)


# -- 5. Not billed: at stake = the line estimate, deadline = the line deadline --


async def test_5_not_billed_at_stake_is_the_line_estimate_and_the_deadline_is_the_lines(
        demo_app: PaygApp, engine: Any) -> None:
    doc = engine(OPEN)
    tz = doc["timezone"]
    pending = {ln["id"]: ln for ln in doc["lines"] if ln["state"] == "pending"}
    assert pending
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, demo_app, OPEN, tab="not-billed")
        rows = {r["id"]: r for r in cells(screen.query_one("#not-billed-table", VirtualTable))}
        for line_id, line in pending.items():
            assert line["estimate"] != line["amount"]  # it reaches as_of: keeping it costs more
            assert rows[line_id]["at stake"] == line["estimate"]
            assert rows[line_id]["why"] == f"delete before {local(line['deadline'], tz)} to pay nothing"
        not_billed = [ln for ln in doc["lines"] if ln["state"] != "billed"]
        free = [ln for ln in not_billed if ln["state"] == "exempt"]
        assert len(rows) == len(not_billed)
        assert static_text(demo_app, "#not-billed-note").startswith(
            f"{len(not_billed)} lines · at stake: pending ({len(pending)}) = their cost to the month end "
            f"if kept; free ({len(free)}) = the cost saved")


# -- 6. the estimate explained, with the period's price changes ----------------


def _price_changes_inside(key: str, start: str, end: str) -> list[tuple[str, str, str, str]]:
    """From the provider's products: (code, old, new, from) for versions inside [start, end)."""
    products = demo_document(slot_of(FIXED_NOW))["products"]
    found = []
    for product in products:
        previous = "none"
        for version in product["prices"]:
            if start < version["effective_from"] < end:
                found.append((product["code"], previous, version["monthly"], version["effective_from"]))
            previous = version["monthly"]
    return sorted(found, key=lambda c: c[3])


async def test_6_the_estimate_is_explained_with_the_price_changes_inside_the_open_period(
        demo_app: PaygApp, engine: Any) -> None:
    doc = engine(OPEN)
    tz = doc["timezone"]
    first_hour = next(iter(sorted(ln["from"] for ln in doc["lines"])))
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, demo_app, OPEN)
        assert screen.report is not None
        end = slot_iso(screen.report.period.end)
        changes = _price_changes_inside(OPEN, first_hour, end)
        assert len(changes) == 2  # one already in force, one ahead of as_of
        note = static_text(demo_app, "#estimate-note")
        assert note.startswith(f"estimate, if nothing changes: all in the {local(doc['as_of'], tz)} image "
                               f"kept to {local(end, tz)} at the prices then in force")
        for code, old, new, start in changes:
            ahead = " (ahead)" if start > doc["as_of"] else ""
            assert f"{code} {old}→{new} from {local(start, tz)}{ahead}" in note


# -- 7. the rule says why a line starts ------------------------------------------


@pytest.mark.parametrize(("key", "account"), [(OPEN, "acc-1013"), (CLOSED, "acc-7005")])
async def test_7_a_pack_change_says_moved_from_to_on(demo_app: PaygApp, engine: Any, key: str,
                                                     account: str) -> None:
    doc = engine(key)
    tz = doc["timezone"]
    lines = [ln for ln in doc["lines"] if ln["id"] == account]
    before, after = next((a, b) for a, b in itertools.pairwise(lines) if a["to"] == b["from"])
    assert before["product"] != after["product"]
    expected = f"moved from {before['product']} to {after['product']} on {local(after['from'], tz)}; billed"
    # Whether the lifetime is older than the data: there at the first snapshot of the demo.
    first = engine(FIRST)
    first_hour = min(ln["from"] for ln in first["lines"])
    pre_existing = any(ln["id"] == account and ln["from"] == first_hour for ln in first["lines"])
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, demo_app, key)
        account_screen = AccountScreen(screen.report, account, screen.products)  # type: ignore[arg-type]
        demo_app.push_screen(account_screen)
        await settle(pilot)
        table = account_screen.query_one("#timeline", VirtualTable)
        table.cursor_row = next(i for i, ln in enumerate(table.view) if ln.start == after_slot(after))
        await settle(pilot)
        detail = static_text(demo_app, "#detail")
        assert expected in detail
        assert ("there since the first snapshot" in detail) == (pre_existing and key == OPEN)
        assert "pre-existing" not in detail


def after_slot(line: dict[str, Any]) -> int:
    return slot_of(datetime.fromisoformat(line["from"].replace("Z", "+00:00")))


async def test_7_pre_existing_only_when_the_lifetime_starts_at_the_first_snapshot(
        demo_app: PaygApp, engine: Any) -> None:
    first = engine(FIRST)
    first_hour = min(ln["from"] for ln in first["lines"])
    line = next(ln for ln in first["lines"] if ln["id"] == "acc-7010")
    assert line["from"] == first_hour  # there at the first snapshot
    async with demo_app.run_test(size=(120, 36)) as pilot:
        for key, expected in ((FIRST, "pre-existing: there at the first snapshot, its real start unknown; "
                                      "billed"),
                              (OPEN, "there since the first snapshot, before this period; billed")):
            screen = await open_period(pilot, demo_app, key)
            demo_app.push_screen(AccountScreen(screen.report, "acc-7010", screen.products))  # type: ignore[arg-type]
            await settle(pilot)
            assert static_text(demo_app, "#detail").endswith(expected)
            await pilot.press("escape", "escape")
            await settle(pilot)


# -- 8. billed so far only while open; provisional in words ---------------------


async def test_8_billed_so_far_only_for_the_open_period(demo_app: PaygApp, engine: Any) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        for key in (OPEN, CLOSED):
            doc = engine(key)
            await open_period(pilot, demo_app, key)
            shown = static_text(demo_app, "#summary")
            label = "billed so far" if doc["status"] == "open" else "billed"
            t = doc["totals"]
            assert f"{doc['status']} · {label} {t['billed']} · pending {t['pending']}" in shown
            assert ("billed so far" in shown) == (doc["status"] == "open")
            await pilot.press("escape")


async def test_8_help_says_what_provisional_and_each_figure_mean(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(demo_app.screen, HelpScreen)
        words = static_text(demo_app, "#help-text")
        assert "provisional every hour of the month is in, but some items are still pending" in words
        for figure in ("billed so far", "pending", "estimate", "at stake", "line rounding",
                       "accounts / lines", "times"):
            assert f" {figure} " in words


# -- 9. one time convention, stated where "to" and "as of" meet -------------------


async def test_9_a_running_line_ends_one_hour_after_as_of_and_the_screen_says_why(
        demo_app: PaygApp, engine: Any) -> None:
    doc = engine(OPEN)
    tz = doc["timezone"]
    line = next(ln for ln in doc["lines"] if ln["id"] == "acc-7006")
    as_of = datetime.fromisoformat(doc["as_of"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(line["to"].replace("Z", "+00:00")) - as_of == timedelta(hours=1)
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, demo_app, OPEN)
        demo_app.push_screen(AccountScreen(screen.report, "acc-7006", screen.products))  # type: ignore[arg-type]
        await settle(pilot)
        detail = static_text(demo_app, "#detail")
        assert f"{local(line['from'], tz)} to {local(line['to'], tz)}" in detail
        footnote = static_text(demo_app, "#footnote")
        assert '"to" = end of the last hour, so a running line ends 1 h after "as of"' in footnote
        header = static_text(demo_app, "#header")
        as_of_local = as_of.astimezone(ZoneInfo(tz))
        assert f"as of {as_of_local:%Y-%m-%d %H:%M}" in header


# -- small terminals: the rule line whole at 80x24 --------------------------------


async def test_80x24_account_screen_shows_the_whole_rule_of_the_highlighted_line(demo_app: PaygApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await open_period(pilot, demo_app, OPEN)
        account = AccountScreen(screen.report, "acc-1013", screen.products)  # type: ignore[arg-type]
        demo_app.push_screen(account)
        await settle(pilot)
        for _ in account.lines:
            line = account.query_one("#timeline", VirtualTable).current
            assert " ".join(rule(line, "Europe/Brussels").split()) in screen_words(pilot)
            await pilot.press("down")
            await settle(pilot)


async def test_8_a_provisional_month_says_so_in_words_and_is_billed_not_billed_so_far(tmp_path: Path) -> None:
    """October fully observed, with E created 36 h before its end: still pending, so provisional."""
    path = tmp_path / "provisional.sqlite3"
    world = World().account("A", "p72", h("2026-10-01")).account("E", "p72", h("2026-10-30T12"))
    world.store(path, h("2026-10-01"), h("2026-10-31T23")).close()
    with Books.open_cache(path) as books:
        doc = json.loads(formats.report_json(books.report("2026-10")))
    t = doc["totals"]
    assert doc["status"] == "provisional" and t["pending"] != "0.00"
    with Books.open_cache(path) as books:
        app = make_app(books)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            headline = static_text(app, "#headline")
            assert headline.startswith(f"2026-10 provisional · total if the pending stay {t['estimate']} EUR "
                                       f"· billed {t['billed']} · pending (not billed yet) {t['pending']}")
            await open_period(pilot, app, "2026-10")
            shown = static_text(app, "#summary")
            assert shown.startswith("2026-10 provisional (every hour of the month is in, but some items are "
                                    "still inside their first 48 h: billed if they stay past their deadline, "
                                    "free if deleted before it) · billed " + t["billed"])
            assert "billed so far" not in shown
