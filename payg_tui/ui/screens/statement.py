"""One customer's statement (resale.md): each line's cost, revenue and margin; `e` exports it.

The customer screen of the Customers tab when a price list exists. Enter on
a line opens its account, as without resale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Static

from payg_tui.engine.model import PeriodReport, Product
from payg_tui.engine.price_list import percent_text
from payg_tui.engine.resale import Statement, Statements
from payg_tui.errors import UserError
from payg_tui.service.statement_formats import html_file_name
from payg_tui.ui.display import amount, plain
from payg_tui.ui.messages import ExportFinished, LoadFailed
from payg_tui.ui.screens.base import TableScreen
from payg_tui.ui.widgets.footer import KeyFooter
from payg_tui.ui.widgets.resale_columns import sale_columns, share_text, signed_margin
from payg_tui.ui.widgets.status import DashboardHeader
from payg_tui.ui.widgets.table import VirtualTable


class StatementScreen(TableScreen):
    FILTER_PLACEHOLDER = "filter lines…"

    def __init__(self, found: Statements, statement: Statement, report: PeriodReport,
                 products: dict[str, Product]) -> None:
        super().__init__()
        self.found = found
        self.statement = statement
        self.report = report
        self.products = products

    def period_key(self) -> str | None:
        return self.found.period.key

    def compose(self) -> ComposeResult:
        yield DashboardHeader(id="header")
        yield Static(self._title(), id="summary")
        yield VirtualTable(sale_columns(self.found.provider.currency_exponent), empty="no lines",
                           id="statement-lines")
        yield Static(Text("e exports this statement: CSV or JSON with cost and margin, or the customer's "
                          "printable HTML page (no cost, no margin)"), id="footnote")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#statement-lines", VirtualTable)
        table.set_rows(self.statement.sales)
        table.focus()

    def _title(self) -> Text:
        s, found = self.statement, self.found
        exp, cur = found.provider.currency_exponent, found.provider.currency
        text = Text()
        text.append_text(plain(s.customer) if s.customer is not None else Text("no customer"))
        if s.terms.name:
            text.append("  ")
            text.append_text(plain(s.terms.name, 60))
        text.stylize("bold")
        text.append(f"  {found.period.key} {found.status} · rule {s.terms.rule} · "
                    f"discount {percent_text(s.terms.discount)}\n")
        text.append(f"revenue {amount(s.revenue, exp)} {cur} · cost {amount(s.cost, exp)} · margin ")
        text.append(signed_margin(s.margin, exp), style="bold")
        text.append(f" ({share_text(s.margin_percent)})")
        if s.incomplete:
            text.append(" · INCOMPLETE: a line has no price", style="bold")
        return text

    @on(VirtualTable.Selected, "#statement-lines")
    def _open(self, event: VirtualTable.Selected) -> None:
        from payg_tui.ui.screens.account import AccountScreen

        row: Any = event.row
        self.app.push_screen(AccountScreen(self.report, row.line.account_id, self.products))

    # -- export -----------------------------------------------------------------

    def action_export(self) -> None:
        from payg_tui.ui.dialogs.statement_export import StatementExport, StatementExportDialog

        key = self.found.period.key
        base = self.payg.export_dir / html_file_name(key, self.statement.customer)
        stem = base.stem

        def done(request: StatementExport | None) -> None:
            if request is not None:
                self._export(request.fmt, request.path)

        self.app.push_screen(StatementExportDialog(
            key, {fmt: base.with_name(f"{stem}.{fmt}") for fmt in ("csv", "json", "html")}), done)

    @work(thread=True, group="export")
    def _export(self, fmt: str, path: Path) -> None:
        from payg_tui.service.statements import export_statement

        try:
            written = export_statement(self.found, self.statement, fmt, path,  # type: ignore[arg-type]
                                       self.payg.books)
        except UserError as error:
            self.post_message(LoadFailed("export", error.message))
            return
        self.post_message(ExportFinished(written))

    @on(LoadFailed)
    def _failed(self, message: LoadFailed) -> None:
        message.stop()
        self.payg.notify(message.message, title=f"cannot {message.what}", severity="error")

    @on(ExportFinished)
    def _exported(self, message: ExportFinished) -> None:
        message.stop()
        self.payg.last_export = message.path
        self.payg.notify(f"exported to {message.path}", title="export")
