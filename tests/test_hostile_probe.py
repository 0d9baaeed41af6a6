"""Hostile input found by probing the commands as a reviewer would: each case runs a
real `python -m payg_tui.cli` process and checks the exit code of cli.md, one
`payg-tui: ` line on stderr (no traceback) and that the cache is left as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from payg_tui.engine.model import slot_of
from payg_tui.sandbox.server import SandboxServer

ROOT = Path(__file__).resolve().parents[1]
DUMP = Path(__file__).parent / "data" / "worked-example.json"


def cli(*argv: str, home: Path, env: dict[str, str] | None = None,
        **options: object) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PAYG_TUI_CACHE_DIR": str(home / "cache"),
               "PAYG_TUI_CONFIG_DIR": str(home / "config"), **(env or {})}
    options = {"stdout": subprocess.PIPE, **options}
    return subprocess.run([sys.executable, "-m", "payg_tui.cli", *argv], stderr=subprocess.PIPE,
                          text=True, env=environ, cwd=ROOT, timeout=120, **options)  # type: ignore[call-overload]


def one_line(stderr: str) -> str:
    """The single `payg-tui: ` line of stderr (and no traceback)."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("payg-tui: "), stderr
    return lines[0]


def test_a_sync_from_a_provider_in_a_half_hour_zone_is_one_line_exit_4(tmp_path: Path) -> None:
    start = slot_of(datetime(2026, 11, 1, tzinfo=UTC))
    with SandboxServer(accounts=10, timezone="Asia/Kolkata", start=start).serve_in_background() as api:
        done = cli("sync", home=tmp_path, env={"PAYG_API_URL": api.url, "PAYG_API_TOKEN": api.token})
    assert done.returncode == 4, done.stderr
    line = one_line(done.stderr)
    assert "provider.timezone" in line and "Asia/Kolkata" in line and "whole UTC hour" in line
    assert not (tmp_path / "cache" / "cache.sqlite3").exists() or cli(
        "periods", home=tmp_path).returncode == 5  # nothing was stored


def test_a_report_to_a_full_disk_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    assert cli("import", str(DUMP), home=tmp_path).returncode == 0
    for form in ("table", "csv", "json"):
        with open("/dev/full", "w") as full:
            done = cli("report", "2026-11", "--format", form, home=tmp_path, stdout=full)
        assert done.returncode == 74, done.stderr
        line = one_line(done.stderr)
        assert "standard output" in line and "No space left on device" in line


def test_a_closed_standard_output_does_not_stop_the_work(tmp_path: Path) -> None:
    closed = {"preexec_fn": lambda: os.close(1)}
    done = cli("import", str(DUMP), home=tmp_path, **closed)
    assert (done.returncode, done.stderr) == (0, "")
    done = cli("periods", home=tmp_path, **closed)
    assert (done.returncode, done.stderr) == (0, "")
    assert "2026-11" in cli("periods", home=tmp_path).stdout  # the import above was stored


def test_an_output_encoding_without_the_characters_shows_them_as_question_marks(tmp_path: Path) -> None:
    for encoding in ("ascii", "latin-1"):
        done = cli("report", "2026-11", "--demo", home=tmp_path, env={"PYTHONIOENCODING": encoding},
                   errors="replace")
        assert (done.returncode, done.stderr) == (0, ""), done.stderr
        assert "Demo Hosting ? period 2026-11" in done.stdout  # the em dash


BOM = b"\xef\xbb\xbf"  # what Windows Notepad may put at the start of a UTF-8 file


def test_a_config_file_starting_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_bytes(BOM + b'[api]\nurl = "https://api.example.be"\n')
    done = cli("config", home=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert "https://api.example.be" in done.stdout


def test_a_resale_file_starting_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    assert cli("import", str(DUMP), home=tmp_path).returncode == 0
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "resale.toml").write_bytes(BOM + b'currency = "EUR"\nmarkup = "25%"\n')
    done = cli("statements", "2026-11", "--format", "json", home=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_price_list_starting_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    from payg_tui.providers.combell.prices import load_price_list

    path = tmp_path / "prices.toml"
    path.write_bytes(BOM + b'currency = "EUR"\n[service_packs.1]\n'
                     b'prices = [{ from = 2025-01-01, monthly = "4.95" }]\n')
    assert load_price_list(path).provider.currency == "EUR"


def test_a_byte_order_mark_alone_is_not_enough_to_make_text_of_latin_1(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_bytes(BOM + b'[api]\nurl = "https://caf\xe9.be"\n')
    done = cli("config", home=tmp_path)
    assert done.returncode == 2 and "not valid UTF-8" in one_line(done.stderr)


def test_an_empty_option_value_is_a_usage_error_not_the_default(tmp_path: Path) -> None:
    """`--api-url "$URL"` with URL unset must not quietly sync from the configured API."""
    for option in ("--since", "--until", "--api-url", "--token"):
        done = cli("sync", "--api-url", "http://127.0.0.1:1", "--token", "t", option, "", home=tmp_path)
        assert done.returncode == 2, (option, done.stderr)
        assert option in one_line(done.stderr) and "empty" in done.stderr
    done = cli("sandbox", "--since", "", home=tmp_path)
    assert done.returncode == 2 and "--since" in one_line(done.stderr)
    done = cli("alerts", "--demo", "--webhook", "", home=tmp_path)
    assert done.returncode == 2 and "--webhook" in one_line(done.stderr)


def test_the_dashboard_off_a_terminal_says_so_instead_of_drawing_into_a_pipe(tmp_path: Path) -> None:
    """`payg-tui > file`, `payg-tui | less` or cron: escape codes and a wait for keys for ever."""
    for argv in ([], ["--demo"]):
        done = cli(*argv, home=tmp_path, stdin=subprocess.DEVNULL)
        assert (done.returncode, done.stdout) == (2, ""), done.stdout[:200]
        assert "needs a terminal" in one_line(done.stderr)
