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


def _key_paths(value, path=""):
    """Every key of a JSON value with its path, in document order."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield f"{path}.{key}"
            yield from _key_paths(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _key_paths(inner, f"{path}[{i}]")


@pytest.mark.parametrize("period", ["2026-10", "2026-11"])
def test_report_json_keys_come_in_the_examples_order(capsys, period):
    run(capsys, "import", str(DUMP))
    out = run(capsys, "report", period, "--format", "json")[1]
    expected = json.loads((EXAMPLES / f"worked-example.report-{period}.json").read_text())
    assert list(_key_paths(json.loads(out))) == list(_key_paths(expected))


def test_report_csv_has_a_header_and_one_row_per_line(capsys):
    run(capsys, "import", str(DUMP))
    code, out, _ = run(capsys, "report", "2026-11", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 7
    assert rows[4]["id"] == "D" and rows[4]["product"] == "p144" and rows[4]["amount"] == "40.00"


def test_report_csv_columns_are_the_json_line_fields(capsys):
    run(capsys, "import", str(DUMP))
    out = run(capsys, "report", "2026-11", "--format", "csv")[1]
    header, *rows = list(csv.reader(io.StringIO(out)))
    assert header == ["kind", "id", "account_id", "name", "customer", "product", "from", "to", "hours",
                      "billed_days", "state", "amount", "estimate", "deadline"]
    lines = json.loads((EXAMPLES / "worked-example.report-2026-11.json").read_text())["lines"]
    assert list(lines[0]) == header  # one field list for both
    assert rows == [["" if v is None else str(v) for v in line.values()] for line in lines]
    e = dict(zip(header, rows[5], strict=True))
    assert (e["id"], e["state"], e["amount"], e["estimate"], e["deadline"]) == (
        "E", "pending", "3.00", "27.00", "2026-11-21T17:00:00Z")


def test_report_section_days_json_adds_up_with_line_rounding(capsys):
    run(capsys, "import", str(DUMP))
    code, out, _ = run(capsys, "report", "2026-10", "--format", "json", "--section", "days")
    doc = json.loads(out)
    example = json.loads((EXAMPLES / "worked-example.report-2026-10.json").read_text())
    assert code == 0 and doc["schema"] == "payg-days/1" and "lines" not in doc
    assert doc["days"] == example["days"] and doc["totals"] == example["totals"]
    assert (doc["days"][-1]["running"], doc["totals"]["day_rounding"]) == ("16.24", "0.02")


def test_report_section_days_table_shows_the_line_rounding_row(capsys):
    run(capsys, "import", str(DUMP))
    code, out, _ = run(capsys, "report", "2026-10", "--section", "days")
    rows = out.splitlines()
    assert code == 0
    assert rows[-2].split() == ["2026-10-31", "2.32", "EUR", "16.24", "EUR", "1", "0"]
    assert rows[-1].split() == ["line", "rounding", "0.02", "EUR", "16.26", "EUR"]
    assert "1 accounts and 0 add-ons billed or pending · 1 lines" in out


def test_report_section_products_and_customers_in_csv_and_json(capsys):
    run(capsys, "import", str(DUMP))
    out = run(capsys, "report", "2026-11", "--format", "csv", "--section", "products")[1]
    assert list(csv.reader(io.StringIO(out))) == [
        ["product", "kind", "items", "hours", "amount"],
        ["p144", "service_pack", "1", "200", "40.00"], ["p72", "service_pack", "5", "1080", "108.00"]]
    out = run(capsys, "report", "2026-11", "--format", "csv", "--section", "customers")[1]
    # No customer references in the example: every line is under "no customer".
    # Accounts as billing.md 8 counts them (billed or pending: B, free, is not
    # one), so the customers' accounts add up to totals.accounts (5); lines, 7.
    assert list(csv.reader(io.StringIO(out))) == [
        ["customer", "accounts", "lines", "billed", "pending", "estimate", "incomplete"],
        ["", "5", "7", "145.00", "3.00", "220.00", "false"]]
    doc = json.loads(run(capsys, "report", "2026-11", "--format", "json", "--section", "customers")[1])
    assert doc["customers"][0]["accounts"] == doc["totals"]["accounts"]
    assert doc["schema"] == "payg-customers/1" and doc["customers"] == [
        {"customer": None, "accounts": 5, "lines": 7, "billed": "145.00", "pending": "3.00",
         "estimate": "220.00", "incomplete": False}]
    doc = json.loads(run(capsys, "report", "2026-11", "--format", "json", "--section", "lines")[1])
    assert doc == json.loads((EXAMPLES / "worked-example.report-2026-11.json").read_text())


def test_report_section_through_the_console_script(cache_dir, capsys):
    run(capsys, "import", str(DUMP))
    env = {**os.environ, "PAYG_TUI_CACHE_DIR": str(cache_dir)}
    out = subprocess.run([sys.executable, "-m", "payg_tui.cli", "report", "2026-11", "--format", "csv",
                          "--section", "days"], capture_output=True, text=True, env=env, check=True)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 20 and rows[-1] == {"date": "2026-11-20", "billed": "7.20", "running": "145.00",
                                            "accounts": "4", "addons": "0"}
    bad = subprocess.run([sys.executable, "-m", "payg_tui.cli", "report", "2026-11", "--section", "x"],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_report_table_aligns_wide_names_by_terminal_cells(capsys, tmp_path):
    from rich.cells import cell_len

    names = {"A": "寿司の店.jp", "B": "🍣🍣 sushi", "C": "長い名前" * 10, "D": "plain.be"}

    def wide(doc):
        for snap in doc["snapshots"]:
            for acc in snap["accounts"]:
                acc["name"] = names.get(acc["id"], acc["name"])
    run(capsys, "import", str(_broken(tmp_path, wide)))
    out = run(capsys, "report", "2026-11")[1]
    rows = [r for r in out.splitlines() if r.startswith("account ")]
    assert any("寿司の店.jp" in r for r in rows) and any("🍣🍣 sushi" in r for r in rows)
    # 80 cells, cut to the name column's 32 cells with "…".
    assert any("長い名前" * 3 + "長い名…" in r for r in rows) and not any("長い名前" * 4 in r for r in rows)
    # The product column starts at the same terminal cell on every row, as does the end.
    starts = {cell_len(r[: r.index(" p72 ") if " p72 " in r else r.index(" p144 ")]) for r in rows}
    assert len(starts) == 1
    assert len({cell_len(r[: r.index(" EUR")]) for r in rows}) == 1


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


@pytest.mark.parametrize(("argv", "imported"), [
    ([], []),  # the dashboard
    (["report", "2026-11"], ["payg_tui.commands.report"]),
    (["config", "set", "api.url", "https://x"], ["payg_tui.commands.config"]),
])
def test_the_parser_imports_only_the_command_that_runs(argv, imported):
    probe = ("import sys; from payg_tui.cli import build_parser; build_parser().parse_args(sys.argv[1:]); "
             "print(sorted(m for m in sys.modules if m.startswith('payg_tui.commands.')))")
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == repr(imported)


@pytest.mark.parametrize("argv", [[], ["--demo"], ["--debug", "--demo"]])
def test_the_dashboard_parser_makes_no_command_parser(argv):
    from payg_tui.cli import build_parser

    parser = build_parser(argv)
    args = parser.parse_args(argv)
    assert args.command is None and args.demo == ("--demo" in argv)
    assert parser.commands == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", [["bogus"], ["--demo", "repot", "2026-11"]])
def test_a_mistyped_command_is_still_named_with_the_choices(capsys, argv):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and "report" in err and err.count("\n") == 1


def test_top_level_help_still_lists_every_command_with_its_help(capsys):
    from payg_tui.cli import COMMANDS

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name, module_name in COMMANDS.items():
        help_line = __import__(f"payg_tui.commands.{module_name}", fromlist=["HELP"]).HELP
        assert name in out and " ".join(help_line.split()[:3]) in " ".join(out.split())
