"""`report --format table`: a period's lines, days, packs or customers, for people.

Times are on the provider's clock, money carries its currency, and names go
through `engine.text.printable` and are cut by terminal cells (`formats.cut_cells`), so a
hostile or very wide name can neither drive the terminal nor push a column.
"""

from __future__ import annotations

from decimal import Decimal

from payg_tui.engine.clock import local_hour
from payg_tui.engine.model import PeriodReport
from payg_tui.engine.text import printable
from payg_tui.service.formats import Section, cut_cells, money, table


def report_table(report: PeriodReport, section: Section = "lines") -> str:
    body = {"lines": _lines, "days": _days, "products": _products, "customers": _customers}[section]
    warnings = [f"warning: {printable(w)}" for w in report.warnings]
    return "\n".join([*_head(report), body(report), *(["", *warnings] if warnings else [])]) + "\n"


def _head(report: PeriodReport) -> list[str]:
    exp, cur, tz, t = (report.provider.currency_exponent, report.provider.currency,
                       report.provider.timezone, report.totals)
    return [
        f"{printable(report.provider.name)} — period {report.period.key} ({tz}), {report.status}",
        f"times in {tz} · as of {local_hour(report.as_of, tz)} · {report.hours_observed} of "
        f"{report.period.hours} hours observed · {report.missing_hours} missing",
        f"billed {money(t.billed, exp)} {cur} · pending {money(t.pending, exp)} {cur} · "
        f"estimate for the month {money(t.estimate, exp)} {cur}"
        + (" · INCOMPLETE (unpriced lines)" if t.incomplete else ""),
        # billing.md 8: an account that changed pack is one account and two lines.
        f"{t.accounts} accounts and {t.addons} add-ons billed or pending · {t.lines} lines "
        "(one per pack an account had, exempt ones included)",
        "",
    ]


def _amount(value: Decimal | None, report: PeriodReport) -> str:
    shown = money(value, report.provider.currency_exponent)
    return "unpriced" if shown is None else f"{shown} {report.provider.currency}"


def _lines(report: PeriodReport) -> str:
    tz = report.provider.timezone
    rows = [[ln.kind, cut_cells(printable(ln.id), 24), cut_cells(printable(ln.name), 32),
             cut_cells(printable(ln.product), 24), local_hour(ln.start, tz), local_hour(ln.end, tz),
             str(ln.hours), str(ln.billed_days), ln.state, _amount(ln.amount, report),
             "" if ln.deadline is None else local_hour(ln.deadline, tz)]
            for ln in report.lines]
    return table(["kind", "id", "name", "product", "from", "to", "hours", "days", "state", "amount",
                  "delete before"], rows, right={6, 7, 9})


def _days(report: PeriodReport) -> str:
    rows = [[d.date, _amount(d.billed, report), _amount(d.running, report), str(d.accounts),
             str(d.addons)] for d in report.days]
    # billing.md 9: lines and days are rounded one by one; this row closes the gap,
    # so the last running total plus it is the period's billed total to the cent.
    rows.append(["line rounding", _amount(report.totals.day_rounding, report),
                 _amount(report.totals.billed, report), "", ""])
    return table(["date", "billed", "running", "accounts", "add-ons"], rows, right={1, 2, 3, 4})


def _products(report: PeriodReport) -> str:
    rows = [[cut_cells(printable(u.product), 24), u.kind, cut_cells(printable(u.name), 32),
             str(u.items), str(u.hours), _amount(u.amount, report)] for u in report.products]
    return table(["product", "kind", "name", "items", "hours", "billed + pending"], rows,
                 right={3, 4, 5})


def _customers(report: PeriodReport) -> str:
    rows = [[cut_cells(printable(c.customer), 24) if c.customer is not None else "(none)",
             str(c.accounts), str(c.lines), _amount(c.billed, report), _amount(c.pending, report),
             _amount(c.estimate, report) + (" *" if c.incomplete else "")]
            for c in report.customers]
    text = table(["customer", "accounts", "lines", "billed", "pending", "estimate"], rows,
                 right={1, 2, 3, 4, 5})
    if any(c.incomplete for c in report.customers):
        text += "\n* incomplete: some lines have no price"
    return text
