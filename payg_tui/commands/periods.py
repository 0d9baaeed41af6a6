"""`payg-tui periods`: the cached billing periods with status and totals."""

from __future__ import annotations

import argparse

HELP = "list the cached billing periods with status and totals"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from payg_tui.commands.report import open_books
    from payg_tui.engine.model import slot_iso
    from payg_tui.engine.text import printable
    from payg_tui.service import formats

    with open_books(args.demo) as books:
        summaries = books.periods()
        warning = books.future_warning()
        if warning is not None:
            print(f"payg-tui: warning: {warning}", file=sys.stderr)
        provider = books.provider
        assert provider is not None
        as_of = books.as_of()
        if args.format == "json":
            obj = formats.periods_object(summaries, provider.currency, provider.currency_exponent,
                                         None if as_of is None else slot_iso(as_of))
            sys.stdout.write(json.dumps(obj, indent=1) + "\n")
        else:
            sys.stdout.write(f"{printable(provider.name)} · {provider.currency} · "
                             f"{provider.timezone} · {_freshness(books)}\n\n")
            sys.stdout.write(formats.periods_table(summaries, provider.currency,
                                                   provider.currency_exponent))
    return 0


def _freshness(books: object) -> str:
    from payg_tui.service.books import Books

    assert isinstance(books, Books)
    source = {"demo": "demo data", "cache": "from the cache", "live": "live"}[books.source]
    age = books.age_text()
    return f"{source}, {age}" if age else source
