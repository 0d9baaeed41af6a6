"""The Customers tab of a period: by customer reference, with margins when a price list exists.

Without `resale.toml` it lists what each customer cost (`CustomerUse`), as
always. With one it lists statements: cost, revenue, margin and margin %,
worst margin first, so a customer costing more than they pay is on top.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Static

from payg_tui.ui.widgets.columns import customer_columns
from payg_tui.ui.widgets.resale_columns import statement_columns, totals_text
from payg_tui.ui.widgets.table import VirtualTable

if TYPE_CHECKING:
    from textual.widget import Widget

    from payg_tui.engine.model import PeriodReport
    from payg_tui.engine.resale import Statements

COMPUTING = "computing revenue and margin…"


def customers_widgets(exp: int) -> list[Widget]:
    """The tab's widgets: a totals line (shown only with resale) above the table."""
    note = Static("", id="customers-note", markup=False)
    note.display = False
    return [note, VirtualTable(customer_columns(exp), empty="no customers", id="customers-table")]


def fill_customers(pane: Widget, report: PeriodReport, statements: Statements | None, resale: bool) -> None:
    """Fill the tab: statements if there are, costs only without a price list."""
    exp = report.provider.currency_exponent
    table: VirtualTable[Any] = pane.query_one("#customers-table", VirtualTable)
    note = pane.query_one("#customers-note", Static)
    if not resale:
        note.display = False
        table.set_columns(customer_columns(exp))
        table.set_rows(report.customers)
        return
    table.set_columns(statement_columns(exp))
    note.display = True
    if statements is None:
        note.update(COMPUTING)
        table.set_rows([])
        return
    below = sum(1 for s in statements.statements if s.margin < 0)
    note.update(totals_text(statements.totals, exp, statements.provider.currency, below))
    if table.sort_state is None:  # before the rows: the cursor starts on the worst margin
        table.sort_by("margin", reverse=False)
    table.set_rows(statements.statements)
