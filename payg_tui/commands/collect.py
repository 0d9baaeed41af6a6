"""`payg-tui collect --provider combell`: store this hour's snapshot.

Also `--install-timer`, which sets up the hourly run (systemd user timer,
with the equivalent crontab line printed). See docs/combell.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from payg_tui.providers.combell.auth import Credentials
    from payg_tui.providers.combell.collector import Progress

HELP = "take this hour's snapshot from a provider without usage history (Combell)"
PROVIDERS = ("combell",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", choices=PROVIDERS, default="combell",
                        help="where to collect from (default: combell)")
    parser.add_argument("--api-url", metavar="URL",
                        help="override the Combell API base URL (default: the config's "
                             "combell.url, else https://api.combell.com)")
    parser.add_argument("--workers", type=int, default=4, metavar="N",
                        help="concurrent requests (default 4); the rate limit paces them")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--install-timer", action="store_true",
                        help="install a systemd user timer that collects every hour, and print "
                             "the equivalent crontab line")
    parser.add_argument("--systemd-dir", metavar="DIR", type=Path,
                        help="where --install-timer writes the units (default: "
                             "$XDG_CONFIG_HOME/systemd/user or ~/.config/systemd/user)")


def run(args: argparse.Namespace) -> int:
    from payg_tui.errors import UsageError

    if args.install_timer:
        return _install_timer(args)
    if args.workers < 1 or args.workers > 32:
        raise UsageError("--workers must be 1 to 32")
    credentials, url = _settings(args.api_url)
    show = ProgressLines(sys.stderr, quiet=args.quiet)
    from payg_tui.service.collecting import collect_and_store

    outcome = collect_and_store(credentials, url, workers=args.workers, progress=show)
    for warning in outcome.warnings:
        print(f"payg-tui: warning: {warning}", file=sys.stderr)
    from payg_tui.engine.model import slot_iso

    c = outcome.collection
    snap = c.snapshot
    verb = "replaced" if outcome.replaced else "stored"
    print(f"{verb} the Combell snapshot for {slot_iso(snap.slot)}: {len(snap.packs)} accounts, "
          f"{len(snap.addons)} add-ons ({c.requests} requests, {_duration(c.elapsed)})")
    return 0


def _settings(api_url: str | None) -> tuple[Credentials, str]:
    from payg_tui.config import check_url, load_config
    from payg_tui.errors import UsageError
    from payg_tui.providers.combell.auth import Credentials
    from payg_tui.providers.combell.client import DEFAULT_URL

    config = load_config()
    if not config.combell_key or not config.combell_secret:
        raise UsageError(
            "no Combell API key and secret: run `payg-tui config set combell.key -` and "
            "`payg-tui config set combell.secret -` (each reads stdin), or set "
            "PAYG_COMBELL_KEY and PAYG_COMBELL_SECRET")
    url = check_url(api_url, "--api-url") if api_url else (config.combell_url or DEFAULT_URL)
    return Credentials(config.combell_key, config.combell_secret), url


class ProgressLines:
    """Progress on stderr: one plain line per report, for terminals and logs alike."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet

    def __call__(self, progress: Progress) -> None:
        if progress.note:
            print(f"payg-tui: warning: {progress.note}", file=self.stream, flush=True)
            return
        if self.quiet:
            return
        total = "?" if progress.accounts_total is None else str(progress.accounts_total)
        eta = "" if progress.eta is None else f", ~{_duration(progress.eta)} left"
        print(f"collect: {progress.accounts_done}/{total} accounts, {progress.requests} "
              f"requests, {_duration(progress.elapsed)}{eta}", file=self.stream, flush=True)


def _duration(seconds: float) -> str:
    whole = max(round(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    return f"{whole // 60}m{whole % 60:02d}s"


def _install_timer(args: argparse.Namespace) -> int:
    from payg_tui import schedule
    from payg_tui.config import check_url, load_config

    api_url = check_url(args.api_url, "--api-url") if args.api_url else None
    job = schedule.HourlyJob(
        name="collect", minute=1,
        args=("collect", "--provider", "combell", *(("--api-url", api_url) if api_url else ())),
        does="take this hour's Combell snapshot", every="a Combell snapshot every hour")
    installed = schedule.install(job, args.systemd_dir)
    schedule.print_instructions(job, installed, linger="keep collecting while you are logged out")
    config = load_config(apply_env=False)
    if not config.combell_key or not config.combell_secret:
        print("payg-tui: warning: the timer reads the Combell key and secret from the config "
              "file, which has none yet: run `payg-tui config set combell.key -` and "
              "`payg-tui config set combell.secret -`", file=sys.stderr)
    return 0
