"""What needs the reseller's decision now (alerts.md): the five kinds of alert.

`find_alerts` reads the open period's report, the observed hours and the
clock, and returns the alerts most urgent first. It is pure: the service
fetches the report and the clock, the commands and the dashboard show the
result.

Order (docs/alerts.md): severity first (critical before warning), then the
time to act (the soonest grace deadline first; an alert with no deadline of
its own comes after every dated one of its severity), then the kind in the
order of `KINDS`, then the item id, so the same data always lists the same way.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from payg_tui.engine import clock
from payg_tui.engine.model import Line, PeriodReport, Slot, slot_iso, slot_time

AlertKind = Literal["stale", "budget", "deadline", "missing", "unpriced"]
Severity = Literal["critical", "warning"]
KINDS: tuple[AlertKind, ...] = ("stale", "budget", "deadline", "missing", "unpriced")
SEVERITIES: tuple[Severity, ...] = ("critical", "warning")
JsonValue = str | int | bool | None | list[dict[str, str]] | list[str]

MISSING_WINDOW = 24  # hours before the newest snapshot that `missing` looks at


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The `[alerts]` settings, validated (config.py) and typed."""

    within: int = 12  # hours ahead that a grace deadline is announced
    stale_after: int = 3  # hours without a new snapshot before `stale`
    budget: Decimal | None = None  # the month's budget, in the provider's currency
    warn_at: int = 80  # per cent of the budget that gives a warning


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing to act on. `fields` are the kind's own `payg-alerts/1` keys, in order."""

    kind: AlertKind
    severity: Severity
    message: str  # holds untrusted names: show it as text, never as markup
    act_by: Slot | None = None  # the hour by which acting still helps (a grace deadline)
    item: str = ""  # what it is about, for a stable order
    fields: tuple[tuple[str, JsonValue], ...] = field(default=())

    def sort_key(self) -> tuple[int, float, int, str]:
        act_by = float("inf") if self.act_by is None else float(self.act_by)
        return SEVERITIES.index(self.severity), act_by, KINDS.index(self.kind), self.item


def find_alerts(report: PeriodReport, observed: Sequence[tuple[Slot, Slot]], now: datetime,
                rules: AlertRules, earlier: PeriodReport | None = None) -> list[Alert]:
    """Every alert about the period of `report` (the one holding the newest snapshot).

    `observed` is the cache's runs of observed hours (inclusive pairs);
    `earlier` is the period before, when a pending item began there, so that
    what keeping it costs includes that month's share.
    """
    tz = report.provider.timezone
    found = [
        *stale_alerts(report.as_of, now, rules, tz),
        *budget_alerts(report, rules),
        *deadline_alerts(report, now, rules, earlier),
        *missing_alerts(observed, report.as_of, tz),
        *unpriced_alerts(report),
    ]
    return sorted(found, key=Alert.sort_key)


def local_time(slot: Slot, tz_name: str) -> str:
    """`3 Dec 08:00 CET`: an hour on the provider's clock, with the zone's abbreviation.

    Zones without a lettered abbreviation (tzdata writes `-03` for some) get
    their IANA name instead, so the reader always knows which clock it is.
    """
    local = clock.local_time(slot, tz_name)
    abbreviation = local.tzname() or ""
    name = abbreviation if abbreviation.isalpha() else tz_name
    return f"{local.day} {local:%b %H:%M} {name}"


def stale_alerts(as_of: Slot, now: datetime, rules: AlertRules, tz: str) -> list[Alert]:
    """`stale`: the newest image is more than `stale_after` hours older than `now`."""
    age = now - slot_time(as_of)
    if age <= timedelta(hours=rules.stale_after):
        return []
    hours = int(age.total_seconds() // 3600)
    message = (f"no new snapshot since {local_time(as_of, tz)} ({hours} h ago): sync or the "
               "collector has stopped, and the hours since are not being recorded")
    return [Alert("stale", "critical", message, fields=(("as_of", slot_iso(as_of)), ("hours", hours)))]


def budget_alerts(report: PeriodReport, rules: AlertRules) -> list[Alert]:
    """`budget`: the month's estimate is over the budget (critical) or over `warn_at` of it."""
    budget = rules.budget
    if budget is None:
        return []
    estimate = report.totals.estimate
    threshold = budget * rules.warn_at / 100
    if estimate <= threshold:
        return []
    exp = report.provider.currency_exponent
    cur = report.provider.currency
    at_least = "at least " if report.totals.incomplete else ""
    shown = f"{at_least}{estimate:.{exp}f} {cur}"
    if estimate > budget:
        severity: Severity = "critical"
        message = (f"the estimate for {report.period.key} ({shown}) is over the budget of "
                   f"{budget:.{exp}f} {cur}")
    else:
        severity = "warning"
        share = (estimate * 100 / budget).to_integral_value(ROUND_FLOOR)
        message = (f"the estimate for {report.period.key} ({shown}) is {share} % of the budget of "
                   f"{budget:.{exp}f} {cur} (warning from {rules.warn_at} %)")
    return [Alert("budget", severity, message, fields=(
        ("period", report.period.key), ("estimate", f"{estimate:.{exp}f}"),
        ("budget", f"{budget:.{exp}f}"), ("warn_at", rules.warn_at),
        ("incomplete", report.totals.incomplete)))]


@dataclass(slots=True)
class _Pending:
    """One pending item: its lines in the period (and the month before), added up."""

    line: Line  # its line in the open period
    deadline: Slot
    cost: Decimal | None  # None as soon as one of its lines is unpriced


def _pending_items(report: PeriodReport, earlier: PeriodReport | None) -> list[_Pending]:
    items: dict[tuple[str, str, Slot], _Pending] = {}
    for line in report.lines:
        deadline = line.deadline  # billing.md 1.1: first + 47 h, pending lines only
        if deadline is not None:
            key = (line.kind, line.id, line.lifetime.first)
            known = items.get(key)
            if known is None:
                items[key] = _Pending(line, deadline, line.estimate)
            else:
                known.cost = _add(known.cost, line.estimate)
    for line in earlier.lines if earlier is not None else ():
        known = items.get((line.kind, line.id, line.lifetime.first))
        if known is not None and line.state == "pending":
            known.cost = _add(known.cost, line.estimate)
    return list(items.values())


def _add(total: Decimal | None, amount: Decimal | None) -> Decimal | None:
    return None if total is None or amount is None else total + amount


def deadline_alerts(report: PeriodReport, now: datetime, rules: AlertRules,
                    earlier: PeriodReport | None = None) -> list[Alert]:
    """`deadline`: a pending item whose grace deadline is after `now`, at most `within` hours away.

    One alert per item, however many lines (pack changes, two months) its
    grace window spans: deleting the item is the one decision, and keeping it
    bills all of them.
    """
    tz = report.provider.timezone
    exp = report.provider.currency_exponent
    cur = report.provider.currency
    latest = now + timedelta(hours=rules.within)
    alerts = []
    for pending in _pending_items(report, earlier):
        if not now < slot_time(pending.deadline) <= latest:
            continue
        line = pending.line
        cost = "price unknown" if pending.cost is None else f"{pending.cost:.{exp}f} {cur}"
        what = line.name if line.kind == "account" else f"{line.name}: add-on {line.id} ({line.product})"
        message = (f"{what}: delete before {local_time(pending.deadline, tz)} to pay nothing "
                   f"({cost} to month end)")
        alerts.append(Alert("deadline", "warning", message, act_by=pending.deadline, item=line.id,
                            fields=(("item", line.id), ("account_id", line.account_id),
                                    ("name", line.name), ("deadline", slot_iso(pending.deadline)),
                                    ("cost_if_kept", None if pending.cost is None
                                     else f"{pending.cost:.{exp}f}"))))
    return alerts


def missing_alerts(observed: Sequence[tuple[Slot, Slot]], as_of: Slot, tz: str) -> list[Alert]:
    """`missing`: hours without a snapshot in the 24 h before the newest one."""
    start = max(as_of - MISSING_WINDOW, observed[0][0]) if observed else as_of
    # A gap between two runs is the slots [end of one + 1, start of the next).
    gaps = [(max(a[1] + 1, start), b[0]) for a, b in itertools.pairwise(observed)
            if b[0] > start]
    hours = sum(b - a for a, b in gaps)
    if not hours:
        return []
    spans = ", ".join(_span(a, b, tz) for a, b in gaps)
    message = (f"{hours} hour{'s' if hours != 1 else ''} missing in the {MISSING_WINDOW} h before "
               f"{local_time(as_of, tz)} ({spans}): sync again to fetch them if the provider still "
               "has them; otherwise they are bridged by the billing rules")
    return [Alert("missing", "warning", message, fields=(
        ("hours", hours),
        ("missing", [{"from": slot_iso(a), "to": slot_iso(b)} for a, b in gaps])))]


def _span(start: Slot, end: Slot, tz: str) -> str:
    """`1 Dec 13:00 CET` for one hour, `1 Dec 13:00 CET to 15:00 CET` for more (end excluded)."""
    if end - start == 1:
        return local_time(start, tz)
    first, last = local_time(start, tz), local_time(end, tz)
    same_day = first.split(" ")[:2] == last.split(" ")[:2]
    return f"{first} to {' '.join(last.split(' ')[2:]) if same_day else last}"


def unpriced_alerts(report: PeriodReport) -> list[Alert]:
    """`unpriced`: billed or pending lines with no price, so the totals are incomplete."""
    products: dict[str, int] = {}
    for line in report.lines:
        if line.state != "exempt" and line.amount is None:
            products[line.product] = products.get(line.product, 0) + 1
    if not products:
        return []
    count = sum(products.values())
    names = ", ".join(sorted(products))
    lines = "1 line" if count == 1 else f"{count} lines"
    message = (f"{lines} of {report.period.key} {'has' if count == 1 else 'have'} no price "
               f"({names}): the totals and the estimate leave them out; add the price")
    return [Alert("unpriced", "warning", message, fields=(
        ("period", report.period.key), ("lines", count), ("products", sorted(products))))]
