"""`payg-tui collect --provider combell`: store this hour's snapshot.

Also `--install-timer`, which sets up the hourly run (systemd user timer,
with the equivalent crontab line printed). See docs/combell.md.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from payg_tui.engine.model import Product, Provider
    from payg_tui.providers.combell.auth import Credentials
    from payg_tui.providers.combell.client import CombellClient
    from payg_tui.providers.combell.collector import Collection, Progress

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


@dataclass(frozen=True, slots=True)
class Outcome:
    collection: Collection
    stored: bool
    replaced: bool  # this hour had a snapshot already, now replaced
    warnings: list[str]


def run(args: argparse.Namespace) -> int:
    from payg_tui.errors import UsageError

    if args.install_timer:
        return _install_timer(args)
    if args.workers < 1 or args.workers > 32:
        raise UsageError("--workers must be 1 to 32")
    credentials, url = _settings(args.api_url)
    show = ProgressLines(sys.stderr, quiet=args.quiet)
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


def collect_and_store(
    credentials: Credentials,
    url: str,
    *,
    cache: Path | None = None,
    prices: Path | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    workers: int = 4,
    page_size: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    client: CombellClient | None = None,
) -> Outcome:
    """Collect one image and store it with the price list, all or nothing.

    `client` lets a caller keep one connection over many runs (tests, the
    benchmark); by default each run opens its own.
    """
    from payg_tui import locations
    from payg_tui.providers.combell.client import CombellClient
    from payg_tui.providers.combell.collector import PAGE_SIZE, collect
    from payg_tui.providers.combell.prices import PriceList, PriceListError, load_price_list
    from payg_tui.store.cache import Store

    cache = cache or locations.cache_path()
    prices = prices or locations.prices_path()
    warnings: list[str] = []
    price_list: PriceList | None
    try:
        price_list = load_price_list(prices)
    except PriceListError as error:
        # The hour cannot be collected later; prices can be fixed later.
        price_list = None
        warnings.append(f"{error.message}; the snapshot is stored, its lines stay unpriced "
                        "until the price list is fixed")
    else:
        warnings.extend(price_list.warnings)

    own_client = client is None
    if client is None:
        client = CombellClient(credentials, url, clock=clock, sleep=sleep, connections=workers)
    with _single_run(cache), contextlib.ExitStack() as closing:
        if own_client:
            closing.callback(client.close)
        collection = collect(client, clock, workers=workers,
                             page_size=page_size or PAGE_SIZE, progress=progress)
        if collection.late:
            warnings.append("the snapshot finished after the end of its hour (the rate limit "
                            "does not let this many accounts fit in one hour); it is stored "
                            "for the hour it started")
        with Store.open(cache) as store:
            provider, products = _catalogue(store.provider(), store.products(), price_list,
                                            collection)
            result = store.add_snapshots([collection.snapshot], provider=provider,
                                         products=products)
    return Outcome(collection=collection, stored=True, replaced=result.hours_replaced > 0,
                   warnings=warnings)


def _catalogue(stored_provider: Provider | None, stored: dict[str, Product],
               price_list: object, collection: Collection
               ) -> tuple[Provider | None, dict[str, Product]]:
    """What to store as provider and products so the cache mirrors prices.toml.

    Products of the snapshot that the price list lacks are stored with their
    Combell name and no price (unpriced lines, never a zero); Combell products
    stored earlier but since removed from the price list lose their prices.
    """
    from payg_tui.engine.model import Product, Provider
    from payg_tui.providers.combell.prices import DEFAULT_TIMEZONE, PriceList

    products: dict[str, Product] = {}
    if isinstance(price_list, PriceList):
        provider: Provider | None = price_list.provider
        products.update(price_list.products)
        for code, product in stored.items():
            if code.startswith(("pack:", "addon:")) and code not in products:
                products[code] = Product(code, product.kind, product.name, ())
    else:
        provider = None if stored_provider else Provider("Combell", "EUR", 2, DEFAULT_TIMEZONE)
    for code, name in collection.pack_names.items():
        if code not in products and code not in stored:
            products[code] = Product(code, "service_pack", name, ())
    for code, name in collection.addon_names.items():
        if code not in products and code not in stored:
            products[code] = Product(code, "addon", name, ())
    return provider, products


@contextlib.contextmanager
def _single_run(cache: Path) -> Iterator[None]:
    """Refuse to collect while another `collect` on this cache is still running."""
    import fcntl

    from payg_tui.errors import CacheError

    cache.parent.mkdir(parents=True, exist_ok=True)
    lock_path = cache.with_name(cache.name + ".collect.lock")
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise CacheError(
                f"another `payg-tui collect` is still running on {cache}; this run stops "
                "(its hour will show as a missing hour)") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


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
