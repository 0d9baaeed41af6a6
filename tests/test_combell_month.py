"""A month of hourly Combell collections, billed through the real store and engine.

The collector runs once per hour of November 2026 (30 days, UTC billing zone,
N = 720) against the stub, with an injected clock; three hours are never
collected. The amounts below are worked out by hand from billing.md.

| account | history                                    | lines (amount)            |
| 900     | Basic (72.00) all month + SSL (7.20)       | 72.00 and 7.20             |
| 901     | Basic from the 5th 00:00 for 36 h          | exempt 0.00                |
| 902     | Basic from the 5th 00:00 for 48 h          | 72 x 48 / 720 = 4.80       |
| 903     | Basic 100 h, Pro (144.00) 200 h, deleted   | 10.00 and 144x200/720=40.00|
| 904     | pack 3, not in the price list, all month   | unpriced (null)            |
| 905     | Basic for the last 30 h                    | pending 3.00               |

Hours 200-202 are not collected: 903 (on Pro then) is present on both sides, so
it is bridged and still has its 200 hours.
"""

from __future__ import annotations

import os
import tempfile
from decimal import Decimal
from pathlib import Path

from payg_tui.engine.billing import build_report
from payg_tui.providers.combell.auth import Credentials
from payg_tui.providers.combell.client import CombellClient
from payg_tui.service.collecting import collect_and_store
from payg_tui.store.cache import Store
from tests.combell_stub import CombellStub, FakeClock, StubAccount

NOV_1 = 1_793_491_200  # 2026-11-01T00:00:00Z
HOURS = 720
SKIPPED = {200, 201, 202}

PRICES = """
name = "Combell"
currency = "EUR"
currency_exponent = 2
timezone = "UTC"

[service_packs.1]
name = "Linux Basic"
prices = [{ from = 2026-01-01, monthly = "72.00" }]

[service_packs.2]
name = "Linux Pro"
prices = [{ from = 2026-01-01, monthly = "144.00" }]

[addons."SSL certificate"]
prices = [{ from = 2026-01-01, monthly = "7.20" }]
"""


def _world(hour: int) -> dict[int, StubAccount]:
    accounts = {900: StubAccount("shop.example.be", 1, [(7000, "SSL certificate")]),
                904: StubAccount("odd.example.be", 3)}
    if 96 <= hour < 96 + 36:
        accounts[901] = StubAccount("brief.example.be", 1)
    if 96 <= hour < 96 + 48:
        accounts[902] = StubAccount("two-days.example.be", 1)
    if hour < 100:
        accounts[903] = StubAccount("mover.example.be", 1)
    elif hour < 300:
        accounts[903] = StubAccount("mover.example.be", 2)
    if hour >= HOURS - 30:
        accounts[905] = StubAccount("new.example.be", 1)
    return accounts


def test_a_month_of_collections_bills_as_worked_out_by_hand(tmp_path: Path) -> None:
    # 717 cache commits: on tmpfs when there is one, or the disk's syncs dominate.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if os.access(shm, os.W_OK) else tmp_path) as work:
        _month(Path(work))


def _month(work: Path) -> None:
    (work / "prices.toml").write_text(PRICES, encoding="utf-8")
    clock = FakeClock(NOV_1)
    stub = CombellStub("k", "s", clock=clock)
    stub.servicepacks = {1: "Linux Basic", 2: "Linux Pro", 3: "Legacy"}
    url = stub.start()
    credentials = Credentials("k", "s")
    try:
        # One connection for the month (a new client per run costs more than the run).
        with CombellClient(credentials, url, clock=clock, sleep=clock.sleep) as client:
            for hour in range(HOURS):
                if hour in SKIPPED:
                    continue
                clock.now = NOV_1 + hour * 3600 + 300  # the timer fires a few minutes past
                stub.accounts = _world(hour)
                collect_and_store(credentials, url, cache=work / "cache.sqlite3",
                                  prices=work / "prices.toml", clock=clock, sleep=clock.sleep,
                                  workers=2, client=client)
    finally:
        stub.stop()

    with Store.open(work / "cache.sqlite3") as store:
        report = build_report(store.load_ledger(), "2026-11")

    assert report.period.hours == 720
    assert report.hours_observed == 717
    assert report.missing_hours == 3
    assert report.status == "provisional"  # fully observed, 905 still pending
    lines = {(ln.id, ln.product): ln for ln in report.lines}
    assert lines[("900", "pack:1")].amount == Decimal("72.00")
    assert lines[("900:7000", "addon:SSL certificate")].amount == Decimal("7.20")
    assert lines[("900:7000", "addon:SSL certificate")].account_id == "900"
    assert (lines[("901", "pack:1")].state, lines[("901", "pack:1")].amount) == (
        "exempt", Decimal("0.00"))
    assert lines[("901", "pack:1")].hours == 36
    assert (lines[("902", "pack:1")].state, lines[("902", "pack:1")].amount) == (
        "billed", Decimal("4.80"))
    assert lines[("903", "pack:1")].hours == 100
    assert lines[("903", "pack:1")].amount == Decimal("10.00")
    assert lines[("903", "pack:2")].hours == 200
    assert lines[("903", "pack:2")].amount == Decimal("40.00")
    assert lines[("904", "pack:3")].amount is None  # unpriced, never a silent zero
    assert (lines[("905", "pack:1")].state, lines[("905", "pack:1")].amount) == (
        "pending", Decimal("3.00"))
    assert lines[("905", "pack:1")].hours == 30
    assert report.totals.billed == Decimal("134.00")  # 72 + 7.20 + 4.80 + 10 + 40
    assert report.totals.pending == Decimal("3.00")
    assert report.totals.incomplete
    assert any("pack:3" in warning for warning in report.warnings)
    assert report.lines[0].name  # labels came through
    assert lines[("900", "pack:1")].name == "shop.example.be"
