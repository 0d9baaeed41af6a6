"""`payg-tui import FILE`: load a JSON dump into the cache, validated like `sync`."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "load a JSON dump {provider, products, snapshots} into the cache"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the dump (the API's own shapes, see api.md)")


def run(args: argparse.Namespace) -> int:
    from payg_tui.service.importing import import_dump

    summary = import_dump(args.file, demo=args.demo)
    print(summary)  # the result on stdout, like sync's: errors alone go to stderr (docs/sync.md)
    return 0
