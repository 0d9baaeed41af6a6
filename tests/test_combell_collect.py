"""The Combell collector against the loopback stub: paging, pacing, failures, storing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from payg_tui.engine.model import slot_iso
from payg_tui.errors import DataContractError, NetworkError
from payg_tui.providers.combell.auth import Credentials
from payg_tui.providers.combell.client import CombellClient
from payg_tui.providers.combell.collector import Progress, collect
from payg_tui.store.cache import Store
from tests.combell_stub import CombellStub, FakeClock, StubAccount

HOUR = 3600
START = 493_000 * HOUR + 120  # 2026-03-29T16:02:00Z, two minutes into its hour
CREDENTIALS = Credentials("stub-key", "stub-secret")


def _accounts(n: int, first: int = 900) -> dict[int, StubAccount]:
    return {first + i: StubAccount(f"site{i}.example.be", 1 + i % 2,
                                   [(7000 + i, "SSL certificate")] if i % 3 == 0 else [])
            for i in range(n)}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def stub(clock: FakeClock) -> Iterator[CombellStub]:
    server = CombellStub("stub-key", "stub-secret", clock=clock)
    server.servicepacks = {1: "Linux Basic", 2: "Linux Pro"}
    server.accounts = _accounts(10)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def url(stub: CombellStub) -> str:
    return stub.url


def _collect(url: str, clock: FakeClock, credentials: Credentials = CREDENTIALS, **kw: object):
    with CombellClient(credentials, url, clock=clock, sleep=clock.sleep) as client:
        return collect(client, clock, **kw)  # type: ignore[arg-type]


def _store(tmp_path: Path, url: str, clock: FakeClock, **kw: object):
    from payg_tui.service.collecting import collect_and_store

    return collect_and_store(CREDENTIALS, url, cache=tmp_path / "cache.sqlite3",
                             prices=tmp_path / "prices.toml", clock=clock, sleep=clock.sleep,
                             **kw)  # type: ignore[arg-type]


# -- the image ---------------------------------------------------------------------


def test_image_maps_accounts_packs_and_addons(stub: CombellStub, url: str,
                                              clock: FakeClock) -> None:
    stub.accounts = {900: StubAccount("shop.example.be", 2, [(7000, "SSL certificate"),
                                                             (7001, "Extra storage")]),
                     901: StubAccount("blog.example.be", 1, [(7000, "SSL certificate")])}
    result = _collect(url, clock)
    snap = result.snapshot
    assert snap.slot == START // HOUR
    assert snap.packs == {"900": "pack:2", "901": "pack:1"}
    # The add-on id 7000 on two accounts: two items, never one.
    assert snap.addons == {"900:7000": ("900", "addon:SSL certificate"),
                           "900:7001": ("900", "addon:Extra storage"),
                           "901:7000": ("901", "addon:SSL certificate")}
    assert snap.labels == {"900": ("shop.example.be", None), "901": ("blog.example.be", None)}
    assert result.pack_names == {"pack:1": "Linux Basic", "pack:2": "Linux Pro"}


def test_every_request_is_signed(stub: CombellStub, url: str, clock: FakeClock) -> None:
    _collect(url, clock)
    assert stub.log and stub.count(200) == len(stub.log)


def test_wrong_secret_gets_401_and_exit_3_without_showing_it(stub: CombellStub, url: str,
                                                             clock: FakeClock) -> None:
    with pytest.raises(NetworkError) as caught:
        _collect(url, clock, Credentials("stub-key", "the-wrong-secret"))
    assert caught.value.exit_code == 3
    assert "401" in caught.value.message and "key and secret" in caught.value.message
    assert "the-wrong-secret" not in caught.value.message
    assert "stub-key" not in caught.value.message
    assert stub.count(401) == 1  # refused at once, not retried


# -- paging ------------------------------------------------------------------------


def test_short_pages_are_followed_by_skip_until_the_total(stub: CombellStub, url: str,
                                                          clock: FakeClock) -> None:
    stub.accounts = _accounts(53)
    stub.page_cap = 7  # fewer than the 100 asked
    stub.ragged = True  # and sometimes fewer still
    result = _collect(url, clock)
    assert sorted(result.snapshot.packs) == [str(i) for i in range(900, 953)]
    pages = [t for _, t in stub.log if t.startswith("/v2/accounts?")]
    skips = [int(t.split("skip=")[1].split("&")[0]) for t in pages]
    assert skips[0] == 0 and skips == sorted(skips)
    assert any(b - a < 7 for a, b in itertools.pairwise(skips))  # a short page
    assert result.requests == 1 + len(pages) + 53


def test_an_empty_page_before_the_total_breaks_the_contract(stub: CombellStub, url: str,
                                                            clock: FakeClock) -> None:
    stub.accounts = _accounts(5)
    original = stub._accounts_page

    def lying_total(query, headers):  # type: ignore[no-untyped-def]
        status, body, headers = original(query, headers)
        return status, body, {**headers, "X-Paging-TotalResults": "8"}

    stub._accounts_page = lying_total  # type: ignore[method-assign]
    with pytest.raises(DataContractError, match="empty page after 5 of 8"):
        _collect(url, clock)


def test_an_account_deleted_during_the_run_is_left_out(stub: CombellStub, url: str,
                                                       clock: FakeClock) -> None:
    def delete_903(target: str) -> None:
        if target == "/v2/accounts/902":
            stub.accounts.pop(903, None)

    stub.on_request = delete_903
    result = _collect(url, clock, workers=1)
    assert "903" not in result.snapshot.packs
    assert result.gone == 1 and len(result.snapshot.packs) == 9


# -- rate limit and pacing -----------------------------------------------------------


def test_pacing_keeps_inside_the_limit(stub: CombellStub, url: str, clock: FakeClock) -> None:
    stub.accounts = _accounts(95)
    stub.limit, stub.window = 20, 60
    result = _collect(url, clock)
    assert len(result.snapshot.packs) == 95
    assert stub.count(429) == 0
    # 1 + 1 + 95 = 97 requests at 20 a window: 5 windows, i.e. 4 waits of ~60 s.
    assert result.requests == 97
    assert 4 * 60 <= result.elapsed <= 5 * 60


def test_429_waits_retry_after_then_goes_on(stub: CombellStub, url: str,
                                            clock: FakeClock) -> None:
    stub.limit, stub.window = 50, 60
    stub._window_start, stub._used = clock(), 50  # another tool used the budget
    result = _collect(url, clock)
    assert stub.count(429) == 1
    assert result.elapsed >= 60
    assert len(result.snapshot.packs) == 10


def test_5xx_is_retried_with_backoff(stub: CombellStub, url: str, clock: FakeClock) -> None:
    stub.fail["/v2/accounts/904"] = 2
    stub.fail["/v2/accounts?skip=0&take=100"] = 1
    result = _collect(url, clock)
    assert stub.count(500) == 3
    assert len(result.snapshot.packs) == 10
    assert clock.slept >= 2 + 5  # backed off, in fake time


def test_progress_reports_and_warns_when_the_hour_is_too_short(stub: CombellStub, url: str,
                                                               clock: FakeClock) -> None:
    stub.accounts = _accounts(300)
    stub.limit, stub.window = 5, 60  # 302 requests at 5 a minute: an hour is not enough
    lines: list[Progress] = []
    result = _collect(url, clock, progress=lines.append, progress_every=600)
    notes = [p.note for p in lines if p.note]
    assert len(notes) == 1 and "finish late" in notes[0]
    assert result.late
    assert lines[-1].accounts_done == 300 and lines[-1].accounts_total == 300
    assert len([p for p in lines if not p.note]) >= 5  # a line every 10 minutes, and the last


# -- storing -----------------------------------------------------------------------


def test_collect_and_store_saves_one_image(stub: CombellStub, url: str, clock: FakeClock,
                                           tmp_path: Path) -> None:
    outcome = _store(tmp_path, url, clock)
    assert not outcome.replaced
    with Store.open(tmp_path / "cache.sqlite3") as store:
        assert store.latest_slot() == START // HOUR
        ledger = store.load_ledger()
        assert ledger.observed == [(START // HOUR, START // HOUR)]
        assert len([i for i in ledger.items if i.kind == "account"]) == 10
        # No price list: products carry Combell's names but no price.
        assert store.products()["pack:1"].name == "Linux Basic"
        assert store.products()["pack:1"].prices == ()
    assert any("no price list" in w for w in outcome.warnings)


def test_two_runs_in_one_hour_store_one_image(stub: CombellStub, url: str, clock: FakeClock,
                                              tmp_path: Path) -> None:
    _store(tmp_path, url, clock)
    stub.accounts[999] = StubAccount("late.example.be", 1)
    clock.now += 20 * 60
    outcome = _store(tmp_path, url, clock)
    assert outcome.replaced
    with Store.open(tmp_path / "cache.sqlite3") as store:
        ledger = store.load_ledger()
    assert ledger.observed == [(START // HOUR, START // HOUR)]
    assert "999" in {i.id for i in ledger.items}  # the later image won


@pytest.mark.parametrize("break_it", ["500", "contract"])
def test_a_run_failing_half_way_stores_nothing(stub: CombellStub, url: str, clock: FakeClock,
                                               tmp_path: Path, break_it: str) -> None:
    _store(tmp_path, url, clock)  # an earlier hour, stored
    clock.now += HOUR
    stub.accounts = _accounts(40)
    if break_it == "500":
        stub.fail_always.add("/v2/accounts/920")
        expected: type[Exception] = NetworkError
    else:
        original = stub._answer

        def no_pack(request, target):  # type: ignore[no-untyped-def]
            status, body, headers = original(request, target)
            if target == "/v2/accounts/920":
                body = {k: v for k, v in body.items() if k != "servicepack"}
            return status, body, headers

        stub._answer = no_pack  # type: ignore[method-assign]
        expected = DataContractError
    with pytest.raises(expected) as caught:
        _store(tmp_path, url, clock)
    assert "/v2/accounts/920" in caught.value.args[0]
    with Store.open(tmp_path / "cache.sqlite3") as store:
        assert store.observed() == [(START // HOUR, START // HOUR)]
        assert len(store.load_ledger().items) < 40


def test_an_overlapping_run_is_refused(stub: CombellStub, url: str, clock: FakeClock,
                                       tmp_path: Path) -> None:
    from payg_tui.errors import CacheError
    from payg_tui.service.collecting import _single_run

    with _single_run(tmp_path / "cache.sqlite3"), pytest.raises(CacheError, match="still running"):
        _store(tmp_path, url, clock)


def test_slot_is_the_hour_the_run_started(stub: CombellStub, url: str, clock: FakeClock) -> None:
    assert slot_iso(_collect(url, clock).snapshot.slot) == "2026-03-29T16:00:00Z"
