"""Home: one row per billing period, the open month's estimate on top."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Static

from payg_tui.engine.model import PeriodSummary
from payg_tui.ui.display import amount, billed_label, coverage
from payg_tui.ui.screens.base import TableScreen
from payg_tui.ui.widgets.footer import KeyFooter
from payg_tui.ui.widgets.status import DashboardHeader
from payg_tui.ui.widgets.table import Column, VirtualTable

if TYPE_CHECKING:
    from textual.timer import Timer

    from payg_tui.ui.palette import Command

REST = 0.25  # seconds the cursor stays on a period before its report is built ahead
STATUS_TONE = {"open": "vtable--good", "provisional": "vtable--warn", "closed": None}


def period_columns(exponent: int) -> list[Column[PeriodSummary]]:
    def money(get: Any) -> Any:
        return lambda s: amount(get(s), exponent) + (" *" if s.totals.incomplete else "")

    return [
        Column("period", lambda s: s.period.key, lambda s: s.period.key, width=7,
               search=lambda s: s.period.key),
        Column("status", lambda s: s.status, lambda s: s.status, width=11,
               search=lambda s: s.status, tone=lambda s: STATUS_TONE[s.status]),
        # Narrow: the missing hours go first, then coverage and the counts; money stays.
        Column("accts", lambda s: str(s.accounts), lambda s: s.accounts, width=5, align="right", drop=1),
        Column("add-ons", lambda s: str(s.addons), lambda s: s.addons, width=7, align="right", drop=2),
        Column("billed", money(lambda s: s.totals.billed), lambda s: s.totals.billed, width=9,
               align="right"),
        Column("pending", money(lambda s: s.totals.pending), lambda s: s.totals.pending, width=8,
               align="right"),
        Column("estimate", money(lambda s: s.totals.estimate), lambda s: s.totals.estimate, width=9,
               align="right"),
        Column("hours", lambda s: coverage(s.hours_observed, s.period.hours),
               lambda s: s.hours_observed, width=7, align="right", drop=3),
        Column("miss", lambda s: str(s.missing_hours), lambda s: s.missing_hours, width=4,
               align="right", tone=lambda s: "vtable--bad" if s.missing_hours else "vtable--muted",
               drop=4),
    ]


class PeriodsScreen(TableScreen):
    """The period list: the app's first screen, so it composes only what it shows."""

    FILTER_PLACEHOLDER = "filter periods…"
    AUTO_FOCUS = "#periods"

    def __init__(self) -> None:
        super().__init__()
        self._rest_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield DashboardHeader(id="header")
        yield Static(id="headline")
        yield VirtualTable(period_columns(2), empty="no periods yet: press s to sync", id="periods")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.watch(self.payg, "periods", self._show, init=True)
        self.watch(self.payg, "resale_totals", self._resale_shown, init=False)
        # An empty cache loads as () again: `periods` does not change, `loaded` does.
        self.watch(self.payg, "loaded", self._loaded, init=False)

    def _columns(self, exponent: int) -> list[Column[PeriodSummary]]:
        """The list's columns; with a price list, revenue and margin after the estimate."""
        columns = period_columns(exponent)
        if self.payg.resale is not None:
            from payg_tui.ui.widgets.resale_columns import period_resale_columns

            at = next(i for i, c in enumerate(columns) if c.label == "estimate") + 1
            columns[at:at] = period_resale_columns(exponent, lambda key: self.payg.resale_totals.get(key))
        return columns

    def _resale_shown(self) -> None:
        provider = self.payg.status.provider
        self.query_one("#periods", VirtualTable).set_columns(
            self._columns(provider.currency_exponent if provider else 2))

    def _show(self, periods: tuple[PeriodSummary, ...]) -> None:
        table: VirtualTable[PeriodSummary] = self.query_one("#periods", VirtualTable)
        provider = self.payg.status.provider
        exponent = provider.currency_exponent if provider else 2
        if exponent != 2 or self.payg.resale is not None:
            table.set_columns(self._columns(exponent))
        table.set_rows(list(periods))
        self.query_one("#headline", Static).update(self._headline(periods))

    def _loaded(self, loaded: bool) -> None:
        self.query_one("#headline", Static).update(self._headline(self.payg.periods))

    def _headline(self, periods: tuple[PeriodSummary, ...]) -> Text:
        provider = self.payg.status.provider
        if not periods or provider is None:
            loading = not self.payg.loaded
            return Text("loading…" if loading else "no data in the cache yet: press s to sync, "
                        "c to set the API, or run `payg-tui import FILE`")
        exp, cur = provider.currency_exponent, provider.currency
        latest = periods[0]
        t = latest.totals
        text = Text()
        label = {"open": "estimate for the month", "provisional": "total if the pending stay"}
        text.append(f"{latest.period.key} {latest.status} · {label.get(latest.status, 'total')} ")
        text.append(f"{amount(t.estimate, exp)} {cur}", style="bold")
        if latest.status == "open":
            text.append(" (if nothing changes; Enter: what it assumes)")
        text.append(f" · {billed_label(latest.status)} {amount(t.billed, exp)}"
                    f" · pending (not billed yet) {amount(t.pending, exp)}")
        if t.incomplete:
            text.append(" · INCOMPLETE: unpriced lines", style="bold")
        return text

    def period_key(self) -> str | None:
        table = self.active_table()
        row = table.current if table is not None else None
        return row.period.key if isinstance(row, PeriodSummary) else None

    def open_row(self, row: Any) -> None:
        if isinstance(row, PeriodSummary):
            self.payg.open_period(row.period.key)

    @on(VirtualTable.Highlighted, "#periods")
    def _rest(self, event: VirtualTable.Highlighted) -> None:
        """When the cursor rests on a period (the newest one at start), build its report ahead."""
        if self._rest_timer is not None:
            self._rest_timer.stop()
            self._rest_timer = None
        row = event.row
        if isinstance(row, PeriodSummary) and self.is_current:
            key = row.period.key
            self._rest_timer = self.set_timer(REST, lambda: self.payg.build_ahead(key))

    def commands(self) -> list[Command]:
        key = self.period_key()
        if key is None:
            return []
        return [(f"Open highlighted period {key}", "Enter", lambda: self.payg.open_period(key))]
