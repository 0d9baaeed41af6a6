"""Argument parsing only: each command lives in `payg_tui.commands.<module>`.

A command module exposes `HELP`, `add_arguments(parser)` and `run(args) -> int`
and imports anything heavy (httpx, textual, sqlite) inside `run`, so that a
quick command such as `report` does not pay for the others at start-up.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from payg_tui.errors import UserError

COMMANDS = {
    "import": "importing",
    "periods": "periods",
    "report": "report",
    "sync": "sync",
    "config": "config",
    "sandbox": "sandbox",
    "collect": "collect",
    "prices": "prices",
}


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = False if top else argparse.SUPPRESS
    parser.add_argument("--demo", action="store_true", default=default,
                        help="use the built-in demo data (no network, no config)")
    parser.add_argument("--debug", action="store_true", default=default,
                        help="show tracebacks for errors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="payg-tui",
        description="See, check and forecast your pay-as-you-use hosting bill.",
    )
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f"payg_tui.commands.{module_name}")
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        _common(command, top=False)
        module.add_arguments(command)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from payg_tui.ui.app import run_dashboard

            return run_dashboard(demo=args.demo)
        return int(args.handler(args))
    except UserError as error:
        if args.debug:
            raise
        print(f"payg-tui: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("payg-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
