"""alerts.md, rule by rule: generated hours through the real parser, store and engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from payg_tui.engine.alerts import AlertRules, find_alerts, local_time
from payg_tui.engine.billing import build_report
from payg_tui.engine.model import slot_time
from tests.builders import World, h, line_of

FIRST = h("2026-11-25T00")  # pre-existing accounts: billed from here
AS_OF = h("2026-12-02T04")  # the newest snapshot (05:00 in Brussels)
NOW = datetime(2026, 12, 2, 4, tzinfo=UTC)  # alerts.md's example
TRIAL = h("2026-12-01T08")  # created 21 images before AS_OF: pending
DEADLINE = TRIAL + 47  # 2026-12-03T07:00Z, 08:00 CET


def world() -> World:
    w = World(timezone="Europe/Brussels")
    w.account("old", "p72", FIRST)
    w.account("new", "p72", TRIAL)
    w.names["new"] = "nieuwe-klant.be"
    return w


def alerts_of(w: World, tmp_path: Path, rules: AlertRules, now: datetime = NOW, *,
              last: int = AS_OF, period: str = "2026-12", first: int = FIRST) -> list:
    with w.store(fresh(tmp_path), first, last) as store:
        ledger, observed = store.load_ledger(), store.observed()
    return find_alerts(build_report(ledger, period), observed, now, rules)


def fresh(tmp_path: Path) -> Path:
    """A new cache file in `tmp_path`, so that one test may build several."""
    return tmp_path / f"c{len(list(tmp_path.iterdir()))}.sqlite3"


def kinds(alerts: list) -> list[str]:
    return [a.kind for a in alerts]


def test_a_deadline_inside_the_window_is_announced_with_its_cost_and_local_time(tmp_path):
    [alert] = alerts_of(world(), tmp_path, AlertRules(within=30))
    assert (alert.kind, alert.severity) == ("deadline", "warning")
    fields = dict(alert.fields)
    assert fields["item"] == fields["account_id"] == "new"
    assert fields["name"] == "nieuwe-klant.be"
    assert fields["deadline"] == "2026-12-03T07:00:00Z"  # first slot + 47 h (billing.md 1.1)
    # December in Brussels has 744 hours; the line runs 735 of them to the month end.
    assert fields["cost_if_kept"] == str((Decimal(72) * 735 / 744).quantize(Decimal("0.01")))
    assert alert.message == ("nieuwe-klant.be: delete before 3 Dec 08:00 CET to pay nothing "
                             "(71.13 EUR to month end)")


def test_cost_if_kept_is_the_line_estimate(tmp_path):
    w = world()
    with w.store(fresh(tmp_path), FIRST, AS_OF) as store:
        ledger = store.load_ledger()
    estimate = line_of(build_report(ledger, "2026-12"), "new").estimate
    [alert] = alerts_of(w, tmp_path, AlertRules(within=30))
    assert dict(alert.fields)["cost_if_kept"] == f"{estimate:.2f}"


def test_a_deadline_outside_the_window_is_not_announced(tmp_path):
    assert alerts_of(world(), tmp_path, AlertRules(within=12)) == []


def test_the_boundary_hour_is_inside_the_window(tmp_path):
    hours_left = int((slot_time(DEADLINE) - NOW) / timedelta(hours=1))
    assert hours_left == 27
    assert kinds(alerts_of(world(), tmp_path, AlertRules(within=27))) == ["deadline"]
    assert alerts_of(world(), tmp_path, AlertRules(within=26)) == []


def test_a_deadline_that_has_come_is_no_longer_announced(tmp_path):
    at_deadline = slot_time(DEADLINE)
    rules = AlertRules(within=12, stale_after=48)
    assert kinds(alerts_of(world(), tmp_path, rules, at_deadline - timedelta(minutes=1))) == ["deadline"]
    assert alerts_of(world(), tmp_path, rules, at_deadline) == []


def test_an_item_that_changed_pack_in_its_grace_window_is_one_alert_costing_both_lines(tmp_path):
    w = world()
    w.stays[-1].end = TRIAL + 10
    w.account("new", "p144", TRIAL + 10)
    with w.store(fresh(tmp_path), FIRST, AS_OF) as store:
        ledger, observed = store.load_ledger(), store.observed()
    report = build_report(ledger, "2026-12")
    [alert] = find_alerts(report, observed, NOW, AlertRules(within=30))
    lines = [ln for ln in report.lines if ln.id == "new"]
    assert len(lines) == 2 and all(ln.state == "pending" for ln in lines)
    assert dict(alert.fields)["cost_if_kept"] == f"{sum(ln.estimate for ln in lines):.2f}"


def test_a_trial_that_began_last_month_counts_that_month_too(tmp_path):
    w = World(timezone="Europe/Brussels")
    w.account("old", "p72", FIRST)
    w.account("late", "p72", h("2026-11-30T13"))  # 10 h before December starts (local)
    last = h("2026-12-01T10")
    with w.store(tmp_path / "c.sqlite3", FIRST, last) as store:
        ledger, observed = store.load_ledger(), store.observed()
    december, november = build_report(ledger, "2026-12"), build_report(ledger, "2026-11")
    now = slot_time(last)
    [alert] = find_alerts(december, observed, now, AlertRules(within=48), earlier=november)
    both = line_of(november, "late").estimate + line_of(december, "late").estimate
    assert dict(alert.fields)["cost_if_kept"] == f"{both:.2f}"
    assert dict(alert.fields)["deadline"] == "2026-12-02T12:00:00Z"


def test_stale_after_three_hours_without_a_snapshot(tmp_path):
    rules = AlertRules()
    three_hours = slot_time(AS_OF) + timedelta(hours=3)
    assert alerts_of(world(), tmp_path, rules, three_hours) == []
    [alert] = alerts_of(world(), tmp_path, rules, three_hours + timedelta(minutes=1))
    assert (alert.kind, alert.severity) == ("stale", "critical")
    assert dict(alert.fields) == {"as_of": "2026-12-02T04:00:00Z", "hours": 3}
    assert "2 Dec 05:00 CET" in alert.message


def test_stale_after_follows_the_setting(tmp_path):
    later = slot_time(AS_OF) + timedelta(hours=4)
    assert kinds(alerts_of(world(), tmp_path, AlertRules(stale_after=5), later)) == []
    assert kinds(alerts_of(world(), tmp_path, AlertRules(stale_after=3), later)) == ["stale"]


def test_missing_hours_in_the_last_24_hours(tmp_path):
    w = world()
    w.missing = {AS_OF - 5, AS_OF - 4, AS_OF - 30}  # the last is older than 24 h: not counted
    [alert] = alerts_of(w, tmp_path, AlertRules())
    assert (alert.kind, alert.severity) == ("missing", "warning")
    fields = dict(alert.fields)
    assert fields["hours"] == 2
    assert fields["missing"] == [{"from": "2026-12-01T23:00:00Z", "to": "2026-12-02T01:00:00Z"}]
    assert "2 hours missing" in alert.message and "2 Dec 00:00 CET to 02:00 CET" in alert.message


def test_missing_hours_older_than_24_hours_say_nothing(tmp_path):
    w = world()
    w.missing = {AS_OF - 25, AS_OF - 40}
    assert alerts_of(w, tmp_path, AlertRules()) == []


def test_the_24th_hour_before_the_newest_snapshot_counts(tmp_path):
    w = world()
    w.missing = {AS_OF - 24}
    [alert] = alerts_of(w, tmp_path, AlertRules())
    assert dict(alert.fields)["hours"] == 1


def _estimate(tmp_path: Path) -> Decimal:
    with world().store(fresh(tmp_path), FIRST, AS_OF) as store:
        return build_report(store.load_ledger(), "2026-12").totals.estimate


def test_budget_over_is_critical_and_says_the_figures(tmp_path):
    estimate = _estimate(tmp_path)
    assert estimate == Decimal("143.13")  # 72.00 (all month) + 71.13 (the trial, if kept)
    [alert] = alerts_of(world(), tmp_path, AlertRules(budget=Decimal("140")))
    assert (alert.kind, alert.severity) == ("budget", "critical")
    assert dict(alert.fields)["estimate"] == "143.13" and dict(alert.fields)["budget"] == "140.00"
    assert "143.13 EUR" in alert.message and "over the budget of 140.00 EUR" in alert.message


def test_budget_warn_at_is_a_share_of_the_budget(tmp_path):
    # 143.13 is 79.5 % of 180: no warning at 80 %, a warning at 79 %.
    assert alerts_of(world(), tmp_path, AlertRules(budget=Decimal("180"), warn_at=80)) == []
    [alert] = alerts_of(world(), tmp_path, AlertRules(budget=Decimal("180"), warn_at=79))
    assert (alert.kind, alert.severity) == ("budget", "warning")
    assert "79 % of the budget of 180.00 EUR" in alert.message


def test_the_estimate_equal_to_the_budget_is_not_over_it(tmp_path):
    [alert] = alerts_of(world(), tmp_path, AlertRules(budget=Decimal("143.13")))
    assert alert.severity == "warning"


def test_unpriced_lines_are_a_warning_naming_the_product(tmp_path):
    w = world()
    w.prices["p-new"] = []
    w.account("x", "p-new", FIRST)
    [alert] = alerts_of(w, tmp_path, AlertRules())
    assert (alert.kind, alert.severity) == ("unpriced", "warning")
    assert dict(alert.fields) == {"period": "2026-12", "lines": 1, "products": ["p-new"]}
    assert "1 line of 2026-12 has no price (p-new)" in alert.message


def test_most_urgent_first_severity_then_time_to_act(tmp_path):
    w = world()
    w.account("newer", "p72", TRIAL + 2)  # a later deadline
    w.prices["p-new"] = []
    w.account("x", "p-new", FIRST)
    w.missing = {AS_OF - 2}
    now = slot_time(AS_OF) + timedelta(hours=4)
    found = alerts_of(w, tmp_path, AlertRules(within=30, budget=Decimal("50")), now)
    assert [(a.severity, a.kind, a.item) for a in found] == [
        ("critical", "stale", ""), ("critical", "budget", ""),
        ("warning", "deadline", "new"), ("warning", "deadline", "newer"),
        ("warning", "missing", ""), ("warning", "unpriced", "")]


def test_add_on_alerts_name_the_add_on_and_its_account(tmp_path):
    w = world()
    w.addon("add-1", "new", "ssl", TRIAL + 1)
    w.prices["ssl"] = [("2020-01-01", "10.00")]
    found = alerts_of(w, tmp_path, AlertRules(within=30))
    addon = next(a for a in found if a.item == "add-1")
    assert dict(addon.fields)["account_id"] == "new"
    assert addon.message.startswith("nieuwe-klant.be: add-on add-1 (ssl): delete before 3 Dec 09:00 CET")


@pytest.mark.parametrize(("slot", "zone", "text"), [
    (h("2026-12-03T07"), "Europe/Brussels", "3 Dec 08:00 CET"),
    (h("2026-07-03T07"), "Europe/Brussels", "3 Jul 09:00 CEST"),
    (h("2026-12-03T07"), "UTC", "3 Dec 07:00 UTC"),
    (h("2026-12-03T07"), "America/Sao_Paulo", "3 Dec 04:00 America/Sao_Paulo"),  # tzdata says "-03"
])
def test_times_are_on_the_providers_clock_with_its_name(slot, zone, text):
    assert local_time(slot, zone) == text
