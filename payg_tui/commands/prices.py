"""`payg-tui prices init|check|path`: the reseller's Combell price list."""

from __future__ import annotations

import argparse
import sys

HELP = "start or check the Combell price list (prices.toml)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    init = actions.add_parser("init", help="write a commented prices.toml listing the service "
                                           "packs the Combell API returns")
    init.add_argument("--api-url", metavar="URL", help="override the Combell API base URL")
    init.add_argument("--currency", default=None, metavar="CODE",
                      help="currency of your Combell bill (default EUR)")
    init.add_argument("--timezone", default=None, metavar="ZONE",
                      help="billing time zone (default Europe/Brussels)")
    init.add_argument("--force", action="store_true", help="overwrite an existing prices.toml")
    actions.add_parser("check", help="validate prices.toml and list what is unpriced")
    actions.add_parser("path", help="print where prices.toml lives")


def run(args: argparse.Namespace) -> int:
    from payg_tui import locations

    action = args.action or "check"
    path = locations.prices_path()
    if action == "path":
        print(path)
        return 0
    if action == "init":
        return _init(args, path)
    return _check(path)


def _init(args: argparse.Namespace, path: object) -> int:
    import os
    import re
    from pathlib import Path

    from payg_tui.commands.collect import _settings
    from payg_tui.engine import clock
    from payg_tui.engine.model import BillingError
    from payg_tui.errors import UsageError
    from payg_tui.providers.combell import prices
    from payg_tui.providers.combell.client import CombellClient
    from payg_tui.providers.combell.collector import servicepack_ids

    assert isinstance(path, Path)
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists already; edit it, or pass --force to start over")
    currency = args.currency or prices.DEFAULT_CURRENCY
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise UsageError(f"--currency must be an ISO 4217 code such as EUR, got {currency!r:.20}")
    zone = args.timezone or prices.DEFAULT_TIMEZONE
    try:
        clock.zone(zone)
    except BillingError:
        raise UsageError(f"--timezone: unknown time zone {zone!r:.60}") from None
    credentials, url = _settings(args.api_url)
    with CombellClient(credentials, url) as client:
        body, _ = client.get("/v2/servicepacks")
    packs = servicepack_ids(body)
    text = prices.render_template(packs, currency=currency, timezone=zone)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
    print(f"wrote {path} with {len(packs)} service packs, all unpriced for now: "
          "add their monthly prices, then run `payg-tui prices check`")
    return 0


def _check(path: object) -> int:
    from pathlib import Path

    from payg_tui.engine.model import slot_iso
    from payg_tui.providers.combell.prices import load_price_list

    assert isinstance(path, Path)
    price_list = load_price_list(path)  # raises a one-line UsageError when wrong
    p = price_list.provider
    print(f"{path}: {p.name}, {p.currency} ({p.currency_exponent} decimals), "
          f"billing zone {p.timezone}")
    for product in price_list.products.values():
        if product.prices:
            latest = product.prices[-1]
            print(f"  {product.code}  {product.name}: {latest.monthly} {p.currency}/month "
                  f"from {slot_iso(latest.effective_from)}"
                  + (f" ({len(product.prices)} prices)" if len(product.prices) > 1 else ""))
    for warning in price_list.warnings:
        print(f"payg-tui: warning: {warning}", file=sys.stderr)
    priced = sum(1 for product in price_list.products.values() if product.prices)
    print(f"ok: {priced} of {len(price_list.products)} products priced")
    return 0
