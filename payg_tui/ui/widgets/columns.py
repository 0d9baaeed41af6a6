"""The columns of the report's tables: lines, service packs, days, customers.

Cells show engine values as they are (formatted, never recomputed); untrusted
text goes through `display.plain`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from rich.text import Text

from payg_tui.engine.model import CustomerUse, DayTotal, Line, Product, ProductUse
from payg_tui.engine.text import printable
from payg_tui.ui.display import amount, at_stake, plain, rate, rule, when_short, why_not_billed
from payg_tui.ui.widgets.table import Column

STATE_TONE = {"billed": None, "pending": "vtable--warn", "exempt": "vtable--muted"}


def _text(value: str | None) -> str:
    return printable(value)


def line_columns(exp: int, *, kind: str) -> list[Column[Line]]:
    """Accounts (kind="account") or add-ons (kind="addon")."""
    name_label = "name" if kind == "account" else "account"
    return [
        Column("id", lambda ln: plain(ln.id), lambda ln: ln.id, width=10, search=lambda ln: _text(ln.id)),
        Column(name_label, lambda ln: plain(ln.name), lambda ln: ln.name.casefold(), width=12, flex=True,
               search=lambda ln: _text(ln.name)),
        Column("customer", lambda ln: plain(ln.customer), lambda ln: ln.customer or "", width=9, drop=3,
               search=lambda ln: _text(ln.customer)),
        Column("product", lambda ln: plain(ln.product), lambda ln: ln.product, width=13, drop=2,
               search=lambda ln: ln.product),
        Column("hours", lambda ln: str(ln.hours), lambda ln: ln.hours, width=5, align="right"),
        Column("state", lambda ln: ln.state, lambda ln: ln.state, width=7,
               search=lambda ln: ln.state, tone=lambda ln: STATE_TONE[ln.state]),
        Column("amount", lambda ln: amount(ln.amount, exp), lambda ln: ln.amount, width=9,
               align="right", tone=lambda ln: "vtable--bad" if ln.amount is None else None),
        Column("estimate", lambda ln: amount(ln.estimate, exp), lambda ln: ln.estimate, width=9,
               align="right", drop=1),
    ]


def not_billed_columns(exp: int, timezone: str) -> list[Column[Line]]:
    return [
        Column("id", lambda ln: plain(ln.id), lambda ln: ln.id, width=10, search=lambda ln: _text(ln.id)),
        Column("name", lambda ln: plain(ln.name), lambda ln: ln.name.casefold(), width=8, flex=True,
               search=lambda ln: _text(ln.name)),
        Column("product", lambda ln: plain(ln.product), lambda ln: ln.product, width=12, drop=1,
               search=lambda ln: ln.product),
        Column("hours", lambda ln: str(ln.hours), lambda ln: ln.hours, width=5, align="right", drop=2),
        Column("state", lambda ln: ln.state, lambda ln: ln.state, width=7, search=lambda ln: ln.state,
               tone=lambda ln: STATE_TONE[ln.state], drop=3),
        Column("at stake", lambda ln: amount(at_stake(ln), exp), at_stake, width=8, align="right"),
        Column("why", lambda ln: why_not_billed(ln, timezone, exp),
               lambda ln: ln.deadline if ln.deadline is not None else -1, width=41,
               search=lambda ln: why_not_billed(ln, timezone, exp)),
    ]


def timeline_columns(exp: int, timezone: str, products: dict[str, Product]) -> list[Column[Line]]:
    """The account screen: each pack segment and add-on, with the rule that applied."""
    return [
        Column("kind", lambda ln: ln.kind, lambda ln: ln.kind, width=7, drop=4, search=lambda ln: ln.kind),
        Column("product", lambda ln: plain(ln.product), lambda ln: ln.product, width=13,
               search=lambda ln: ln.product),
        Column("from", lambda ln: when_short(ln.start, timezone), lambda ln: ln.start, width=12, drop=2),
        Column("to", lambda ln: when_short(ln.end, timezone), lambda ln: ln.end, width=12, drop=3),
        Column("hours", lambda ln: str(ln.hours), lambda ln: ln.hours, width=5, align="right"),
        Column("rate", lambda ln: rate(products.get(ln.product), ln, exp), None, width=11, align="right",
               drop=1),
        Column("amount", lambda ln: amount(ln.amount, exp), lambda ln: ln.amount, width=9,
               align="right"),
        Column("rule", lambda ln: rule(ln, timezone), lambda ln: ln.state, width=20, flex=True,
               search=lambda ln: rule(ln, timezone), tone=lambda ln: STATE_TONE[ln.state]),
    ]


def product_columns(exp: int) -> list[Column[ProductUse]]:
    return [
        Column("product", lambda u: plain(u.product), lambda u: u.product, width=15,
               search=lambda u: u.product),
        Column("name", lambda u: plain(u.name), lambda u: u.name, width=10, flex=True,
               search=lambda u: _text(u.name)),
        Column("kind", lambda u: "pack" if u.kind == "service_pack" else "add-on", lambda u: u.kind,
               width=6, search=lambda u: u.kind),
        Column("items", lambda u: str(u.items), lambda u: u.items, width=5, align="right"),
        Column("hours", lambda u: str(u.hours), lambda u: u.hours, width=6, align="right", drop=1),
        # Kept apart: pending money is not billed yet (billing.md 8).
        Column("billed", lambda u: amount(u.billed, exp) + unpriced(u), lambda u: u.billed, width=9,
               align="right"),
        Column("pending", lambda u: amount(u.pending, exp) + unpriced(u), lambda u: u.pending, width=8,
               align="right"),
    ]


def unpriced(use: ProductUse) -> str:
    """A mark on a product whose lines are not all priced (left out of its sums)."""
    return " *" if use.amount is None else ""


@dataclass(frozen=True)
class LineRounding:
    """The Days tab's last row (billing.md 9): billed less the sum of the days, and billed itself."""

    billed: Decimal
    running: Decimal
    date: str = "line rounding"


DayRow = DayTotal | LineRounding


def day_chart(days: Sequence[DayTotal], exp: int) -> str:
    """One character per day, the scale from zero to the largest day (display only)."""
    largest = max((d.billed for d in days), default=Decimal(0))
    if largest <= 0:
        return "per day: nothing billed yet"
    blocks = " ▁▂▃▄▅▆▇█"
    bars = "".join(blocks[max(1 if d.billed > 0 else 0, int(d.billed * 8 / largest))] for d in days)
    return f"per day, 0 to {amount(largest, exp)}: {bars}"


def day_columns(exp: int, largest: Decimal) -> list[Column[DayRow]]:
    def bar(day: DayRow) -> Text:
        # Display only: how many eighths of the column this day fills, from zero.
        width = 24
        if largest <= 0 or isinstance(day, LineRounding):
            return Text("")
        eighths = int(day.billed * width * 8 / largest)
        full, part = divmod(eighths, 8)
        return Text("█" * full + (" ▏▎▍▌▋▊▉"[part] if part else ""))

    return [
        Column("date", lambda d: d.date, lambda d: d.date, width=13, search=lambda d: d.date),
        Column("billed", lambda d: amount(d.billed, exp), lambda d: d.billed, width=9, align="right"),
        Column("running", lambda d: amount(d.running, exp), lambda d: d.running, width=10, align="right"),
        Column("accounts", lambda d: _count(d, "accounts"), lambda d: getattr(d, "accounts", -1), width=8,
               align="right", drop=2),
        Column("add-ons", lambda d: _count(d, "addons"), lambda d: getattr(d, "addons", -1), width=7,
               align="right", drop=1),
        Column("bar from 0", bar, lambda d: d.billed, width=8, flex=True,
               tone=lambda d: "vtable--bar"),
    ]


def _count(row: DayRow, field: str) -> str:
    return "" if isinstance(row, LineRounding) else str(getattr(row, field))


def customer_columns(exp: int) -> list[Column[CustomerUse]]:
    def star(use: CustomerUse, value: Decimal) -> str:
        return amount(value, exp) + (" *" if use.incomplete else "")

    return [
        Column("customer", lambda c: plain(c.customer) if c.customer is not None else Text("(none)"),
               lambda c: (c.customer or "").casefold(), width=12, flex=True,
               search=lambda c: _text(c.customer or "(none)")),
        Column("accounts", lambda c: str(c.accounts), lambda c: c.accounts, width=8, align="right"),
        Column("lines", lambda c: str(c.lines), lambda c: c.lines, width=6, align="right", drop=1),
        Column("billed", lambda c: star(c, c.billed), lambda c: c.billed, width=10, align="right"),
        Column("pending", lambda c: star(c, c.pending), lambda c: c.pending, width=9, align="right"),
        Column("estimate", lambda c: star(c, c.estimate), lambda c: c.estimate, width=10, align="right"),
    ]
