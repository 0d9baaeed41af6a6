"""Statements as text: `payg-statements/1` JSON, CSV, tables, and printable HTML pages.

JSON, CSV and the tables are for the reseller: cost, revenue and margin.
The HTML page is for the customer: their name, the period, the lines in
words and what to pay; never the cost or the margin. Untrusted text (names,
customer references, product codes) is data everywhere: JSON and CSV escape
it, the tables strip control characters, the HTML escapes every text and
isolates its direction (a bidi override cannot reorder the page).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from payg_tui.engine.clock import local_hour
from payg_tui.engine.model import Product, slot_iso
from payg_tui.engine.price_list import percent_text
from payg_tui.engine.resale import ResaleTotals, Sale, Statement, Statements
from payg_tui.engine.text import printable
from payg_tui.service.formats import csv_text, money, table

SCHEMA = "payg-statements/1"
NO_CUSTOMER = "no customer"
CSV_FIELDS = ("customer", "name", "rule", "discount", "kind", "id", "account_id", "account_name",
              "product", "from", "to", "hours", "billed_days", "state", "cost", "revenue", "margin")

_encode = json.JSONEncoder(separators=(", ", ": ")).encode
_iso = lru_cache(maxsize=8192)(slot_iso)  # most lines of a month share their first and last hour


def totals_of(statements: Iterable[Statement], exponent: int) -> ResaleTotals:
    """Sums of the statements' totals (which are sums of rounded line values)."""
    chosen = list(statements)
    zero = Decimal(0).scaleb(-exponent)
    return ResaleTotals(cost=sum((s.cost for s in chosen), zero),
                        revenue=sum((s.revenue for s in chosen), zero),
                        margin=sum((s.margin for s in chosen), zero),
                        incomplete=any(s.incomplete for s in chosen))


# -- JSON ----------------------------------------------------------------------


def sale_object(sale: Sale, exponent: int) -> dict[str, Any]:
    line = sale.line
    return {"kind": line.kind, "id": line.id, "product": line.product, "from": _iso(line.start),
            "to": _iso(line.end), "hours": line.hours, "billed_days": line.billed_days,
            "state": line.state, "cost": money(sale.cost, exponent),
            "revenue": money(sale.revenue, exponent), "margin": money(sale.margin, exponent)}


def _head(statement: Statement) -> dict[str, Any]:
    return {"customer": statement.customer, "name": statement.terms.name, "rule": statement.terms.rule,
            "discount": percent_text(statement.terms.discount)}


def _money_fields(values: Statement | ResaleTotals, exponent: int) -> dict[str, Any]:
    return {"cost": money(values.cost, exponent), "revenue": money(values.revenue, exponent),
            "margin": money(values.margin, exponent), "incomplete": values.incomplete}


def statements_object(found: Statements, chosen: list[Statement]) -> dict[str, Any]:
    """`payg-statements/1` (resale.md), field for field."""
    exp = found.provider.currency_exponent
    return {
        "schema": SCHEMA, "period": found.period.key, "currency": found.provider.currency,
        "status": found.status,
        "customers": [{**_head(s), "lines": [sale_object(x, exp) for x in s.sales],
                       **_money_fields(s, exp)} for s in chosen],
        "totals": _money_fields(totals_of(chosen, exp), exp),
    }


def statements_json(found: Statements, chosen: list[Statement]) -> str:
    """The same object laid out one line per statement line, by the C encoder (fast on 15,000 lines)."""
    exp = found.provider.currency_exponent
    blocks = []
    for s in chosen:
        head = _encode(_head(s))[:-1]
        lines = ",\n    ".join(_encode(sale_object(x, exp)) for x in s.sales)
        body = f'"lines": [\n    {lines}\n   ]' if lines else '"lines": []'
        blocks.append(f"{head}, {body}, {_encode(_money_fields(s, exp))[1:]}")
    customers = "[\n  " + ",\n  ".join(blocks) + "\n ]" if blocks else "[]"
    return ("{\n"
            f' "schema": {_encode(SCHEMA)},\n "period": {_encode(found.period.key)},\n'
            f' "currency": {_encode(found.provider.currency)},\n "status": {_encode(found.status)},\n'
            f' "customers": {customers},\n'
            f' "totals": {_encode(_money_fields(totals_of(chosen, exp), exp))}\n'
            "}\n")


# -- CSV -----------------------------------------------------------------------


def statements_csv(found: Statements, chosen: list[Statement]) -> str:
    """One row per line, with its customer's name, rule and discount.

    Money goes in as `Decimal`, not text: a negative margin is a number, not
    a formula to neutralise.
    """
    return csv_text(CSV_FIELDS, (
        [s.customer, s.terms.name, s.terms.rule, percent_text(s.terms.discount), x.line.kind, x.line.id,
         x.line.account_id, x.line.name, x.line.product, _iso(x.line.start), _iso(x.line.end),
         x.line.hours, x.line.billed_days, x.line.state, x.cost, x.revenue, x.margin]
        for s in chosen for x in s.sales))


# -- tables for the reseller ---------------------------------------------------


def customer_label(statement: Statement) -> str:
    """`C-17 Bakkerij Janssens`, printable; `no customer` for lines without a reference."""
    ref = NO_CUSTOMER if statement.customer is None else printable(statement.customer, 30)
    return ref + (f" {printable(statement.terms.name, 40)}" if statement.terms.name else "")


def margin_percent_text(statement: Statement) -> str:
    share = statement.margin_percent
    return "-" if share is None else f"{share:.1f}%"


def statements_table(found: Statements, chosen: list[Statement]) -> str:
    exp, cur = found.provider.currency_exponent, found.provider.currency
    tz = found.provider.timezone
    out = [f"statements {found.period.key} ({tz}), {found.status} · {cur} · "
           f"as of {local_hour(found.as_of, tz)}", ""]
    for s in chosen:
        out.append(f"{customer_label(s)} · rule {s.terms.rule} · discount {percent_text(s.terms.discount)}")
        rows = [[x.line.kind, printable(x.line.id, 24), printable(x.line.name, 28),
                 printable(x.line.product, 18), str(x.line.hours), str(x.line.billed_days), x.line.state,
                 _cell(x.cost, exp), _cell(x.revenue, exp), _cell(x.margin, exp)] for x in s.sales]
        rows.append(["total", "", "", "", "", "", "", money(s.cost, exp) or "", money(s.revenue, exp) or "",
                     (money(s.margin, exp) or "") + f" ({margin_percent_text(s)})"])
        out.append(table(["kind", "id", "name", "product", "hours", "days", "state", "cost", "revenue",
                          "margin"], rows, right={4, 5, 7, 8, 9}))
        if s.incomplete:
            out.append("INCOMPLETE: a line has no sell price and no cost price; it is left out of the totals")
        out.append("")
    t = totals_of(chosen, exp)
    out.append(f"total {cur}: cost {money(t.cost, exp)} · revenue {money(t.revenue, exp)} · "
               f"margin {money(t.margin, exp)}" + (" · INCOMPLETE" if t.incomplete else ""))
    return "\n".join(out) + "\n"


def _cell(value: Decimal | None, exponent: int) -> str:
    return money(value, exponent) or "no price"


# -- printable pages for the customer -----------------------------------------

_PAGE_CSS = """
body { font-family: system-ui, sans-serif; color: #111; margin: 2em auto; max-width: 48em; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
table { border-collapse: collapse; width: 100%; margin-top: 1em; }
th, td { text-align: left; padding: 0.3em 0.5em; border-bottom: 1px solid #ccc; vertical-align: top;
         overflow-wrap: anywhere; }
td.amount, th.amount { text-align: right; white-space: nowrap; }
tfoot td { font-weight: bold; border-top: 2px solid #111; border-bottom: none; }
.note { color: #444; font-size: 0.9em; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  tr { page-break-inside: avoid; }
  @page { size: A4; margin: 18mm; }
}
"""

_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


def html_file_name(period: str, customer: str | None) -> str:
    """A safe, unique file name: `statement-2026-11-C-17.html`.

    A reference that is not plain letters and digits gets a short hash of
    itself, so two references never write the same file and none escapes `--out`.
    """
    if customer is None:
        return f"statement-{period}-no-customer.html"
    slug = _SLUG.sub("-", customer).strip("-")[:40]
    if slug != customer or not slug:
        slug = f"{slug or 'customer'}-{hashlib.sha256(customer.encode('utf-8', 'replace')).hexdigest()[:8]}"
    return f"statement-{period}-{slug}.html"


def _h(value: str | None) -> str:
    """Untrusted text for the page: printable, escaped, direction-isolated."""
    return f"<bdi>{html.escape(printable(value), quote=True)}</bdi>"


def _describe(sale: Sale, products: dict[str, Product]) -> str:
    """The line in words: `Hosting account shop.be, Pro` / `Daily backup for shop.be`."""
    line = sale.line
    known = products.get(line.product)
    product = _h(known.name if known else line.product)
    if line.kind == "account":
        return f"Hosting account {_h(line.name)}, {product} pack"
    return f"{product} for {_h(line.name)}"


def _quantity(sale: Sale, rule: str) -> str:
    line = sale.line
    if rule == "hourly":
        return f"{line.hours} h"
    if rule == "daily":
        return f"{line.billed_days} day{'s' if line.billed_days != 1 else ''}"
    return "month"


def _price_cell(sale: Sale, rule: str, exponent: int, currency: str) -> str:
    if not sale.charged:
        return "free"
    if sale.revenue is None:
        return "to be confirmed"
    if rule == "monthly" and not sale.revenue:
        return "included"
    return f"{money(sale.revenue, exponent)} {html.escape(currency)}"


def statement_html(found: Statements, statement: Statement, products: dict[str, Product]) -> str:
    """One printable page for one customer: no cost, no margin, no script, no remote asset."""
    exp, cur, tz = found.provider.currency_exponent, found.provider.currency, found.provider.timezone
    rule = statement.terms.rule
    who = statement.terms.name or statement.customer
    rows = []
    for sale in sorted(statement.sales, key=lambda x: (x.line.account_id, x.line.kind != "account",
                                                      x.line.start)):
        line = sale.line
        rows.append(
            f"<tr><td>{_describe(sale, products)}</td>"
            f"<td>{html.escape(local_hour(line.start, tz))} to {html.escape(local_hour(line.end, tz))}</td>"
            f"<td class=\"amount\">{_quantity(sale, rule)}</td>"
            f"<td class=\"amount\">{_price_cell(sale, rule, exp, cur)}</td></tr>")
    notes = [f"Prices per {'hour' if rule == 'hourly' else 'day' if rule == 'daily' else 'month'} of use"
             f"; times in {html.escape(tz)}."]
    if statement.terms.discount:
        notes.append(f"Your discount of {html.escape(percent_text(statement.terms.discount))} is included "
                     "in every line.")
    if found.status != "closed":
        notes.append("The period is not closed yet: these amounts are provisional.")
    if statement.incomplete:
        notes.append("Some lines have no price yet: this statement is incomplete.")
    if any(not s.charged for s in statement.sales):
        notes.append("Lines marked free were removed within 48 hours and are not charged.")
    ref = "" if statement.customer is None else f"<p>Customer reference {_h(statement.customer)}</p>"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n"
        f"<title>Statement {html.escape(found.period.key)}</title>\n<style>{_PAGE_CSS}</style>\n"
        "</head>\n<body>\n"
        f"<h1>Statement for {_h(who) if who is not None else NO_CUSTOMER}</h1>\n{ref}\n"
        f"<p>Period {html.escape(found.period.key)}</p>\n"
        "<table>\n<thead><tr><th>What</th><th>When</th><th class=\"amount\">Use</th>"
        "<th class=\"amount\">Amount</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n"
        f"<tfoot><tr><td colspan=\"3\">Total</td><td class=\"amount\">{money(statement.revenue, exp)} "
        f"{html.escape(cur)}</td></tr></tfoot>\n</table>\n"
        + "".join(f"<p class=\"note\">{note}</p>\n" for note in notes)
        + "</body>\n</html>\n"
    )


def write_html(found: Statements, chosen: list[Statement], products: dict[str, Product],
               out_dir: Path) -> list[Path]:
    """One page per statement into `out_dir` (created if needed); returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for statement in chosen:
        path = out_dir / html_file_name(found.period.key, statement.customer)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(statement_html(found, statement, products), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
