"""Bad input through the real console entry: one clear line, the cli.md exit code, nothing lost.

Broken import files, damaged or busy caches, odd period arguments and
hostile names. Every user error must exit with its code from cli.md, print
exactly one line on stderr starting with `payg-tui: ` (never a traceback),
and leave what the cache already held exactly as it was.
"""

from __future__ import annotations

import csv
import ctypes
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from payg_tui.cli import main
from payg_tui.store import cache as cache_module

DUMP = Path(__file__).parent / "data" / "worked-example.json"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYG_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PAYG_TUI_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "cache"


@pytest.fixture
def cache_file(cache_dir) -> Path:
    return cache_dir / "cache.sqlite3"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def cli(*argv: str, env: dict[str, str] | None = None, drop_dac: bool = False,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m payg_tui.cli ARGV` in a real process (optionally without root's file powers)."""
    return subprocess.run([sys.executable, "-m", "payg_tui.cli", *argv], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=ROOT, timeout=timeout,
                          preexec_fn=_drop_dac_override if drop_dac else None)


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("payg-tui: "), err
    assert "Traceback" not in err
    assert lines[0].isprintable(), repr(lines[0])
    return lines[0]


def tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema), read without changing the file."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        rows = {n: sorted(db.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
        schema = db.execute("SELECT type, name, sql FROM sqlite_schema").fetchall()
        rows["(schema)"] = sorted(schema, key=repr)
        rows["(pragmas)"] = [(db.execute("PRAGMA user_version").fetchone()[0],
                              db.execute("PRAGMA application_id").fetchone()[0])]
        return rows
    finally:
        db.close()


def seeded(capsys, cache_file: Path) -> tuple[bytes, dict[str, Any]]:
    assert run(capsys, "import", str(DUMP))[0] == 0
    return cache_file.read_bytes(), tables(cache_file)


# -- import: broken files -------------------------------------------------------------------


def _truncated(path: Path) -> None:
    data = DUMP.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _deep(path: Path) -> None:
    path.write_text('{"provider": ' + "[" * 200_000 + "]" * 200_000 + "}")


def _huge_number(path: Path) -> None:
    doc = json.loads(DUMP.read_text())
    text = json.dumps(doc).replace('"currency_exponent": 2', '"currency_exponent": ' + "9" * 5000)
    path.write_text(text)


BAD_FILES = {
    "truncated JSON": (_truncated, 4, "not valid JSON (line 1"),
    "array instead of object": (lambda p: p.write_text("[1, 2, 3]"), 4,
                                "field '(document)': expected an object, got array"),
    "invalid UTF-8": (lambda p: p.write_bytes(b'{"provider": {"name": "\xff\xfe\xc3("}}'), 4, "not UTF-8"),
    "empty file": (lambda p: p.write_bytes(b""), 4, "the file is empty"),
    "only whitespace": (lambda p: p.write_bytes(b"  \n"), 4, "the file is empty"),
    "directory": (lambda p: p.mkdir(), 2, "is a folder"),
    "nested 200,000 deep": (_deep, 4, "nested too deeply"),
    "a 5,000-digit number": (_huge_number, 4, "Exceeds the limit"),
    "a string, not a dump": (lambda p: p.write_text('"hello"'), 4, "expected an object, got string"),
    "NaN for the exponent": (lambda p: p.write_text(DUMP.read_text().replace(
        '"currency_exponent": 2', '"currency_exponent": NaN')), 4, "currency_exponent"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_broken_import_file_is_one_line_and_the_cache_is_untouched(capsys, tmp_path, cache_file, kind):
    raw, rows = seeded(capsys, cache_file)
    make, code, message = BAD_FILES[kind]
    bad = tmp_path / "bad.json"
    make(bad)
    got, _out, err = run(capsys, "import", str(bad))
    assert got == code, err
    assert message in one_error_line(err) and str(bad) in err
    assert tables(cache_file) == rows
    assert cache_file.read_bytes() == raw


def test_a_file_that_fails_to_read_is_a_usage_error(capsys, cache_file):
    """/proc/self/mem opens but its first read fails (EIO), even for root."""
    if not Path("/proc/self/mem").exists():
        pytest.skip("no /proc/self/mem on this system")
    raw, rows = seeded(capsys, cache_file)
    code, _, err = run(capsys, "import", "/proc/self/mem")
    assert code == 2 and "cannot read /proc/self/mem: " in one_error_line(err)
    assert cache_file.read_bytes() == raw and tables(cache_file) == rows


def test_a_missing_file_whose_name_holds_control_characters_stays_one_line(capsys, tmp_path):
    name = tmp_path / "evil\n\x1b[31mred\x07.json"
    code, _, err = run(capsys, "import", str(name))
    line = one_error_line(err)
    assert code == 2 and "no such file" in line and "\\x1b[31mred\\x07" in line


def _drop_dac_override() -> None:
    """In the child: give up root's right to ignore file permissions (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH), so that chmod means what it says even when tests run as root."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            os._exit(97)


def _permissions_apply() -> None:
    if os.geteuid() != 0:
        return
    probe = subprocess.run([sys.executable, "-c", "pass"], preexec_fn=_drop_dac_override)
    if probe.returncode == 97:
        pytest.skip("running as root without the right to drop CAP_DAC_OVERRIDE: chmod cannot block root")


def test_an_unreadable_file_is_a_usage_error(tmp_path, cache_dir):
    _permissions_apply()
    bad = tmp_path / "secret.json"
    bad.write_bytes(DUMP.read_bytes())
    bad.chmod(0)
    done = cli("import", str(bad), drop_dac=os.geteuid() == 0, env={"PAYG_TUI_CACHE_DIR": str(cache_dir)})
    assert done.returncode == 2, done.stderr
    assert "cannot read" in one_error_line(done.stderr) and "Permission denied" in done.stderr
    assert not (cache_dir / "cache.sqlite3").exists()


def test_subprocess_import_of_broken_files_prints_no_traceback(tmp_path, cache_dir):
    env = {"PAYG_TUI_CACHE_DIR": str(cache_dir)}
    for kind in ("truncated JSON", "nested 200,000 deep", "invalid UTF-8"):
        make, code, message = BAD_FILES[kind]
        bad = tmp_path / f"{kind}.json"
        make(bad)
        done = cli("import", str(bad), env=env)
        assert done.returncode == code and message in one_error_line(done.stderr), done.stderr
        assert done.stdout == ""


# -- the cache ----------------------------------------------------------------------------


def _valid_cache_bytes(capsys, cache_file: Path) -> bytes:
    seeded(capsys, cache_file)
    return cache_file.read_bytes()


def _truncate_to_100(capsys, cache_file):
    data = _valid_cache_bytes(capsys, cache_file)
    cache_file.write_bytes(data[:100])


def _garbage_after_header(capsys, cache_file):
    data = _valid_cache_bytes(capsys, cache_file)
    cache_file.write_bytes(data[:100] + os.urandom(len(data) - 100))


def _garbage_pages(capsys, cache_file):
    """The first page intact, the rest random: SQLite reads fine until it meets a page."""
    data = _valid_cache_bytes(capsys, cache_file)
    page = int.from_bytes(data[16:18], "big")
    cache_file.write_bytes(data[:page] + os.urandom(len(data) - page))


def _directory(capsys, cache_file):
    cache_file.mkdir(parents=True)


def _newer_schema(capsys, cache_file):
    seeded(capsys, cache_file)
    db = sqlite3.connect(cache_file)
    db.execute("PRAGMA user_version = 99")
    db.close()


def _foreign_sqlite(capsys, cache_file):
    cache_file.parent.mkdir(parents=True)
    db = sqlite3.connect(cache_file)
    db.execute("CREATE TABLE photos (id INTEGER)")
    db.close()


def _bad_price(capsys, cache_file):
    seeded(capsys, cache_file)
    db = sqlite3.connect(cache_file)
    db.execute("UPDATE prices SET monthly = 'lots'")
    db.commit()
    db.close()


BAD_CACHES = {
    "truncated to 100 bytes": (_truncate_to_100, "damaged"),
    "random bytes after the header": (_garbage_after_header, "damaged"),
    "random pages after the first": (_garbage_pages, "damaged"),
    "a directory": (_directory, "cannot read the cache"),
    "a newer schema": (_newer_schema, "newer payg-tui"),
    "another program's SQLite": (_foreign_sqlite, "not a payg-tui cache"),
    "a price that is not a number": (_bad_price, "damaged"),
}


@pytest.mark.parametrize("kind", list(BAD_CACHES))
@pytest.mark.parametrize("command", [["report", "2026-11"], ["periods", "--format", "json"], ["import"]])
def test_a_bad_cache_is_exit_5_in_one_line_and_left_as_it_was(capsys, cache_file, kind, command):
    make, message = BAD_CACHES[kind]
    make(capsys, cache_file)
    before = None if cache_file.is_dir() else cache_file.read_bytes()
    argv = [*command, str(DUMP)] if command == ["import"] else command
    code, out, err = run(capsys, *argv)
    if kind == "a price that is not a number" and command == ["import"]:
        assert code == 0  # the import rewrites the prices: the cache is whole again
        return
    assert code == 5, err
    assert message in one_error_line(err) and out == ""
    if before is not None:
        assert cache_file.read_bytes() == before
    else:
        assert cache_file.is_dir() and not any(cache_file.iterdir())


def test_a_cache_folder_that_is_a_file_is_exit_5(capsys, tmp_path, monkeypatch):
    (tmp_path / "plain").write_text("x")
    monkeypatch.setenv("PAYG_TUI_CACHE_DIR", str(tmp_path / "plain"))
    code, _, err = run(capsys, "import", str(DUMP))
    assert code == 5 and "cannot open the cache" in one_error_line(err)


def test_a_read_only_cache_folder_refuses_the_import_and_still_reports(capsys, cache_dir, cache_file):
    _permissions_apply()
    raw, rows = seeded(capsys, cache_file)
    env = {"PAYG_TUI_CACHE_DIR": str(cache_dir)}
    cache_file.chmod(0o444)
    cache_dir.chmod(0o555)
    try:
        done = cli("import", str(DUMP), env=env, drop_dac=os.geteuid() == 0)
        assert done.returncode == 5, done.stderr
        assert "permissions" in one_error_line(done.stderr) or "read-only" in done.stderr
        done = cli("report", "2026-11", "--format", "json", env=env, drop_dac=os.geteuid() == 0)
        assert done.returncode in (0, 5), done.stderr
        if done.returncode == 0:
            assert json.loads(done.stdout)["period"] == "2026-11"
        else:
            assert "permissions" in one_error_line(done.stderr)
    finally:
        cache_dir.chmod(0o755)
        cache_file.chmod(0o644)
    assert cache_file.read_bytes() == raw and tables(cache_file) == rows


LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive-mode":
    db.execute("PRAGMA locking_mode = EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE")
db.execute("INSERT INTO meta (key, value) VALUES ('locker', 'x')")
print("locked", flush=True)
sys.stdin.read()
db.execute("ROLLBACK")
"""


@pytest.fixture
def locked(cache_file):
    """Another process holding `BEGIN EXCLUSIVE` on the cache until the test ends."""
    holders: list[subprocess.Popen[str]] = []

    def lock(mode: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(cache_file), mode], text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        holders.append(proc)
        assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
        return proc

    yield lock
    for proc in holders:
        if proc.returncode is None:
            proc.communicate(timeout=10)


@pytest.mark.parametrize("mode", ["normal", "exclusive-mode"])
def test_a_locked_cache_is_busy_exit_5_soon_and_unharmed(capsys, cache_file, locked, monkeypatch, mode):
    _raw, rows = seeded(capsys, cache_file)
    monkeypatch.setattr(cache_module, "BUSY_TIMEOUT", 0.5)
    holder = locked(mode)
    start = time.monotonic()
    code, _, err = run(capsys, "import", str(DUMP))
    assert time.monotonic() - start < 5
    assert code == 5 and "is busy" in one_error_line(err)
    code, out, err = run(capsys, "report", "2026-11", "--format", "json")
    if mode == "normal":  # WAL: readers are not blocked by a writer
        assert code == 0 and json.loads(out)["period"] == "2026-11"
    else:  # nobody else may even read: say so, do not call it damaged
        assert code == 5 and "is busy" in one_error_line(err) and "damaged" not in err
    holder.communicate(timeout=10)  # the locker rolls back and lets go
    assert tables(cache_file) == rows
    assert run(capsys, "import", str(DUMP))[0] == 0  # and the cache works again
    assert tables(cache_file) == {**rows, "meta": tables(cache_file)["meta"]}


def test_a_locked_cache_waits_the_default_timeout_then_says_busy(capsys, cache_file, cache_dir, locked):
    seeded(capsys, cache_file)
    locked("exclusive-mode")
    start = time.monotonic()
    done = cli("periods", env={"PAYG_TUI_CACHE_DIR": str(cache_dir)}, timeout=30)
    assert done.returncode == 5 and "is busy" in one_error_line(done.stderr)
    assert time.monotonic() - start < cache_module.BUSY_TIMEOUT + 10


# -- period arguments and usage ----------------------------------------------------------------


@pytest.mark.parametrize("period", ["2026-1", "26-11", "2026-11-01", "", "0000-01", "9999-12",
                                    "٢٠٢٦-١١", "2026-13", " 2026-11", "2026-11\n"])
def test_a_bad_period_is_a_usage_error(capsys, cache_file, period):
    seeded(capsys, cache_file)
    code, out, err = run(capsys, "report", period)
    assert code == 2 and "not a period" in one_error_line(err) and out == ""


@pytest.mark.parametrize("argv", [["report"], ["report", "2026-11", "--format", "xml"],
                                  ["periods", "--format", "csv"], ["nonsense"], ["import"]])
def test_usage_errors_are_one_line_too(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert "--help" in one_error_line(err)


# -- hostile names --------------------------------------------------------------------------

HOSTILE = {
    "A": "\x1b[31m[bold]evil[/]\x1b]0;pwned\x07",
    "B": "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "C": "over\rwrite\b\b\bX\u202egnp.exe\u2066\u200b\u200d\ufeff",
    "D": "=cmd|' /C calc'!A0",
    "E": "line\u2028break\u2029para\x85next\x9b31m",
}
CUSTOMERS = {"A": "+SUM(A1)", "B": "-2+3", "C": "@foo", "D": "\tTAB", "E": None}


def _hostile_dump(tmp_path: Path, provider_name: str = "Host \x1b[2J\u202eing") -> Path:
    doc = json.loads(DUMP.read_text())
    doc["provider"]["name"] = provider_name
    for snap in doc["snapshots"]:
        for acc in snap["accounts"]:
            if acc["id"] in HOSTILE:
                acc["name"] = HOSTILE[acc["id"]]
                acc["customer"] = CUSTOMERS[acc["id"]]
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc))
    return path


def _terminal_safe(text: str) -> None:
    for bad in ("\x1b", "\x07", "\r", "\b", "\x9b", "\x85", "\u2028", "\u2029"):
        assert bad not in text, repr(bad)
    assert not [ch for ch in text if unicodedata.category(ch) in ("Cf", "Cs", "Co", "Cn")
                or (unicodedata.category(ch) == "Cc" and ch != "\n")]


def test_hostile_names_cannot_reach_the_terminal(capsys, tmp_path):
    assert run(capsys, "import", str(_hostile_dump(tmp_path)))[0] == 0
    sections = [["report", "2026-11", "--section", s] for s in ("days", "products", "customers")]
    for argv in (["report", "2026-11"], ["report", "2026-10"], ["periods"], *sections):
        code, out, _ = run(capsys, *argv)
        assert code == 0
        _terminal_safe(out)
    _, out, _ = run(capsys, "report", "2026-11")
    assert "?[31m[bold]evil[/]?]0;pwned?" in out and "Host ?[2J?ing" in out


def test_csv_cells_never_start_a_formula(capsys, tmp_path):
    assert run(capsys, "import", str(_hostile_dump(tmp_path)))[0] == 0
    code, out, _ = run(capsys, "report", "2026-11", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and len(rows) > 1
    for row in rows:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
    names = {row[1]: row[3] for row in rows[1:]}
    assert names["D"] == "'=cmd|' /C calc'!A0"
    customers = {row[1]: row[4] for row in rows[1:]}
    assert customers["A"] == "'+SUM(A1)" and customers["B"] == "'-2+3" and customers["C"] == "'@foo"
    code, out, _ = run(capsys, "report", "2026-11", "--format", "csv", "--section", "customers")
    by_customer = [row[0] for row in csv.reader(io.StringIO(out))][1:]
    assert code == 0 and {"'+SUM(A1)", "'-2+3", "'@foo"} <= set(by_customer)


def test_json_gives_back_the_exact_strings(capsys, tmp_path):
    assert run(capsys, "import", str(_hostile_dump(tmp_path)))[0] == 0
    for period in ("2026-10", "2026-11"):
        code, out, _ = run(capsys, "report", period, "--format", "json")
        assert code == 0 and out.isascii()  # every non-ASCII character escaped
        lines = json.loads(out)["lines"]
        for line in lines:
            if line["account_id"] in HOSTILE:
                assert line["name"] == HOSTILE[line["account_id"]]
                assert line["customer"] == CUSTOMERS[line["account_id"]]
    code, out, _ = run(capsys, "periods", "--format", "json")
    assert code == 0 and json.loads(out)["periods"]


def test_a_lone_surrogate_name_is_stored_as_a_replacement_not_a_crash(capsys, tmp_path):
    """A lone surrogate is valid JSON (`"\\ud800"`) but not text: SQLite cannot store it.
    The name keeps every other character; the surrogate becomes U+FFFD (engine/text.py)."""
    doc = json.loads(DUMP.read_text())
    for snap in doc["snapshots"]:
        for acc in snap["accounts"]:
            if acc["id"] == "A":
                acc["name"] = "shop\ud800.be"
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps(doc))
    assert run(capsys, "import", str(path))[0] == 0
    _, out, _ = run(capsys, "report", "2026-11", "--format", "json")
    assert next(ln["name"] for ln in json.loads(out)["lines"] if ln["account_id"] == "A") == "shop\ufffd.be"


def test_a_lone_surrogate_id_is_refused_naming_the_snapshot(capsys, tmp_path, cache_file):
    raw, rows = seeded(capsys, cache_file)
    doc = json.loads(DUMP.read_text())
    doc["snapshots"][3]["accounts"][0]["id"] = "acc-\udc00"
    path = tmp_path / "surrogate-id.json"
    path.write_text(json.dumps(doc))
    code, _, err = run(capsys, "import", str(path))
    assert code == 4
    # Refused while parsing (an id must be printable text), before the store sees it.
    assert ("snapshot 2026-10-25T03:00:00Z: field 'accounts[0].id': not a usable identifier: "
            "'acc-\\udc00'") in one_error_line(err)
    assert cache_file.read_bytes() == raw and tables(cache_file) == rows


def test_the_subprocess_table_output_is_terminal_safe(tmp_path, cache_dir):
    env = {"PAYG_TUI_CACHE_DIR": str(cache_dir)}
    assert cli("import", str(_hostile_dump(tmp_path)), env=env).returncode == 0
    done = cli("report", "2026-11", env=env)
    assert done.returncode == 0 and done.stderr == ""
    _terminal_safe(done.stdout)
    shutil.rmtree(cache_dir)
