"""`payg-tui collect` and `payg-tui prices` end to end: exit codes, output, secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from payg_tui.cli import main
from payg_tui.providers.retry import RetryPolicy
from tests.combell_stub import CombellStub, StubAccount

KEY = "cli-key-0123456789"
SECRET = "cli-secret-abcdefghij"


@pytest.fixture
def stub() -> Iterator[CombellStub]:
    server = CombellStub(KEY, SECRET)
    server.servicepacks = {1: "Linux Basic", 2: "Linux Pro"}
    server.accounts = {900: StubAccount("shop.example.be", 1, [(7000, "SSL certificate")]),
                       901: StubAccount("blog.example.be", 2)}
    server.start()
    yield server
    server.stop()


@pytest.fixture
def url(stub: CombellStub) -> str:
    return stub.url


@pytest.fixture(autouse=True)
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAYG_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PAYG_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PAYG_COMBELL_KEY", KEY)
    monkeypatch.setenv("PAYG_COMBELL_SECRET", SECRET)
    return tmp_path


def _no_secrets(*texts: str) -> None:
    for text in texts:
        assert KEY not in text and SECRET not in text


def test_collect_stores_and_says_so(url: str, dirs: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["collect", "--provider", "combell", "--api-url", url]) == 0
    out, err = capsys.readouterr()
    assert "stored the Combell snapshot for" in out
    assert "2 accounts, 1 add-ons" in out
    assert "collect: 2/2 accounts" in err  # the closing progress line
    assert "no price list" in err
    _no_secrets(out, err)
    assert (dirs / "cache" / "cache.sqlite3").exists()

    assert main(["collect", "--api-url", url, "--quiet"]) == 0
    assert "replaced the Combell snapshot" in capsys.readouterr().out


def test_config_file_keys_work_too(url: str, dirs: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PAYG_COMBELL_KEY")
    monkeypatch.delenv("PAYG_COMBELL_SECRET")
    (dirs / "config").mkdir()
    (dirs / "config" / "config.toml").write_text(
        f'[combell]\nkey = "{KEY}"\nsecret = "{SECRET}"\nurl = "{url}"\n')
    assert main(["collect", "--quiet"]) == 0
    _no_secrets(*capsys.readouterr())


def test_a_refused_signature_exits_3_in_one_line(url: str, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAYG_COMBELL_SECRET", "not-the-secret-xyz")
    assert main(["collect", "--api-url", url, "--quiet"]) == 3
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "401" in err
    assert "not-the-secret-xyz" not in out + err
    _no_secrets(out, err)


def test_no_credentials_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PAYG_COMBELL_SECRET")
    assert main(["collect", "--api-url", "http://127.0.0.1:9"]) == 2
    assert "PAYG_COMBELL_SECRET" in capsys.readouterr().err


def test_a_contract_break_exits_4_and_stores_nothing(stub: CombellStub, url: str, dirs: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    original = stub._accounts_page

    def no_total(query, headers):  # type: ignore[no-untyped-def]
        status, body, headers = original(query, headers)
        headers.pop("X-Paging-TotalResults")
        return status, body, headers

    stub._accounts_page = no_total  # type: ignore[method-assign]
    assert main(["collect", "--api-url", url, "--quiet"]) == 4
    assert "X-Paging-TotalResults" in capsys.readouterr().err
    assert not (dirs / "cache" / "cache.sqlite3").exists()


def test_unreachable_api_exits_3(monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    import payg_tui.providers.combell.client as client_module

    monkeypatch.setattr(client_module, "COMBELL_RETRY", RetryPolicy(tries=5, base_delay=0.0))
    assert main(["collect", "--api-url", "http://127.0.0.1:9", "--quiet"]) == 3
    assert "unreachable" in capsys.readouterr().err


def test_prices_init_then_check(url: str, dirs: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prices", "init", "--api-url", url]) == 0
    path = dirs / "config" / "prices.toml"
    text = path.read_text()
    assert "[service_packs.1]" in text and 'name = "Linux Basic"' in text
    assert "# payg-tui price list for Combell" in text
    assert main(["prices", "init", "--api-url", url]) == 2  # never overwrites by accident
    capsys.readouterr()

    path.write_text(text.replace("prices = []", 'prices = [{ from = 2025-01-01, monthly = "4.95" }]',
                                 1))
    assert main(["prices", "check"]) == 0
    out, err = capsys.readouterr()
    assert "pack:1  Linux Basic: 4.95 EUR/month" in out
    assert "1 of 2 products priced" in out
    assert "service_packs.2 has no price" in err
    _no_secrets(out, err)


def test_prices_check_names_the_mistake(dirs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (dirs / "config").mkdir()
    (dirs / "config" / "prices.toml").write_text(
        '[service_packs.1]\nprices = [{ from = 2025-01-01, monthly = 4.95 }]\n')
    assert main(["prices", "check"]) == 2
    assert "service_packs.1.prices[0].monthly" in capsys.readouterr().err


def test_collect_uses_the_price_list(url: str, dirs: Path) -> None:
    from payg_tui.store.cache import Store

    (dirs / "config").mkdir()
    (dirs / "config" / "prices.toml").write_text(
        'timezone = "UTC"\n[service_packs.1]\nname = "Basic"\n'
        'prices = [{ from = 2025-01-01, monthly = "4.95" }]\n')
    assert main(["collect", "--api-url", url, "--quiet"]) == 0
    with Store.open(dirs / "cache" / "cache.sqlite3") as store:
        products = store.products()
        assert store.provider() is not None and store.provider().timezone == "UTC"  # type: ignore[union-attr]
    assert str(products["pack:1"].prices[0].monthly) == "4.95"
    assert products["pack:2"].prices == ()  # seen at Combell, not priced: unpriced lines
    assert products["addon:SSL certificate"].prices == ()
