"""config.toml: reading, validating, writing 0600, env overrides, `payg-tui config`."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from payg_tui import config
from payg_tui.cli import main
from payg_tui.config import Config, load_config, save_config, set_value, validate
from payg_tui.errors import UsageError

TOKEN = "tok-7c1f0e5b9a2d4e6f8a0b1c2d3e4f5a6b"


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("PAYG_TUI_CONFIG_DIR", str(folder))
    monkeypatch.setenv("PAYG_TUI_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("PAYG_API_URL", "PAYG_API_TOKEN", "PAYG_COMBELL_KEY", "PAYG_COMBELL_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return folder


def test_a_missing_file_is_the_defaults() -> None:
    loaded = load_config()
    assert loaded.api_url is None and loaded.api_token is None
    assert loaded.connect_timeout == config.DEFAULT_CONNECT_TIMEOUT
    assert loaded.read_timeout == config.DEFAULT_READ_TIMEOUT
    assert loaded.combell_key is None and loaded.combell_secret is None


def test_saved_values_load_back_and_the_file_is_private(config_dir: Path) -> None:
    wanted = Config(api_url="https://api.host.example/payg", api_token=TOKEN,
                    connect_timeout=2.5, read_timeout=40, combell_key="key-1",
                    combell_secret="secret-1", combell_url="https://api.combell.com")
    path = save_config(wanted)
    assert path == config_dir / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_config()
    assert (loaded.api_url, loaded.api_token, loaded.connect_timeout, loaded.read_timeout) == (
        "https://api.host.example/payg", TOKEN, 2.5, 40.0)
    assert (loaded.combell_key, loaded.combell_secret, loaded.combell_url) == (
        "key-1", "secret-1", "https://api.combell.com")
    assert list(config_dir.iterdir()) == [path]  # no temp file left behind


def test_saving_keeps_sections_and_keys_it_does_not_know(config_dir: Path) -> None:
    config_dir.mkdir()
    (config_dir / "config.toml").write_text(
        '[ui]\ntheme = "nord"\n\n[api]\nurl = "https://a.example"\nfuture = 1\n')
    set_value("api.read_timeout", "12")
    doc = tomllib.loads((config_dir / "config.toml").read_text())
    assert doc == {"ui": {"theme": "nord"},
                   "api": {"url": "https://a.example", "future": 1, "read_timeout": 12.0}}


def test_an_existing_world_readable_file_becomes_private(config_dir: Path) -> None:
    config_dir.mkdir()
    path = config_dir / "config.toml"
    path.write_text("")
    path.chmod(0o644)
    set_value("api.token", TOKEN)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("url", ["https://api.host.example/payg/", "http://127.0.0.1:8080",
                                 "http://127.9.9.9/x", "http://[::1]:9000", "http://localhost"])
def test_https_and_loopback_http_urls_are_accepted(url: str) -> None:
    assert validate("api.url", url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://api.host.example", "http://10.0.0.1", "ftp://x.example",
                                 "api.host.example", "https://user:pw@api.host.example",
                                 "http://localhost.evil.example", "https://"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(UsageError):
        validate("api.url", url)


@pytest.mark.parametrize(("url", "rule"), [
    ("http://hooks.chat.example/key-123", "must use https://"),
    ("https://user:key-123@hooks.chat.example/", "user name or password"),
    ("hooks.chat.example/key-123", "must start with https://"),
    ("https://hooks.chat.example:99999/key-123", "not a valid URL"),
    ("https://hooks.chat.example/key-123#frag", "fragment"),
])
def test_api_and_webhook_urls_follow_one_rule_and_the_webhook_is_never_repeated(url: str,
                                                                                rule: str) -> None:
    with pytest.raises(UsageError, match=rule) as webhook:
        config.check_webhook(url)
    assert "key-123" not in str(webhook.value)  # the webhook's key is a secret
    with pytest.raises(UsageError, match=rule.split(" (")[0]):
        config.check_url(url.replace("#frag", "?q=1") if "#" in url else url)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "abc", True])
def test_timeouts_must_be_positive_numbers(value: object) -> None:
    with pytest.raises(UsageError, match=r"api\.read_timeout"):
        validate("api.read_timeout", value)


def test_an_unknown_key_lists_the_known_keys() -> None:
    with pytest.raises(UsageError) as caught:
        set_value("api.tokn", "x")
    for key in config.KNOWN_KEYS:
        assert key in caught.value.message


def test_a_bad_token_is_refused_without_being_repeated() -> None:
    with pytest.raises(UsageError) as caught:
        validate("api.token", "secret value\n")
    assert "secret" not in caught.value.message


def test_environment_overrides_the_file_and_cannot_be_saved(
        monkeypatch: pytest.MonkeyPatch) -> None:
    set_value("api.url", "https://file.example")
    set_value("api.token", "file-token")
    monkeypatch.setenv("PAYG_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PAYG_API_TOKEN", TOKEN)
    monkeypatch.setenv("PAYG_COMBELL_KEY", "env-key")
    monkeypatch.setenv("PAYG_COMBELL_SECRET", "env-secret")
    loaded = load_config()
    assert (loaded.api_url, loaded.api_token) == ("http://127.0.0.1:9", TOKEN)
    assert (loaded.combell_key, loaded.combell_secret) == ("env-key", "env-secret")
    assert loaded.overridden == {"api.url", "api.token", "combell.key", "combell.secret"}
    with pytest.raises(UsageError, match="apply_env=False"):
        save_config(loaded)
    assert load_config(apply_env=False).api_url == "https://file.example"


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYG_API_URL", "http://api.host.example")
    with pytest.raises(UsageError, match="PAYG_API_URL"):
        load_config()


def test_secrets_stay_out_of_the_repr() -> None:
    loaded = Config(api_token=TOKEN, combell_key="key-xyz", combell_secret="secret-xyz")
    assert TOKEN not in repr(loaded)
    assert "key-xyz" not in repr(loaded) and "secret-xyz" not in repr(loaded)


def test_mask_shows_a_prefix_of_long_secrets_only() -> None:
    assert config.mask(TOKEN) == f"tok-…({len(TOKEN)} chars)"
    assert config.mask("short") == "********"
    assert config.mask(None) == "(not set)"


def test_a_malformed_file_is_reported_with_its_path_and_line(
        config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_dir.mkdir()
    path = config_dir / "config.toml"
    path.write_text('[api]\nurl = "https://a.example"\ntoken = oops\n')
    assert main(["config", "show"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "line 3" in err
    assert len(err.strip().splitlines()) == 1


def test_a_wrongly_typed_value_in_the_file_names_the_key(config_dir: Path) -> None:
    config_dir.mkdir()
    (config_dir / "config.toml").write_text("[api]\nconnect_timeout = \"soon\"\n")
    with pytest.raises(UsageError, match=r"api\.connect_timeout"):
        load_config()


def test_config_show_masks_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    set_value("api.url", "https://api.host.example")
    set_value("api.token", TOKEN)
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert TOKEN not in out and TOKEN[4:12] not in out
    assert "https://api.host.example" in out
    assert f"({len(TOKEN)} chars)" in out


def test_config_set_validates_and_saves(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "set", "api.connect_timeout", "3"]) == 0
    assert load_config().connect_timeout == 3.0
    assert main(["config", "set", "api.url", "http://api.host.example"]) == 2
    assert "https://" in capsys.readouterr().err
    assert load_config().api_url is None


def test_config_set_token_from_stdin_never_prints_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
    assert main(["config", "set", "api.token", "-"]) == 0
    assert load_config().api_token == TOKEN
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err


def test_config_set_says_when_the_environment_overrides_the_key(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAYG_API_URL", "http://127.0.0.1:9")
    assert main(["config", "set", "api.url", "https://api.host.example"]) == 0
    assert "environment overrides api.url" in capsys.readouterr().err
    assert load_config(apply_env=False).api_url == "https://api.host.example"
