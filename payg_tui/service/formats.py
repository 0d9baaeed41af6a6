"""Reports as text: `payg-report/1` JSON, CSV, and the pieces of tables for people.

The report's tables themselves are in `report_tables.py`.

Shared by the CLI and the dashboard's export, so both write the same bytes.
Untrusted text (names, customer references) is written as data: JSON and CSV
escape it, and the tables strip control characters so that a hostile name
cannot move the cursor or recolour a terminal.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from json.encoder import encode_basestring_ascii as _json_string  # what `json` writes strings with
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from payg_tui.engine.model import PeriodSummary, slot_iso
from payg_tui.engine.text import printable

if TYPE_CHECKING:
    from payg_tui.engine.detail import Line, PeriodReport

SCHEMA = "payg-report/1"
Section = Literal["lines", "days", "products", "customers"]


def money(value: Decimal | None, exponent: int) -> str | None:
    return None if value is None else f"{value:.{exponent}f}"


@lru_cache(maxsize=8192)
def _iso(slot: int) -> str:
    return slot_iso(slot)


def _hour_of(slot: int | None, exponent: int) -> str | None:
    return None if slot is None else _iso(slot)


class LineField(NamedTuple):
    key: str  # the JSON key, also the CSV column
    attribute: str  # where the value comes from on `Line`
    write: Callable[[Any, int], str | None] | None = None  # to text, when not already text
    number: bool = False  # an integer: a JSON number, not a string
    optional: bool = False  # may be None (JSON null); the others are always there


# The one definition of a report line (cli.md): JSON and CSV are both made from
# this list, in this order, so they cannot drift apart.
LINE_FIELDS: tuple[LineField, ...] = (
    LineField("kind", "kind"),
    LineField("id", "id"),
    LineField("account_id", "account_id"),
    LineField("name", "name"),
    LineField("customer", "customer", optional=True),
    LineField("product", "product"),
    LineField("from", "start", _hour_of),
    LineField("to", "end", _hour_of),
    LineField("hours", "hours", number=True),
    LineField("billed_days", "billed_days", number=True),
    LineField("state", "state"),
    LineField("amount", "amount", money),
    LineField("estimate", "estimate", money),
    LineField("deadline", "deadline", _hour_of),
)
LINE_KEYS = tuple(f.key for f in LINE_FIELDS)
CSV_FIELDS = LINE_KEYS
# One C call reads every attribute of a line; only a few values need writing.
_line_attributes = attrgetter(*(f.attribute for f in LINE_FIELDS))
_line_writers = tuple((i, f.write) for i, f in enumerate(LINE_FIELDS) if f.write is not None)


def line_values(line: Line, exponent: int) -> list[Any]:
    """A line's values in `LINE_FIELDS` order, as JSON and CSV write them."""
    values = list(_line_attributes(line))
    for i, write in _line_writers:
        values[i] = write(values[i], exponent)
    return values


def line_object(line: Line, exponent: int) -> dict[str, Any]:
    """A line of `payg-report/1` as a dict (`line_json` writes the same as text)."""
    return dict(zip(LINE_KEYS, line_values(line, exponent), strict=True))


def _json_writer(field: LineField) -> Callable[[Any, int], str]:
    """How a field of `LINE_FIELDS` that needs writing (a time, an amount) is written in JSON."""
    write = field.write
    assert write is not None

    def written(value: Any, exp: int) -> str:
        text = None if value is None else write(value, exp)
        return "null" if text is None else _json_string(text)

    return written


def _line_json_function() -> Callable[[Line, int], str]:
    """`line_json`, written out from `LINE_FIELDS` the way `dataclasses` writes an
    `__init__`: one expression that joins each `"key": value`, the text through
    `json`'s own C string encoder. A generic loop over the fields cost twice as
    much, and a dict per line handed to the encoder three times: on a 60,000-line
    report that is most of `report --format json`. The source is made from our
    own constant field list only, never from data."""
    names: dict[str, Any] = {"quote": _json_string}
    pieces = []
    for i, field in enumerate(LINE_FIELDS):
        pieces.append(repr(("{" if i == 0 else ", ") + _json_string(field.key) + ": "))
        value = f"line.{field.attribute}"
        if field.write is not None:
            names[f"write_{i}"] = _json_writer(field)
            pieces.append(f"write_{i}({value}, exponent)")
        elif field.number:
            pieces.append(f"str({value})")
        elif field.optional:
            pieces.append(f'("null" if (v{i} := {value}) is None else quote(v{i}))')
        else:
            pieces.append(f"quote({value})")
    pieces.append(repr("}"))
    source = f"def line_json(line, exponent):\n    return ''.join(({', '.join(pieces)}))\n"
    exec(source, names)  # our own constant field list, see above
    function: Callable[[Line, int], str] = names["line_json"]
    function.__doc__ = "The JSON text of `line_object(line)`, byte for byte as `json` writes it."
    return function


line_json = _line_json_function()


def report_object(report: PeriodReport) -> dict[str, Any]:
    """The report as `payg-report/1` (cli.md), field for field, in the examples' key order."""
    exp = report.provider.currency_exponent
    return _report_fields(report, [line_object(line, exp) for line in report.lines])


def _report_fields(report: PeriodReport, lines: Iterable[Any]) -> dict[str, Any]:
    return {
        **_head(report),
        "hours_in_period": report.period.hours,
        "hours_observed": report.hours_observed,
        "missing_hours": report.missing_hours,
        "lines": lines,
        "totals": _totals_object(report),
        "days": _section_objects(report, "days"),
        "products": _section_objects(report, "products"),
        "warnings": list(report.warnings),
    }


def section_object(report: PeriodReport, section: Section) -> dict[str, Any]:
    """`report --section S --format json`: the whole report for `lines`, else one section.

    A section has its own schema name (`payg-days/1`, ...): it is not a
    `payg-report/1` document, since it lacks the lines.
    """
    if section == "lines":
        return report_object(report)
    return {**_head(report), "schema": f"payg-{section}/1", "totals": _totals_object(report),
            section: _section_objects(report, section), "warnings": list(report.warnings)}


def _head(report: PeriodReport) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "period": report.period.key,
        "timezone": report.provider.timezone,
        "currency": report.provider.currency,
        "status": report.status,
        "as_of": slot_iso(report.as_of),
    }


def _totals_object(report: PeriodReport) -> dict[str, Any]:
    exp, t = report.provider.currency_exponent, report.totals
    return {"billed": money(t.billed, exp), "pending": money(t.pending, exp),
            "estimate": money(t.estimate, exp), "incomplete": t.incomplete,
            "accounts": t.accounts, "addons": t.addons, "lines": t.lines,
            "day_rounding": money(t.day_rounding, exp)}


DAY_FIELDS = ("date", "billed", "running", "accounts", "addons")
PRODUCT_FIELDS = ("product", "kind", "items", "hours", "amount")
CUSTOMER_FIELDS = ("customer", "accounts", "lines", "billed", "pending", "estimate", "incomplete")


def _day_rows(report: PeriodReport) -> list[list[Any]]:
    exp = report.provider.currency_exponent
    return [[d.date, money(d.billed, exp), money(d.running, exp), d.accounts, d.addons]
            for d in report.days]


def _product_rows(report: PeriodReport) -> list[list[Any]]:
    exp = report.provider.currency_exponent
    return [[u.product, u.kind, u.items, u.hours, money(u.amount, exp)] for u in report.products]


def _customer_rows(report: PeriodReport) -> list[list[Any]]:
    exp = report.provider.currency_exponent
    return [[c.customer, c.accounts, c.lines, money(c.billed, exp), money(c.pending, exp),
             money(c.estimate, exp), c.incomplete] for c in report.customers]


# `report --section S`: the section's fields (JSON keys and CSV columns) and rows.
SECTION_ROWS: dict[str, tuple[tuple[str, ...], Callable[[PeriodReport], list[list[Any]]]]] = {
    "days": (DAY_FIELDS, _day_rows),
    "products": (PRODUCT_FIELDS, _product_rows),
    "customers": (CUSTOMER_FIELDS, _customer_rows),
}


def _section_objects(report: PeriodReport, section: str) -> list[dict[str, Any]]:
    fields, rows = SECTION_ROWS[section]
    return [dict(zip(fields, row, strict=True)) for row in rows(report)]


def report_json(report: PeriodReport, section: Section = "lines") -> str:
    return "".join(report_json_parts(report, section))


def report_json_parts(report: PeriodReport, section: Section = "lines") -> Iterator[str]:
    """`report_json` in pieces, each line written (`line_json`) as its piece is: a report
    of 60,000 lines is never held whole as text, nor as 60,000 dicts."""
    if section != "lines":
        return json_parts(section_object(report, section))
    exp = report.provider.currency_exponent
    return json_parts(_report_fields(report, JsonText(line_json(line, exp) for line in report.lines)))


def layout_json(obj: dict[str, Any]) -> str:
    """JSON with a key per line and an array element per line.

    Readable in a pager and diffable, yet written by the C encoder: `indent=`
    would switch `json` to its pure-Python encoder, several times slower on
    a report of 15,000 lines.
    """
    return "".join(json_parts(obj))


_encode = json.JSONEncoder(separators=(", ", ": ")).encode
_BATCH = 2000  # array elements per piece: few writes, and no piece of more than a megabyte


class JsonText(NamedTuple):
    """Array elements already written as JSON text (a report's lines, by `line_json`)."""

    elements: Iterable[str]


def json_parts(obj: dict[str, Any]) -> Iterator[str]:
    """`layout_json` in pieces; a list, an iterator or `JsonText` is an array."""
    yield "{\n"
    for index, (key, value) in enumerate(obj.items()):
        head = ("" if index == 0 else ",\n") + f" {_encode(key)}: "
        if isinstance(value, JsonText):
            yield from _array_parts(head, iter(value.elements))
        elif isinstance(value, (list, Iterator)):
            yield from _array_parts(head, map(_encode, value))
        else:
            yield head + _encode(value)
    yield "\n}\n"


def _array_parts(head: str, elements: Iterator[str]) -> Iterator[str]:
    batch = list(islice(elements, _BATCH))
    if not batch:
        yield head + "[]"
        return
    yield head + "[\n  " + ",\n  ".join(batch)
    while batch := list(islice(elements, _BATCH)):
        yield ",\n  " + ",\n  ".join(batch)
    yield "\n ]"


def report_csv(report: PeriodReport, section: Section = "lines") -> str:
    """The lines (`LINE_FIELDS`), or one section's rows, with a header row."""
    if section == "lines":
        exp = report.provider.currency_exponent
        return csv_text(CSV_FIELDS, (line_values(line, exp) for line in report.lines))
    fields, rows = SECTION_ROWS[section]
    return csv_text(fields, rows(report))


def csv_text(header: tuple[str, ...], rows: Iterable[list[Any]]) -> str:
    """CSV with a header, safe for spreadsheets (report sections, statements)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_csv_safe(value) for value in row] for row in rows)
    return out.getvalue()


def _csv_safe(value: Any) -> Any:
    """Keep spreadsheets from running a name as a formula (CSV injection), and
    terminals from obeying it: CSV is read by people too (`report --format csv`
    on a terminal, `| less`), so control and format characters (ESC, BEL, CR,
    a newline, the bidi override) are shown as `?`, as on screen and in tables
    (`engine.text.printable`). JSON keeps the exact strings.

    `null` is an empty cell; booleans are written as in JSON.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return value
    value = printable(value)  # a lone surrogate becomes U+FFFD (engine/text.py)
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


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


def table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    """Aligned columns; the columns in `right` (money, counts) align right.

    Widths are terminal cells, not characters: a CJK character or an emoji
    takes two cells, so a Japanese or emoji name keeps the columns straight.
    """
    from rich.cells import cell_len  # lazy: only tables for people need it

    sizes = [[cell_len(c) for c in r] for r in rows]
    widths = [max([cell_len(h)] + [s[i] for s in sizes]) for i, h in enumerate(headers)]

    def fmt(cells: list[str], lengths: list[int]) -> str:
        return "  ".join((" " * (w - n) + c) if i in right else (c + " " * (w - n))
                         for i, (c, n, w) in enumerate(zip(cells, lengths, widths, strict=True))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(headers, [cell_len(h) for h in headers]), rule,
                      *(fmt(r, n) for r, n in zip(rows, sizes, strict=True))])


def cut_cells(text: str, width: int) -> str:
    """`text` cut to `width` terminal cells with `…` (a wide character is not split in two)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)).rstrip() + "…"


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


def age_text(seconds: float) -> str:
    """`3 min`, `5 h`, `2 days`: how old cached data is, for people."""
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} days"
