"""Collecting from a provider without usage history (Combell): one hour's image into the cache.

The use-case behind `payg-tui collect`: fetch the image (`providers/combell`),
read the price list, and store both in one transaction, refusing to run
twice at once on one cache. See docs/combell.md.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payg_tui.engine.model import Product, Provider
    from payg_tui.providers.combell.auth import Credentials
    from payg_tui.providers.combell.client import CombellClient
    from payg_tui.providers.combell.collector import Collection, Progress


@dataclass(frozen=True, slots=True)
class Outcome:
    collection: Collection
    stored: bool
    replaced: bool  # this hour had a snapshot already, now replaced
    warnings: list[str]


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
