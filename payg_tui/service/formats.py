"""Reports as text: `payg-report/1` JSON, CSV and human tables.

Shared by the CLI and the dashboard's export, so both write the same bytes.
Untrusted text (names, customer references) is written as data: JSON and CSV
escape it, and the tables strip control characters so that a hostile name
cannot move the cursor or recolour a terminal.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from payg_tui.engine.model import Line, PeriodReport, PeriodSummary, slot_iso

SCHEMA = "payg-report/1"
CSV_FIELDS = ("kind", "id", "account_id", "name", "customer", "product", "from", "to",
              "hours", "billed_days", "state", "amount")


def money(value: Decimal | None, exponent: int) -> str | None:
    return None if value is None else f"{value:.{exponent}f}"


@lru_cache(maxsize=8192)
def _iso(slot: int) -> str:
    return slot_iso(slot)


def line_object(line: Line, exponent: int) -> dict[str, Any]:
    return {
        "kind": line.kind, "id": line.id, "account_id": line.account_id, "name": line.name,
        "customer": line.customer, "product": line.product, "from": _iso(line.start),
        "to": _iso(line.end), "hours": line.hours, "billed_days": line.billed_days,
        "state": line.state, "amount": money(line.amount, exponent),
    }


def report_object(report: PeriodReport, *, with_lines: bool = True) -> dict[str, Any]:
    """The report as `payg-report/1` (cli.md), field for field."""
    exp = report.provider.currency_exponent
    return {
        "schema": SCHEMA,
        "period": report.period.key,
        "timezone": report.provider.timezone,
        "currency": report.provider.currency,
        "status": report.status,
        "as_of": slot_iso(report.as_of),
        "hours_in_period": report.period.hours,
        "hours_observed": report.hours_observed,
        "missing_hours": report.missing_hours,
        "lines": [line_object(line, exp) for line in report.lines] if with_lines else [],
        "totals": {"billed": money(report.totals.billed, exp),
                   "pending": money(report.totals.pending, exp),
                   "estimate": money(report.totals.estimate, exp),
                   "incomplete": report.totals.incomplete},
        "days": [{"date": d.date, "billed": money(d.billed, exp), "accounts": d.accounts,
                  "addons": d.addons} for d in report.days],
        "products": [{"product": u.product, "kind": u.kind, "items": u.items, "hours": u.hours,
                      "amount": money(u.amount, exp)} for u in report.products],
        "warnings": list(report.warnings),
    }


def report_json(report: PeriodReport) -> str:
    obj = report_object(report, with_lines=False)
    exp = report.provider.currency_exponent
    text = layout_json(obj)
    lines = ",\n  ".join(_line_json(line, exp) for line in report.lines)
    marker = ' "lines": []'
    return text.replace(marker, f' "lines": [\n  {lines}\n ]' if lines else marker, 1)


# ASCII escapes: valid JSON for any text, even a lone surrogate from a hostile name.
_string = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


def _line_json(line: Line, exponent: int) -> str:
    """One line of `payg-report/1`, written directly: the hot path of a large report."""
    amount = "null" if line.amount is None else f'"{line.amount:.{exponent}f}"'
    customer = "null" if line.customer is None else _string(line.customer)
    return (f'{{"kind": "{line.kind}", "id": {_string(line.id)}, "account_id": {_string(line.account_id)}, '
            f'"name": {_string(line.name)}, "customer": {customer}, "product": {_string(line.product)}, '
            f'"from": "{_iso(line.start)}", "to": "{_iso(line.end)}", "hours": {line.hours}, '
            f'"billed_days": {line.billed_days}, "state": "{line.state}", "amount": {amount}}}')


def layout_json(obj: dict[str, Any]) -> str:
    """JSON with a key per line and an array element per line.

    Readable in a pager and diffable, yet written by the C encoder: `indent=`
    would switch `json` to its pure-Python encoder, several times slower on
    a report of 15,000 lines.
    """
    encode = json.JSONEncoder(separators=(", ", ": ")).encode
    parts = []
    for key, value in obj.items():
        if isinstance(value, list) and value:
            inner = ",\n  ".join(encode(v) for v in value)
            parts.append(f" {encode(key)}: [\n  {inner}\n ]")
        else:
            parts.append(f" {encode(key)}: {encode(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def report_csv(report: PeriodReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # The writer quotes a field holding "\n" (its line terminator) but not one
    # holding a lone "\r", which spreadsheets read as a line break: such rare
    # rows (a hostile name) are written fully quoted.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_FIELDS)
    exp = report.provider.currency_exponent
    for line in report.lines:
        obj = line_object(line, exp)
        cells = ["" if obj[f] is None else _csv_safe(obj[f]) for f in CSV_FIELDS]
        if "\r" in f"{line.id}{line.account_id}{line.name}{line.customer}{line.product}":
            quoted.writerow(cells)
        else:
            writer.writerow(cells)
    return out.getvalue()


def _csv_safe(value: Any) -> Any:
    """Keep spreadsheets from running a name as a formula (CSV injection)."""
    if not isinstance(value, str):
        return value
    value = value.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def periods_object(summaries: list[PeriodSummary], currency: str, exponent: int,
                   as_of: str | None) -> dict[str, Any]:
    return {
        "schema": "payg-periods/1",
        "currency": currency,
        "as_of": as_of,
        "periods": [
            {"period": s.period.key, "status": s.status, "hours_in_period": s.period.hours,
             "hours_observed": s.hours_observed, "missing_hours": s.missing_hours,
             "accounts": s.accounts, "addons": s.addons,
             "billed": money(s.totals.billed, exponent), "pending": money(s.totals.pending, exponent),
             "estimate": money(s.totals.estimate, exponent), "incomplete": s.totals.incomplete}
            for s in summaries
        ],
    }


# -- tables for people ----------------------------------------------------------


def safe_text(value: str | None, width: int | None = None) -> str:
    """Printable text: control and escape characters shown as `?`, long text cut with `…`.

    `?` replaces every "other" character (Unicode category C: controls such as
    ESC, BEL, CR and BS; format characters such as the bidi overrides U+202E and
    zero-width spaces; lone surrogates; unassigned code points) and the line and
    paragraph separators U+2028/U+2029, so that text cannot move the cursor,
    recolour the terminal, reorder a line or break it.
    """
    if value is None:
        return "-"
    text = value if value.isprintable() else "".join(
        "?" if unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029" else ch for ch in value)
    if width is not None and len(text) > width:
        text = text[: max(0, width - 1)] + "…"
    return text


def table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    """Aligned columns; the columns in `right` (money, counts) align right."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(headers), rule, *(fmt(r) for r in rows)])


def report_table(report: PeriodReport) -> str:
    exp = report.provider.currency_exponent
    cur = report.provider.currency
    t = report.totals
    head = [
        f"{safe_text(report.provider.name)} — period {report.period.key} ({report.provider.timezone}), "
        f"{report.status}",
        f"times in {report.provider.timezone} · as of {local_hour(report.as_of, report.provider.timezone)}"
        f" · {report.hours_observed} of {report.period.hours} hours "
        f"observed · {report.missing_hours} missing",
        f"billed {money(t.billed, exp)} {cur} · pending {money(t.pending, exp)} {cur} · "
        f"estimate for the month {money(t.estimate, exp)} {cur}"
        + (" · INCOMPLETE (unpriced lines)" if t.incomplete else ""),
        "",
    ]
    tz = report.provider.timezone
    rows = [[ln.kind, safe_text(ln.id, 24), safe_text(ln.name, 32), safe_text(ln.product, 24),
             local_hour(ln.start, tz), local_hour(ln.end, tz), str(ln.hours), str(ln.billed_days),
             ln.state, "unpriced" if ln.amount is None else f"{money(ln.amount, exp)} {cur}"]
            for ln in report.lines]
    body = table(["kind", "id", "name", "product", "from", "to", "hours", "days", "state",
                  "amount"], rows, right={6, 7, 9})
    warnings = [f"warning: {safe_text(w)}" for w in report.warnings]
    return "\n".join([*head, body, *(["", *warnings] if warnings else [])]) + "\n"


def periods_table(summaries: list[PeriodSummary], currency: str, exponent: int) -> str:
    rows = [[s.period.key, s.status, str(s.accounts), str(s.addons),
             f"{money(s.totals.billed, exponent)} {currency}",
             f"{money(s.totals.pending, exponent)} {currency}",
             f"{money(s.totals.estimate, exponent)} {currency}" + (" *" if s.totals.incomplete else ""),
             f"{s.hours_observed}/{s.period.hours}", str(s.missing_hours)]
            for s in summaries]
    text = table(["period", "status", "accounts", "add-ons", "billed", "pending", "estimate", "hours",
                  "missing"], rows, right={2, 3, 4, 5, 6, 7, 8})
    if any(s.totals.incomplete for s in summaries):
        text += "\n* incomplete: some lines have no price (see `payg-tui report PERIOD`)"
    return text + "\n"


@lru_cache(maxsize=8192)
def local_hour(slot: int, timezone: str) -> str:
    """`2026-11-05 14:00`: the start of a slot on the provider's clock."""
    from zoneinfo import ZoneInfo

    return datetime.fromtimestamp(slot * 3600, UTC).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def age_text(seconds: float) -> str:
    """`3 min`, `5 h`, `2 days`: how old cached data is, for people."""
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"
