"""The columns of resale's tables: customers with their margin, and one customer's statement.

Only used when a price list exists (resale.md). A negative margin is marked
twice: the `vtable--bad` tone and a `▼` that survives without colour.
Untrusted text (customer references and names) goes through `display.plain`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from rich.text import Text

from payg_tui.engine.model import PeriodSummary
from payg_tui.engine.resale import ResaleTotals, Sale, Statement
from payg_tui.engine.text import printable
from payg_tui.ui.display import amount, plain
from payg_tui.ui.widgets.columns import STATE_TONE
from payg_tui.ui.widgets.table import Column

BELOW_COST = "▼"
NO_CUSTOMER = "(none)"
PENDING = "…"


def signed_margin(value: Decimal | None, exp: int, incomplete: bool = False) -> str:
    """`-3.87 ▼` for a negative margin, `12.00` otherwise; `*` when some line is unpriced."""
    text = amount(value, exp) + (" *" if incomplete else "")
    return f"{text} {BELOW_COST}" if value is not None and value < 0 else text


def margin_tone(value: Decimal | None) -> str | None:
    return "vtable--bad" if value is not None and value < 0 else None


def share(margin: Decimal | None, revenue: Decimal | None) -> Decimal | None:
    """Margin as a share of revenue, in percent (docs/resale.md); None without revenue."""
    if margin is None or not revenue:
        return None
    return margin * 100 / revenue


def share_text(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def period_resale_columns(exp: int, totals: Callable[[str], ResaleTotals | None]
                          ) -> list[Column[PeriodSummary]]:
    """The period list's revenue and margin; `…` while a period's are being computed."""
    def revenue(s: PeriodSummary) -> Decimal | None:
        found = totals(s.period.key)
        return None if found is None else found.revenue

    def margin(s: PeriodSummary) -> Decimal | None:
        found = totals(s.period.key)
        return None if found is None else found.margin

    def shown(s: PeriodSummary, value: Decimal | None, *, marked: bool) -> str:
        found = totals(s.period.key)
        if found is None:
            return PENDING
        return signed_margin(value, exp, found.incomplete) if marked else \
            amount(value, exp) + (" *" if found.incomplete else "")

    return [
        Column("revenue", lambda s: shown(s, revenue(s), marked=False), revenue, width=9, align="right",
               drop=3),
        Column("margin", lambda s: shown(s, margin(s), marked=True), margin, width=10, align="right",
               tone=lambda s: margin_tone(margin(s))),
    ]


def statement_columns(exp: int) -> list[Column[Statement]]:
    """The Customers tab with a price list: cost, revenue, margin and margin % per customer."""
    def ref(s: Statement) -> Text:
        return plain(s.customer) if s.customer is not None else Text(NO_CUSTOMER)

    return [
        Column("customer", ref, lambda s: (s.customer or "").casefold(), width=10,
               search=lambda s: printable(s.customer or NO_CUSTOMER)),
        Column("name", lambda s: plain(s.terms.name), lambda s: (s.terms.name or "").casefold(), width=8,
               flex=True, drop=2, search=lambda s: printable(s.terms.name or "")),
        Column("accounts", lambda s: str(s.accounts), lambda s: s.accounts, width=8, align="right", drop=3),
        Column("rule", lambda s: s.terms.rule, lambda s: s.terms.rule, width=7, drop=1,
               search=lambda s: s.terms.rule),
        Column("cost", lambda s: amount(s.cost, exp), lambda s: s.cost, width=9, align="right"),
        Column("revenue", lambda s: amount(s.revenue, exp), lambda s: s.revenue, width=9, align="right"),
        Column("margin", lambda s: signed_margin(s.margin, exp, s.incomplete), lambda s: s.margin, width=10,
               align="right", tone=lambda s: margin_tone(s.margin)),
        Column("margin %", lambda s: share_text(s.margin_percent), lambda s: s.margin_percent, width=8,
               align="right", tone=lambda s: margin_tone(s.margin)),
    ]


def sale_columns(exp: int) -> list[Column[Sale]]:
    """One customer's statement: each line with its cost, revenue and margin."""
    return [
        Column("id", lambda x: plain(x.line.id), lambda x: x.line.id, width=10,
               search=lambda x: printable(x.line.id)),
        Column("name", lambda x: plain(x.line.name), lambda x: x.line.name.casefold(), width=10, flex=True,
               search=lambda x: printable(x.line.name)),
        Column("product", lambda x: plain(x.line.product), lambda x: x.line.product, width=13, drop=2,
               search=lambda x: x.line.product),
        Column("hours", lambda x: str(x.line.hours), lambda x: x.line.hours, width=5, align="right", drop=3),
        Column("days", lambda x: str(x.line.billed_days), lambda x: x.line.billed_days, width=4,
               align="right", drop=4),
        Column("state", lambda x: "free" if not x.charged else x.line.state, lambda x: x.line.state, width=7,
               search=lambda x: x.line.state, tone=lambda x: STATE_TONE[x.line.state], drop=1),
        Column("cost", lambda x: amount(x.cost, exp), lambda x: x.cost, width=9, align="right"),
        Column("revenue", lambda x: amount(x.revenue, exp), lambda x: x.revenue, width=9, align="right",
               tone=lambda x: "vtable--bad" if x.revenue is None else None),
        Column("margin", lambda x: signed_margin(x.margin, exp), lambda x: x.margin, width=10,
               align="right", tone=lambda x: margin_tone(x.margin)),
    ]


def totals_text(totals: ResaleTotals, exp: int, currency: str, below_cost: int) -> Text:
    """`revenue 1120.15 · cost 919.44 · margin 200.71 EUR (17.9%) · 2 customers below cost`."""
    text = Text()
    text.append(f"revenue {amount(totals.revenue, exp)} · cost {amount(totals.cost, exp)} · margin ")
    text.append(f"{signed_margin(totals.margin, exp)} {currency}", style="bold")
    text.append(f" ({share_text(share(totals.margin, totals.revenue))})")
    if below_cost:
        text.append(f" · {below_cost} customer{'s' if below_cost != 1 else ''} below cost {BELOW_COST}",
                    style="bold")
    if totals.incomplete:
        text.append(" · INCOMPLETE: some lines have no price", style="bold")
    return text
