"""`payg-tui config show|set|unset|path`: read and change config.toml."""

from __future__ import annotations

import argparse
import sys

HELP = "show or change the settings (API URL, token, timeouts)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("show", help="print the settings in force (secrets masked)")
    setter = actions.add_parser("set", help="store one setting in the config file")
    setter.add_argument("key", metavar="KEY", help="e.g. api.url, api.token, api.read_timeout")
    setter.add_argument("value", metavar="VALUE",
                        help="the value; '-' reads it from stdin (keeps a token out of "
                             "the shell history)")
    unsetter = actions.add_parser("unset", help="remove one setting from the config file")
    unsetter.add_argument("key", metavar="KEY")
    actions.add_parser("path", help="print where the config file lives")


def run(args: argparse.Namespace) -> int:
    from payg_tui import config, locations

    action = args.action or "show"
    if action == "path":
        print(locations.config_path())
        return 0
    if action == "show":
        current = config.load_config()
        print(f"# {current.path}")
        rows = config.describe(current)
        width = max(len(key) for key, _, _ in rows)
        for key, shown, source in rows:
            print(f"{key:<{width}}  {shown}  ({source})")
        return 0
    if action == "set":
        value = sys.stdin.readline().rstrip("\r\n") if args.value == "-" else args.value
        config.set_value(args.key, value)
        shown = config.shown(args.key, config.validate(args.key, value))
        print(f"{args.key} = {shown}  (saved to {locations.config_path()})")
        if args.key in config.load_config().overridden:
            print(f"payg-tui: note: the environment overrides {args.key} for now",
                  file=sys.stderr)
        return 0
    config.unset_value(args.key)
    print(f"{args.key} removed from {locations.config_path()}")
    return 0
