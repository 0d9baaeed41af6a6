"""`payg-tui sync` against the real sandbox over TCP.

A small reseller (30 accounts) with the sandbox's clock pinned, so each test
knows exactly which hours exist; retries use tiny delays so nothing waits.
"""

from __future__ import annotations

import gc
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import weakref
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from payg_tui.cli import main
from payg_tui.engine.billing import build_report, period_keys
from payg_tui.engine.model import Ledger, Slot, slot_iso, slot_of, slot_time
from payg_tui.errors import DataContractError
from payg_tui.providers import hosting_api as client_module
from payg_tui.providers import payload
from payg_tui.providers.hosting_api import ApiClient
from payg_tui.providers.retry import RetryPolicy
from payg_tui.sandbox.generator import Reseller
from payg_tui.sandbox.server import CORRUPTIONS, SandboxServer, start_sandbox
from payg_tui.service.sync import SyncProgress, parse_when, run_sync
from payg_tui.store.cache import Store

ACCOUNTS = 30
SEED = 3
TOKEN = "sandbox-token-for-sync-tests-0042"
NOW: Slot = slot_of(datetime.fromisoformat("2026-11-10T05:00:00+00:00"))
FAST = RetryPolicy(tries=8, base_delay=0.001, max_delay=0.01, total=10)


class Clock:
    """The sandbox's `now`, movable by the test."""

    def __init__(self, slot: Slot) -> None:
        self.slot = slot

    def __call__(self) -> Slot:
        return self.slot


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def sandbox(clock: Clock, **options: Any) -> SandboxServer:
    return start_sandbox(accounts=ACCOUNTS, seed=SEED, token=TOKEN, now=clock, **options)


@pytest.fixture
def server(clock: Clock) -> Iterator[SandboxServer]:
    with sandbox(clock) as running:
        yield running


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An isolated config and cache; retries that do not wait."""
    monkeypatch.setenv("PAYG_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PAYG_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PAYG_API_URL", raising=False)
    monkeypatch.delenv("PAYG_API_TOKEN", raising=False)
    monkeypatch.setattr(client_module, "DEFAULT_RETRY", FAST)
    return {"PAYG_TUI_CONFIG_DIR": str(tmp_path / "config"),
            "PAYG_TUI_CACHE_DIR": str(tmp_path / "cache")}


def api_client(server: SandboxServer, **options: Any) -> ApiClient:
    options.setdefault("retry", FAST)
    options.setdefault("sleep", lambda seconds: None)
    return ApiClient(server.url, TOKEN, **options)


def sync_into(path: Path, server: SandboxServer, **options: Any) -> Any:
    with Store.open(path) as store, api_client(server) as client:
        return run_sync(store, client, now=slot_time(server.now()), **options)


def ledger_of(path: Path) -> Ledger:
    with Store.open(path) as store:
        ledger = store.load_ledger()
    ledger.items.sort(key=lambda item: (item.kind, item.id))
    return ledger


def dump(path: Path) -> list[str]:
    """Every row of every table (the cache's whole content), as SQL text."""
    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def cli(*argv: str) -> int:
    return main(list(argv))


# -- the whole job --------------------------------------------------------


def test_a_full_sync_gives_the_same_reports_as_importing_the_same_data(
        tmp_path: Path, server: SandboxServer) -> None:
    summary = sync_into(tmp_path / "synced.sqlite", server)
    assert summary.hours_added > 900 and not summary.stopped
    assert summary.periods == ("2026-10", "2026-11")

    generated = Reseller(SEED, ACCOUNTS, "Europe/Brussels", start=server.start)
    snapshots = [payload.parse_snapshot(doc, "generated")
                 for doc in generated.snapshots(server.start, NOW + 1)]
    with Store.open(tmp_path / "imported.sqlite") as store:
        store.add_snapshots(
            snapshots, provider=payload.parse_provider(generated.provider()),
            products=payload.parse_products(generated.products(until=NOW + 31 * 24)))

    synced, imported = ledger_of(tmp_path / "synced.sqlite"), ledger_of(tmp_path / "imported.sqlite")
    assert summary.hours_added == len(snapshots)
    assert summary.missing_hours == len(generated.missing_hours(server.start, NOW + 1))
    assert period_keys(synced) == period_keys(imported) == ["2026-10", "2026-11"]
    for key in period_keys(synced):
        assert build_report(synced, key) == build_report(imported, key)


def test_the_next_sync_fetches_only_the_new_hours(tmp_path: Path, clock: Clock,
                                                  server: SandboxServer) -> None:
    path = tmp_path / "cache.sqlite"
    sync_into(path, server)
    asked = len(server.requests)
    clock.slot = NOW + 3
    summary = sync_into(path, server)
    assert summary.start == NOW + 1
    assert (summary.first_added, summary.last_added) == (NOW + 1, NOW + 3)
    assert summary.hours_added == 3 - len(server.reseller.missing_hours(NOW + 1, NOW + 4))
    pages = [p for p, _ in list(server.requests)[asked:] if p.startswith("/v1/snapshots")]
    assert len(pages) == 1 and f"from={slot_iso(NOW + 1)}".replace(":", "%3A") in pages[0]


def test_since_and_until_bound_the_first_sync(tmp_path: Path, server: SandboxServer) -> None:
    since, until = slot_of(datetime.fromisoformat("2026-11-02T05:00:00+00:00")), NOW - 24
    summary = sync_into(tmp_path / "c.sqlite", server, since=since, until=until)
    with Store.open(tmp_path / "c.sqlite") as store:
        observed = store.observed()
    assert observed[0][0] >= since and observed[-1][1] == until - 1
    assert summary.start == since and summary.end == until


def test_a_date_means_local_midnight_of_the_provider(tmp_path: Path,
                                                     server: SandboxServer) -> None:
    summary = sync_into(tmp_path / "c.sqlite", server, since=parse_when("2026-11-01"),
                        until=parse_when("2026-11-02"))
    assert (summary.start, summary.end) == (
        slot_of(datetime.fromisoformat("2026-10-31T23:00:00+00:00")),
        slot_of(datetime.fromisoformat("2026-11-01T23:00:00+00:00")))


def test_progress_counts_hours_and_ends_done(tmp_path: Path, server: SandboxServer) -> None:
    seen: list[SyncProgress] = []
    sync_into(tmp_path / "c.sqlite", server, progress=seen.append)
    stages = [p.stage for p in seen]
    assert stages[:3] == ["provider", "products", "snapshots"] and stages[-1] == "done"
    done = [p.hours_done for p in seen]
    assert done == sorted(done) and seen[-1].hours_done == seen[-1].hours_total > 0
    assert seen[-1].rate > 0


class _KeptAnswers(httpx.HTTPTransport):
    """A real transport that keeps a weak reference to every answer it gives."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[weakref.ref[httpx.Response]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.answers.append(weakref.ref(response))
        return response

    def alive(self) -> int:
        gc.collect()
        return sum(answer() is not None for answer in self.answers)


def test_no_page_outlives_its_turn_so_memory_stays_flat(tmp_path: Path,
                                                        server: SandboxServer) -> None:
    # Each httpx answer sits in a reference cycle with the page body it holds:
    # only the garbage collector frees it, so pausing the collector must never
    # keep one (gc.freeze() did, and a big month grew page after page).
    transport = _KeptAnswers()
    alive: list[int] = []

    def after_page(progress: SyncProgress) -> None:
        if progress.stage == "snapshots" and progress.pages:
            alive.append(transport.alive())

    with Store.open(tmp_path / "c.sqlite") as store, api_client(
            server, transport=transport, page_limit=48) as client:
        run_sync(store, client, now=slot_time(server.now()), progress=after_page)
    assert len(alive) > 15
    assert max(alive) <= 2  # the page just stored and the one fetched ahead
    assert transport.alive() == 0


def test_stopping_keeps_whole_pages_and_the_next_sync_goes_on(
        tmp_path: Path, server: SandboxServer) -> None:
    path = tmp_path / "c.sqlite"
    with Store.open(path) as store, api_client(server, page_limit=50) as client:
        first = run_sync(store, client, now=slot_time(NOW), should_stop=lambda: True)
        assert first.stopped and first.pages == 1 and first.hours_added <= 50
        assert store.last_sync() is None  # not up to date yet
        rest = run_sync(store, client, now=slot_time(NOW))
        assert not rest.stopped and rest.start == first.last_added + 1
    sync_into(tmp_path / "clean.sqlite", server)
    assert ledger_of(path) == ledger_of(tmp_path / "clean.sqlite")


def test_a_sync_killed_mid_way_resumes_without_losing_or_repeating_anything(
        tmp_path: Path, clock: Clock, env: dict[str, str]) -> None:
    # Every request is held back 0.15 s, so the sync is still running after
    # its first pages are committed.
    with sandbox(clock, faults="slow:1@0.15") as slow:
        child_env = dict(os.environ, **env, PAYG_API_URL=slow.url, PAYG_API_TOKEN=TOKEN)
        args = [sys.executable, "-m", "payg_tui.cli", "sync", "--since", "2026-10-01",
                "--until", slot_iso(NOW + 1)]
        child = subprocess.Popen(args, env=child_env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        cache = Path(env["PAYG_TUI_CACHE_DIR"]) / "cache.sqlite3"
        deadline = time.monotonic() + 20
        stored: Slot | None = None
        while stored is None and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
            stored = _latest(cache)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert stored is not None, "no page was stored before the sync ended"
        partial = _latest(cache)
        assert partial is not None and partial < NOW, "the sync finished before it was killed"
        assert cli("sync", "--api-url", slow.url, "--token", TOKEN, "--until",
                   slot_iso(NOW + 1)) == 0
    with sandbox(clock) as clean:
        sync_into(tmp_path / "clean.sqlite", clean, since=parse_when("2026-10-01"),
                  until=NOW + 1)
    assert ledger_of(cache) == ledger_of(tmp_path / "clean.sqlite")


def _latest(cache: Path) -> Slot | None:
    if not cache.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=0.2)
        try:
            row = db.execute("SELECT max(last) FROM hours").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return None if row is None else row[0]


# -- faults ---------------------------------------------------------------


def test_busy_and_failing_answers_are_retried_to_the_same_result(
        tmp_path: Path, clock: Clock, server: SandboxServer) -> None:
    with sandbox(clock, faults="429:0.25,503:0.25") as flaky:
        waits: list[float] = []
        with Store.open(tmp_path / "flaky.sqlite") as store, api_client(
                flaky, sleep=waits.append, page_limit=100) as client:
            run_sync(store, client, now=slot_time(NOW))
        statuses = [status for _, status in flaky.requests]
    assert 429 in statuses and 503 in statuses
    assert waits and min(waits) >= 1.0  # the sandbox's Retry-After: 1
    sync_into(tmp_path / "clean.sqlite", server)
    assert ledger_of(tmp_path / "flaky.sqlite") == ledger_of(tmp_path / "clean.sqlite")


def test_timeouts_are_retried(tmp_path: Path, clock: Clock, server: SandboxServer) -> None:
    with sandbox(clock, faults="slow:0.3@0.4") as slow:
        retries: list[str] = []
        with Store.open(tmp_path / "slow.sqlite") as store, api_client(
                slow, read_timeout=0.1, page_limit=168,
                on_retry=lambda notice: retries.append(notice.problem)) as client:
            summary = run_sync(store, client, now=slot_time(NOW))
    assert any("timed out" in problem for problem in retries)
    assert summary.hours_added > 900


# -- refusals ---------------------------------------------------------------


def test_a_wrong_token_fails_at_once_with_a_hint_and_is_never_shown(
        env: dict[str, str], server: SandboxServer, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = "wrong-token-5f3a9c0e7b1d"
    assert cli("sync", "--api-url", server.url, "--token", wrong) == 3
    out, err = capsys.readouterr()
    assert "check the token" in err
    assert wrong not in out + err and TOKEN not in out + err
    assert [status for _, status in server.requests] == [401]


def test_a_good_sync_never_shows_the_token(env: dict[str, str], server: SandboxServer,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYG_API_URL", server.url)
    monkeypatch.setenv("PAYG_API_TOKEN", TOKEN)
    assert cli("sync", "--since", "2026-11-01") == 0
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    assert "hours added" in out and "missing hour" in out and "periods touched" in out


def test_progress_json_is_one_object_a_line_for_programs(env: dict[str, str], server: SandboxServer,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """What the dashboard's child process prints: progress objects, then the summary."""
    monkeypatch.setenv("PAYG_API_TOKEN", TOKEN)
    assert cli("sync", "--since", "2026-11-01", "--api-url", server.url, "--progress", "json") == 0
    out, err = capsys.readouterr()
    messages = [json.loads(line) for line in out.splitlines()]
    assert all(len(m) == 1 and ("progress" in m or "summary" in m) for m in messages)
    assert "summary" in messages[-1] and messages[-1]["summary"]["hours_added"] > 0
    done = [m["progress"] for m in messages if "progress" in m and m["progress"]["stage"] == "done"]
    assert done and done[-1]["hours_added"] == messages[-1]["summary"]["hours_added"]
    assert TOKEN not in out + err


def test_an_unreachable_api_is_a_network_error(env: dict[str, str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    with sandbox(Clock(NOW)) as gone:
        url = gone.url
    assert cli("sync", "--api-url", url, "--token", TOKEN) == 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("payg-tui: ") and "connection failed" in lines[-1]
    assert "gave up after 8 tries" in lines[-1]
    assert all(line.startswith("sync: ") for line in lines[:-1])  # the retries, as they come


@pytest.mark.parametrize("kind", [k for k in CORRUPTIONS if k != "page_rewind"])
def test_a_malformed_payload_is_refused_and_changes_nothing(
        kind: str, tmp_path: Path, clock: Clock, env: dict[str, str],
        capsys: pytest.CaptureFixture[str]) -> None:
    cache = Path(env["PAYG_TUI_CACHE_DIR"]) / "cache.sqlite3"
    with sandbox(clock) as good:
        assert cli("sync", "--api-url", good.url, "--token", TOKEN,
                   "--since", slot_iso(NOW - 96), "--until", slot_iso(NOW - 48)) == 0
    before = dump(cache)
    capsys.readouterr()
    with sandbox(clock, corrupt=kind) as bad:
        assert cli("sync", "--api-url", bad.url, "--token", TOKEN) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    message = err[0]
    assert message.startswith("payg-tui: ")
    assert "field" in message
    if kind == "unaligned_time":  # its time is the broken field: named by its place
        assert f"snapshot #1 of the page from {slot_iso(NOW - 48)}: field 'taken_at'" in message
    elif kind not in ("bad_decimal", "money_as_number", "not_json"):
        assert "snapshot 2026-" in message
    assert dump(cache) == before


def test_a_page_that_rewinds_is_refused_after_the_pages_before_it(
        tmp_path: Path, clock: Clock, capsys: pytest.CaptureFixture[str]) -> None:
    with sandbox(clock, corrupt="page_rewind") as bad, Store.open(
            tmp_path / "c.sqlite") as store, api_client(bad) as client:
        with pytest.raises(DataContractError) as caught:
            run_sync(store, client, now=slot_time(NOW))
        kept = store.latest_slot()
    assert "out of order" in caught.value.message and "'taken_at'" in caught.value.message
    assert kept is not None and kept < NOW  # the first page stays, the rewound one is refused
    generated = Reseller(SEED, ACCOUNTS, "Europe/Brussels", start=bad.start)
    first_page = [payload.parse_snapshot(doc, "generated")
                  for doc in generated.snapshots(bad.start, kept + 1)]
    with Store.open(tmp_path / "first.sqlite") as store:
        store.add_snapshots(
            first_page, provider=payload.parse_provider(generated.provider()),
            products=payload.parse_products(generated.products(until=NOW + 31 * 24)))
    assert ledger_of(tmp_path / "c.sqlite") == ledger_of(tmp_path / "first.sqlite")


# -- offline ---------------------------------------------------------------


def test_reports_still_work_from_the_cache_when_the_api_is_gone(
        env: dict[str, str], clock: Clock, capsys: pytest.CaptureFixture[str]) -> None:
    with sandbox(clock) as gone:
        assert cli("sync", "--api-url", gone.url, "--token", TOKEN) == 0
    capsys.readouterr()
    assert cli("sync", "--api-url", gone.url, "--token", TOKEN) == 3
    capsys.readouterr()
    with Store.open(Path(env["PAYG_TUI_CACHE_DIR"]) / "cache.sqlite3") as store:
        last_sync = store.last_sync()
        updated = store.updated_at()
    assert last_sync is not None and updated is not None
    assert updated.utcoffset() == timedelta(0)
    assert cli("periods") == 0
    periods = capsys.readouterr()
    assert "2026-10" in periods.out and "2026-11" in periods.out
    assert "last updated" in periods.out + periods.err  # how old the cache is
    assert cli("report", "2026-10") == 0  # (its age line goes to a terminal's stderr only)
    assert "period 2026-10" in capsys.readouterr().out
    assert cli("report", "2026-10", "--format", "json") == 0
    assert '"schema": "payg-report/1"' in capsys.readouterr().out


# -- the progress display ---------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_shows_hours_rate_and_eta() -> None:
    from payg_tui.commands.sync import ProgressDisplay

    screen = _Terminal()
    display = ProgressDisplay(screen)
    display.update(SyncProgress("snapshots", hours_done=300, hours_total=744, hours_added=298,
                                pages=20, elapsed=10.0))
    display.finish()
    drawn = screen.getvalue()
    assert drawn.startswith("\r\x1b[2K") and drawn.endswith("\n")
    assert "300/744 h" in drawn and "30 h/s" in drawn and "ETA 0:14" in drawn


def test_off_a_terminal_progress_says_nothing_unless_verbose() -> None:
    from payg_tui.commands.sync import ProgressDisplay

    log = io.StringIO()
    display = ProgressDisplay(log)
    display.update(SyncProgress("snapshots", 1, 744, 1, 1, 0.2, retry="503; trying again"))
    display._last_line -= 10
    display.update(SyncProgress("snapshots", 500, 744, 499, 30, 20.0))
    display.finish()
    assert log.getvalue() == ""


def test_off_a_terminal_verbose_progress_is_plain_lines_and_retries() -> None:
    from payg_tui.commands.sync import ProgressDisplay

    log = io.StringIO()
    display = ProgressDisplay(log, verbose=True)
    display.update(SyncProgress("snapshots", 1, 744, 1, 1, 0.1))  # too soon for a line
    display.update(SyncProgress("snapshots", 1, 744, 1, 1, 0.2, retry="503; trying again"))
    display._last_line -= 10
    display.update(SyncProgress("snapshots", 500, 744, 499, 30, 20.0))
    display.finish()
    assert log.getvalue().splitlines() == [
        "sync: 503; trying again",
        "sync: 500/744 hours, 499 added, 25 h/s  ETA 0:09",
    ]
    assert "\r" not in log.getvalue() and "\x1b" not in log.getvalue()
