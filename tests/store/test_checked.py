"""The cache's integrity check runs once per change of the file, not on every open."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from payg_tui.errors import CacheError
from payg_tui.store import checked
from payg_tui.store.cache import Store
from tests.builders import World, h


def _settled_cache(path: Path) -> Path:
    """A whole cache whose last change is old enough to be vouched for."""
    World().account("Z", "p72", h("2026-11-01")).store(path, h("2026-11-01"), h("2026-11-03")).close()
    past = os.stat(path).st_mtime_ns - 10**9
    os.utime(path, ns=(past, past))
    Store.open(path).close()  # found whole, closed by the last connection: vouched
    return path


def _scribble(path: Path) -> None:
    """Damage the pages after the first, keeping the file's size."""
    data = bytearray(path.read_bytes())
    for i in range(4096, min(len(data), 4096 * 3)):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


def test_a_cache_left_whole_is_not_checked_again_until_it_changes(tmp_path: Path) -> None:
    path = _settled_cache(tmp_path / "c.sqlite3")
    assert checked.is_vouched(path)
    Store.open(path).close()  # reading changes nothing
    assert checked.is_vouched(path)
    db = sqlite3.connect(path, isolation_level=None)  # any other writer
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('note', 'x')")
    db.close()
    assert not checked.is_vouched(path)


def test_a_cache_just_written_is_not_vouched_for(tmp_path: Path) -> None:
    # A change in the same tick of the file clock would keep the same times.
    path = tmp_path / "c.sqlite3"
    World().account("Z", "p72", h("2026-11-01")).store(path, h("2026-11-01"), h("2026-11-03")).close()
    assert not checked.is_vouched(path)


def test_damage_after_a_vouched_close_is_still_found(tmp_path: Path) -> None:
    path = _settled_cache(tmp_path / "c.sqlite3")
    before = os.stat(path)
    _scribble(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # even with the old times back
    with pytest.raises(CacheError, match="damaged"), Store.open(path) as store:
        store.load_ledger()
    assert not checked.stamp_path(path).exists()


def test_a_crash_that_leaves_the_log_behind_means_a_check(tmp_path: Path) -> None:
    path = _settled_cache(tmp_path / "c.sqlite3")
    writer = (
        "import os, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute(\"INSERT OR REPLACE INTO meta (key, value) VALUES ('note', 'x')\")\n"
        "os._exit(0)\n"  # no close: the write-ahead log stays
    )
    subprocess.run([sys.executable, "-c", writer, str(path)], check=True)
    assert Path(f"{path}-wal").stat().st_size > 0
    assert not checked.is_vouched(path)
    Store.open(path).close()  # checked, recovered, whole

