"""`payg-tui import FILE`: load a JSON dump into the cache, validated like `sync`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "load a JSON dump {provider, products, snapshots} into the cache"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the dump (the API's own shapes, see api.md)")


def run(args: argparse.Namespace) -> int:
    from payg_tui.service.importing import import_dump

    summary = import_dump(args.file, demo=args.demo)
    print(summary, file=sys.stderr if not sys.stdout.isatty() else sys.stdout)
    return 0
