"""`collect --install-timer`: systemd user units and the crontab line."""

from __future__ import annotations

from pathlib import Path

import pytest

from payg_tui import schedule
from payg_tui.cli import main


def test_install_writes_service_and_timer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAYG_TUI_CONFIG_DIR", str(tmp_path / "conf dir"))
    target = tmp_path / "units"
    assert main(["collect", "--install-timer", "--systemd-dir", str(target)]) == 0
    service = (target / "payg-tui-collect.service").read_text()
    timer_text = (target / "payg-tui-collect.timer").read_text()
    assert "Type=oneshot" in service
    assert "collect --provider combell" in service
    assert f'Environment="PAYG_TUI_CONFIG_DIR={tmp_path}/conf dir"' in service
    assert "OnCalendar=*-*-* *:01:00" in timer_text
    assert "WantedBy=timers.target" in timer_text
    out = capsys.readouterr()
    assert "systemctl --user enable --now payg-tui-collect.timer" in out.out
    cron = [line for line in out.out.splitlines() if line.startswith("  1 * * * * ")]
    assert len(cron) == 1 and "collect --provider combell" in cron[0]
    assert "'PAYG_TUI_CONFIG_DIR=" in cron[0]
    assert "no" in out.err  # warns that the config holds no key yet


def test_default_dir_follows_xdg_config_home(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert schedule.systemd_user_dir() == tmp_path / "systemd" / "user"


def test_crontab_escapes_percent() -> None:
    job = schedule.HourlyJob("collect", 1, ("collect",), "collect", "collect hourly")
    line = schedule.crontab_line(job, ["/opt/50%/payg-tui", "collect"], {})
    assert "50\\%" in line
