"""How the dashboard writes things down: money, hours, local times, rules in words.

Everything here returns plain `str` or `rich.text.Text` built from plain
strings: untrusted text (account names, customer references, warnings) is
passed through `engine.text.printable` and wrapped in `Text(...)`, never parsed
as markup. No money is computed here; amounts are only formatted.
"""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text

from payg_tui.engine.clock import local_hour, local_time
from payg_tui.engine.model import Line, Product, Provider, Slot
from payg_tui.engine.text import printable
from payg_tui.service.formats import money

UNPRICED = "unpriced"


def plain(value: str | None, width: int | None = None) -> Text:
    """Untrusted text as literal, printable `Text` (no markup, no escapes)."""
    return Text(printable(value, width), no_wrap=True, overflow="ellipsis")


def amount(value: Decimal | None, exponent: int) -> str:
    shown = money(value, exponent)
    return UNPRICED if shown is None else shown


def signed(value: Decimal, exponent: int) -> str:
    text = f"{value:.{exponent}f}"
    return text if value < 0 else "+" + text


when = local_hour  # `2026-11-28 14:00` in the provider's time zone, as the CLI's tables write it


def when_short(slot: Slot, timezone: str) -> str:
    """`28 Nov 14:00`: deadlines and stays, in the provider's time zone."""
    moment = local_time(slot, timezone)
    return f"{moment.day} {moment:%b %H:%M}"


def zone_abbr(slot: Slot, timezone: str) -> str:
    return local_time(slot, timezone).strftime("%Z") or timezone


def coverage(observed: int, total: int) -> str:
    return f"{observed}/{total}"


def rule(line: Line, timezone: str) -> str:
    """The billing rule that applied to a line, in the reseller's words (billing.md 3)."""
    life = line.lifetime
    hours = life.hours
    if line.state == "exempt":
        return f"free: deleted after {hours} h, under 48 h"
    if line.state == "pending":
        deadline = when_short(life.grace_deadline, timezone)
        return f"pending: {hours} h so far; delete before {deadline} to pay nothing"
    if life.pre_existing:
        return "pre-existing: present since the first snapshot, billed"
    verb = "has existed" if life.ongoing else "existed"
    return f"billed from its first hour: it {verb} {hours} h, 48 h or more"


def why_not_billed(line: Line, timezone: str, exponent: int) -> str:
    """The short reason shown in the Not billed tab."""
    if line.state == "exempt":
        return f"deleted after {line.lifetime.hours} h, under 48 h: free"
    deadline = when_short(line.lifetime.grace_deadline, timezone)
    return f"delete before {deadline} to pay nothing"


def rate(product: Product | None, line: Line, exponent: int) -> str:
    """The monthly price in force over the line: `9.95/mo`, or `9.95→10.95/mo` if it changed."""
    if product is None or not product.prices:
        return "no price"
    shown: list[str] = []
    for version in product.prices:
        if version.effective_from < line.end:
            text = f"{version.monthly:.{exponent}f}"
            if version.effective_from <= line.start:
                shown = [text]
            elif not shown or shown[-1] != text:
                shown.append(text)
    return ("→".join(shown) + "/mo") if shown else "no price"


def source_label(source: str, online: str) -> str:
    """The header's data source: live API, cache only (offline) or demo."""
    if source == "demo":
        return "demo data"
    return {
        "live": "live API",
        "syncing": "cache, syncing…",
        "offline": "cache only, offline",
        "no-api": "cache only (no API set)",
    }.get(online, "cache")


def provider_line(provider: Provider | None) -> Text:
    if provider is None:
        return Text("no data yet")
    return Text.assemble(plain(provider.name, 40), f" · {provider.currency} · {provider.timezone}")
