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
    setter.add_argument("value", metavar="VALUE", nargs="?",
                        help="the value; for a secret (api.token), leave it out to be asked for it "
                             "(or to read it from stdin), so it stays out of the shell history and "
                             "`ps`; '-' reads any value from stdin")
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
        value = _value(args.key, args.value)
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


def _value(key: str, given: str | None) -> str:
    """The value to set: as given, or read from stdin (`-`, or a secret left out)."""
    from payg_tui import config
    from payg_tui.errors import UsageError

    if given is not None and given != "-":
        return given
    if given is None and key not in config.SECRET_KEYS:
        if key not in config.KNOWN_KEYS:
            config.validate(key, "")  # says which keys there are
        raise UsageError(f"give a value for {key}: `payg-tui config set {key} VALUE`")
    if given is None and sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"{key} (not shown): ")
    return sys.stdin.readline().rstrip("\r\n")
