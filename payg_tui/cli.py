"""Argument parsing only: each command lives in `payg_tui.commands.<module>`.

A command module exposes `HELP`, `add_arguments(parser)` and `run(args) -> int`
and imports anything heavy (httpx, textual, sqlite) inside `run`, so that a
quick command such as `report` does not pay for the others at start-up.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn, TextIO

from payg_tui.errors import OutputError, UsageError, UserError

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


class _Command(_Parser):
    """A command's parser. Its module is imported, and its arguments added, only when
    the command is parsed or its help shown: `payg-tui` alone (the dashboard) and every
    other command do not pay for the modules of all the commands."""

    def __init__(self, *args: Any, module_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.module_name = module_name
        self.help = ""
        self._loaded = False

    def load(self) -> _Command:
        if not self._loaded:
            self._loaded = True
            module = importlib.import_module(f"payg_tui.commands.{self.module_name}")
            self.help = self.description = module.HELP
            _common(self, top=False)
            module.add_arguments(self)
            self.set_defaults(handler=module.run)
        return self

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        return super(_Command, self.load()).parse_known_args(args, namespace)

    def format_help(self) -> str:
        return super(_Command, self.load()).format_help()

    def format_usage(self) -> str:
        return super(_Command, self.load()).format_usage()

    def add_subparsers(self, **kwargs: Any) -> Any:  # a command's own commands (config set ...)
        kwargs.setdefault("parser_class", _Parser)
        return super().add_subparsers(**kwargs)


class _Top(_Parser):
    """The `payg-tui` parser: its help lists every command with its own help line."""

    commands: list[tuple[argparse.Action, _Command]]

    def format_help(self) -> str:
        for choice, command in self.commands:
            choice.help = command.load().help
        return super().format_help()


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The `payg-tui` parser. Given the arguments, and they name no command and ask for
    no help (`payg-tui`, `payg-tui --demo`: the dashboard), it leaves out the commands'
    parsers, whose making is a good part of the parser's cost at start-up."""
    parser = _Top(
        prog="payg-tui",
        description="See, check and forecast your pay-as-you-use hosting bill.",
    )
    _common(parser, top=True)
    parser.set_defaults(command=None)
    parser.commands = []
    if argv is not None and all(arg.startswith("-") and arg not in ("-h", "--help") for arg in argv):
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Command)
    for name, module_name in COMMANDS.items():
        command = sub.add_parser(name, help="", module_name=module_name)
        parser.commands.append((sub._choices_actions[-1], command))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _usable_streams()
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(arguments).parse_args(arguments)
    try:
        if args.demo and args.command not in DEMO_READY:
            raise UsageError(f"--demo does not apply to `{args.command}`: demo mode never reads or "
                             "writes your config, prices or provider")
        _warn_if_secrets_exposed(args)
        if args.command is None:
            _need_terminal()
            from payg_tui.ui.app import run_dashboard

            return run_dashboard(demo=args.demo)
        sys.stdout = _Output(sys.stdout)
        code = int(args.handler(args))
        sys.stdout.flush()  # a full disk is told here, not by the interpreter's last flush
        return code
    except UserError as error:
        if args.debug:
            raise
        if isinstance(error, OutputError):
            _drop_output()
        for line in error.lines:
            print(f"payg-tui: {_one_line(line)}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("payg-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _drop_output()
        return 0
    finally:
        if isinstance(sys.stdout, _Output):
            sys.stdout = sys.stdout.stream


def _need_terminal() -> None:
    """The dashboard draws full screen and waits for keys: on a pipe, a file or cron it
    would write escape codes and never end."""
    if not all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout)):
        raise UsageError("the dashboard needs a terminal (its standard input and output are not "
                         "one); from a script use `payg-tui periods` or `payg-tui report PERIOD`")


def _usable_streams() -> None:
    """A closed stdout or stderr (`>&-`, as from some cron setups) is /dev/null, so that
    `sync` and `import` still do their work; and a character that the output's encoding
    lacks (LANG=C on an old system, PYTHONIOENCODING=ascii) is shown as `?`, as a
    control character is, instead of ending the command."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - for the process
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")


class _Output:
    """Standard output whose failed write (a full disk, an I/O error) is an `OutputError`:
    one line on stderr like every other error, not a traceback."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"cannot write to the standard output: {error.strerror}") from None

    def writelines(self, lines: Iterable[str]) -> None:  # a large report, streamed
        for text in lines:
            self.write(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"cannot write to the standard output: {error.strerror}") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _drop_output() -> None:
    """Point stdout at /dev/null so the interpreter's flush at exit does not fail again
    (what the Python docs advise for a closed pipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ is not None else 1)
    except (OSError, ValueError):
        pass


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
