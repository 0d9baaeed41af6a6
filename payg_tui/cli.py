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
from typing import NoReturn

from payg_tui.errors import UsageError, UserError

# Commands that can run on the built-in demo data; the others touch only the
# user's own config or provider and refuse `--demo` rather than ignore it.
DEMO_READY = {None, "import", "periods", "report", "statements", "sync", "sandbox", "alerts"}

COMMANDS = {
    "import": "importing",
    "periods": "periods",
    "report": "report",
    "statements": "statements",
    "sync": "sync",
    "config": "config",
    "sandbox": "sandbox",
    "collect": "collect",
    "prices": "prices",
    "alerts": "alerts",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line like every other error (cli.md)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"payg-tui: {_one_line(message)} (see `{self.prog} --help`)\n")


def _one_line(message: str) -> str:
    """The message with any control character (a newline or ESC from a file name, a
    name, an SQLite message) shown escaped, so that it stays one harmless line."""
    if message.isprintable():
        return message
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in message)


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = False if top else argparse.SUPPRESS
    parser.add_argument("--demo", action="store_true", default=default,
                        help="use the built-in demo data (no network, no config)")
    parser.add_argument("--debug", action="store_true", default=default,
                        help="show tracebacks for errors")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
        if args.demo and args.command not in DEMO_READY:
            raise UsageError(f"--demo does not apply to `{args.command}`: demo mode never reads or "
                             "writes your config, prices or provider")
        _warn_if_secrets_exposed(args)
        if args.command is None:
            from payg_tui.ui.app import run_dashboard

            return run_dashboard(demo=args.demo)
        return int(args.handler(args))
    except UserError as error:
        if args.debug:
            raise
        for line in error.lines:
            print(f"payg-tui: {_one_line(line)}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("payg-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


# Commands that read the config file (and so its secrets); `config set` and
# `config unset` rewrite it readable by its owner only, and say so instead.
_READS_CONFIG = {None, "sync", "config", "collect", "alerts", "prices", "import"}


def _warn_if_secrets_exposed(args: argparse.Namespace) -> None:
    if args.demo or args.command not in _READS_CONFIG:
        return
    from payg_tui.config import exposure

    warning = exposure()
    if warning is None:
        return
    if args.command == "config" and getattr(args, "action", None) in ("set", "unset"):
        print(f"payg-tui: note: {warning.split(' holds ')[0]} was readable by other users; "
              "it is rewritten readable by you only", file=sys.stderr)
        return
    print(f"payg-tui: warning: {_one_line(warning)}", file=sys.stderr)


def entry() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
