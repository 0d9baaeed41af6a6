"""Alerts on the cached books: what `payg-tui alerts` and the dashboard's header show.

`check` asks the books for the period holding the newest snapshot (and the
month before when a pending item began there) and lets the engine decide;
the rest writes the result as text, as `payg-alerts/1` JSON, and as the
webhook's body. Names are untrusted: the text is stripped of control
characters, the JSON escapes them, the webhook's `text` escapes what chat
services would read as a link or a mention.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from payg_tui.config import Config
from payg_tui.engine.alerts import Alert, AlertRules, find_alerts
from payg_tui.engine.model import BillingError, PeriodReport
from payg_tui.engine.text import printable
from payg_tui.errors import CacheError, DataContractError, UsageError

if TYPE_CHECKING:
    from payg_tui.service.books import Books

SCHEMA = "payg-alerts/1"


@dataclass(frozen=True, slots=True)
class AlertCheck:
    """The alerts at `now`, most urgent first."""

    now: datetime
    alerts: list[Alert]

    @property
    def most_urgent(self) -> Alert | None:
        return self.alerts[0] if self.alerts else None


def rules_from(config: Config, within: int | None = None) -> AlertRules:
    """The `[alerts]` settings (already validated by config.py); `within` from the command line wins."""
    from decimal import Decimal

    return AlertRules(
        within=config.alerts_within if within is None else within,
        stale_after=config.alerts_stale_after,
        budget=None if config.alerts_budget is None else Decimal(config.alerts_budget),
        warn_at=config.alerts_warn_at,
    )


def check(books: Books, now: datetime, rules: AlertRules) -> AlertCheck:
    """The alerts of the books at `now` (an aware datetime).

    The reports come from `books.report`, which remembers them and builds
    one per period at a time: the dashboard's alerts and period list share them.
    """
    provider = books.provider
    as_of = books.as_of()
    if provider is None or as_of is None:
        raise CacheError("the cache holds no data yet: run `payg-tui sync` or `payg-tui collect` first")
    from payg_tui.engine.periods import period_of

    try:
        key = period_of(as_of, provider.timezone).key
    except BillingError as error:
        raise DataContractError(str(error)) from None
    current = books.report(key)
    earlier = _earlier(books, current)
    alerts = find_alerts(current, books.observed(), now, rules, earlier)
    return AlertCheck(now=now, alerts=alerts)


def _earlier(books: Books, report: PeriodReport) -> PeriodReport | None:
    """The month before, only when a pending item of this one began there (its share is at stake)."""
    start = report.period.start
    if not any(ln.state == "pending" and ln.lifetime.first < start for ln in report.lines):
        return None
    from payg_tui.engine.periods import period_of

    return books.report(period_of(start - 1, report.provider.timezone).key)


def parse_now(text: str) -> datetime:
    """`--now`: ISO 8601; without an offset it is UTC (cli.md's hours are UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--now must be an ISO 8601 time such as 2026-12-02T04:00:00Z, "
                         f"got {text!r:.60}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_object(alert: Alert) -> dict[str, Any]:
    return {"kind": alert.kind, "severity": alert.severity, **dict(alert.fields),
            "message": alert.message}


def alerts_object(result: AlertCheck) -> dict[str, Any]:
    """`payg-alerts/1` (alerts.md), key for key."""
    return {"schema": SCHEMA, "now": iso(result.now),
            "alerts": [alert_object(alert) for alert in result.alerts]}


def alerts_json(result: AlertCheck) -> str:
    return json.dumps(alerts_object(result), indent=1) + "\n"


def alerts_text(result: AlertCheck) -> str:
    """One line per alert, most urgent first; nothing at all when there is nothing to say (cron)."""
    return "".join(f"{alert.severity:<8}  {alert.kind:<8}  {printable(alert.message)}\n"
                   for alert in result.alerts)


def webhook_body(result: AlertCheck) -> dict[str, Any]:
    """The JSON with a `text` field, all messages one a line, for chat incoming webhooks.

    `&`, `<` and `>` are escaped as Slack documents (Mattermost reads the same):
    a name such as `<!channel>` then shows as itself instead of notifying a channel.
    An `@` before a word gets a zero-width space after it: Mattermost (and Slack's
    compatible services) would read `@channel`, `@all` or `@someone` in a hostile
    account name as a mention and notify people every hour; it still reads `@channel`.
    """
    lines = (printable(alert.message) for alert in result.alerts)
    text = "\n".join(_MENTION.sub("@\u200b", line.replace("&", "&amp;").replace("<", "&lt;")
                                  .replace(">", "&gt;")) for line in lines)
    return {**alerts_object(result), "text": text}


_MENTION = re.compile(r"@(?=\w)")


def deliver(result: AlertCheck, webhook: str, config: Config) -> None:
    """POST the alerts to the chat webhook with the API's timeouts; `NetworkError` (exit 3) if it can't."""
    from payg_tui.providers.webhook import post_alerts

    post_alerts(webhook, webhook_body(result), connect_timeout=config.connect_timeout,
                read_timeout=config.read_timeout, request_timeout=config.request_timeout)
