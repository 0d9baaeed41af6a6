"""`payg-tui statements` and `resale.toml` as a reseller uses them (resale.md)."""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from pathlib import Path

import pytest
import tomli_w

from payg_tui.cli import main
from tests.builders import World, h

HOSTILE_NAME = "<script>alert('x')</script>[bold]shop[/bold]\u202eexe.txt"
HOSTILE_REF = "[red]C-<b>1</b>\u202e"
RESALE = """\
currency = "EUR"
rule = "hourly"
markup = "25%"

[products.p144]
monthly = "150.00"

[customers.C-17]
name = "Bakkerij Janssens"
discount = "10%"
rule = "monthly"
"""


@pytest.fixture(autouse=True)
def dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYG_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PAYG_TUI_CONFIG_DIR", str(tmp_path / "config"))
    (tmp_path / "config").mkdir()
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def world() -> World:
    """November 2026, UTC, closed: Z (no customer) all month; C-17 upgrades mid-month; a hostile one."""
    w = World()
    w.account("Z", "p72", h("2026-11-01"))
    w.account("A", "p72", h("2026-11-01"), h("2026-11-16"), customer="C-17")
    w.account("A", "p144", h("2026-11-16"), customer="C-17")
    w.account("X", "p72", h("2026-11-01"), customer=HOSTILE_REF)
    w.names["X"] = HOSTILE_NAME
    return w


def import_world(capsys, tmp_path: Path, w: World, last: str = "2026-12-01T00") -> None:
    doc = {"provider": {"name": "Test Hosting", "currency": w.currency, "currency_exponent": w.exponent,
                        "timezone": w.timezone},
           "products": [{"code": p.code, "kind": p.kind, "name": p.name,
                         "prices": [{"effective_from": "2020-01-01T00:00:00Z", "monthly": str(v.monthly)}
                                    for v in p.prices]} for p in w.products().values()],
           "snapshots": [w.snapshot_doc(s) for s in range(h("2026-11-01"), h(last) + 1)]}
    path = tmp_path / "dump.json"
    path.write_text(json.dumps(doc))
    assert run(capsys, "import", str(path))[0] == 0


def write_resale(tmp_path: Path, text: str = RESALE) -> None:
    (tmp_path / "config" / "resale.toml").write_text(text, encoding="utf-8")


# -- the statements -------------------------------------------------------------------


def test_json_is_payg_statements_1_with_hand_computed_values(capsys, dirs):
    import_world(capsys, dirs, world())
    write_resale(dirs)
    code, out, err = run(capsys, "statements", "2026-11", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["schema", "period", "currency", "status", "customers", "totals"]
    assert (data["schema"], data["period"], data["currency"], data["status"]) == (
        "payg-statements/1", "2026-11", "EUR", "closed")
    c17 = next(c for c in data["customers"] if c["customer"] == "C-17")
    assert list(c17) == ["customer", "name", "rule", "discount", "lines", "cost", "revenue", "margin",
                         "incomplete"]
    assert (c17["name"], c17["rule"], c17["discount"]) == ("Bakkerij Janssens", "monthly", "10%")
    first, last = c17["lines"]
    assert list(first) == ["kind", "id", "product", "from", "to", "hours", "billed_days", "state", "cost",
                           "revenue", "margin"]
    # 360 h at 72 (36.00) then 360 h at 144 (72.00); monthly: 150.00 x 0.9 once, on the last line.
    assert (first["product"], first["cost"], first["revenue"], first["margin"]) == ("p72", "36.00", "0.00",
                                                                                  "-36.00")
    assert (last["product"], last["cost"], last["revenue"], last["margin"]) == ("p144", "72.00", "135.00",
                                                                               "63.00")
    assert (c17["cost"], c17["revenue"], c17["margin"], c17["incomplete"]) == ("108.00", "135.00", "27.00",
                                                                               False)
    nobody = data["customers"][-1]  # lines without a customer come last, as null
    assert (nobody["customer"], nobody["name"], nobody["rule"], nobody["discount"]) == (None, None, "hourly",
                                                                                      "0%")
    assert nobody["revenue"] == "90.00"  # 72.00 x 1.25, hourly over the whole month
    assert data["totals"] == {"cost": "252.00", "revenue": "315.00", "margin": "63.00", "incomplete": False}


def test_customer_option_keeps_one_statement_and_its_totals(capsys, dirs):
    import_world(capsys, dirs, world())
    write_resale(dirs)
    code, out, _ = run(capsys, "statements", "2026-11", "--customer", "C-17", "--format", "json")
    data = json.loads(out)
    assert code == 0 and [c["customer"] for c in data["customers"]] == ["C-17"]
    assert data["totals"]["revenue"] == "135.00"


def test_unknown_customer_is_one_line_exit_2(capsys, dirs):
    import_world(capsys, dirs, world())
    write_resale(dirs)
    code, out, err = run(capsys, "statements", "2026-11", "--customer", "C-99")
    assert code == 2 and not out and len(err.splitlines()) == 1 and "'C-99'" in err


def test_csv_and_table(capsys, dirs):
    import_world(capsys, dirs, world())
    write_resale(dirs)
    code, out, _ = run(capsys, "statements", "2026-11", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 4
    assert {(r["customer"], r["product"], r["revenue"]) for r in rows if r["customer"] == "C-17"} == {
        ("C-17", "p72", "0.00"), ("C-17", "p144", "135.00")}
    assert [r["margin"] for r in rows if r["product"] == "p72" and r["customer"] == "C-17"] == ["-36.00"]
    code, out, _ = run(capsys, "statements", "2026-11")
    assert code == 0 and "C-17 Bakkerij Janssens · rule monthly · discount 10%" in out
    assert "\u202e" not in out and "\x1b" not in out
    assert "total EUR: cost 252.00 · revenue 315.00 · margin 63.00" in out


def test_demo_has_its_own_price_list_with_a_negative_margin(capsys):
    code, out, err = run(capsys, "--demo", "statements", "2026-11", "--format", "json")
    assert code == 0, err
    customers = json.loads(out)["customers"]
    assert {c["rule"] for c in customers} == {"hourly", "daily", "monthly"}
    assert any(c["discount"] != "0%" for c in customers)
    assert any(c["margin"].startswith("-") for c in customers)


# -- html pages for the customer ----------------------------------------------------------


def test_html_writes_one_escaped_page_per_statement_without_cost_or_margin(capsys, dirs):
    import_world(capsys, dirs, world())
    doc = tomllib.loads(RESALE)
    doc["customers"][HOSTILE_REF] = {"name": HOSTILE_NAME}
    write_resale(dirs, tomli_w.dumps(doc))
    out_dir = dirs / "pages"
    code, out, err = run(capsys, "statements", "2026-11", "--format", "html", "--out", str(out_dir))
    assert code == 0, err
    pages = sorted(out_dir.iterdir())
    assert len(pages) == 3 and sorted(Path(p) for p in out.split()) == pages
    for page in pages:
        assert page.parent == out_dir and page.suffix == ".html"
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower() and "\u202e" not in text and "\x1b" not in text
        assert not re.search(r"(src|href)\s*=", text) and "http://" not in text and "https://" not in text
        assert "@media print" in text
        body = text.split("</head>")[1].lower()
        assert "cost" not in body and "margin" not in body
    hostile = next(p for p in pages if "C-" in p.name and "C-17" not in p.name)
    text = hostile.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;[bold]shop[/bold]?exe.txt" in text
    assert "[red]C-&lt;b&gt;1&lt;/b&gt;?" in text
    c17 = (out_dir / "statement-2026-11-C-17.html").read_text(encoding="utf-8")
    assert "Bakkerij Janssens" in c17 and "135.00 EUR" in c17 and "36.00" not in c17 and "108.00" not in c17
    assert "10%" in c17 and "included" in c17  # the discount said; the replaced pack included


def test_html_needs_out_and_out_needs_html(capsys, dirs):
    import_world(capsys, dirs, world())
    write_resale(dirs)
    code, _, err = run(capsys, "statements", "2026-11", "--format", "html")
    assert code == 2 and len(err.splitlines()) == 1 and "--out" in err
    code, _, err = run(capsys, "statements", "2026-11", "--out", str(dirs))
    assert code == 2 and len(err.splitlines()) == 1


# -- resale.toml refused key by key; the rest keeps working -------------------------------

BAD = """\
currency = "USD5"
rule = "weekly"
markup = "-5%"
colour = "blue"

[products.p72]
monthly = 19.5

[products.p144]
monthly = "-1.00"
price = "3"

[customers.C-17]
discount = "120%"
rule = "yearly"
name = 17
"""
BAD_KEYS = ["currency", "rule", "markup", "colour", "products.p72.monthly", "products.p144.monthly",
            "products.p144.price", "customers.C-17.discount", "customers.C-17.rule", "customers.C-17.name"]


def test_every_bad_key_is_one_line_naming_it_and_exit_2(capsys, dirs):
    import_world(capsys, dirs, world())
    write_resale(dirs, BAD)
    code, out, err = run(capsys, "statements", "2026-11")
    lines = err.splitlines()
    assert code == 2 and not out and "Traceback" not in err
    prefix = f"payg-tui: {dirs / 'config' / 'resale.toml'}: "
    assert all(line.startswith(prefix) for line in lines)
    assert sorted(line[len(prefix):].split(": ")[0] for line in lines) == sorted(BAD_KEYS)


@pytest.mark.parametrize(("text", "key"), [
    ("currency = 'EUR'\nrule = 'hourly'\n[customers.C-1]\ndiscount = '100.5%'\n", "customers.C-1.discount"),
    ("currency = 'EUR'\nmarkup = '25'\n", "markup"),
    ("currency = 'EUR'\nmarkup = 0.25\n", "markup"),
    ("currency = 'EUR'\nproducts = 3\n", "products"),
    ("currency = 'EUR'\n[products.p72]\n", "products.p72.monthly"),
    ("rule = 'daily'\n", "currency"),
    ("currency = 'EUR'\n[customers.'a.b']\nrule = 'never'\n", 'customers."a.b".rule'),
])
def test_each_kind_of_bad_value_names_its_key(capsys, dirs, text, key):
    import_world(capsys, dirs, world())
    write_resale(dirs, text)
    code, _, err = run(capsys, "statements", "2026-11")
    assert code == 2 and len(err.splitlines()) == 1 and f"resale.toml: {key}: " in err, err


def test_bad_toml_and_another_currency_are_refused_in_one_line(capsys, dirs):
    import_world(capsys, dirs, world())
    write_resale(dirs, "currency = \n")
    code, _, err = run(capsys, "statements", "2026-11")
    assert code == 2 and len(err.splitlines()) == 1 and "not valid TOML" in err
    write_resale(dirs, 'currency = "USD"\n')
    code, _, err = run(capsys, "statements", "2026-11")
    assert code == 2 and len(err.splitlines()) == 1 and "currency" in err and "EUR" in err


def test_without_resale_toml_statements_says_where_to_write_it(capsys, dirs):
    import_world(capsys, dirs, world())
    code, _, err = run(capsys, "statements", "2026-11")
    assert code == 2 and len(err.splitlines()) == 1 and "resale.toml" in err


def test_a_bad_resale_toml_does_not_break_report_or_periods(capsys, dirs):
    import_world(capsys, dirs, world())
    write_resale(dirs, BAD)
    assert run(capsys, "report", "2026-11", "--format", "json")[0] == 0
    assert run(capsys, "periods")[0] == 0
    write_resale(dirs, "not = [toml")
    assert run(capsys, "periods", "--format", "json")[0] == 0
