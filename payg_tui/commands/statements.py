"""`payg-tui statements PERIOD`: what to invoice each customer, with cost and margin."""

from __future__ import annotations

import argparse

HELP = "customer statements of one period: revenue at your sell prices (resale.toml), cost and margin"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("period", help="the billing period, YYYY-MM (e.g. 2026-11)")
    parser.add_argument("--customer", metavar="REF", help="only this customer reference")
    parser.add_argument("--format", choices=("table", "csv", "json", "html"), default="table")
    parser.add_argument("--out", metavar="DIR", help="with --format html: the folder for the pages")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from payg_tui import locations
    from payg_tui.commands.report import open_books
    from payg_tui.errors import UsageError
    from payg_tui.service import statement_formats as out
    from payg_tui.service.statements import NO_PRICE_LIST, Resale, price_list_for

    if (args.format == "html") != (args.out is not None):
        raise UsageError("--format html writes one page per statement into --out DIR; csv, json and "
                         "table go to standard output" if args.out is None or args.format != "html"
                         else "--out is only for --format html")
    prices = price_list_for(demo=args.demo)  # a bad price list is told before the cache is opened
    if prices is None:
        raise UsageError(NO_PRICE_LIST.format(path=locations.resale_path()))
    with open_books(args.demo) as books:
        resale = Resale(books, prices)
        found = resale.statements(args.period)
        chosen = found.statements if args.customer is None else [resale.statement(args.period, args.customer)]
        if args.format == "html":
            try:
                written = out.write_html(found, chosen, books.products(), Path(args.out).expanduser())
            except OSError as error:
                raise UsageError(f"cannot write into {args.out}: {error.strerror or error}") from None
            for path in written:
                print(path)
        elif args.format == "json":
            sys.stdout.write(out.statements_json(found, chosen))
        elif args.format == "csv":
            sys.stdout.write(out.statements_csv(found, chosen))
        else:
            sys.stdout.write(out.statements_table(found, chosen))
    return 0
