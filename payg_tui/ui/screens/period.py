"""One billing period: the summary and a tab per way of looking at it.

The report is built on a worker thread (`Books.report`, often already built
ahead by the period list); the screen paints at once and fills its tables
when it arrives. Only the visible tab's widgets are mounted: the others are
built the first time they are shown, so a 15,000-line period opens fast.

The screen may be closed before the report arrives (Escape, or the palette
opening another period): the worker is handed what it needs up front, never
touches the screen from its thread, and its reply is dropped once the screen
has gone (see `lifetime`).
"""

from __future__ import annotations

import time
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Static
from textual.worker import get_current_worker

from payg_tui.engine.model import CustomerUse, Line, PeriodReport, PeriodSummary, Product
from payg_tui.engine.resale import Statement, Statements
from payg_tui.errors import UserError
from payg_tui.ui.display import (
    STATUS_WORDS,
    amount,
    billed_label,
    coverage,
    estimate_note,
    plain,
    signed,
    when,
)
from payg_tui.ui.lifetime import later, on_stack, still_open
from payg_tui.ui.messages import LoadFailed, ReportLoaded, StatementsLoaded
from payg_tui.ui.screens.base import TableScreen
from payg_tui.ui.screens.customers_pane import customers_widgets, fill_customers
from payg_tui.ui.widgets.columns import (
    LineRounding,
    day_chart,
    day_columns,
    line_columns,
    not_billed_columns,
    product_columns,
)
from payg_tui.ui.widgets.footer import KeyFooter
from payg_tui.ui.widgets.status import DashboardHeader
from payg_tui.ui.widgets.tab_bar import TabBar
from payg_tui.ui.widgets.table import VirtualTable

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widget import Widget

    from payg_tui.service.books import Books
    from payg_tui.service.statements import Resale
    from payg_tui.ui.foreground import Foreground
    from payg_tui.ui.palette import Command

TABS: tuple[tuple[str, str], ...] = (
    ("accounts", "Accounts"),
    ("addons", "Add-ons"),
    ("packs", "Packs"),
    ("days", "Days"),
    ("not-billed", "Not billed"),
    ("customers", "Customers"),
    ("quality", "Quality"),
)
# Seconds without a report before the tabs show the animated loading indicator: a
# large month is there in about 0.4 s, and an indicator animating meanwhile takes
# CPU from the report's thread (the summary line says "loading…" from the start).
LOADING_DELAY = 0.5
ROUNDING_NOTE = ("Each day is rounded on its own; the last row, line rounding, is the period's billed "
                 "total less the days' sum, so running ends at the billed total.")


class PeriodScreen(TableScreen):
    FILTER_PLACEHOLDER = "filter this tab…"
    AUTO_FOCUS = "#accounts-table"  # not the tab bar: the focus would move again, and the footer with it
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_square_bracket", "tab(1)", "Next tab", id="next-tab"),
        Binding("left_square_bracket", "tab(-1)", "Previous tab", show=False, id="prev-tab"),
        Binding("r", "reload", "Reload", show=False, id="reload"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.report: PeriodReport | None = None
        self.products: dict[str, Product] = {}
        self.statements: Statements | None = None  # with a price list: the Customers tab's rows
        self.load_seconds: float | None = None
        self._built: set[str] = set()  # tabs whose widgets are mounted
        self._mounting: set[str] = set()  # tabs whose widgets are being mounted
        self._rows: dict[str, list[Line]] = {}
        self._loading_timer: Timer | None = None
        self._asked = False  # the report has been asked for
        self._foreground: Foreground | None = None  # told while the report loads

    def period_key(self) -> str | None:
        return self.key

    def compose(self) -> ComposeResult:
        yield DashboardHeader(id="header")
        yield Static(Text(f"{self.key} · loading…"), id="summary")
        yield Static("", id="estimate-note", markup=False)
        first = TABS[0][0]
        yield TabBar(TABS, first, id="tabs")
        self._built.add(first)  # the others are built when first shown
        yield ContentSwitcher(self._pane(first), id="panes", initial=first)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._hold_background()  # from the first paint to the table painted
        # A report the list built ahead arrives within a frame or two: show the
        # loading indicator only if it takes longer than that.
        self._loading_timer = self.set_timer(LOADING_DELAY, self._show_loading)
        # Ask after the first paint: a report still to build keeps a worker thread
        # busy, which would otherwise slow the screen's mounting down (the GIL).
        later(self, self._first_load)
        self.watch(self.payg, "resale", self._resale_changed, init=False)

    def _resale_changed(self) -> None:
        """The price list arrived (or changed) after the screen opened."""
        if not still_open(self):
            return
        self.statements = None
        if self.report is not None and "customers" in self._built:
            self._fill_pane("customers", self.report)
        self._load_statements(self.key, self.payg.resale)

    def on_screen_resume(self) -> None:
        # A dialog opened over this screen before its first paint (Enter and `e` in one
        # write) receives the deferred ask, and drops it if it closes before painting.
        if not self._asked:
            later(self, self._first_load)

    def _first_load(self) -> None:
        if not self._asked:
            self.reload()

    def on_unmount(self) -> None:
        self._stop_loading_timer()
        self._foreground_done()

    def _show_loading(self) -> None:
        if self.report is None and still_open(self):
            self.query_one("#panes").loading = True

    def _stop_loading_timer(self) -> None:
        if self._loading_timer is not None:
            self._loading_timer.stop()
            self._loading_timer = None

    def _stop_loading(self) -> None:
        self._stop_loading_timer()
        self.query_one("#panes").loading = False

    def reload(self) -> None:
        if on_stack(self):
            self._asked = True
            self._hold_background()  # until the table is painted
            self._load(self.key, self.payg.books)

    def _hold_background(self) -> None:
        """Background work steps aside while this screen loads (`ui/foreground.py`)."""
        self._foreground = self.payg.foreground
        self._foreground.started(self)

    def _foreground_done(self) -> None:
        if self._foreground is not None:
            self._foreground.finished(self)

    def action_reload(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="report")
    def _load(self, key: str, books: Books) -> None:
        """On a thread: only what it was handed, never `self.app` (the screen may be gone)."""
        worker = get_current_worker()
        started = time.perf_counter()
        try:
            report = books.report(key)
            products = books.products()
        except UserError as error:
            if not worker.is_cancelled:
                self.post_message(LoadFailed(f"period {key}", error.message))
            return
        if not worker.is_cancelled:
            self.post_message(ReportLoaded(report, products, time.perf_counter() - started))

    def _load_statements(self, key: str, resale: Resale | None) -> None:
        self._statements_worker(key, resale, self.payg.foreground)

    @work(thread=True, exclusive=True, group="statements")
    def _statements_worker(self, key: str, resale: Resale | None, foreground: Foreground) -> None:
        """With a price list: the period's statements, for the Customers tab (after the report).

        Asked as the report arrives, they wait for the table to be painted first.
        """
        if resale is None:
            return
        worker = get_current_worker()
        foreground.wait()
        try:
            statements = resale.statements(key)
        except UserError as error:
            if not worker.is_cancelled:
                self.post_message(LoadFailed(f"revenue of {key}", error.message))
            return
        if not worker.is_cancelled:
            self.post_message(StatementsLoaded(statements))

    @on(StatementsLoaded)
    def _statements_loaded(self, message: StatementsLoaded) -> None:
        message.stop()
        if not still_open(self):
            return
        self.statements = message.statements
        if self.report is not None and "customers" in self._built:
            self._fill_pane("customers", self.report)

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        message.stop()
        if not still_open(self):
            return
        self._stop_loading()
        self._foreground_done()
        if self.report is None:  # not "loading…" for ever once the notification has gone
            self.query_one("#summary", Static).update(Text(f"{self.key} · cannot load: {message.message}"))
        self.payg.notify(message.message, title=f"cannot load {message.what}", severity="error")

    @on(ReportLoaded)
    def _loaded(self, message: ReportLoaded) -> None:
        message.stop()
        if not still_open(self):
            return
        self.report, self.products, self.load_seconds = message.report, message.products, message.seconds
        with self.app.batch_update():
            self._fill(message.report)
            self._stop_loading()
        self.active_table_focus()
        self.call_after_refresh(self._foreground_done)  # once painted (on_unmount if it closes first)
        self._load_statements(self.key, self.payg.resale)

    # -- building and filling the tabs ----------------------------------------

    def _pane(self, pane_id: str) -> Widget:
        """A tab's pane, with columns for the report's currency once it is known."""
        return Vertical(*self._pane_widgets(pane_id), id=pane_id, classes="pane")

    def _pane_widgets(self, pane_id: str) -> list[Widget]:
        report = self.report
        exp = report.provider.currency_exponent if report else 2
        tz = report.provider.timezone if report else "UTC"
        if pane_id == "accounts":
            return [Static("", id="accounts-note", classes="count-note", markup=False),
                    VirtualTable(line_columns(exp, kind="account"), empty="no account lines",
                                 id="accounts-table")]
        if pane_id == "addons":
            return [Static("", id="addons-note", classes="count-note", markup=False),
                    VirtualTable(line_columns(exp, kind="addon"), empty="no add-on lines", id="addons-table")]
        if pane_id == "packs":
            return [VirtualTable(product_columns(exp), empty="nothing billed", id="packs-table")]
        if pane_id == "days":
            return [Static("", id="days-chart", markup=False),
                    Static(ROUNDING_NOTE, id="days-note", markup=False),
                    VirtualTable(day_columns(exp, Decimal(0)), empty="no days yet", id="days-table")]
        if pane_id == "not-billed":
            return [Static("", id="not-billed-note", markup=False),
                    VirtualTable(not_billed_columns(exp, tz), empty="every line is billed",
                                 id="not-billed-table")]
        if pane_id == "customers":
            return customers_widgets(exp)
        return [VerticalScroll(Static("", id="quality-text"), id="quality-scroll")]

    async def _build(self, pane_id: str) -> None:
        """Mount a tab's widgets the first time it is shown, filled if the report is here."""
        if pane_id in self._built or pane_id in self._mounting or pane_id not in dict(TABS) \
                or not still_open(self):
            return
        # Listed as built only once mounted: a price list arriving meanwhile fills
        # the built tabs, and this one's widgets cannot be queried yet.
        self._mounting.add(pane_id)
        try:
            await self.query_one(ContentSwitcher).add_content(self._pane(pane_id))
        finally:
            self._mounting.discard(pane_id)
        self._built.add(pane_id)
        if self.report is not None and still_open(self):
            self._fill_pane(pane_id, self.report)

    def _fill(self, report: PeriodReport) -> None:
        """The summary and tab labels, and every tab built so far."""
        self.query_one("#summary", Static).update(self._summary(report))
        self.query_one("#estimate-note", Static).update(estimate_note(report))
        accounts = [ln for ln in report.lines if ln.kind == "account"]
        addons = [ln for ln in report.lines if ln.kind == "addon"]
        not_billed = [ln for ln in report.lines if ln.state != "billed"]
        self._rows = {"accounts": accounts, "addons": addons, "not-billed": not_billed}
        for pane_id in self._built:
            self._fill_pane(pane_id, report)
        # Tab titles count what the period list counts (billing.md 8): distinct
        # accounts / add-ons billed or pending; the note above the rows counts lines.
        pane_labels = {
            "accounts": f"Accounts {report.totals.accounts}",
            "addons": f"Add-ons {report.totals.addons}",
            "not-billed": f"Not billed {len(not_billed)}",
            "quality": "Quality" + (" !" if report.missing or report.warnings or report.totals.incomplete
                                  else ""),
        }
        tabs = self.query_one(TabBar)
        for pane_id, label in pane_labels.items():
            tabs.set_label(pane_id, label)

    def _fill_pane(self, pane_id: str, report: PeriodReport) -> None:
        exp = report.provider.currency_exponent
        tz = report.provider.timezone
        if pane_id in ("accounts", "addons"):
            kind = "account" if pane_id == "accounts" else "addon"
            self._table(pane_id).set_columns(line_columns(exp, kind=kind))
            self._table(pane_id).set_rows(self._rows[pane_id])
            self.query_one(f"#{pane_id}-note", Static).update(self._count_note(report, pane_id))
        elif pane_id == "packs":
            self._table("packs").set_columns(product_columns(exp))
            self._table("packs").set_rows(report.products)
        elif pane_id == "days":
            largest = max((d.billed for d in report.days), default=Decimal(0))
            self._table("days").set_columns(day_columns(exp, largest))
            rounding = LineRounding(billed=report.totals.day_rounding, running=report.totals.billed)
            self._table("days").set_rows(report.days, pinned=[rounding] if report.days else [])
            self.query_one("#days-chart", Static).update(day_chart(report.days, exp))
        elif pane_id == "not-billed":
            not_billed = self._rows["not-billed"]
            self._table("not-billed").set_columns(not_billed_columns(exp, tz))
            self._table("not-billed").set_rows(not_billed)
            self.query_one("#not-billed-note", Static).update(self._not_billed_note(report, not_billed))
        elif pane_id == "customers":
            fill_customers(self.query_one("#customers"), report, self.statements,
                           resale=self.payg.resale is not None)
        elif pane_id == "quality":
            self.query_one("#quality-text", Static).update(self._quality(report))

    def _table(self, pane: str) -> VirtualTable[Any]:
        return self.query_one(f"#{pane}-table", VirtualTable)

    def previous_summary(self) -> PeriodSummary | None:
        periods = list(self.payg.periods)
        for i, summary in enumerate(periods):
            if summary.period.key == self.key and i + 1 < len(periods):
                return periods[i + 1]
        return None

    def _summary(self, report: PeriodReport) -> Text:
        exp, cur = report.provider.currency_exponent, report.provider.currency
        t = report.totals
        text = Text()
        text.append(f"{report.period.key} ", style="bold")
        text.append(f"{report.status}", style="italic")
        if report.status == "provisional":  # the word alone does not say what may still change
            text.append(f" ({STATUS_WORDS['provisional'].removeprefix('provisional: ')})")
        text.append(f" · {billed_label(report.status)} {amount(t.billed, exp)}"
                    f" · pending {amount(t.pending, exp)} · ")
        text.append({"open": "estimate for the month ", "provisional": "total if the pending stay "}
                    .get(report.status, "total "))
        text.append(f"{amount(t.estimate, exp)} {cur}", style="bold")
        previous = self.previous_summary()
        if previous is not None:
            diff = t.estimate - previous.totals.estimate
            text.append(f" · vs {previous.period.key}: {signed(diff, exp)}")
            if previous.totals.estimate:
                share = diff * 100 / previous.totals.estimate
                text.append(f" ({signed(share, 1)}%)")
        text.append(f" · {coverage(report.hours_observed, report.period.hours)} observed, "
                    f"{report.missing_hours} missing")
        if t.incomplete:
            text.append(" · INCOMPLETE: some lines have no price (see Data quality)", style="bold")
        return text

    def _count_note(self, report: PeriodReport, pane_id: str) -> Text:
        """What the tab's count is and what its rows are: accounts (distinct) versus lines."""
        kind, noun = ("account", "accounts") if pane_id == "accounts" else ("addon", "add-ons")
        rows = self._rows[pane_id]
        counted = report.totals.accounts if kind == "account" else report.totals.addons
        free = len({ln.id for ln in rows}) - counted
        text = Text(f"{counted} {noun} billed or pending")
        if free:
            text.append(f" (+{free} free)")
        text.append(f" · {len(rows)} line{'s' if len(rows) != 1 else ''}: one per "
                    f"{'pack' if kind == 'account' else 'add-on'} held")
        return text

    def _not_billed_note(self, report: PeriodReport, lines: list[Line]) -> Text:
        exp, cur = report.provider.currency_exponent, report.provider.currency
        pending = [ln for ln in lines if ln.state == "pending"]
        exempt = [ln for ln in lines if ln.state == "exempt"]
        saved = sum((ln.would_cost for ln in exempt if ln.would_cost is not None), start=Decimal(0))
        text = Text()
        text.append(f"{len(lines)} lines · at stake: pending ({len(pending)}) = their cost to the month end "
                    f"if kept; free ({len(exempt)}) = the cost saved, {amount(saved, exp)} {cur} in all · "
                    f"times {report.provider.timezone}")
        return text

    def _quality(self, report: PeriodReport) -> Text:
        tz = report.provider.timezone
        text = Text()
        text.append("Coverage\n", style="bold")
        text.append(f"  {report.hours_observed} of {report.period.hours} hours observed "
                    f"(as of {when(report.as_of, tz)} {tz}), {report.missing_hours} missing\n\n")
        text.append("Missing hours\n", style="bold")
        if not report.missing:
            text.append("  none: every hour of the period up to now has a snapshot\n")
        for first, last in report.missing:
            hours = last - first + 1
            text.append(f"  {when(first, tz)} to {when(last + 1, tz)}  ({hours} h; bridged when "
                        "an item is present on both sides)\n")
        text.append("\nUnpriced products\n", style="bold")
        unpriced = sorted({ln.product for ln in report.lines if ln.amount is None and ln.state != "exempt"})
        if not unpriced:
            text.append("  none: every billed and pending line has a price\n")
        for code in unpriced:
            text.append("  ")
            text.append_text(plain(code, 60))
            text.append(" has no price in force: its lines are left out of the totals\n")
        text.append("\nWarnings\n", style="bold")
        if not report.warnings:
            text.append("  none\n")
        for warning in report.warnings:
            text.append("  • ")
            text.append_text(plain(warning))
            text.append("\n")
        return text

    # -- navigation -----------------------------------------------------------

    def active_table(self) -> VirtualTable[Any] | None:
        if not still_open(self):
            return None
        pane_id = self.query_one(TabBar).active
        if pane_id not in self._built:  # chosen, not mounted yet
            return None
        tables = self.query_one(f"#{pane_id}").query(VirtualTable)
        return tables.first() if tables else None

    def active_table_focus(self) -> None:
        table = self.active_table()
        if table is not None:
            table.focus()

    def action_tab(self, step: int) -> None:
        if not still_open(self):
            return
        tabs = self.query_one(TabBar)
        ids = tabs.ids
        current = ids.index(tabs.active) if tabs.active in ids else 0
        self.show_tab(ids[(current + step) % len(ids)])

    def show_tab(self, pane_id: str) -> None:
        if not still_open(self):
            return
        self.hide_filter()
        self.query_one(TabBar).active = pane_id
        self.active_table_focus()

    @on(TabBar.Changed)
    async def _tab_changed(self, event: TabBar.Changed) -> None:
        event.stop()
        # Keys in one burst (`] ] ]`) queue a message per tab passed: only the
        # last one chosen is built and shown.
        if not still_open(self) or event.pane_id != event.bar.active:
            return
        self.hide_filter()
        await self._build(event.pane_id)
        self.query_one(ContentSwitcher).current = event.pane_id
        later(self, self.active_table_focus)

    def open_row(self, row: Any) -> None:
        if self.report is None:
            return
        if isinstance(row, Line):
            from payg_tui.ui.screens.account import AccountScreen

            self.app.push_screen(AccountScreen(self.report, row.account_id, self.products))
        elif isinstance(row, Statement) and self.statements is not None:
            from payg_tui.ui.screens.statement import StatementScreen

            self.app.push_screen(StatementScreen(self.statements, row, self.report, self.products))
        elif isinstance(row, CustomerUse):
            from payg_tui.ui.screens.account import CustomerScreen

            self.app.push_screen(CustomerScreen(self.report, row.customer, self.products))

    def commands(self) -> list[Command]:
        found: list[Command] = [(f"Show tab: {label}", f"period {self.key}",
                                 partial(self.show_tab, pane_id)) for pane_id, label in TABS]
        table = self.active_table()
        if table is not None:
            for label in table.visible_labels:
                found.append((f"Sort by {label}", "again to reverse",
                              partial(table.sort_by, label)))
        return found
