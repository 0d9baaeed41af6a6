"""`import`, `periods` and `report` as a reseller runs them (cli.md)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from payg_tui.cli import main

# A copy of shared/spec/examples: the worked example and the reports it must give.
EXAMPLES = Path(__file__).parent / "data"
DUMP = EXAMPLES / "worked-example.json"


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYG_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PAYG_TUI_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "cache"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("period", ["2026-10", "2026-11"])
def test_report_json_is_the_worked_example_field_for_field(capsys, period):
    assert run(capsys, "import", str(DUMP))[0] == 0
    code, out, _ = run(capsys, "report", period, "--format", "json")
    assert code == 0
    assert json.loads(out) == json.loads((EXAMPLES / f"worked-example.report-{period}.json").read_text())


def test_report_csv_has_a_header_and_one_row_per_line(capsys):
    run(capsys, "import", str(DUMP))
    code, out, _ = run(capsys, "report", "2026-11", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 7
    assert rows[4]["id"] == "D" and rows[4]["product"] == "p144" and rows[4]["amount"] == "40.00"


def test_report_table_shows_totals_status_and_estimate(capsys):
    run(capsys, "import", str(DUMP))
    code, out, _ = run(capsys, "report", "2026-11")
    assert code == 0
    assert "open" in out and "estimate for the month 220.00 EUR" in out and "145.00 EUR" in out
    assert "42.20 EUR" in out


def test_periods_lists_each_month_newest_first(capsys):
    run(capsys, "import", str(DUMP))
    code, out, _ = run(capsys, "periods", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert [(p["period"], p["status"], p["estimate"]) for p in data["periods"]] == [
        ("2026-11", "open", "220.00"), ("2026-10", "closed", "16.26")]
    code, out, _ = run(capsys, "periods")
    assert "2026-11" in out.splitlines()[4] and "220.00 EUR" in out


def test_importing_the_same_file_twice_changes_nothing(capsys, cache_dir):
    run(capsys, "import", str(DUMP))
    first = run(capsys, "report", "2026-11", "--format", "json")[1]
    code, out, err = run(capsys, "import", str(DUMP))
    assert code == 0 and "0 new hours" in out + err
    assert run(capsys, "report", "2026-11", "--format", "json")[1] == first


def _broken(tmp_path: Path, mutate) -> Path:
    doc = json.loads(DUMP.read_text())
    mutate(doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    return path


BROKEN = {
    "missing field": (lambda d: d["snapshots"][5]["accounts"][0].pop("pack"),
                      "snapshot 2026-10-25T05:00:00Z: field 'accounts[0].pack': missing"),
    "wrong type": (lambda d: d["snapshots"][7]["accounts"][0].__setitem__("addons", {}),
                   "snapshot 2026-10-25T07:00:00Z: field 'accounts[0].addons': expected an array"),
    "not hour aligned": (lambda d: d["snapshots"][3].__setitem__("taken_at", "2026-10-25T03:30:00Z"),
                         "snapshots[3]: field 'taken_at': expected an hour-aligned UTC time"),
    "bad decimal": (lambda d: d["products"][0]["prices"][0].__setitem__("monthly", 72.0),
                    "products: field 'products[0].prices[0].monthly': expected a string"),
    "duplicate id": (lambda d: d["snapshots"][9]["accounts"].append(d["snapshots"][9]["accounts"][0]),
                     "snapshot 2026-10-25T09:00:00Z: field 'accounts[1].id': duplicate account id 'Z'"),
    "same hour twice": (lambda d: d["snapshots"].append(d["snapshots"][0]),
                        "snapshot 2026-10-25T00:00:00Z: field 'taken_at': two snapshots for the same hour"),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_dump_is_refused_with_one_line_and_the_cache_kept(capsys, tmp_path, cache_dir, kind):
    run(capsys, "import", str(DUMP))
    before = (cache_dir / "cache.sqlite3").read_bytes()
    mutate, message = BROKEN[kind]
    code, _out, err = run(capsys, "import", str(_broken(tmp_path, mutate)))
    assert code == 4
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert (cache_dir / "cache.sqlite3").read_bytes() == before


def test_user_errors_exit_with_cli_codes(capsys, tmp_path, cache_dir):
    assert run(capsys, "report", "2026-11")[0] == 5  # no cache yet
    assert not (cache_dir / "cache.sqlite3").exists()  # reading never creates one
    assert run(capsys, "import", str(tmp_path / "nope.json"))[0] == 2
    (tmp_path / "bad.json").write_text("{not json")
    code, _, err = run(capsys, "import", str(tmp_path / "bad.json"))
    assert code == 4 and "line 1, column 2" in err
    run(capsys, "import", str(DUMP))
    code, _, err = run(capsys, "report", "2026-13")
    assert code == 2 and "not a period" in err
    code, _, err = run(capsys, "report", "2025-01")
    assert code == 2 and "no data for period 2025-01" in err


def test_a_foreign_cache_file_gives_exit_5_without_traceback(cache_dir):
    cache_dir.mkdir(parents=True)
    (cache_dir / "cache.sqlite3").write_text("not ours")
    env = {**os.environ, "PAYG_TUI_CACHE_DIR": str(cache_dir)}
    out = subprocess.run([sys.executable, "-m", "payg_tui.cli", "periods"], capture_output=True,
                         text=True, env=env)
    assert out.returncode == 5
    assert "is not a payg-tui cache" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert (cache_dir / "cache.sqlite3").read_text() == "not ours"


def test_a_non_whole_hour_zone_is_refused_at_import(capsys, tmp_path):
    path = _broken(tmp_path, lambda d: d["provider"].__setitem__("timezone", "Asia/Kolkata"))
    code, _, err = run(capsys, "import", str(path))
    assert code == 4 and "provider.timezone" in err and "whole UTC hour" in err


def test_hostile_names_are_shown_as_text_not_terminal_codes(capsys, tmp_path):
    def hostile(doc):
        for snap in doc["snapshots"]:
            for acc in snap["accounts"]:
                if acc["id"] == "A":
                    acc["name"] = "\x1b[31m[bold]evil[/]\x1b]0;pwned\x07"
    run(capsys, "import", str(_broken(tmp_path, hostile)))
    _, out, _ = run(capsys, "report", "2026-11")
    assert "\x1b" not in out and "\x07" not in out and "?[31m[bold]evil[/]" in out
    _, out, _ = run(capsys, "report", "2026-11", "--format", "json")
    assert json.loads(out)["lines"][0]["name"] == "\x1b[31m[bold]evil[/]\x1b]0;pwned\x07"
