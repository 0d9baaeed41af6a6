"""`payg-tui alerts` as cron and a reseller run it: output, exit codes, settings, the timer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from payg_tui import config
from payg_tui.cli import main
from tests.builders import World, h

FIRST = h("2026-11-25T00")
AS_OF = h("2026-12-02T04")
NOW = "2026-12-02T04:00:00Z"
TRIAL = h("2026-12-01T08")  # deadline 2026-12-03T07:00Z, 27 h after NOW


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("PAYG_TUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PAYG_TUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("PAYG_ALERTS_WEBHOOK", raising=False)
    return {**os.environ}


def cache(tmp_path: Path, *, trial: bool = True, name: str = "nieuwe-klant.be") -> None:
    w = World(timezone="Europe/Brussels")
    w.account("old", "p72", FIRST)
    if trial:
        w.account("new", "p72", TRIAL)
        w.names["new"] = name
    (tmp_path / "cache").mkdir(exist_ok=True)
    w.store(tmp_path / "cache" / "cache.sqlite3", FIRST, AS_OF).close()


def cli(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "payg_tui.cli", "alerts", *argv], env=env,
                          capture_output=True, text=True, timeout=60)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["alerts", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- exit codes, in real processes ------------------------------------------------


def test_exit_0_and_silence_when_there_is_nothing_to_say(tmp_path, env):
    cache(tmp_path)
    done = cli("--now", NOW, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_exit_1_with_one_line_per_alert(tmp_path, env):
    cache(tmp_path)
    done = cli("--now", NOW, "--within", "27", env=env)
    assert done.returncode == 1 and done.stderr == ""
    assert done.stdout.splitlines() == [
        "warning   deadline  nieuwe-klant.be: delete before 3 Dec 08:00 CET to pay nothing "
        "(71.13 EUR to month end)"]


@pytest.mark.parametrize("argv", [["--now", "yesterday"], ["--within", "0"], ["--within", "x"],
                                  ["--format", "xml"], ["--webhook", "http://hooks.example/secret-path"]])
def test_exit_2_on_bad_arguments_in_one_line(tmp_path, env, argv):
    cache(tmp_path)
    done = cli(*argv, env=env)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("payg-tui: ")
    assert "secret-path" not in done.stderr


def test_exit_5_without_a_cache(env):
    done = cli("--now", NOW, env=env)
    assert done.returncode == 5 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "cache" in done.stderr


def test_exit_5_on_a_damaged_cache(tmp_path, env):
    cache(tmp_path)
    path = tmp_path / "cache" / "cache.sqlite3"
    data = path.read_bytes()
    path.write_bytes(data[:100] + bytes(len(data) - 100))
    done = cli("--now", NOW, env=env)
    assert done.returncode == 5 and len(done.stderr.splitlines()) == 1


def test_exit_5_on_an_empty_cache(tmp_path, env):
    (tmp_path / "cache").mkdir()
    from payg_tui.store.cache import Store

    Store.open(tmp_path / "cache" / "cache.sqlite3").close()
    done = cli("--now", NOW, env=env)
    assert done.returncode == 5 and "no data yet" in done.stderr


# -- output -----------------------------------------------------------------------


def test_json_is_payg_alerts_1_key_for_key(tmp_path, capsys):
    cache(tmp_path)
    code, out, _ = run(capsys, "--now", NOW, "--within", "30", "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert list(doc) == ["schema", "now", "alerts"]
    assert (doc["schema"], doc["now"]) == ("payg-alerts/1", NOW)
    [alert] = doc["alerts"]
    assert list(alert) == ["kind", "severity", "item", "account_id", "name", "deadline",
                           "cost_if_kept", "message"]
    assert alert["deadline"] == "2026-12-03T07:00:00Z" and alert["cost_if_kept"] == "71.13"


def test_json_with_nothing_to_say_is_an_empty_list_and_exit_0(tmp_path, capsys):
    cache(tmp_path)
    code, out, _ = run(capsys, "--now", NOW, "--format", "json")
    assert code == 0 and json.loads(out) == {"schema": "payg-alerts/1", "now": NOW, "alerts": []}


def test_now_without_an_offset_is_utc(tmp_path, capsys):
    cache(tmp_path)
    _, out, _ = run(capsys, "--now", "2026-12-02T04:00", "--format", "json")
    assert json.loads(out)["now"] == NOW
    _, out, _ = run(capsys, "--now", "2026-12-02T05:00+01:00", "--format", "json")
    assert json.loads(out)["now"] == NOW


def test_a_hostile_name_cannot_reach_the_terminal_as_escapes(tmp_path, capsys):
    cache(tmp_path, name="\x1b[31mevil\x1b[0m[bold]x[/]")
    code, out, _ = run(capsys, "--now", NOW, "--within", "30")
    assert code == 1 and "\x1b" not in out and "?[31mevil?[0m[bold]x[/]" in out
    code, out, _ = run(capsys, "--now", NOW, "--within", "30", "--format", "json")
    assert json.loads(out)["alerts"][0]["name"] == "\x1b[31mevil\x1b[0m[bold]x[/]"


# -- settings ---------------------------------------------------------------------


def test_the_config_settings_apply_and_the_command_line_wins(tmp_path, capsys):
    cache(tmp_path)
    config.set_value("alerts.budget", "100")
    config.set_value("alerts.within", "30")
    code, out, _ = run(capsys, "--now", NOW)
    assert code == 1
    assert [line.split()[:2] for line in out.splitlines()] == [["critical", "budget"],
                                                              ["warning", "deadline"]]
    code, out, _ = run(capsys, "--now", NOW, "--within", "12")
    assert [line.split()[1] for line in out.splitlines()] == ["budget"]


def test_warn_at_and_stale_after_from_the_config(tmp_path, capsys):
    cache(tmp_path, trial=False)  # estimate 72.00
    config.set_value("alerts.budget", "80.00")
    config.set_value("alerts.warn_at", "90")
    assert run(capsys, "--now", NOW)[0] == 0  # 90 % of 80.00 is 72.00: not over it
    config.set_value("alerts.warn_at", "89%")
    code, out, _ = run(capsys, "--now", NOW)
    assert code == 1 and "90 % of the budget of 80.00 EUR" in out
    config.set_value("alerts.stale_after", "1")
    code, out, _ = run(capsys, "--now", "2026-12-02T05:30:00Z")
    assert out.splitlines()[0].split()[:2] == ["critical", "stale"]


@pytest.mark.parametrize(("key", "value"), [
    ("alerts.budget", "-5"), ("alerts.budget", "12,50"), ("alerts.budget", "1e3"),
    ("alerts.warn_at", "0"), ("alerts.warn_at", "101"), ("alerts.warn_at", "eighty"),
    ("alerts.stale_after", "0"), ("alerts.within", "1.5"),
])
def test_bad_alert_settings_are_refused_naming_the_key(key, value):
    with pytest.raises(config.UsageError, match=key.replace(".", r"\.")):
        config.validate(key, value)


def test_a_float_budget_in_the_file_is_refused(tmp_path, capsys):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text("[alerts]\nbudget = 1500.5\n")
    code, _, err = run(capsys, "--now", NOW)
    assert code == 2 and "alerts.budget" in err and "decimal string" in err


SECRET = "https://hooks.chat.example/services/T0001/B0002/very-secret-key-123"


def test_the_webhook_url_is_masked_in_config_show_and_set(capsys):
    assert main(["config", "set", "alerts.webhook", SECRET]) == 0
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "very-secret-key" not in out and "T0001" not in out
    assert f"https://hooks.chat.example/…({len(SECRET)} chars)" in out
    assert config.load_config().alerts_webhook == SECRET


@pytest.mark.parametrize("bad", [SECRET.replace("https", "http"), "ftp://x.example/very-secret-key-123",
                                 "https://user:very-secret-key-123@x.example/", "very-secret-key-123"])
def test_a_bad_webhook_url_is_refused_without_repeating_it(capsys, bad):
    assert main(["config", "set", "alerts.webhook", bad]) == 2
    err = capsys.readouterr().err
    assert "alerts.webhook" in err and "very-secret-key" not in err


def test_the_webhook_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PAYG_ALERTS_WEBHOOK", "http://127.0.0.1:9/hook")
    assert config.load_config().alerts_webhook == "http://127.0.0.1:9/hook"
    assert "alerts.webhook" in config.load_config().overridden


# -- the demo -----------------------------------------------------------------------


def test_the_demo_gives_alerts_md_example(capsys):
    code, out, _ = run(capsys, "--demo", "--now", "2026-12-02T04:30:00Z", "--within", "30",
                     "--format", "json")
    assert code == 1
    first = json.loads(out)["alerts"][0]
    assert {k: first[k] for k in ("kind", "item", "name", "deadline", "cost_if_kept")} == {
        "kind": "deadline", "item": "acc-7006", "name": "nieuwe-klant.be",
        "deadline": "2026-12-03T07:00:00Z", "cost_if_kept": "13.33"}
    assert first["message"] == ("nieuwe-klant.be: delete before 3 Dec 08:00 CET to pay nothing "
                                "(13.33 EUR to month end)")


def test_the_demo_outside_the_window_says_nothing(capsys):
    # The demo's trial is 20 h old at 04:30: its deadline is 26.5 h away.
    assert run(capsys, "--demo", "--now", "2026-12-02T04:30:00Z", "--within", "26") == (0, "", "")


def test_the_demo_never_reads_the_users_config(tmp_path, capsys):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text('[alerts]\nbudget = "1"\n')
    assert run(capsys, "--demo", "--now", "2026-12-02T04:30:00Z")[0] == 0


# -- the timer --------------------------------------------------------------------


def test_install_timer_writes_units_that_run_after_the_collector(tmp_path, capsys):
    target = tmp_path / "units"
    code, out, _ = run(capsys, "--install-timer", "--systemd-dir", str(target))
    assert code == 0
    service = (target / "payg-tui-alerts.service").read_text()
    timer = (target / "payg-tui-alerts.timer").read_text()
    assert "ExecStart=" in service and service.rstrip().endswith(" alerts")
    assert "SuccessExitStatus=1" in service  # alerts found is not a failed unit
    assert f"Environment=PAYG_TUI_CONFIG_DIR={tmp_path}/config\n" in service
    assert "OnCalendar=*-*-* *:10:00" in timer  # the collector's is *:01
    assert "systemctl --user enable --now payg-tui-alerts.timer" in out
    [cron] = [line for line in out.splitlines() if line.startswith("  10 * * * * ")]
    assert cron.rstrip().endswith(" alerts")  # no redirection: cron mails what it prints


def test_install_timer_keeps_within_and_format(tmp_path, capsys):
    target = tmp_path / "units"
    code, _, _ = run(capsys, "--install-timer", "--systemd-dir", str(target), "--within", "24",
                     "--format", "json")
    assert code == 0
    assert (target / "payg-tui-alerts.service").read_text().rstrip().endswith(
        " alerts --within 24 --format json")


@pytest.mark.parametrize("argv", [["--demo"], ["--now", NOW], ["--webhook", "https://hooks.example/key-123"]])
def test_install_timer_refuses_what_it_cannot_keep(tmp_path, capsys, argv):
    code, _, err = run(capsys, "--install-timer", "--systemd-dir", str(tmp_path / "units"), *argv)
    assert code == 2 and not (tmp_path / "units").exists()
    assert "key-123" not in err and len(err.splitlines()) == 1
