"""The dashboard on a cache that other processes write (issue 10, item 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from payg_tui.config import Config
from payg_tui.engine.model import slot_iso
from payg_tui.service.books import Books
from payg_tui.service.importing import import_dump
from payg_tui.ui.app import PaygApp
from tests.ui.conftest import settle

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "data" / "worked-example.json"


def _first_days(tmp_path: Path, snapshots: int) -> Path:
    doc = json.loads(EXAMPLE.read_text())
    doc["snapshots"] = doc["snapshots"][:snapshots]
    path = tmp_path / "first-days.json"
    path.write_text(json.dumps(doc))
    return path


async def test_an_import_by_another_process_shows_within_two_seconds(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "cache.sqlite3"
    import_dump(_first_days(tmp_path, 200), cache=cache)
    books = Books.open_cache(cache)
    app = PaygApp(books, auto_sync=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = app.status.as_of
        assert before is not None and slot_iso(before) == "2026-11-02T07:00:00Z"
        await pilot.pause(1.2)  # the watch has seen the file once
        done = subprocess.run([sys.executable, "-m", "payg_tui.cli", "import", str(EXAMPLE)], cwd=ROOT,
                              capture_output=True, text=True,
                              env={**os.environ, "PAYG_TUI_CACHE_DIR": str(cache.parent)})
        assert done.returncode == 0, done.stderr
        written = time.monotonic()
        while app.status.as_of == before and time.monotonic() - written < 5:
            await pilot.pause(0.05)
        noticed = time.monotonic() - written
        assert app.status.as_of is not None and slot_iso(app.status.as_of) == "2026-11-20T23:00:00Z"
        print(f"noticed {noticed:.2f} s after the import ended")
        assert noticed < 2.0, noticed
    books.close()


HOLDER = """
import sys
from pathlib import Path
from payg_tui.service.sync import sync_lock
with sync_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


async def test_s_while_another_sync_runs_says_who_holds_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "cache.sqlite3"
    import_dump(EXAMPLE, cache=cache)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(cache)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        books = Books.open_cache(cache)
        config = Config(api_url="http://127.0.0.1:9", api_token="tok-0123456789")
        app = PaygApp(books, config=config, auto_sync=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press("s")
            await settle(pilot)
            assert not app.syncing
            notes = [note.message for note in app._notifications]
            assert any(f"another sync is running on this cache (pid {holder.pid} on " in note
                       for note in notes), notes
        books.close()
    finally:
        holder.communicate("", timeout=10)


async def test_the_quality_tab_says_when_the_cache_holds_hours_from_the_future(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from payg_tui.engine.model import slot_of
    from payg_tui.providers.payload import parse_provider, parse_snapshot
    from payg_tui.store.cache import Store
    from payg_tui.ui.screens.period import PeriodScreen
    from tests.ui.conftest import screen_words

    cache = tmp_path / "cache" / "cache.sqlite3"
    import_dump(EXAMPLE, cache=cache)
    doc = json.loads(EXAMPLE.read_text())
    ahead = slot_of(datetime.now(UTC)) + 24 * 40  # written by a clock set 40 days ahead
    with Store.open(cache) as store:
        store.add_snapshots([parse_snapshot({**doc["snapshots"][-1], "taken_at": slot_iso(ahead)}, "t")],
                            provider=parse_provider(doc["provider"]))
    books = Books.open_cache(cache)
    app = PaygApp(books, auto_sync=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        app.open_period("2026-11")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PeriodScreen) and screen.report is not None
        screen.show_tab("quality")
        await settle(pilot)
        assert "the cache holds 1 hour dated after now" in screen_words(pilot)
    books.close()
