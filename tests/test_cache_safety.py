"""Hostile files and a shared cache (issue 10): import and sync refuse what would
harm the cache, in one line with the cli.md exit code, and leave it exactly as
it was. Real SQLite files, real processes: the exit codes, the one line on
stderr, and the cache's bytes and rows compared before and after.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from payg_tui.engine.model import slot_iso, slot_of
from payg_tui.errors import CacheError, DataContractError
from payg_tui.providers.payload import parse_provider, parse_snapshot
from payg_tui.service.books import Books
from payg_tui.service.importing import import_dump
from payg_tui.store.cache import Store
from tests.test_bad_input import _drop_dac_override, _permissions_apply, one_error_line, tables

DUMP = Path(__file__).parent / "data" / "worked-example.json"
ROOT = Path(__file__).resolve().parents[1]
LAST = datetime(2026, 11, 20, 23, tzinfo=UTC)  # the worked example's newest snapshot


def cli(*argv: str, cache_dir: Path, drop_dac: bool = False, timeout: float = 60,
        preexec: Any = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PAYG_TUI_CACHE_DIR": str(cache_dir),
               "PAYG_TUI_CONFIG_DIR": str(cache_dir.parent / "config"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "payg_tui.cli", *argv], capture_output=True, text=True,
                          env=environ, cwd=ROOT, timeout=timeout,
                          preexec_fn=_drop_dac_override if drop_dac else preexec)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def seeded(cache_dir: Path) -> tuple[bytes, dict[str, Any]]:
    """The worked example imported: the cache's bytes and rows."""
    done = cli("import", str(DUMP), cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    cache = cache_dir / "cache.sqlite3"
    return cache.read_bytes(), tables(cache)


def unchanged(cache_dir: Path, seeded: tuple[bytes, dict[str, Any]]) -> None:
    cache = cache_dir / "cache.sqlite3"
    assert tables(cache) == seeded[1]
    assert cache.read_bytes() == seeded[0]


def dump_with(tmp_path: Path, change: Any, name: str = "changed.json") -> Path:
    doc = json.loads(DUMP.read_text())
    change(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


# -- 1. snapshots from the future -------------------------------------------------------------


def _add_snapshot_at(moment: datetime) -> Any:
    def change(doc: dict[str, Any]) -> None:
        extra = copy.deepcopy(doc["snapshots"][-1])
        extra["taken_at"] = moment.strftime("%Y-%m-%dT%H:00:00Z")
        doc["snapshots"].append(extra)
    return change


def test_a_snapshot_from_the_future_is_refused_by_import_exit_4_nothing_stored(tmp_path, cache_dir, seeded):
    ahead = datetime.now(UTC) + timedelta(hours=3)
    bad = dump_with(tmp_path, _add_snapshot_at(ahead))
    done = cli("import", str(bad), cache_dir=cache_dir)
    assert done.returncode == 4, done.stderr
    line = one_error_line(done.stderr)
    assert "in the future" in line and ahead.strftime("%Y-%m-%dT%H:00:00Z") in line
    unchanged(cache_dir, seeded)


def test_the_future_is_one_hour_after_the_injected_clock(tmp_path):
    """The worked example ends at 2026-11-20T23:00Z: an hour of skew is allowed, not more."""
    cache = tmp_path / "c.sqlite3"
    with pytest.raises(DataContractError, match="2026-11-20T23:00:00Z: field 'taken_at': in the future"):
        import_dump(DUMP, cache=cache, now=lambda: LAST - timedelta(hours=1, minutes=1))
    assert not cache.exists() or tables(cache).get("hours") == []
    import_dump(DUMP, cache=cache, now=lambda: LAST - timedelta(hours=1))
    with Store.open(cache) as store:
        assert store.latest_slot() == slot_of(LAST)


def test_a_sync_whose_server_is_ahead_is_refused_exit_4_and_keeps_the_cache(tmp_path, cache_dir):
    from payg_tui.sandbox.server import start_sandbox

    now = slot_of(datetime.now(UTC))
    with start_sandbox(accounts=5, seed=3, token="tok-future-0123456789", now=lambda: now + 6,
                       start=now - 72) as server:
        done = cli("sync", "--api-url", server.url, "--token", "tok-future-0123456789",
                   "--since", slot_iso(now - 60), cache_dir=cache_dir)
    assert done.returncode == 4, done.stderr
    line = one_error_line(done.stderr)
    assert "in the future" in line
    cache = cache_dir / "cache.sqlite3"
    with Store.open(cache) as store:  # whole pages before the bad one may stay; nothing after now
        latest = store.latest_slot()
    assert latest is None or latest <= slot_of(datetime.now(UTC) + timedelta(hours=1))


def _future_cache(path: Path, hours_ahead: int) -> None:
    """A cache that already holds hours from the future (written before this check existed)."""
    doc = json.loads(DUMP.read_text())
    ahead = slot_of(datetime.now(UTC)) + hours_ahead
    snap = parse_snapshot({**doc["snapshots"][-1], "taken_at": slot_iso(ahead)}, "test")
    with Store.open(path) as store:
        store.add_snapshots([snap], provider=parse_provider(doc["provider"]))


def test_a_cache_holding_future_hours_says_so_in_periods_and_the_quality_tab(cache_dir, seeded):
    _future_cache(cache_dir / "cache.sqlite3", 30 * 24)
    done = cli("periods", cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "dated after now" in line]
    assert len(warnings) == 1 and warnings[0].startswith("payg-tui: warning: the cache holds 1 hour")
    with Books.open_cache(cache_dir / "cache.sqlite3") as books:
        report = books.report("2026-11")
        assert any("dated after now" in w for w in report.warnings)  # what the Quality tab lists
        books.clock = lambda: datetime.now(UTC) + timedelta(days=40)  # once that hour has come
        assert books.future_warning() is None


# -- 4. what import reads ------------------------------------------------------------------------


def test_import_of_dev_zero_is_refused_at_once_exit_2(cache_dir, seeded):
    done = cli("import", "/dev/zero", cache_dir=cache_dir, timeout=20)
    assert done.returncode == 2, done.stderr
    assert "/dev/zero is not a regular file" in one_error_line(done.stderr)
    unchanged(cache_dir, seeded)


def test_import_of_a_fifo_does_not_wait_for_a_writer(tmp_path, cache_dir, seeded):
    fifo = tmp_path / "dump.fifo"
    os.mkfifo(fifo)
    done = cli("import", str(fifo), cache_dir=cache_dir, timeout=20)
    assert done.returncode == 2 and "is not a regular file" in one_error_line(done.stderr)
    unchanged(cache_dir, seeded)


def test_import_of_a_symlink_loop_is_one_line(tmp_path, cache_dir, seeded):
    loop = tmp_path / "loop.json"
    loop.symlink_to(tmp_path / "loop.json")
    done = cli("import", str(loop), cache_dir=cache_dir)
    assert done.returncode == 2 and "cannot read" in one_error_line(done.stderr)
    unchanged(cache_dir, seeded)


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path, cache_dir, seeded):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:  # sparse: 3 GB on paper, nothing on disk
        handle.truncate(3 * 2**30)
    done = cli("import", str(huge), cache_dir=cache_dir, timeout=20)
    assert done.returncode == 4, done.stderr
    assert "more than the import limit of 1,024.0 MB" in one_error_line(done.stderr)
    unchanged(cache_dir, seeded)


def test_the_size_limit_is_a_setting(tmp_path, cache_dir, seeded):
    assert cli("config", "set", "import.max_file_mb", "1", cache_dir=cache_dir).returncode == 0
    big = dump_with(tmp_path, lambda doc: doc["provider"].update(padding="x" * 2 * 2**20))
    done = cli("import", str(big), cache_dir=cache_dir)
    assert done.returncode == 4 and "import.max_file_mb" in one_error_line(done.stderr)
    unchanged(cache_dir, seeded)
    assert cli("config", "set", "import.max_file_mb", "0", cache_dir=cache_dir).returncode == 2


# -- 5. several payg-tui at once on a new cache ---------------------------------------------------


def test_four_imports_at_once_into_a_new_cache_all_succeed(tmp_path):
    for round_ in range(3):
        cache_dir = tmp_path / f"cache-{round_}"
        environ = {**os.environ, "PAYG_TUI_CACHE_DIR": str(cache_dir)}
        command = [sys.executable, "-m", "payg_tui.cli", "import", str(DUMP)]
        children = [subprocess.Popen(command, env=environ, cwd=ROOT, stderr=subprocess.PIPE, text=True)
                    for _ in range(4)]
        results = [(child.wait(timeout=120), child.stderr.read()) for child in children]  # type: ignore[union-attr]
        for code, err in results:
            assert code == 0 or (code == 5 and "is busy" in err), err
            assert "damaged" not in err and "Traceback" not in err
        assert any(code == 0 for code, _ in results)
        alone = tmp_path / f"alone-{round_}"
        assert cli("import", str(DUMP), cache_dir=alone).returncode == 0
        together, single = tables(cache_dir / "cache.sqlite3"), tables(alone / "cache.sqlite3")
        assert {k: v for k, v in together.items() if k != "meta"} == {
            k: v for k, v in single.items() if k != "meta"}


# -- 6. one transaction: a write that fails leaves the cache as it was ----------------------------


def _file_size_limit(limit: int) -> Any:
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return limited


def _more_hours(tmp_path: Path) -> Path:
    """The worked example with two more days: an import that has something to write."""
    def change(doc: dict[str, Any]) -> None:
        last = doc["snapshots"][-1]
        for hour in range(1, 49):
            extra = copy.deepcopy(last)
            extra["taken_at"] = slot_iso(slot_of(LAST) + hour)
            extra["accounts"] = [*extra["accounts"], *[
                {"id": f"new-{hour}-{i}", "name": f"site {i}", "customer": "C-1", "pack": "p72",
                 "addons": []} for i in range(40)]]
            doc["snapshots"].append(extra)
    return dump_with(tmp_path, change, "more.json")


def _import_under_limit(more: Path, cache_dir: Path, seeded: tuple[bytes, dict[str, Any]],
                        limit: int) -> bool:
    """Import into a fresh copy of the seeded cache with file writes capped at `limit` bytes."""
    cache_dir.mkdir(parents=True)
    (cache_dir / "cache.sqlite3").write_bytes(seeded[0])
    done = cli("import", str(more), cache_dir=cache_dir, preexec=_file_size_limit(limit),
               env={"PYTHONDONTWRITEBYTECODE": "1"})
    if done.returncode == 0:
        return True
    assert done.returncode == 5, done.stderr
    one_error_line(done.stderr)
    unchanged(cache_dir, seeded)
    return False


def test_a_file_size_limit_hit_during_import_leaves_the_cache_exactly_as_before(tmp_path, cache_dir,
                                                                               seeded):
    """Every limit, down to the byte where the import starts to fit: either all of it is
    stored, or nothing (the cache's bytes and rows as before). Bisecting finds the edge, where
    a second transaction (the cache's age, written after the data) used to fail alone."""
    more = _more_hours(tmp_path)
    low, high = 4096, 16 * 2**20
    assert not _import_under_limit(more, tmp_path / "low", seeded, low)
    assert _import_under_limit(more, tmp_path / "high", seeded, high)
    probe = 0
    while high - low > 1:
        probe += 1
        middle = (low + high) // 2
        if _import_under_limit(more, tmp_path / f"probe-{probe}", seeded, middle):
            high = middle
        else:
            low = middle
    fitted = tmp_path / "fitted"
    assert _import_under_limit(more, fitted, seeded, high)
    with Store.open(fitted / "cache.sqlite3") as store:
        assert store.latest_slot() == slot_of(LAST) + 48 and store.updated_at()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A 256 KB file system (tmpfs), or where mounting is not allowed, a 256 KB file-size
    limit on the child: either way the import's writes hit a wall the seed fits under."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                             capture_output=True).returncode == 0
    yield mount_point, "the disk is full" if mounted else "disk I/O error"
    if mounted:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_during_import_is_exit_5_and_the_cache_as_before(tmp_path, small_disk):
    cache_dir, message = small_disk
    assert cli("import", str(DUMP), cache_dir=cache_dir).returncode == 0
    seeded = ((cache_dir / "cache.sqlite3").read_bytes(), tables(cache_dir / "cache.sqlite3"))

    def change(doc: dict[str, Any]) -> None:  # some 500 KB to store
        last = doc["snapshots"][-1]
        for hour in range(1, 49):
            extra = copy.deepcopy(last)
            extra["taken_at"] = slot_iso(slot_of(LAST) + hour)
            extra["accounts"] += [{"id": f"n-{hour}-{i}", "name": "x" * 200, "customer": None,
                                   "pack": "p72", "addons": []} for i in range(200)]
            doc["snapshots"].append(extra)
    done = cli("import", str(dump_with(tmp_path, change)), cache_dir=cache_dir,
               preexec=None if message == "the disk is full" else _file_size_limit(256 * 1024))
    assert done.returncode == 5, done.stderr
    assert message in one_error_line(done.stderr)
    unchanged(cache_dir, seeded)


TORN_WRITER = """
import os, sys
from pathlib import Path
from payg_tui.service.importing import read_dump
from payg_tui.store.cache import Store
dump = read_dump(Path(sys.argv[2]))
store = Store.open(Path(sys.argv[1]))
store._db.execute("PRAGMA wal_autocheckpoint = 0")  # the commit stays in the WAL
store.add_snapshots(dump.snapshots, provider=dump.provider, products=dump.products)
os._exit(0)  # no close, no checkpoint: as after a crash
"""


def test_a_torn_wal_gives_back_the_last_whole_commit(tmp_path, cache_dir, seeded):
    cache = cache_dir / "cache.sqlite3"
    more = _more_hours(tmp_path)
    subprocess.run([sys.executable, "-c", TORN_WRITER, str(cache), str(more)], cwd=ROOT, check=True)
    wal = cache_dir / "cache.sqlite3-wal"
    os.truncate(wal, wal.stat().st_size - 3000)  # the commit frame torn off
    done = cli("periods", "--format", "json", cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    assert {k: v for k, v in tables(cache).items() if k != "meta"} == {
        k: v for k, v in seeded[1].items() if k != "meta"}
    assert cli("import", str(more), cache_dir=cache_dir).returncode == 0
    with Store.open(cache) as store:
        assert store.latest_slot() == slot_of(LAST) + 48


# -- 7. a damaged schema ------------------------------------------------------------------------


def test_a_schema_text_that_is_not_utf8_is_exit_5_damaged(cache_dir, seeded):
    cache = cache_dir / "cache.sqlite3"
    db = sqlite3.connect(cache)
    db.execute("PRAGMA writable_schema = ON")
    db.execute("UPDATE sqlite_schema SET sql = CAST(? AS TEXT) WHERE name = 'meta'",
               (b"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL\xff\xfe)",))
    db.commit()
    db.close()
    before = cache.read_bytes()
    for argv in (["periods"], ["report", "2026-11"], ["import", str(DUMP)]):
        done = cli(*argv, cache_dir=cache_dir)
        assert done.returncode == 5, done.stderr
        assert "is damaged (text that is not UTF-8" in one_error_line(done.stderr)
        assert cache.read_bytes() == before


# -- 8. a cache this user may only read --------------------------------------------------------


@pytest.mark.parametrize("wal_files", ["none beside it", "left by a writer"])
def test_a_read_only_cache_still_reports_and_refuses_writes(cache_dir, seeded, wal_files):
    _permissions_apply()
    cache = cache_dir / "cache.sqlite3"
    holder = None
    if wal_files == "left by a writer":  # another process has it open: -wal and -shm exist
        holder = sqlite3.connect(cache)
        holder.execute("SELECT count(*) FROM meta").fetchone()
        assert (cache_dir / "cache.sqlite3-wal").exists()
    cache.chmod(0o444)
    cache_dir.chmod(0o555)
    try:
        done = cli("periods", cache_dir=cache_dir, drop_dac=True)
        assert done.returncode == 0, done.stderr
        assert "2026-11" in done.stdout and "2026-10" in done.stdout
        done = cli("report", "2026-11", "--format", "json", cache_dir=cache_dir, drop_dac=True)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["period"] == "2026-11"
        for argv in (["import", str(DUMP)],
                     ["sync", "--api-url", "http://127.0.0.1:9", "--token", "tok-0123456789"]):
            done = cli(*argv, cache_dir=cache_dir, drop_dac=True)
            assert done.returncode == 5, done.stderr
            assert "cannot write the cache" in one_error_line(done.stderr)
            assert "read-only" in done.stderr
    finally:
        cache_dir.chmod(0o755)
        cache.chmod(0o644)
        if holder is not None:
            holder.close()
    assert tables(cache) == seeded[1]


DASHBOARD_ON_READ_ONLY = """
import asyncio, sys
from payg_tui.config import Config
from payg_tui.service.books import Books
from payg_tui.ui.app import PaygApp

async def main():
    with Books.open_cache() as books:
        app = PaygApp(books, config=Config(api_url="http://127.0.0.1:9", api_token="tok-0123456789"),
                      auto_sync=False)
        async with app.run_test() as pilot:
            for _ in range(100):
                if app.loaded:
                    break
                await pilot.pause(0.05)
            await pilot.press("s")
            await pilot.pause(0.2)
            said = any("read-only for you" in note.message for note in app._notifications)
            print(books.read_only, [p.period.key for p in app.periods], app.syncing, said)

asyncio.run(main())
"""


def test_the_dashboard_opens_a_read_only_cache(cache_dir, seeded):
    _permissions_apply()
    cache = cache_dir / "cache.sqlite3"
    cache.chmod(0o444)
    cache_dir.chmod(0o555)
    try:
        done = subprocess.run([sys.executable, "-c", DASHBOARD_ON_READ_ONLY], capture_output=True, text=True,
                              env={**os.environ, "PAYG_TUI_CACHE_DIR": str(cache_dir)}, cwd=ROOT,
                              timeout=120, preexec_fn=_drop_dac_override)
    finally:
        cache_dir.chmod(0o755)
        cache.chmod(0o644)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True ['2026-11', '2026-10'] False True"


# -- 9. the same limits on every path -------------------------------------------------------------


def _hostile_account(field: str, value: str) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc["snapshots"][3]["accounts"][0][field] = value
    return change


HOSTILE = {  # field, (value made on demand: the test id travels in the environment), message
    "500-character id with ESC": ("id", lambda: "\x1b" + "a" * 500, "not a usable identifier"),
    "id with a terminal code": ("id", lambda: "acc-\x1b[2J", "not a usable identifier"),
    "201-character pack": ("pack", lambda: "p" * 201, "not a usable identifier"),
    "10 MB name": ("name", lambda: "n" * 10 * 2**20, "longer than 1,000 characters (10,485,760)"),
    "1,001-character customer": ("customer", lambda: "c" * 1001, "longer than 1,000 characters (1,001)"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_long_or_unprintable_values_are_refused_by_import_in_a_short_line(tmp_path, cache_dir, seeded, kind):
    field, value, message = HOSTILE[kind]
    bad = dump_with(tmp_path, _hostile_account(field, value()))
    done = cli("import", str(bad), cache_dir=cache_dir)
    assert done.returncode == 4, done.stderr
    line = one_error_line(done.stderr)
    assert message in line and f"accounts[0].{field}" in line and len(line) < 400
    unchanged(cache_dir, seeded)


def test_a_long_add_on_product_is_refused_too(tmp_path, cache_dir, seeded):
    def change(doc: dict[str, Any]) -> None:
        doc["snapshots"][5]["accounts"][0]["addons"] = [{"id": "add-1", "product": "ssl\x07"}]
    done = cli("import", str(dump_with(tmp_path, change)), cache_dir=cache_dir)
    assert done.returncode == 4 and "addons[0].product" in one_error_line(done.stderr)
    unchanged(cache_dir, seeded)


class _HostileApi(BaseHTTPRequestHandler):
    """A provider whose one snapshot carries a 500-character id holding ESC."""

    now = slot_of(datetime.now(UTC)) - 2

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.endswith("/v1/provider"):
            body: Any = {"name": "Hostile", "currency": "EUR", "timezone": "UTC"}
        elif path.endswith("/v1/products"):
            body = {"products": []}
        else:
            body = {"snapshots": [{"taken_at": slot_iso(self.now), "accounts": [
                {"id": "\x1b" + "a" * 500, "name": "x", "customer": None, "pack": "p", "addons": []}]}],
                "next_cursor": None}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hostile_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_sync_refuses_the_same_long_id_in_a_short_line(cache_dir, hostile_api):
    done = cli("sync", "--api-url", hostile_api, "--token", "tok-0123456789",
               "--since", slot_iso(_HostileApi.now), cache_dir=cache_dir)
    assert done.returncode == 4, done.stderr
    line = one_error_line(done.stderr)
    assert "accounts[0].id" in line and "not a usable identifier" in line and len(line) < 400
    with Store.open(cache_dir / "cache.sqlite3") as store:
        assert store.latest_slot() is None


# -- 10. another provider's data ------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("name", "Other Hosting"), ("currency", "USD"),
                                              ("timezone", "Europe/Brussels")])
def test_another_providers_dump_is_refused_unless_replace(tmp_path, cache_dir, seeded, field, value):
    other = dump_with(tmp_path, lambda doc: doc["provider"].update({field: value}))
    done = cli("import", str(other), cache_dir=cache_dir)
    assert done.returncode == 4, done.stderr
    line = one_error_line(done.stderr)
    assert "the cache holds 'Worked Example Hosting' (EUR, UTC)" in line and "--replace" in line
    unchanged(cache_dir, seeded)

    done = cli("import", "--replace", str(other), cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    backups = sorted(cache_dir.glob("cache.sqlite3.bak-*"))
    assert len(backups) == 1 and f"the old cache is kept as {backups[0]}" in done.stderr + done.stdout
    assert tables(backups[0])["provider"] == seeded[1]["provider"]
    assert {k: v for k, v in tables(backups[0]).items() if k != "meta"} == {
        k: v for k, v in seeded[1].items() if k != "meta"}
    with Store.open(cache_dir / "cache.sqlite3") as store:
        assert getattr(store.provider(), field) == value
        assert store.latest_slot() == slot_of(LAST)


def test_replace_drops_the_old_providers_hours(tmp_path, cache_dir, seeded):
    def other(doc: dict[str, Any]) -> None:
        doc["provider"]["name"] = "Other Hosting"
        doc["snapshots"] = doc["snapshots"][-24:]
    done = cli("import", "--replace", str(dump_with(tmp_path, other)), cache_dir=cache_dir)
    assert done.returncode == 0, done.stderr
    with Store.open(cache_dir / "cache.sqlite3") as store:
        assert store.observed() == [(slot_of(LAST) - 23, slot_of(LAST))]


def test_the_store_refuses_another_provider_in_the_same_transaction(tmp_path):
    doc = json.loads(DUMP.read_text())
    snap = parse_snapshot(doc["snapshots"][0], "test")
    with Store.open(tmp_path / "c.sqlite3") as store:
        store.add_snapshots([snap], provider=parse_provider(doc["provider"]))
        before = tables(tmp_path / "c.sqlite3")
        later = parse_snapshot(doc["snapshots"][1], "test")
        with pytest.raises(DataContractError, match="nothing was stored"):
            store.add_snapshots([later], provider=parse_provider({**doc["provider"], "currency": "USD"}))
    assert tables(tmp_path / "c.sqlite3") == before


def test_a_read_only_store_refuses_to_open_for_writing(tmp_path):
    _permissions_apply()
    cache_dir = tmp_path / "cache"
    assert cli("import", str(DUMP), cache_dir=cache_dir).returncode == 0
    (cache_dir / "cache.sqlite3").chmod(0o444)
    try:
        check = ("from payg_tui.store.cache import Store\nimport sys\n"
                 "try:\n    Store.open(sys.argv[1])\nexcept Exception as e:\n    print(type(e).__name__)\n")
        done = subprocess.run([sys.executable, "-c", check, str(cache_dir / "cache.sqlite3")], cwd=ROOT,
                              capture_output=True, text=True, preexec_fn=_drop_dac_override)
    finally:
        (cache_dir / "cache.sqlite3").chmod(0o644)
    assert done.stdout.strip() == CacheError.__name__


# -- 11. secrets in the config file --------------------------------------------------------------


def test_a_config_holding_a_token_that_others_can_read_gets_one_warning_fixed_by_config_set(cache_dir):
    config_file = cache_dir.parent / "config" / "config.toml"
    done = subprocess.run([sys.executable, "-m", "payg_tui.cli", "config", "set", "api.token"],
                          input="tok-from-stdin-0123456789\n", capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PAYG_TUI_CONFIG_DIR": str(config_file.parent)})
    assert done.returncode == 0, done.stderr
    assert "tok-from-stdin-0123456789" not in done.stdout + done.stderr  # shown masked
    assert "tok-from-stdin-0123456789" in config_file.read_text()
    assert oct(config_file.stat().st_mode & 0o777) == oct(0o600)
    config_file.chmod(0o644)  # a copy or a restore widened it

    done = cli("config", "show", cache_dir=cache_dir)
    assert done.returncode == 0
    warning = one_error_line(done.stderr)
    assert warning.startswith("payg-tui: warning: ") and "holds api.token" in warning
    assert "mode 0644" in warning and "tok-from-stdin" not in warning

    done = cli("config", "set", "api.read_timeout", "20", cache_dir=cache_dir)
    assert done.returncode == 0 and "rewritten readable by you only" in done.stderr
    assert oct(config_file.stat().st_mode & 0o777) == oct(0o600)
    assert cli("config", "show", cache_dir=cache_dir).stderr == ""


def test_config_set_of_a_secret_without_a_value_reads_it_and_a_plain_key_needs_one(cache_dir):
    done = cli("config", "set", "api.url", cache_dir=cache_dir)
    assert done.returncode == 2 and "give a value for api.url" in one_error_line(done.stderr)
    done = cli("config", "set", "api.tokn", cache_dir=cache_dir)
    assert done.returncode == 2 and "unknown config key" in one_error_line(done.stderr)
    done = cli("config", "set", "api.token", cache_dir=cache_dir)  # stdin empty: nothing to save
    assert done.returncode == 2 and "api.token is empty" in one_error_line(done.stderr)


# -- 14. one sync at a time ---------------------------------------------------------------------

LOCK_HOLDER = """
import sys
from pathlib import Path
from payg_tui.service.sync import sync_lock
with sync_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_second_sync_says_who_holds_the_cache_and_a_killed_one_frees_it(cache_dir, seeded):
    from payg_tui.store.synclock import holder

    cache = cache_dir / "cache.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(cache)], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    found = holder(cache)
    assert found is not None and found.pid == proc.pid
    done = cli("sync", "--api-url", "http://127.0.0.1:9", "--token", "tok-0123456789", cache_dir=cache_dir)
    assert done.returncode == 5, done.stderr
    line = one_error_line(done.stderr)
    assert f"another sync is running on the cache {cache} (pid {proc.pid} on " in line
    # An import waits for the sync too: `--replace` under a running sync would leave
    # the sync writing its pages over the imported data.
    done = cli("import", "--replace", str(DUMP), cache_dir=cache_dir)
    assert done.returncode == 5, done.stderr
    line = one_error_line(done.stderr)
    assert f"a sync is running on the cache {cache} (pid {proc.pid} on " in line
    assert "wait for it to finish before the import" in line
    proc.kill()  # kill -9: the kernel drops the lock
    proc.wait(timeout=10)
    assert holder(cache) is None
    unchanged(cache_dir, seeded)


# -- 12. CSV is terminal-safe too ----------------------------------------------------------------


def test_csv_cells_carry_no_control_characters(tmp_path, cache_dir):
    names = {"A": "evil\x1b[2J\x07name", "B": "two\nlines\rhere", "C": "\u202eoverride", "D": "=\x1b]0;x\x07"}

    def change(doc: dict[str, Any]) -> None:
        for snap in doc["snapshots"]:
            for acc in snap["accounts"]:
                if acc["id"] in names:
                    acc["name"] = names[acc["id"]]
                    acc["customer"] = "C\x1b[31m"
    assert cli("import", str(dump_with(tmp_path, change)), cache_dir=cache_dir).returncode == 0
    for section in ("lines", "customers"):
        done = cli("report", "2026-11", "--format", "csv", "--section", section, cache_dir=cache_dir)
        assert done.returncode == 0, done.stderr
        body = done.stdout
        assert not [ch for ch in body if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) < 0xA0
                    or ch in "\u202e\u2028\u2029"], section
        assert len(body.splitlines()) == len(list(csv.reader(body.splitlines())))
    lines = cli("report", "2026-11", "--format", "csv", cache_dir=cache_dir).stdout
    assert "evil?[2J?name" in lines and "two?lines?here" in lines and "'=?]0;x?" in lines
    exact = json.loads(cli("report", "2026-11", "--format", "json", cache_dir=cache_dir).stdout)
    assert {ln["name"] for ln in exact["lines"]} >= {"evil\x1b[2J\x07name", "two\nlines\rhere"}


@pytest.mark.parametrize("kind", ["a FIFO", "a symlink loop", "a link to /dev/zero"])
@pytest.mark.parametrize("argv", [["periods"], ["import", str(DUMP)]])
def test_a_cache_that_is_not_a_file_is_exit_5_at_once(cache_dir, kind, argv):
    cache_dir.mkdir(parents=True)
    cache = cache_dir / "cache.sqlite3"
    if kind == "a FIFO":
        os.mkfifo(cache)
    elif kind == "a symlink loop":
        cache.symlink_to(cache)
    else:
        cache.symlink_to("/dev/zero")
    done = cli(*argv, cache_dir=cache_dir, timeout=20)
    assert done.returncode == 5, done.stderr
    line = one_error_line(done.stderr)
    assert f"cannot read the cache {cache}" in line
    assert "not a regular file" in line or "symbolic links" in line
