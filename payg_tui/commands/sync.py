"""`payg-tui sync`: fetch what is new from the API into the cache."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from payg_tui.service.sync import SyncProgress, SyncSummary

HELP = "fetch products and new snapshots from the API into the cache"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="WHEN",
                        help="first hour to fetch when the cache is empty or older: a date "
                             "(2026-10-01, local midnight of the provider) or a UTC hour "
                             "(2026-10-01T05:00:00Z); default: the start of the previous month "
                             "less 48 hours")
    parser.add_argument("--until", metavar="WHEN",
                        help="stop before this date or UTC hour (default: up to now)")
    parser.add_argument("--api-url", metavar="URL", help="override the configured API URL")
    parser.add_argument("--token", metavar="T",
                        help="override the configured API token (prefer PAYG_API_TOKEN: "
                             "arguments are visible to other users)")
    parser.add_argument("--progress", choices=("auto", "json"), default="auto",
                        help="auto: a bar on a terminal, nothing but the result otherwise (for "
                             "cron); json: one JSON object a line on stdout (progress, then the "
                             "summary), for programs")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="off a terminal too, say what is happening: progress every few "
                             "seconds and each failed request that is tried again")
    # For the dashboard, which runs its syncs as this command in a child process.
    parser.add_argument("--cache-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--connect-timeout", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--read-timeout", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--request-timeout", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--max-page-mb", type=float, help=argparse.SUPPRESS)


def _given(args: argparse.Namespace) -> None:
    """An option given empty (`--api-url "$URL"` with URL unset) is a mistake to say, not
    a request for the default: it would sync from the configured API instead."""
    from payg_tui.errors import UsageError

    for option in ("since", "until", "api_url", "token"):
        if getattr(args, option) == "":
            raise UsageError(f"--{option.replace('_', '-')} is empty: give a value or leave the option out")


def run(args: argparse.Namespace) -> int:
    from payg_tui import locations
    from payg_tui.config import check_token, check_url, load_config
    from payg_tui.errors import UsageError
    from payg_tui.service.sync import ApiAccess, SyncInterrupted, check_order, parse_when, sync_cache

    _given(args)
    since = parse_when(args.since, "--since") if args.since else None
    until = parse_when(args.until, "--until") if args.until else None
    check_order(since, until)
    config = load_config()
    url = check_url(args.api_url, "--api-url") if args.api_url else config.api_url
    token = check_token(args.token, "--token") if args.token else config.api_token
    if not url:
        raise UsageError("no API URL: run `payg-tui config set api.url URL`, "
                         "set PAYG_API_URL or pass --api-url")
    if not token:
        raise UsageError("no API token: run `payg-tui config set api.token -` (reads stdin), "
                         "set PAYG_API_TOKEN or pass --token")

    from payg_tui.service.sync_child import JsonProgress

    display: ProgressDisplay | JsonProgress = (
        JsonProgress(sys.stdout) if args.progress == "json"
        else ProgressDisplay(sys.stderr, verbose=args.verbose))
    api = ApiAccess(
        url, token, connect_timeout=args.connect_timeout or config.connect_timeout,
        read_timeout=args.read_timeout or config.read_timeout,
        request_timeout=args.request_timeout or config.request_timeout,
        max_page_bytes=int((args.max_page_mb or config.max_page_mb) * (1 << 20)), quick=args.quick)
    try:
        summary = sync_cache(args.cache_file or locations.cache_path(), api, since=since, until=until,
                             progress=display.update)
    except SyncInterrupted as stop:
        display.finish()
        from payg_tui.engine.model import slot_iso

        where = (f"the cache holds hours up to {slot_iso(stop.latest)}" if stop.latest is not None
                 else "nothing was stored")
        print(f"payg-tui: interrupted; {where}; run `payg-tui sync` again to go on", file=sys.stderr)
        return 130
    finally:
        display.finish()
    if isinstance(display, JsonProgress):
        display.summary(summary)
    else:
        print(summary_text(summary))
    return 0


def summary_text(summary: SyncSummary) -> str:
    from payg_tui.service.sync import describe_range

    parts = [f"{summary.hours_added} hour{'s' if summary.hours_added != 1 else ''} added "
             f"({describe_range(summary)})"]
    parts.append(f"{summary.missing_hours} missing hour{'s' if summary.missing_hours != 1 else ''}")
    parts.append("periods touched: " + (", ".join(summary.periods) or "none"))
    return f"synced in {summary.elapsed:.1f} s: " + "; ".join(parts)


class ProgressDisplay:
    """A one-line bar on a terminal; off a terminal nothing, or with `verbose`
    a plain line every few seconds and one for each request tried again.

    So a sync run from cron prints only its result (stdout) or its one error
    line (stderr), and mails nothing about a hiccup it got over.
    """

    WIDTH = 28

    def __init__(self, stream: TextIO, *, verbose: bool = False) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.verbose = verbose
        self._last_line = time.monotonic()  # a plain line only after 5 s of work
        self._drawn = False
        self._last: SyncProgress | None = None

    def update(self, progress: SyncProgress) -> None:
        self._last = progress
        if self.tty:
            self._draw(progress)
            return
        now = time.monotonic()
        if progress.stage == "done" or not self.verbose:
            return  # the summary on stdout says it
        if progress.retry or now - self._last_line >= 5.0:
            self._last_line = now
            self.stream.write(self._plain(progress) + "\n")
            self.stream.flush()

    def _plain(self, p: SyncProgress) -> str:
        if p.retry:
            return f"sync: {p.retry}"
        if p.stage in ("provider", "products"):
            return f"sync: fetching {p.stage}"
        return (f"sync: {p.hours_done}/{p.hours_total} hours, {p.hours_added} added, "
                f"{p.rate:.0f} h/s{_eta(p)}")

    def _draw(self, p: SyncProgress) -> None:
        if p.stage in ("provider", "products") and not p.retry:
            line = f"fetching {p.stage}…"
        else:
            share = p.hours_done / p.hours_total if p.hours_total else 1.0
            filled = int(share * self.WIDTH)
            bar = "█" * filled + "░" * (self.WIDTH - filled)
            line = (f"{bar} {p.hours_done}/{p.hours_total} h  {p.rate:.0f} h/s{_eta(p)}")
            if p.retry:
                line += f"  ({p.retry})"
        self.stream.write("\r\x1b[2K" + line[:200])
        self.stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def _eta(p: SyncProgress) -> str:
    if p.stage == "done" or p.eta is None:
        return ""
    seconds = int(p.eta)
    return f"  ETA {seconds // 60}:{seconds % 60:02d}"
