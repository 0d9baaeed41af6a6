"""How the dashboard writes things down: money, hours, local times, rules in words.

Everything here returns plain `str` or `rich.text.Text` built from plain
strings: untrusted text (account names, customer references, warnings) is
passed through `engine.text.printable` and wrapped in `Text(...)`, never parsed
as markup. No money is computed here; amounts are only formatted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rich.text import Text

from payg_tui.engine.clock import local_hour, local_time
from payg_tui.engine.model import Product, Provider, Slot
from payg_tui.engine.text import printable
from payg_tui.service.formats import money

if TYPE_CHECKING:
    from payg_tui.engine.detail import Line, PeriodReport, PriceChange

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


TIME_CONVENTION = ("a line's \"to\" is the end of its last hour: a line still running ends one hour "
                   "after \"as of\", the start of the latest hourly image")


def starts(line: Line, timezone: str) -> str:
    """Why the line starts where it does (engine `Line.starts`), in words."""
    life = line.lifetime
    reason = line.starts
    if reason == "pack change":
        return (f"moved from {printable(line.moved_from, 30)} to {printable(line.product, 30)} "
                f"on {when_short(line.start, timezone)}")
    if reason == "period start":
        if life.pre_existing:
            return "there since the first snapshot, before this period"
        return f"there since {when_short(life.first, timezone)}, before this period"
    if reason == "pre-existing":
        return "pre-existing: there at the first snapshot, its real start unknown"
    return f"created {when_short(life.first, timezone)}"


def rule(line: Line, timezone: str) -> str:
    """The billing rule that applied to a line, in the reseller's words (billing.md 3, 4)."""
    life = line.lifetime
    hours = life.hours
    if line.state == "exempt":
        return f"free: deleted after {hours} h, under 48 h"
    start = starts(line, timezone)
    if line.state == "pending":
        deadline = when_short(line.deadline if line.deadline is not None else life.grace_deadline, timezone)
        return f"{start}; pending: {hours} h so far, delete before {deadline} to pay nothing"
    if life.pre_existing:
        # Older than the data: billed whatever its observed length (billing.md 3).
        if line.starts == "pack change":
            return f"{start}; billed: there since the first snapshot"
        return f"{start}; billed"
    verb = "has existed" if life.ongoing else "existed"
    return f"{start}; billed from its first hour: it {verb} {hours} h, 48 h or more"


def why_not_billed(line: Line, timezone: str, exponent: int) -> str:
    """The short reason shown in the Not billed tab."""
    if line.state == "exempt" or line.deadline is None:
        return f"deleted after {line.lifetime.hours} h, under 48 h: free"
    return f"delete before {when_short(line.deadline, timezone)} to pay nothing"


def at_stake(line: Line) -> Decimal | None:
    """Not billed tab: what keeping a pending item costs to the period end (its estimate);
    for a free item, what it would have cost."""
    return line.would_cost if line.state == "exempt" else line.estimate


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


STATUS_WORDS = {
    "open": "open: the month is still running, so billed so far, pending and the estimate move every hour",
    "provisional": ("provisional: every hour of the month is in, but some items are still inside their "
                    "first 48 h: billed if they stay past their deadline, free if deleted before it"),
    "closed": "closed: every hour is in and nothing is pending: final",
}


def billed_label(status: str) -> str:
    """"billed so far" while the month runs; plain "billed" once it is fully observed."""
    return "billed so far" if status == "open" else "billed"


def estimate_note(report: PeriodReport) -> Text:
    """What the open month's estimate assumes, and the price changes inside the period (engine)."""
    tz, key = report.provider.timezone, report.period.key
    text = Text()
    if report.status == "open":
        text.append(f"estimate, if nothing changes: all in the {when_short(report.as_of, tz)} image kept "
                    f"to {when_short(report.period.end, tz)} at the prices then in force")
    else:
        text.append(f"{key} is fully observed: its total is billed + pending, nothing is extrapolated")
    if report.price_changes:
        text.append(" · price changes: ")
        for i, change in enumerate(report.price_changes):
            text.append(", " if i else "")
            text.append_text(price_change(change, report.provider.currency_exponent, tz))
    return text


def price_change(change: PriceChange, exponent: int, timezone: str) -> Text:
    """`pack-pro 13.01→14.01 from 22 Nov 10:00 (ahead)`: ahead of `as_of`, assumed by the estimate."""
    old = "none" if change.old is None else f"{change.old:.{exponent}f}"
    text = plain(change.product, 30)
    text.append(f" {old}→{change.new:.{exponent}f} from {when_short(change.effective_from, timezone)}")
    if change.after_as_of:
        text.append(" (ahead)")
    return text
