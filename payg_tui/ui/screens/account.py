"""Drill-downs: one account's timeline in the period, and one customer's lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Static

from payg_tui.engine.aggregates import line_totals
from payg_tui.engine.model import CustomerUse, Line, PeriodReport, Product, Totals
from payg_tui.ui.display import amount, billed_label, plain, rate, rule, when_short
from payg_tui.ui.lifetime import on_stack, still_open
from payg_tui.ui.screens.base import TableScreen
from payg_tui.ui.widgets.columns import line_columns, timeline_columns
from payg_tui.ui.widgets.footer import KeyFooter
from payg_tui.ui.widgets.status import DashboardHeader
from payg_tui.ui.widgets.table import VirtualTable

ESTIMATE_WORDS = ("pending = not billed yet: free if deleted before its deadline; estimate = everything "
                  "there now kept to the month end at the prices then in force")


def money_line(report: PeriodReport, totals: Totals | CustomerUse) -> str:
    """Billed, pending and estimate kept apart: pending money is not billed (yet)."""
    exp, cur = report.provider.currency_exponent, report.provider.currency
    estimate = "estimate" if report.status == "open" else "total if the pending stay"
    text = (f"{report.period.key}: {billed_label(report.status)} {amount(totals.billed, exp)} {cur}"
            f" · pending {amount(totals.pending, exp)}")
    if report.status != "closed":
        text += f" · {estimate} {amount(totals.estimate, exp)}"
    return text


class AccountScreen(TableScreen):
    """Each pack segment and add-on of one account, with the rule that applied."""

    FILTER_PLACEHOLDER = "filter lines…"

    def __init__(self, report: PeriodReport, account_id: str, products: dict[str, Product]) -> None:
        super().__init__()
        self.report = report
        self.account_id = account_id
        self.products = products
        self.lines = sorted((ln for ln in report.lines if ln.account_id == account_id),
                            key=lambda ln: (ln.kind != "account", ln.start, ln.id))

    def period_key(self) -> str | None:
        return self.report.period.key

    def compose(self) -> ComposeResult:
        provider = self.report.provider
        yield DashboardHeader(id="header")
        yield Static(self._title(), id="summary")
        yield VirtualTable(timeline_columns(provider.currency_exponent, provider.timezone, self.products),
                           empty="no lines for this account", id="timeline")
        yield Static("", id="detail")
        yield Static(Text(f"times {provider.timezone}; \"to\" = end of the last hour, so a running line "
                          "ends 1 h after \"as of\"; estimate = kept to the month end at the prices then"),
                     id="footnote")
        yield KeyFooter()

    def on_mount(self) -> None:
        if not on_stack(self):  # closed before it mounted (Escape in the same write)
            return
        table = self.query_one("#timeline", VirtualTable)
        table.set_rows(self.lines)
        table.focus()

    @on(VirtualTable.Highlighted, "#timeline")
    def _highlighted(self, event: VirtualTable.Highlighted) -> None:
        if still_open(self):
            self.query_one("#detail", Static).update(self.explain(event.row))

    def explain(self, line: Line | None) -> Text:
        """The highlighted line in full: when, how long, at what rate, and the rule."""
        if line is None:
            return Text("")
        provider = self.report.provider
        exp, tz = provider.currency_exponent, provider.timezone
        text = Text()
        text.append_text(plain(line.id, 30))
        text.append(" ")
        text.append_text(plain(line.product, 30))
        text.append(f" {when_short(line.start, tz)} to {when_short(line.end, tz)}, {line.hours} h"
                    f" at {rate(self.products.get(line.product), line, exp)}"
                    f" = {amount(line.amount, exp)} {provider.currency} {line.state}")
        if line.estimate != line.amount:
            text.append(f", estimate {amount(line.estimate, exp)}")
        text.append("\n")
        text.append(rule(line, tz), style="bold")
        return text

    def _title(self) -> Text:
        account = next((ln for ln in self.lines if ln.kind == "account"), None)
        first = account or (self.lines[0] if self.lines else None)
        text = Text()
        text.append_text(plain(first.name if first else self.account_id, 60))
        text.stylize("bold")
        text.append("  ")
        text.append_text(plain(self.account_id, 30))
        if first is not None:
            text.append("  customer ")
            text.append_text(plain(first.customer, 30))
        totals = line_totals(self.lines, Decimal(0))
        text.append(f"\n{money_line(self.report, totals)}"
                    f" · {len(self.lines)} line{'s' if len(self.lines) != 1 else ''}")
        if any(ln.amount is None and ln.state != "exempt" for ln in self.lines):
            text.append(" · some lines are unpriced", style="bold")
        return text


class CustomerScreen(TableScreen):
    """Every line billed to one customer reference, to re-bill a client."""

    FILTER_PLACEHOLDER = "filter lines…"

    def __init__(self, report: PeriodReport, customer: str | None, products: dict[str, Product]) -> None:
        super().__init__()
        self.report = report
        self.customer = customer
        self.products = products
        self.lines = [ln for ln in report.lines if ln.customer == customer]
        self.use = next((c for c in report.customers if c.customer == customer), None)

    def period_key(self) -> str | None:
        return self.report.period.key

    def compose(self) -> ComposeResult:
        title = Text("customer ")
        title.append_text(plain(self.customer) if self.customer is not None else Text("(none)"))
        title.stylize("bold")
        if self.use is not None:  # the engine's sums for this customer (billing.md 10)
            use = self.use
            title.append(f"\n{money_line(self.report, use)} · {use.accounts} account"
                         f"{'s' if use.accounts != 1 else ''} billed or pending · {use.lines} line"
                         f"{'s' if use.lines != 1 else ''}")
        yield DashboardHeader(id="header")
        yield Static(title, id="summary")
        yield VirtualTable(line_columns(self.report.provider.currency_exponent, kind="account"),
                           empty="no lines", id="customer-lines")
        yield Static(Text(ESTIMATE_WORDS), id="footnote")
        yield KeyFooter()

    def on_mount(self) -> None:
        if not on_stack(self):
            return
        table = self.query_one("#customer-lines", VirtualTable)
        table.set_rows(self.lines)
        table.focus()

    def open_row(self, row: Any) -> None:
        if isinstance(row, Line):
            self.app.push_screen(AccountScreen(self.report, row.account_id, self.products))
