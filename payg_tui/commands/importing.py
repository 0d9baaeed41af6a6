"""`payg-tui import FILE`: load a JSON dump into the cache, validated like `sync`."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "load a JSON dump {provider, products, snapshots} into the cache"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the dump (the API's own shapes, see api.md)")
    parser.add_argument("--replace", action="store_true",
                        help="start the cache afresh with this dump (data of another provider); "
                             "the old cache is kept beside it as a backup")


def run(args: argparse.Namespace) -> int:
    from payg_tui.config import load_config
    from payg_tui.service.importing import MB, import_dump

    limit = load_config().import_max_file_mb * MB
    summary = import_dump(args.file, demo=args.demo, replace=args.replace, max_bytes=limit)
    print(summary)  # the result on stdout, like sync's: errors alone go to stderr (docs/sync.md)
    return 0
