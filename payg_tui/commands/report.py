"""`payg-tui report PERIOD`: one period's report from the cache, offline."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from payg_tui.service.books import Books

HELP = "the report of one period (e.g. 2026-11) from the cache, offline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("period", help="the billing period, YYYY-MM (e.g. 2026-11)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--section", choices=("lines", "days", "products", "customers"),
                        default="lines",
                        help="what to write: the lines (default), the daily report, the packs "
                             "and add-ons used, or the customers")


def open_books(demo: bool, now: datetime | None = None) -> Books:
    """The demo books (built up to `now`), or the cache (which must exist: reading never creates one)."""
    from payg_tui.service.books import Books

    return Books.open_demo(now) if demo else Books.open_cache()


def run(args: argparse.Namespace) -> int:
    import sys

    from payg_tui.gcpause import paused_gc
    from payg_tui.service import formats

    with open_books(args.demo) as books:
        report = books.report(args.period)
        if args.format == "json":
            with paused_gc():  # lines become text as they are written: nothing for the collector
                sys.stdout.writelines(formats.report_json_parts(report, args.section))
        elif args.format == "csv":
            sys.stdout.write(formats.report_csv(report, args.section))
        else:
            from payg_tui.service.report_tables import report_table

            sys.stdout.write(report_table(report, args.section))
            if books.source == "cache" and sys.stderr.isatty():
                age = books.age_text()
                if age:
                    print(f"(offline, from the cache: {age})", file=sys.stderr)
    return 0
