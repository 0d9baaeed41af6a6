"""`payg-tui alerts`: what needs a decision now (alerts.md), for cron, a timer or a webhook.

Exit 0: nothing to say (and nothing printed, so cron mails nothing); 1: at
least one alert; 2 usage; 3 the webhook could not be reached (the alerts are
printed all the same); 5 cache error.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "grace deadlines, a stopped sync or collector, the budget: what needs a decision now"
EXIT_ALERTS = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--now", metavar="ISO",
                        help="check as if it were this UTC time (default: the clock)")
    parser.add_argument("--within", type=_hours, metavar="HOURS",
                        help="announce grace deadlines this many hours ahead (default: the "
                             "config's alerts.within, else 12)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--webhook", metavar="URL",
                        help="also POST the alerts there (default: the config's alerts.webhook)")
    parser.add_argument("--install-timer", action="store_true",
                        help="install a systemd user timer that checks every hour, and print "
                             "the equivalent crontab line")
    parser.add_argument("--systemd-dir", metavar="DIR", type=Path,
                        help="where --install-timer writes the units (default: "
                             "$XDG_CONFIG_HOME/systemd/user or ~/.config/systemd/user)")


def _hours(text: str) -> int:
    from payg_tui.config import MAX_HOURS

    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_HOURS:
        # argparse turns this into one usage line (exit 2)
        raise argparse.ArgumentTypeError(f"--within must be a whole number of hours from 1 to "
                                         f"{MAX_HOURS}, got {text!r:.40}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    import sys
    from datetime import UTC, datetime

    from payg_tui import config
    from payg_tui.commands.report import open_books
    from payg_tui.errors import UsageError
    from payg_tui.service import alerts

    if args.install_timer:
        return _install_timer(args)
    now = alerts.parse_now(args.now) if args.now else datetime.now(UTC)
    # The demo never reads the user's config: its settings are the defaults.
    settings = config.Config() if args.demo else config.load_config()
    if args.webhook == "":  # `--webhook "$URL"` with URL unset: say so, not post elsewhere
        raise UsageError("--webhook is empty: give a URL or leave the option out")
    webhook = config.check_webhook(args.webhook, "--webhook") if args.webhook else settings.alerts_webhook
    rules = alerts.rules_from(settings, args.within)
    with open_books(args.demo, now) as books:
        result = alerts.check(books, now, rules)
    sys.stdout.write(alerts.alerts_json(result) if args.format == "json" else alerts.alerts_text(result))
    sys.stdout.flush()
    if not result.alerts:
        if args.format == "text" and sys.stderr.isatty():
            print("no alerts", file=sys.stderr)
        return 0
    if webhook:
        alerts.deliver(result, webhook, settings)
    return EXIT_ALERTS


def _install_timer(args: argparse.Namespace) -> int:
    from payg_tui import schedule
    from payg_tui.errors import UsageError

    if args.demo or args.now:
        raise UsageError("--install-timer checks your own cache every hour at the time it runs: "
                         "leave out --demo and --now")
    if args.webhook:
        # The units and the crontab line are readable files: the URL's key would be in them.
        raise UsageError("--install-timer does not write the webhook URL into the timer: store it "
                         "with `payg-tui config set alerts.webhook -` (the timer reads the config)")
    extra = [*(("--within", str(args.within)) if args.within else ()),
             *(("--format", "json") if args.format == "json" else ())]
    job = schedule.HourlyJob(
        name="alerts", minute=10, args=("alerts", *extra),
        does="check grace deadlines, the collector and the budget",
        every="the alerts checked every hour, after the collector",
        mail_output=True, success_codes=(1,))
    installed = schedule.install(job, args.systemd_dir)
    schedule.print_instructions(job, installed, linger="keep checking while you are logged out")
    print("cron mails what it prints: nothing when there is nothing to say. Set alerts.webhook to "
          "also post them to a chat (`payg-tui config set alerts.webhook -`).")
    return 0
